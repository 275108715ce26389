//! `data "zitadel_login_policy"` and `data "zitadel_lockout_policy"`: the login and lock-out
//! policies in effect for the instance or one organization, read with the resources' client (one
//! `GET` each), for audits that must not manage anything.

use std::collections::BTreeSet;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use super::client::{FactorKind, Scope};
use super::context::Zitadel;
use super::duration;
use super::lockout_settings::OTP_SINCE;
use super::login_mfa_settings::Mfa;
use crate::plugin::data_source::DataSource;
use crate::plugin::diag::{Diagnostics, Reported};
use crate::plugin::resource::Ctx;
use crate::plugin::schema::{Attribute, Schema, Validator};
use crate::plugin::typed::Attr;
use crate::plugin::value::Type;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PolicyData {
    pub id: Attr<String>,
    pub org_id: Attr<String>,
    pub inherits: Attr<bool>,
    pub force_mfa: Attr<bool>,
    pub force_mfa_local_only: Attr<bool>,
    pub passwordless_type: Attr<String>,
    pub user_login: Attr<bool>,
    pub allow_external_idp: Attr<bool>,
    pub multi_factors: Attr<BTreeSet<String>>,
    pub second_factors: Attr<BTreeSet<String>>,
    pub mfa_init_skip_lifetime: Attr<String>,
    pub second_factor_check_lifetime: Attr<String>,
    pub multi_factor_check_lifetime: Attr<String>,
}

pub struct LoginPolicy;

#[async_trait]
impl DataSource for LoginPolicy {
    type Client = Zitadel;
    type State = PolicyData;

