//! `data "akana_twofa_settings"` and `data "akana_login_settings"`: a business's 2FA settings and
//! login policy, read with the resources' client and session.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::client::AkanaClient;
use super::resource::not_found;
use crate::plugin::data_source::DataSource;
use crate::plugin::diag::Diagnostics;
use crate::plugin::resource::Ctx;
use crate::plugin::schema::{Attribute, Schema, Validator};
use crate::plugin::typed::Attr;
use crate::plugin::value::Type;

/// The business both data sources read.
fn business_id() -> Attribute {
    Attribute::required(
        "business_id",
        Type::String,
        "The business; the tenant's root business is `tenantbusiness.<fed_member_id>`.",
    )
    .validate(Validator::NotEmpty)
    .validate(Validator::Trimmed)
}

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
                business_id(),
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
            not_found(diags, &business);
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

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoginData {
    pub id: Attr<String>,
    pub business_id: Attr<String>,
    pub max_failed_attempts: Attr<i64>,
    pub attempts_period_minutes: Attr<i64>,
    pub suspension_minutes: Attr<i64>,
    pub active_session_timeout_minutes: Attr<i64>,
    pub inactive_session_timeout_minutes: Attr<i64>,
    pub persistent_session: Attr<bool>,
    pub concurrent_login: Attr<bool>,
}

pub struct LoginSettingsData;

#[async_trait]
impl DataSource for LoginSettingsData {
    type Client = AkanaClient;
    type State = LoginData;

    fn type_name(&self) -> &'static str {
        "akana_login_settings"
    }

    fn schema(&self) -> Schema {
        let computed = |name: &'static str, ty: Type, doc: &str| Attribute::computed(name, ty, doc);
        Schema::new(
            "The login policy of a business on the Akana API Platform, read-only. Values the platform leaves unset are null.",
            vec![
                computed("id", Type::String, "Same as `business_id`."),
                business_id(),
                computed(
                    "max_failed_attempts",
                    Type::Number,
                    "Failed logins in a row that suspend an account; `0`: no limit.",
                ),
                computed(
                    "attempts_period_minutes",
                    Type::Number,
                    "The period, in minutes, over which failed logins count.",
                ),
                computed("suspension_minutes", Type::Number, "How many minutes a suspended account stays locked."),
                computed(
                    "active_session_timeout_minutes",
                    Type::Number,
                    "Minutes after which a session ends even in use.",
                ),
                computed(
                    "inactive_session_timeout_minutes",
                    Type::Number,
                    "Minutes of inactivity after which a session ends.",
                ),
                computed("persistent_session", Type::Bool, "Whether the session cookie outlives the browser."),
                computed("concurrent_login", Type::Bool, "Whether a user may have more than one session at a time."),
            ],
        )
    }

    async fn read(&self, ctx: &Ctx<AkanaClient>, config: LoginData, diags: &mut Diagnostics) -> Option<LoginData> {
        let business = config.business_id.known()?.clone();
        let Some(o) = ctx.client.login_policy(&business, &ctx.cancel).await.map_err(|e| diags.report(&e)).ok()? else {
            not_found(diags, &business);
            return None;
        };
        let f = o.fields;
        Some(LoginData {
            id: Attr::Known(business),
            business_id: config.business_id,
            max_failed_attempts: f.max_failed_attempts.into(),
            attempts_period_minutes: f.attempts_period_minutes.into(),
            suspension_minutes: f.suspension_minutes.into(),
            active_session_timeout_minutes: f.active_session_timeout_minutes.into(),
            inactive_session_timeout_minutes: f.inactive_session_timeout_minutes.into(),
            persistent_session: f.persistent_session.into(),
            concurrent_login: f.concurrent_login.into(),
        })
    }
}
