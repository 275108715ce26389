//! `zitadel_login_multifactor` and `zitadel_login_second_factor`: one factor in the instance's
//! default login settings, or in one organization's own settings.
//!
//! The trap (zitadel/zitadel#9047): adding a factor to an organization that still inherits the
//! instance defaults answers 200 but is never applied, and the next add fails with AlreadyExists.
//! So before writing to such an organization the provider gives it login settings of its own
//! (a copy of the inherited ones, plus the factor) and says so in a warning.

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::client::{FactorKind, Scope, ZitadelClient, ZitadelError, code, custom_policy_from_inherited};
use crate::plugin::diag::{AttrPath, Diagnostics};
use crate::plugin::resource::{Ctx, Read, Resource};
use crate::plugin::schema::{Attribute, Schema, Validator};
use crate::plugin::typed::Attr;
use crate::plugin::value::Type;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct State {
    pub id: Attr<String>,
    #[serde(rename = "type")]
    pub factor: Attr<String>,
    pub org_id: Attr<String>,
}

pub struct LoginFactor {
    pub kind: FactorKind,
}

/// How long a read may lag behind a write (ZITADEL reads from projections).
const VISIBILITY_BUDGET: Duration = Duration::from_secs(10);

impl LoginFactor {
    fn type_name_of(kind: FactorKind) -> &'static str {
        match kind {
            FactorKind::Multi => "zitadel_login_multifactor",
            FactorKind::Second => "zitadel_login_second_factor",
        }
    }

    fn scope(state: &State) -> Scope {
        match state.org_id.known() {
            Some(o) => Scope::Org(o.clone()),
            None => Scope::Instance,
        }
    }

    fn id(scope: &Scope, ty: &str) -> String {
        match scope {
            Scope::Instance => format!("instance/{ty}"),
            Scope::Org(o) => format!("{o}/{ty}"),
        }
    }

    fn state(scope: &Scope, ty: &str) -> State {
        State {
            id: Attr::Known(Self::id(scope, ty)),
            factor: Attr::Known(ty.to_string()),
            org_id: match scope {
                Scope::Instance => Attr::Null,
                Scope::Org(o) => Attr::Known(o.clone()),
            },
        }
    }

    fn import_hint(&self, scope: &Scope, ty: &str) -> String {
        format!("terraform import {}.<name> {}", Self::type_name_of(self.kind), Self::id(scope, ty))
    }

    /// Polls until the factor is (or is no longer) listed; false if the budget ran out.
    async fn wait_until(
        &self,
        ctx: &Ctx<ZitadelClient>,
        scope: &Scope,
        ty: &str,
        present: bool,
    ) -> Result<bool, ZitadelError> {
        let started = tokio::time::Instant::now();
        let mut delay = Duration::from_millis(100);
        loop {
            let listed = ctx.client.factors(scope, self.kind, &ctx.cancel).await?;
            let is_present = listed.is_some_and(|l| l.iter().any(|f| f == ty));
            if is_present == present {
                return Ok(true);
            }
            if started.elapsed() + delay > VISIBILITY_BUDGET {
                return Ok(false);
            }
            tokio::select! {
                _ = ctx.cancel.cancelled() => return Ok(false),
                _ = tokio::time::sleep(delay) => {}
            }
            delay = (delay * 2).min(Duration::from_secs(2));
        }
    }

    /// Adds the factor; if the outcome of the call is unknown (timeout, 502-504), reads back
    /// before trying once more, so a write that landed is never repeated blindly.
    async fn add(&self, ctx: &Ctx<ZitadelClient>, scope: &Scope, ty: &str) -> Result<(), ZitadelError> {
        match ctx.client.add_factor(scope, self.kind, ty, &ctx.cancel).await {
            Err(e) if e.outcome_unknown() => {
                let listed = ctx.client.factors(scope, self.kind, &ctx.cancel).await?;
                if listed.is_some_and(|l| l.iter().any(|f| f == ty)) {
                    return Ok(());
                }
                ctx.client.add_factor(scope, self.kind, ty, &ctx.cancel).await
            }
            other => other,
        }
    }

    /// Gives an inheriting organization settings of its own: the inherited ones plus `ty`.
    /// Returns the factors (of both kinds) the new settings carry.
    async fn adopt_inherited(
        &self,
        ctx: &Ctx<ZitadelClient>,
        org: &str,
        inherited: &serde_json::Value,
        ty: &str,
    ) -> Result<Vec<String>, ZitadelError> {
        let list = |kind: FactorKind| -> Vec<String> {
            inherited
                .get(kind.policy_field())
                .and_then(|v| v.as_array())
                .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
                .unwrap_or_default()
        };
        let mut factors = list(self.kind);
        if !factors.iter().any(|f| f == ty) {
            factors.push(ty.to_string());
        }
        let other = match self.kind {
            FactorKind::Multi => FactorKind::Second,
            FactorKind::Second => FactorKind::Multi,
        };
        let mut carried = factors.clone();
        carried.extend(list(other));
        let body = custom_policy_from_inherited(inherited, self.kind, &factors);
        match ctx.client.add_custom_policy(org, body.clone(), &ctx.cancel).await {
            Err(e) if e.outcome_unknown() => {
                if !ctx.client.org_policy(org, &ctx.cancel).await?.is_default {
                    return Ok(carried);
                }
                ctx.client.add_custom_policy(org, body, &ctx.cancel).await.map(|_| carried)
            }
            other => other.map(|_| carried),
        }
    }

    /// Creation in an organization's own settings, giving it settings first if it inherits.
    async fn create_in_org(
        &self,
        ctx: &Ctx<ZitadelClient>,
        org: &str,
        ty: &str,
        diags: &mut Diagnostics,
    ) -> Result<(), ZitadelError> {
        let scope = Scope::Org(org.to_string());
        let p = ctx.client.org_policy(org, &ctx.cancel).await?;
        if p.is_default {
            match self.adopt_inherited(ctx, org, &p.policy, ty).await {
                Ok(carried) => {
                    ctx.client.remember_copied(org, carried.iter().cloned());
                    diags.warning(
                        format!("Organization {org} now has login settings of its own"),
                        format!(
                            "Organization {org} inherited the instance's default login settings. ZITADEL ignores factors added to an \
                             inheriting organization (zitadel/zitadel#9047), so the provider created the organization's own login \
                             settings: a copy of the inherited values ({}) with {ty}. From now on the organization no longer follows \
                             changes to the instance defaults.",
                            carried.join(", ")
                        ),
                    );
                    return Ok(());
                }
                // Someone else gave the organization its own settings meanwhile: add to those.
                Err(e) if e.is(code::ALREADY_EXISTS) => {}
                Err(e) => return Err(e),
            }
        } else {
            let present = p
                .policy
                .get(self.kind.policy_field())
                .and_then(|v| v.as_array())
                .is_some_and(|a| a.iter().any(|x| x == ty));
            if present {
                return if ctx.client.was_copied(org, ty) { Ok(()) } else { Err(already(&scope, ty)) };
            }
        }
        match self.add(ctx, &scope, ty).await {
            Err(e) if e.is(code::ALREADY_EXISTS) && ctx.client.was_copied(org, ty) => Ok(()),
            other => other,
        }
    }
}