    fn type_name(&self) -> &'static str {
        "zitadel_login_policy"
    }

    fn schema(&self) -> Schema {
        let computed = |name: &'static str, ty: Type, doc: &str| Attribute::computed(name, ty, doc);
        Schema::new(
            "The login policy in effect for ZITADEL's instance defaults or one organization: whether MFA is forced, which \
             factors are allowed and how long checks last. Read-only, for audits.",
            vec![
                computed("id", Type::String, "`instance`, or the organization's ID."),
                Attribute::optional(
                    "org_id",
                    Type::String,
                    "The organization whose policy to read. Unset: the instance's default login settings.",
                )
                .validate(Validator::NotEmpty)
                .validate(Validator::Trimmed),
                computed(
                    "inherits",
                    Type::Bool,
                    "Whether the organization has no login settings of its own and follows the instance defaults (the values \
                     below are then the defaults'). Always `false` for the instance.",
                ),
                computed("force_mfa", Type::Bool, "Whether every user must use a second factor or a passkey."),
                computed("force_mfa_local_only", Type::Bool, "Whether `force_mfa` applies only to password logins."),
                computed(
                    "passwordless_type",
                    Type::String,
                    "`PASSWORDLESS_TYPE_ALLOWED` (passkeys may be used) or `PASSWORDLESS_TYPE_NOT_ALLOWED`.",
                ),
                computed("user_login", Type::Bool, "Whether users may log in with username and password."),
                computed(
                    "allow_external_idp",
                    Type::Bool,
                    "Whether users may log in through an external identity provider.",
                ),
                computed(
                    "multi_factors",
                    Type::set(Type::String),
                    "The allowed multi-factors (`MULTI_FACTOR_TYPE_…`).",
                ),
                computed(
                    "second_factors",
                    Type::set(Type::String),
                    "The allowed second factors (`SECOND_FACTOR_TYPE_…`).",
                ),
                computed(
                    "mfa_init_skip_lifetime",
                    Type::String,
                    "How long setting up a second factor may be postponed (e.g. `720h`).",
                ),
                computed(
                    "second_factor_check_lifetime",
                    Type::String,
                    "How long a second-factor check stays valid (e.g. `18h`).",
                ),
                computed(
                    "multi_factor_check_lifetime",
                    Type::String,
                    "How long a passkey check stays valid (e.g. `12h`).",
                ),
            ],
        )
    }

    async fn read(&self, ctx: &Ctx<Zitadel>, config: PolicyData, diags: &mut Diagnostics) -> Option<PolicyData> {
        let scope = config.org_id.known().map_or(Scope::Instance, |o| Scope::Org(o.clone()));
        let policy = ctx.client.policy(&scope, &ctx.cancel).await.reported(diags)?;
        let p = &policy.json;
        let mfa = Mfa::of(p);
        let list = |kind: FactorKind| -> BTreeSet<String> { policy.effective_factors(kind).into_iter().collect() };
        Some(PolicyData {
            id: Attr::Known(match &scope {
                Scope::Instance => "instance".into(),
                Scope::Org(o) => o.clone(),
            }),
            org_id: config.org_id,
            inherits: Attr::Known(policy.inherits),
            force_mfa: Attr::Known(mfa.force_mfa),
            force_mfa_local_only: Attr::Known(mfa.force_mfa_local_only),
            passwordless_type: Attr::Known(
                p.get("passwordlessType").and_then(Json::as_str).unwrap_or("PASSWORDLESS_TYPE_NOT_ALLOWED").to_string(),
            ),
            user_login: Attr::Known(p.get("allowUsernamePassword").and_then(Json::as_bool).unwrap_or(false)),
            allow_external_idp: Attr::Known(p.get("allowExternalIdp").and_then(Json::as_bool).unwrap_or(false)),
            multi_factors: Attr::Known(list(FactorKind::Multi)),
            second_factors: Attr::Known(list(FactorKind::Second)),
            mfa_init_skip_lifetime: Attr::Known(duration::format_go(mfa.mfa_init_skip_lifetime)),
            second_factor_check_lifetime: Attr::Known(duration::format_go(mfa.second_factor_check_lifetime)),
            multi_factor_check_lifetime: Attr::Known(duration::format_go(mfa.multi_factor_check_lifetime)),
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LockoutData {
    pub id: Attr<String>,
    pub org_id: Attr<String>,
    pub inherits: Attr<bool>,
    pub max_password_attempts: Attr<u32>,
    pub max_otp_attempts: Attr<u32>,
}

pub struct LockoutPolicy;

#[async_trait]
impl DataSource for LockoutPolicy {
    type Client = Zitadel;
    type State = LockoutData;

    fn type_name(&self) -> &'static str {
        "zitadel_lockout_policy"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            "The lock-out policy in effect for ZITADEL's instance defaults or one organization: how many wrong passwords and \
             wrong one-time codes lock a user. Read-only, for audits.",
            vec![
                Attribute::computed("id", Type::String, "`instance`, or the organization's ID."),
                Attribute::optional(
                    "org_id",
                    Type::String,
                    "The organization whose policy to read. Unset: the instance's default settings.",
                )
                .validate(Validator::NotEmpty)
                .validate(Validator::Trimmed),
                Attribute::computed(
                    "inherits",
                    Type::Bool,
                    "Whether the organization has no lock-out settings of its own and follows the instance's (the values below \
                     are then the instance's). Always `false` for the instance.",
                ),
                Attribute::computed(
                    "max_password_attempts",
                    Type::Number,
                    "Wrong passwords in a row that lock a user; `0` never locks.",
                ),
                Attribute::computed(
                    "max_otp_attempts",
                    Type::Number,
                    &format!(
                        "Wrong one-time codes of one kind in a row that lock a user; `0` never locks (and ZITADEL before \
                         {OTP_SINCE}, which has no such limit, reads as `0`)."
                    ),
                ),
            ],
        )
    }

    async fn read(&self, ctx: &Ctx<Zitadel>, config: LockoutData, diags: &mut Diagnostics) -> Option<LockoutData> {
        let scope = config.org_id.known().map_or(Scope::Instance, |o| Scope::Org(o.clone()));
        let l = ctx.client.lockout(&scope, &ctx.cancel).await.reported(diags)?;
        Some(LockoutData {
            id: Attr::Known(match &scope {
                Scope::Instance => "instance".into(),
                Scope::Org(o) => o.clone(),
            }),
            org_id: config.org_id,
            inherits: Attr::Known(l.inherits),
            max_password_attempts: Attr::Known(l.limits.max_password_attempts),
            max_otp_attempts: Attr::Known(l.limits.max_otp_attempts),
        })
    }
}
