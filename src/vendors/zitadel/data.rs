//! `data "zitadel_login_policy"`: the login policy in effect for the instance or one
//! organization, read with the resources' client (one `GET` of the policy), for audits that
//! must not manage anything.

use std::collections::BTreeSet;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value as J;

use super::client::{FactorKind, Scope, ZitadelClient};
use super::duration;
use super::mfa_settings::Mfa;
use crate::plugin::data_source::DataSource;
use crate::plugin::diag::Diagnostics;
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
    pub multi_factors: Attr<BTreeSet<String>>,
    pub second_factors: Attr<BTreeSet<String>>,
    pub mfa_init_skip_lifetime: Attr<String>,
    pub second_factor_check_lifetime: Attr<String>,
    pub multi_factor_check_lifetime: Attr<String>,
}

pub struct LoginPolicy;

#[async_trait]
impl DataSource for LoginPolicy {
    type Client = ZitadelClient;
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

    async fn read(&self, ctx: &Ctx<ZitadelClient>, config: PolicyData, diags: &mut Diagnostics) -> Option<PolicyData> {
        let scope = config.org_id.known().map_or(Scope::Instance, |o| Scope::Org(o.clone()));
        let policy = ctx.client.policy(&scope, &ctx.cancel).await.map_err(|e| diags.report(&e)).ok()?;
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
                p.get("passwordlessType").and_then(J::as_str).unwrap_or("PASSWORDLESS_TYPE_NOT_ALLOWED").to_string(),
            ),
            multi_factors: Attr::Known(list(FactorKind::Multi)),
            second_factors: Attr::Known(list(FactorKind::Second)),
            mfa_init_skip_lifetime: Attr::Known(duration::format_go(mfa.mfa_init_skip_lifetime)),
            second_factor_check_lifetime: Attr::Known(duration::format_go(mfa.second_factor_check_lifetime)),
            multi_factor_check_lifetime: Attr::Known(duration::format_go(mfa.multi_factor_check_lifetime)),
        })
    }
}
