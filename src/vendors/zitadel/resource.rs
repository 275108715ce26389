//! `zitadel_login_multifactor` and `zitadel_login_second_factor`: one factor in the instance's
//! default login settings, or in one organization's own settings.
//!
//! What ZITADEL's server code makes this deal with (zitadel/zitadel, `internal/command/
//! org_policy_login.go` and `org_policy_login_factors_model.go`):
//! - an organization that inherits ignores added factors (#9047): it first gets settings of its
//!   own ([`super::own_settings`]);
//! - a factor added while it inherited stays active on ZITADEL's command side but is never shown
//!   (a "ghost"): adding it later answers AlreadyExists. The provider removes the ghost and adds
//!   the factor again, and says so;
//! - adding is not idempotent, so an uncertain add is read back before anything else; when even
//!   that cannot tell, the factor is kept in state with the error (Terraform marks it tainted) and
//!   the next apply finds out by reading, whatever the outcome was;
//! - only ZITADEL's own NotFound for the factor means "already removed"; a deleted organization
//!   (403 `AUTH-Bs7Ds`) has no factors left.

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::client::{FactorKind, Removed, Scope, VISIBILITY_BUDGET, ZitadelClient, ZitadelError, code};
use super::own_settings::{Owned, ensure_own_settings};
use crate::http::{Uncertain, Wrote};
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

/// Why a create did not go through.
enum Failure {
    /// The factor was already set before this resource added it: someone else's.
    PreExisting,
    Zitadel(ZitadelError),
}

impl From<ZitadelError> for Failure {
    fn from(e: ZitadelError) -> Self {
        Failure::Zitadel(e)
    }
}

