//! `data "rhombus_mfa_settings"`: an organization's MFA settings, read with the resource's client
//! — the API key's own organization, or with a partner key the client named by `org_uuid`.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::client::RhombusClient;
use crate::plugin::data_source::DataSource;
use crate::plugin::diag::Diagnostics;
use crate::plugin::resource::Ctx;
use crate::plugin::schema::{Attribute, Schema, Validator};
use crate::plugin::typed::Attr;
use crate::plugin::value::Type;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MfaData {
    pub id: Attr<String>,
    pub org_uuid: Attr<String>,
    pub mfa_enabled: Attr<bool>,
    pub trusted_device_skip_days: Attr<i64>,
}

pub struct MfaSettingsData;

#[async_trait]
impl DataSource for MfaSettingsData {
    type Client = RhombusClient;
    type State = MfaData;

    fn type_name(&self) -> &'static str {
        "rhombus_mfa_settings"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            "The MFA settings of a Rhombus organization, read-only: the API key's own, or with a partner key a client \
             organization's.",
            vec![
                Attribute::computed("id", Type::String, "The organization's UUID."),
                Attribute::optional(
                    "org_uuid",
                    Type::String,
                    "With a partner key, the client organization to read (sent as `x-auth-org`). Unset: the key's own organization.",
                )
                .validate(Validator::NotEmpty)
                .validate(Validator::Trimmed),
                Attribute::computed("mfa_enabled", Type::Bool, "Whether users of the organization must use MFA."),
                Attribute::computed(
                    "trusted_device_skip_days",
                    Type::Number,
                    "How long a trusted device may skip the second factor: negative is forever, `0` always asks.",
                ),
            ],
        )
    }

    async fn read(&self, ctx: &Ctx<RhombusClient>, config: MfaData, diags: &mut Diagnostics) -> Option<MfaData> {
        let target = ctx.client.target(config.org_uuid.known().map(String::as_str), &ctx.cancel).await;
        let target = target.map_err(|e| diags.report(&e)).ok()?;
        let org = ctx.client.get_org(&target, &ctx.cancel).await.map_err(|e| diags.report(&e)).ok()?;
        Some(MfaData {
            id: org.uuid.clone().into(),
            org_uuid: config.org_uuid,
            mfa_enabled: org.mfa_enabled.into(),
            trusted_device_skip_days: org.trusted_device_skip_days.into(),
        })
    }
}
