//! `data "onlyoffice_tfa_settings"` and `data "onlyoffice_login_settings"`: the portal's TFA and
//! brute-force login settings, read with the resources' client.

use std::collections::BTreeSet;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::client::{LoginLimits, OnlyofficeClient, TfaType};
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

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoginData {
    pub id: Attr<String>,
    pub attempt_count: Attr<i64>,
    pub block_time_seconds: Attr<i64>,
    pub check_period_seconds: Attr<i64>,
    pub is_default: Attr<bool>,
}

pub struct LoginSettingsData;

#[async_trait]
impl DataSource for LoginSettingsData {
    type Client = OnlyofficeClient;
    type State = LoginData;

    fn type_name(&self) -> &'static str {
        "onlyoffice_login_settings"
    }

    fn schema(&self) -> Schema {
        let computed = |name: &'static str, doc: &str| Attribute::computed(name, Type::Number, doc);
        Schema::new(
            "The brute-force login limit of the configured ONLYOFFICE DocSpace portal, read-only.",
            vec![
                Attribute::computed("id", Type::String, "The portal host."),
                computed("attempt_count", "Failed logins allowed per login name and address within the check period."),
                computed("block_time_seconds", "How long a blocked login stays blocked, in seconds."),
                computed("check_period_seconds", "The window in which failed logins are counted, in seconds."),
                Attribute::computed("is_default", Type::Bool, "Whether these are DocSpace's defaults (5, 60, 60)."),
            ],
        )
    }

    async fn read(&self, ctx: &Ctx<OnlyofficeClient>, _: LoginData, diags: &mut Diagnostics) -> Option<LoginData> {
        let l = ctx.client.login_limits(&ctx.cancel).await.map_err(|e| diags.report(&e)).ok()?;
        Some(LoginData {
            id: Attr::Known(ctx.client.portal_host()),
            attempt_count: Attr::Known(l.attempt_count),
            block_time_seconds: Attr::Known(l.block_time_seconds),
            check_period_seconds: Attr::Known(l.check_period_seconds),
            is_default: Attr::Known(l == LoginLimits::DEFAULT),
        })
    }
}