/// What a second-factor type means, for the schema documentation.
pub const SECOND_FACTOR_DOC: &str = "The second-factor type: `SECOND_FACTOR_TYPE_OTP` (one-time codes from an authenticator \
     app, TOTP), `SECOND_FACTOR_TYPE_U2F` (a security key or platform authenticator, without user verification), \
     `SECOND_FACTOR_TYPE_OTP_EMAIL` (one-time codes by e-mail), `SECOND_FACTOR_TYPE_OTP_SMS` (one-time codes by text message) \
     or `SECOND_FACTOR_TYPE_RECOVERY_CODES` (single-use recovery codes; ZITADEL v4.9 and later). \
     `SECOND_FACTOR_TYPE_UNSPECIFIED` is rejected.";

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

    /// Adds the factor, never twice blindly: an uncertain add is read back first.
    async fn add(&self, ctx: &Ctx<ZitadelClient>, scope: &Scope, ty: &str) -> Result<(), ZitadelError> {
        let (client, cancel, kind) = (&ctx.client, &ctx.cancel, self.kind);
        let call = format!(
            "POST {}/{} (adding {ty} to {})",
            ZitadelClient::factors_path(scope),
            kind.path(),
            scope.describe()
        );
        client
            .http()
            .write_verified(
                &call,
                cancel,
                move || client.add_factor(scope, kind, ty, cancel),
                move || async move { Ok(client.policy(scope, cancel).await?.has(kind, ty)) },
            )
            .await
            .map(|_: Wrote<()>| ())
    }

    /// Adds the factor to a scope that has settings of its own. ZITADEL answering AlreadyExists
    /// for a factor no read shows is either a read lagging behind our own earlier attempt, or a
    /// ghost; the first shows up within the visibility budget, the second is removed and added
    /// again.
    async fn add_resolving_ghosts(
        &self,
        ctx: &Ctx<ZitadelClient>,
        scope: &Scope,
        ty: &str,
        diags: &mut Diagnostics,
    ) -> Result<(), Failure> {
        match self.add(ctx, scope, ty).await {
            Err(e) if e.is(code::ALREADY_EXISTS) => {}
            other => return Ok(other?),
        }
        if self.wait_until(ctx, scope, ty, true).await? {
            return Ok(());
        }
        // The instance has no ghosts: a factor it refuses but never lists is beyond this provider.
        let Scope::Org(org) = scope else {
            return Err(Failure::PreExisting);
        };
        log::info!("ZITADEL: {ty} is a ghost in organization {org}; removing it and adding it again");
        ctx.client.remove_factor(scope, self.kind, ty, &ctx.cancel).await?;
        self.add(ctx, scope, ty).await?;
        diags.warning(
            format!("{ty} was a ghost factor in organization {org}; it was removed and added again"),
            format!(
                "ZITADEL refused to add {ty} to organization {org} as already existing, while the organization's login settings did \
                 not list it. That happens when the factor was added while the organization still inherited the instance defaults \
                 (zitadel/zitadel#9047): ZITADEL kept it active without ever showing or applying it. The provider removed that \
                 invisible factor and added it again; it is now listed and in effect."
            ),
        );
        Ok(())
    }

    /// Creation in an organization's own settings, giving it settings first if it inherits.
    async fn create_in_org(
        &self,
        ctx: &Ctx<ZitadelClient>,
        org: &str,
        ty: &str,
        diags: &mut Diagnostics,
    ) -> Result<(), Failure> {
        let scope = Scope::Org(org.to_string());
        let current = ctx.client.policy(&scope, &ctx.cancel).await?;
        let policy = match ensure_own_settings(ctx, org, current, Some((self.kind, ty)), diags).await? {
            Owned::Created => return Ok(()),
            Owned::Already(p) => p,
        };
        if policy.has(self.kind, ty) {
            return if ctx.client.was_copied(org, ty) { Ok(()) } else { Err(Failure::PreExisting) };
        }
        self.add_resolving_ghosts(ctx, &scope, ty, diags).await
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
                "The multi-factor type. ZITADEL defines one usable value: `MULTI_FACTOR_TYPE_U2F_WITH_VERIFICATION` (passkeys: a \
                 security key or platform authenticator with PIN or biometrics). `MULTI_FACTOR_TYPE_UNSPECIFIED` is rejected.",
            ),
            FactorKind::Second => ("Enables one second-factor method in ZITADEL's login settings.", SECOND_FACTOR_DOC),
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
            Scope::Instance => match ctx.client.policy(&scope, &ctx.cancel).await {
                Ok(p) if p.has(self.kind, &ty) => Err(Failure::PreExisting),
                Ok(_) => self.add_resolving_ghosts(ctx, &scope, &ty, diags).await,
                Err(e) => Err(e.into()),
            },
        };
        match result {
            Ok(()) => {}
            Err(Failure::PreExisting) => {
                diags.attr_error(
                    AttrPath::attr("type"),
                    format!("{ty} is already enabled"),
                    format!(
                        "{ty} is already set in {}. To manage it with Terraform, import it: {}",
                        scope.describe(),
                        self.import_hint(&scope, &ty)
                    ),
                );
                return None;
            }
            // The add (or the organization's new settings) may have taken effect: keep the factor
            // in state with the error. Terraform marks it tainted; the next apply reads it and
            // either finds it gone (and adds it) or replaces it.
            Err(Failure::Zitadel(e @ ZitadelError::Unknown(_))) => {
                diags.report(&e);
                return Some((Self::state(&scope, &ty), ()));
            }
            Err(Failure::Zitadel(e)) => {
                diags.report(&e);
                return None;
            }
        }
        match self.wait_until(ctx, &scope, &ty, true).await {
            Ok(true) => Some((Self::state(&scope, &ty), ())),
            Ok(false) => {
                diags.error(
                    format!("ZITADEL accepted {ty} but does not list it"),
                    format!(
                        "The add call succeeded, but {} still does not show {ty} after {} s. ZITADEL's read side may be behind. The \
                         factor is kept in state; the next terraform apply reads it again and finishes the job.",
                        scope.describe(),
                        VISIBILITY_BUDGET.as_secs()
                    ),
                );
                Some((Self::state(&scope, &ty), ()))
            }
            Err(e) if e.is_transient() || e.may_have_landed() => {
                diags.report(&e);
                Some((Self::state(&scope, &ty), ()))
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
        match ctx.client.policy(&scope, &ctx.cancel).await {
            // An organization that went back to inheriting no longer has the factor of its own.
            Ok(p) if p.has(self.kind, &ty) => Some(Read::Found(Self::state(&scope, &ty), ())),
            Ok(_) => Some(Read::Gone),
            Err(e) if e.is_org_missing() => {
                log::info!("ZITADEL: the organization of {ty} no longer exists; the factor is gone");
                Some(Read::Gone)
            }
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
        match ctx.client.remove_factor(&scope, self.kind, &ty, &ctx.cancel).await {
            Ok(Removed::AlreadyGone | Removed::OrgGone) => return true,
            Ok(Removed::Now) => {}
            Err(e) => {
                diags.report(&e);
                return false;
            }
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
        let ghost_note = "If ZITADEL nevertheless answers \"already exists\" when the factor is added, it holds an invisible \"ghost\" \
                          factor (added while the organization inherited the instance defaults, zitadel/zitadel#9047); creating the \
                          resource resolves that: the provider removes the ghost and adds the factor again.";
        match ctx.client.policy(&scope, &ctx.cancel).await {
            Ok(p) if p.has(self.kind, ty) => Some((Self::state(&scope, ty), ())),
            Ok(p) if p.inherits => {
                diags.error(
                    "Nothing to import",
                    format!(
                        "Organization {} has no login settings of its own (it inherits the instance defaults), so it has no {} to import. \
                         Create the resource instead; the provider will give the organization its own settings. {ghost_note}",
                        scope_part,
                        self.kind.label()
                    ),
                );
                None
            }
            Ok(_) => {
                diags.error(
                    "Nothing to import",
                    format!(
                        "{ty} is not enabled in {}. Create the resource instead.{}",
                        scope.describe(),
                        if matches!(scope, Scope::Org(_)) { format!(" {ghost_note}") } else { String::new() }
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
}