#[async_trait]
impl Resource for LoginFactor {
    type Client = ZitadelClient;
    type State = State;
    type Private = ();

    fn type_name(&self) -> &'static str {
        Self::type_name_of(self.kind)
    }

    fn schema(&self) -> Schema {
        let (what, type_doc) = match self.kind {
            FactorKind::Multi => (
                "Enables one multi-factor (passwordless / passkey) method in ZITADEL's login settings.",
                "The multi-factor type. ZITADEL defines one usable value today: `MULTI_FACTOR_TYPE_U2F_WITH_VERIFICATION` (passkeys: a \
                 security key or platform authenticator with PIN or biometrics). `MULTI_FACTOR_TYPE_UNSPECIFIED` is rejected.",
            ),
            FactorKind::Second => (
                "Enables one second-factor method in ZITADEL's login settings.",
                "The second-factor type: `SECOND_FACTOR_TYPE_OTP` (authenticator app), `SECOND_FACTOR_TYPE_U2F` (security key), \
                 `SECOND_FACTOR_TYPE_OTP_EMAIL` or `SECOND_FACTOR_TYPE_OTP_SMS`. `SECOND_FACTOR_TYPE_UNSPECIFIED` is rejected.",
            ),
        };
        Schema::new(
            &format!(
                "{what} Without `org_id` it changes the instance's default login settings; with `org_id` that organization's own settings."
            ),
            vec![
                Attribute::computed("id", Type::String, "`instance/<type>` or `<org_id>/<type>`; also the import ID."),
                Attribute::required("type", Type::String, type_doc).force_new().validate(Validator::OneOf(self.kind.allowed())),
                Attribute::optional(
                    "org_id",
                    Type::String,
                    "ID of the organization whose own login settings get the factor. Unset: the instance's default login settings, \
                     which every organization without settings of its own inherits.",
                )
                .force_new()
                .validate(Validator::NotEmpty)
                .validate(Validator::Custom("Must not contain `/`.", |v| match v.as_str() {
                    Some(s) if s.contains('/') => Err("must not contain \"/\"".into()),
                    _ => Ok(()),
                })),
            ],
        )
    }

    async fn create(&self, ctx: &Ctx<ZitadelClient>, planned: State, diags: &mut Diagnostics) -> Option<(State, ())> {
        let ty = planned.factor.known()?.clone();
        let scope = Self::scope(&planned);
        let lock = ctx.client.lock_for(&scope);
        let _serialised = lock.lock().await;
        let result = match &scope {
            Scope::Org(org) => self.create_in_org(ctx, org, &ty, diags).await,
            Scope::Instance => match ctx.client.factors(&scope, self.kind, &ctx.cancel).await {
                Ok(l) if l.as_ref().is_some_and(|l| l.contains(&ty)) => Err(already(&scope, &ty)),
                Ok(_) => self.add(ctx, &scope, &ty).await,
                Err(e) => Err(e),
            },
        };
        if let Err(e) = result {
            if e.is(code::ALREADY_EXISTS) {
                diags.attr_error(
                    AttrPath::attr("type"),
                    format!("{ty} is already enabled"),
                    format!(
                        "{ty} is already set in {}. To manage it with Terraform, import it: {}",
                        scope.describe(),
                        self.import_hint(&scope, &ty)
                    ),
                );
            } else {
                diags.report(&e);
            }
            return None;
        }
        match self.wait_until(ctx, &scope, &ty, true).await {
            Ok(true) => Some((Self::state(&scope, &ty), ())),
            Ok(false) => {
                diags.error(
                    format!("ZITADEL accepted {ty} but does not list it"),
                    format!(
                        "The add call succeeded, but {} still does not show {ty} after {} s. ZITADEL's read side may be behind; run \
                         terraform apply again in a moment (it will offer to import the factor if it has appeared).",
                        scope.describe(),
                        VISIBILITY_BUDGET.as_secs()
                    ),
                );
                None
            }
            Err(e) => {
                diags.report(&e);
                None
            }
        }
    }

    async fn read(
        &self,
        ctx: &Ctx<ZitadelClient>,
        current: State,
        _: (),
        diags: &mut Diagnostics,
    ) -> Option<Read<State, ()>> {
        let ty = current.factor.known()?.clone();
        let scope = Self::scope(&current);
        match ctx.client.factors(&scope, self.kind, &ctx.cancel).await {
            // An organization that went back to inheriting no longer has the factor of its own.
            Ok(Some(l)) if l.contains(&ty) => Some(Read::Found(Self::state(&scope, &ty), ())),
            Ok(_) => Some(Read::Gone),
            Err(e) => {
                diags.report(&e);
                None
            }
        }
    }

    async fn update(
        &self,
        _: &Ctx<ZitadelClient>,
        _: State,
        planned: State,
        _: (),
        _: &mut Diagnostics,
    ) -> Option<(State, ())> {
        // Every attribute forces replacement, so an update never has anything to send.
        Some((planned, ()))
    }

    async fn delete(&self, ctx: &Ctx<ZitadelClient>, prior: State, _: (), diags: &mut Diagnostics) -> bool {
        let Some(ty) = prior.factor.known().cloned() else {
            return true;
        };
        let scope = Self::scope(&prior);
        let lock = ctx.client.lock_for(&scope);
        let _serialised = lock.lock().await;
        if let Err(e) = ctx.client.remove_factor(&scope, self.kind, &ty, &ctx.cancel).await {
            diags.report(&e);
            return false;
        }
        // Wait (briefly) until the read side agrees, so a following create of the same factor
        // does not see a stale list.
        if let Ok(false) = self.wait_until(ctx, &scope, &ty, false).await {
            log::warn!("ZITADEL: {ty} still listed {} s after removal", VISIBILITY_BUDGET.as_secs());
        }
        true
    }

    async fn import(&self, ctx: &Ctx<ZitadelClient>, id: &str, diags: &mut Diagnostics) -> Option<(State, ())> {
        let Some((scope_part, ty)) = id.trim().rsplit_once('/') else {
            diags.error(
                "Invalid import ID",
                format!(
                    "Expected instance/<type> or <org_id>/<type>, e.g. instance/{}; got {id:?}.",
                    self.kind.allowed()[0]
                ),
            );
            return None;
        };
        if !self.kind.allowed().contains(&ty) {
            diags.error(
                "Invalid import ID",
                format!("{ty:?} is not a {} type; use one of {}.", self.kind.label(), self.kind.allowed().join(", ")),
            );
            return None;
        }
        let scope = match scope_part {
            "instance" => Scope::Instance,
            "" => {
                diags.error("Invalid import ID", format!("The organization ID before \"/\" is empty in {id:?}."));
                return None;
            }
            org => Scope::Org(org.to_string()),
        };
        match ctx.client.factors(&scope, self.kind, &ctx.cancel).await {
            Ok(Some(l)) if l.iter().any(|f| f == ty) => Some((Self::state(&scope, ty), ())),
            Ok(None) => {
                diags.error(
                    "Nothing to import",
                    format!(
                        "Organization {} has no login settings of its own (it inherits the instance defaults), so it has no {} to import. \
                         Create the resource instead; the provider will give the organization its own settings.",
                        scope_part,
                        self.kind.label()
                    ),
                );
                None
            }
            Ok(Some(_)) => {
                diags.error(
                    "Nothing to import",
                    format!("{ty} is not enabled in {}. Create the resource instead.", scope.describe()),
                );
                None
            }
            Err(e) => {
                diags.report(&e);
                None
            }
        }
    }
}

fn already(scope: &Scope, ty: &str) -> ZitadelError {
    ZitadelError::Api {
        call: "read".into(),
        status: 409,
        code: code::ALREADY_EXISTS,
        id: None,
        message: format!("{ty} already set in {}", scope.describe()),
    }
}
