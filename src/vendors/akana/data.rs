//! `data "akana_twofa_settings"`: a business's 2FA settings, read with the resource's client and
//! session.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::client::AkanaClient;
use crate::plugin::data_source::DataSource;
use crate::plugin::diag::{AttrPath, Diagnostics};
use crate::plugin::resource::Ctx;
use crate::plugin::schema::{Attribute, Schema, Validator};
use crate::plugin::typed::Attr;
use crate::plugin::value::Type;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TwoFaData {
    pub id: Attr<String>,
    pub business_id: Attr<String>,
    pub enabled: Attr<bool>,
    pub code_valid_seconds: Attr<i64>,
    pub max_attempts: Attr<i64>,
    pub recurrence_mode: Attr<String>,
    pub recurrence_interval_minutes: Attr<i64>,
    pub device_cookie_name: Attr<String>,
}

pub struct TwoFaSettingsData;

#[async_trait]
impl DataSource for TwoFaSettingsData {
    type Client = AkanaClient;
    type State = TwoFaData;

    fn type_name(&self) -> &'static str {
        "akana_twofa_settings"
    }

    fn schema(&self) -> Schema {
        let computed = |name: &'static str, ty: Type, doc: &str| Attribute::computed(name, ty, doc);
        Schema::new(
            "The two-factor authentication settings of a business on the Akana API Platform, read-only. Values the platform \
             leaves unset are null.",
            vec![
                computed("id", Type::String, "Same as `business_id`."),
                Attribute::required(
                    "business_id",
                    Type::String,
                    "The business; the tenant's root business is `tenantbusiness.<fed_member_id>`.",
                )
                .validate(Validator::NotEmpty)
                .validate(Validator::Trimmed),
                computed("enabled", Type::Bool, "Whether users of the developer portal must pass 2FA."),
                computed("code_valid_seconds", Type::Number, "How many seconds a verification code stays valid."),
                computed("max_attempts", Type::Number, "How many times a code may be tried."),
                computed(
                    "recurrence_mode",
                    Type::String,
                    "`twofa.each.login`, `twofa.once.each.interval` or `twofa.login.new.device`.",
                ),
                computed("recurrence_interval_minutes", Type::Number, "Minutes after which 2FA is asked for again."),
                computed("device_cookie_name", Type::String, "Name of the cookie that marks a known device."),
            ],
        )
    }

    async fn read(&self, ctx: &Ctx<AkanaClient>, config: TwoFaData, diags: &mut Diagnostics) -> Option<TwoFaData> {
        let business = config.business_id.known()?.clone();
        let Some(o) = ctx.client.read(&business, &ctx.cancel).await.map_err(|e| diags.report(&e)).ok()? else {
            diags.attr_error(
                AttrPath::attr("business_id"),
                "Akana business not found",
                format!("Business {business:?} does not exist on this platform (HTTP 404)."),
            );
            return None;
        };
        let f = o.fields;
        Some(TwoFaData {
            id: Attr::Known(business),
            business_id: config.business_id,
            enabled: f.enabled.into(),
            code_valid_seconds: f.code_valid_seconds.into(),
            max_attempts: f.max_attempts.into(),
            recurrence_mode: f.recurrence_mode.into(),
            recurrence_interval_minutes: f.recurrence_interval_minutes.into(),
            device_cookie_name: f.device_cookie_name.into(),
        })
    }
}
