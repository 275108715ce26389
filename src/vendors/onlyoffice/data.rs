//! `data "onlyoffice_tfa_settings"`: the portal's TFA settings, read with the resource's client.

use std::collections::BTreeSet;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::client::{OnlyofficeClient, TfaType};
use crate::plugin::data_source::DataSource;
use crate::plugin::diag::Diagnostics;
use crate::plugin::resource::Ctx;
use crate::plugin::schema::{Attribute, Schema};
use crate::plugin::typed::Attr;
use crate::plugin::value::Type;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TfaData {
    pub id: Attr<String>,
    #[serde(rename = "type")]
    pub tfa_type: Attr<String>,
    pub trusted_ips: Attr<BTreeSet<String>>,
    pub mandatory_users: Attr<BTreeSet<String>>,
    pub mandatory_groups: Attr<BTreeSet<String>>,
    pub sms_available: Attr<bool>,
}

pub struct TfaSettingsData;

#[async_trait]
impl DataSource for TfaSettingsData {
    type Client = OnlyofficeClient;
    type State = TfaData;

    fn type_name(&self) -> &'static str {
        "onlyoffice_tfa_settings"
    }

    fn schema(&self) -> Schema {
        let computed = |name: &'static str, ty: Type, doc: &str| Attribute::computed(name, ty, doc);
        Schema::new(
            "The two-factor authentication settings of the configured ONLYOFFICE DocSpace portal, read-only.",
            vec![
                computed("id", Type::String, "The portal host."),
                computed("type", Type::String, "`app`, `sms` or `none`."),
                computed("trusted_ips", Type::set(Type::String), "Addresses from which users skip the second factor."),
                computed("mandatory_users", Type::set(Type::String), "Users who must always use the second factor."),
                computed(
                    "mandatory_groups",
                    Type::set(Type::String),
                    "Groups whose members must always use the second factor.",
                ),
                computed(
                    "sms_available",
                    Type::Bool,
                    "Whether the portal offers SMS codes (an SMS provider is enabled). The tariff, which DocSpace checks only when \
                     SMS is switched on, is not part of it.",
                ),
            ],
        )
    }

    async fn read(&self, ctx: &Ctx<OnlyofficeClient>, _: TfaData, diags: &mut Diagnostics) -> Option<TfaData> {
        let r = ctx.client.read(&ctx.cancel).await.map_err(|e| diags.report(&e)).ok()?;
        let s = r.settings;
        Some(TfaData {
            id: Attr::Known(ctx.client.portal_host()),
            tfa_type: Attr::Known(s.tfa_type.unwrap_or(TfaType::None).attr().into()),
            trusted_ips: Attr::Known(s.trusted_ips),
            mandatory_users: Attr::Known(s.mandatory_users),
            mandatory_groups: Attr::Known(s.mandatory_groups),
            sms_available: Attr::Known(r.sms_available),
        })
    }
}
