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
//!
//! And what users need of it: a factor that is already enabled (a new instance has OTP and U2F,
//! `internal/command/instance.go`) is adopted on create, with a warning; destroy removes only a
//! factor Terraform added — one found enabled, or imported, stays (users who enrolled only that
//! factor would be locked out) unless `remove_on_destroy` says otherwise; and no removal may leave
//! a scope that forces MFA without a factor ([`super::guard`]).

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::client::{Creating, FactorKind, Removed, Scope, ZitadelClient, ZitadelError, code, parse_scope};
use super::context::Zitadel;
use super::guard::{self, Changes};
use super::listing::{self, ScopeFilter, filter_schema};
use super::own_settings::{Owned, ensure_own_settings};
use super::scope::{self, VISIBILITY_BUDGET};
use crate::http::{Uncertain, Wrote};
use crate::plugin::diag::{AttrPath, Diagnostics};
use crate::plugin::list::{ListResource, ListSink};
use crate::plugin::resource::{Ctx, Plan, Read, Resource};
use crate::plugin::schema::{Attribute, IdentityAttribute, IdentitySchema, Schema, Validator};
use crate::plugin::typed::Attr;
use crate::plugin::value::Type;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct State {
    pub id: Attr<String>,
    #[serde(rename = "type")]
    pub factor: Attr<String>,
    pub org_id: Attr<String>,
    pub remove_on_destroy: Attr<bool>,
    pub origin: Attr<Origin>,
}

pub struct LoginFactor {
    pub kind: FactorKind,
}

/// The factor as a user names it: its type, and the organization (none: the instance defaults).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Identity {
    pub org_id: Attr<String>,
    #[serde(rename = "type")]
    pub factor: Attr<String>,
}

/// How Terraform came to manage the factor. It lives in state, not in private data: Terraform
/// hands a replacement's destroy the private data of the new object's plan, but the old object's
/// state. States written before it existed (releases before 0.1.0) have none: whether Terraform
/// added the factor is not known, so their destroy keeps it unless `remove_on_destroy = true`, as
/// for a factor Terraform found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// Terraform enabled it.
    Added,
    /// It was enabled already when the resource was created (or came with inherited settings).
    Found,
    Imported,
    /// The add's outcome was never confirmed: the resource is kept in state with the error, so
    /// Terraform replaces it; that replacement forgets it without removing it and adopts it if it
    /// landed.
    Unconfirmed,
}

impl Origin {
    pub const ALL: &'static [&'static str] = &["added", "found", "imported", "unconfirmed"];
}

/// How long an answered add waits for another create's read to show it before reading itself.
const HANDOVER: Duration = Duration::from_secs(2);

/// How a create came out.
enum Created {
    Added,
    /// Enabled before this resource existed: adopted.
    Found,
}

/// Why a create did not go through.
enum Failure {
    /// ZITADEL says the factor exists but no read lists it.
    Unlisted,
    Zitadel(ZitadelError),
}

impl From<ZitadelError> for Failure {
    fn from(e: ZitadelError) -> Self {
        Failure::Zitadel(e)
    }
}

/// What a second-factor type means, for the schema documentation.
pub const SECOND_FACTOR_DOC: &str = "The second-factor type: `SECOND_FACTOR_TYPE_OTP` (one-time codes from an authenticator \
     app, TOTP; not phishing-resistant), `SECOND_FACTOR_TYPE_U2F` (a security key or platform authenticator, without user \
     verification; phishing-resistant, WebAuthn), `SECOND_FACTOR_TYPE_OTP_EMAIL` (one-time codes by e-mail; not \
     phishing-resistant), `SECOND_FACTOR_TYPE_OTP_SMS` (one-time codes by text message; not phishing-resistant) or \
     `SECOND_FACTOR_TYPE_RECOVERY_CODES` (single-use recovery codes, ZITADEL v4.9 and later; not phishing-resistant). \
     Phishing-resistant as NIST SP 800-63B-4 §3.2.5 means it: the authenticator binds its answer to the site. \
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

    fn state(scope: &Scope, ty: &str, remove_on_destroy: Attr<bool>, origin: Attr<Origin>) -> State {
        State {
            id: Attr::Known(Self::id(scope, ty)),
            factor: Attr::Known(ty.to_string()),
            org_id: match scope {
                Scope::Instance => Attr::Null,
                Scope::Org(o) => Attr::Known(o.clone()),
            },
            remove_on_destroy,
            origin,
        }
    }

    /// Whether destroying removes the factor, and why not when it does not.
    fn removes(prior: &State) -> Result<(), &'static str> {
        match (prior.remove_on_destroy.known(), prior.origin.known()) {
            (_, Some(Origin::Unconfirmed)) => Err("whether adding it took effect was never confirmed"),
            (Some(true), _) => Ok(()),
            (Some(false), _) => Err("remove_on_destroy = false"),
            (None, Some(Origin::Added)) => Ok(()),
            (None, None) => Err(
                "whether Terraform added it is not known: the resource was created or imported by a provider release that \
                 did not record that (remove_on_destroy is unset)",
            ),
            (None, Some(Origin::Found)) => {
                Err("Terraform found it already enabled and adopted it (remove_on_destroy is unset)")
            }
            (None, Some(Origin::Imported)) => {
                Err("it was imported, not added by Terraform (remove_on_destroy is unset)")
            }
        }
    }

    /// [`Self::wait_until`] for an answered add, noting whether the first read showed it.
    async fn read_back(&self, ctx: &Ctx<Zitadel>, scope: &Scope, ty: &str) -> Result<bool, ZitadelError> {
        let first = ctx.client.factors(scope, self.kind, &ctx.cancel).await?;
        if first.is_some_and(|l| l.iter().any(|f| f == ty)) {
            ctx.client.read_back_took(1);
            return Ok(true);
        }
        ctx.client.read_back_took(2);
        self.wait_until(ctx, scope, ty, true).await
    }

    /// Polls until the factor is (or is no longer) listed; false if the budget ran out.
    async fn wait_until(
        &self,
        ctx: &Ctx<Zitadel>,
        scope: &Scope,
        ty: &str,
        present: bool,
    ) -> Result<bool, ZitadelError> {
        let listed = |l: &Option<Vec<String>>| l.as_ref().is_some_and(|l| l.iter().any(|f| f == ty));
        let read = || ctx.client.factors(scope, self.kind, &ctx.cancel);
        let last = scope::until_visible(&ctx.cancel, read, |l| listed(l) == present).await?;
        Ok(listed(&last) == present)
    }

    /// Adds the factor, never twice blindly: an uncertain add is read back first
    /// ([`Wrote::Confirmed`]).
    async fn add(&self, ctx: &Ctx<Zitadel>, scope: &Scope, ty: &str) -> Result<Wrote<()>, ZitadelError> {
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
                move || async move { Ok(client.policy_fresh(scope, cancel).await?.has(kind, ty)) },
            )
            .await
    }

    /// Adds the factor to a scope that has settings of its own. ZITADEL answering AlreadyExists
    /// for a factor no read shows is either a read lagging behind our own earlier attempt, or a
    /// ghost; the first shows up within the visibility budget, the second is removed and added
    /// again.
    ///
    /// `read_first`: whether a read just showed the factor absent. Without that read an
    /// AlreadyExists that a read then shows means the factor was there already, and an add whose
    /// answer was lost but that a read shows cannot tell either: both are kept on destroy.
    async fn add_resolving_ghosts(
        &self,
        ctx: &Ctx<Zitadel>,
        scope: &Scope,
        ty: &str,
        read_first: bool,
        diags: &mut Diagnostics,
    ) -> Result<Created, Failure> {
        let unsure = if read_first { Created::Added } else { Created::Found };
        match self.add(ctx, scope, ty).await {
            Err(e) if e.is(code::ALREADY_EXISTS) => {}
            Ok(Wrote::Answered(())) => return Ok(Created::Added),
            Ok(Wrote::Confirmed) => return Ok(unsure),
            Err(e) => return Err(e.into()),
        }
        if self.wait_until(ctx, scope, ty, true).await? {
            return Ok(unsure);
        }
        // The instance has no ghosts: a factor it refuses but never lists is beyond this provider.
        let Scope::Org(org) = scope else {
            return Err(Failure::Unlisted);
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
        Ok(Created::Added)
    }

    /// Creation in an organization's own settings, giving it settings first if it inherits.
    async fn create_in_org(
        &self,
        ctx: &Ctx<Zitadel>,
        org: &str,
        ty: &str,
        diags: &mut Diagnostics,
    ) -> Result<Created, Failure> {
        let scope = Scope::Org(org.to_string());
        // Once this process has seen the organization with settings of its own (no write of ours
        // undoes that), the add's own answer says whether the factor was there: no read first.
        if ctx.client.has_own_settings(&scope) {
            return self.add_resolving_ghosts(ctx, &scope, ty, false, diags).await;
        }
        let current = ctx.client.policy(&scope, &ctx.cancel).await?;
        let inherited = current.effective_factors(self.kind).iter().any(|f| f == ty);
        let policy = match ensure_own_settings(ctx, org, current, Some((self.kind, ty)), diags).await? {
            // In effect before (inherited), now in the organization's own copy.
            Owned::Created if inherited => return Ok(Created::Found),
            Owned::Created => return Ok(Created::Added),
            Owned::Already(p) => p,
        };
        if policy.has(self.kind, ty) {
            return Ok(Created::Found);
        }
        self.add_resolving_ghosts(ctx, &scope, ty, true, diags).await
    }

    /// Adds the factor, or finds it there. Adds of different factors to a scope with settings of
    /// its own are independent in ZITADEL (one write model per factor,
    /// `org_policy_login_factors_model.go`): they need not queue behind each other. Creating the
    /// organization's own settings, and every removal (which the guard judges), take the scope's
    /// lock.
    async fn add_serialised(
        &self,
        ctx: &Ctx<Zitadel>,
        scope: &Scope,
        ty: &str,
        diags: &mut Diagnostics,
    ) -> Result<Created, Failure> {
        let lock = ctx.client.plans.lock_for(scope);
        let _serialised = if ctx.client.has_own_settings(scope) { None } else { Some(lock.lock().await) };
        match scope {
            Scope::Org(org) => self.create_in_org(ctx, org, ty, diags).await,
            Scope::Instance => match ctx.client.policy(scope, &ctx.cancel).await {
                Ok(p) if p.has(self.kind, ty) => Ok(Created::Found),
                Ok(_) => self.add_resolving_ghosts(ctx, scope, ty, true, diags).await,
                Err(e) => Err(e.into()),
            },
        }
    }

    /// What the add's answer settles: `Ok(())` when the add was answered and only its visibility
    /// is left to confirm; otherwise the factor's origin to keep it with, or `None`.
    fn answered(
        &self,
        ctx: &Ctx<Zitadel>,
        scope: &Scope,
        ty: &str,
        result: Result<Created, Failure>,
        diags: &mut Diagnostics,
    ) -> Result<(), Option<Origin>> {
        match result {
            // A replacement of a factor whose add was never confirmed finds that add landed.
            Ok(Created::Found) if ctx.client.plans.was_forgotten(scope, self.kind, ty) => Err(Some(Origin::Added)),
            Ok(Created::Found) => {
                self.warn_adopted(scope, ty, diags);
                Err(Some(Origin::Found))
            }
            Ok(Created::Added) => Ok(()),
            Err(Failure::Unlisted) => {
                diags.attr_error(
                    AttrPath::attr("type"),
                    format!("ZITADEL says {ty} exists but does not list it"),
                    format!(
                        "ZITADEL refused to add {ty} to {} as already existing, while its login settings do not list it, even \
                         after {} s. Check the factor in ZITADEL's console; nothing was recorded.",
                        scope.describe(),
                        VISIBILITY_BUDGET.as_secs()
                    ),
                );
                Err(None)
            }
            // The add (or the organization's new settings) may have taken effect: keep the factor
            // in state with the error. Terraform marks it tainted; the next apply replaces it, and
            // the replacement forgets it without removing it, then adopts it if it landed.
            Err(Failure::Zitadel(e @ ZitadelError::Unknown(_))) => {
                diags.report(&e);
                Err(Some(Origin::Unconfirmed))
            }
            Err(Failure::Zitadel(e)) => {
                diags.report(&e);
                Err(None)
            }
        }
    }

    /// After an answered add: the factor is confirmed by the next read of the scope that shows
    /// it — another create's, or the last one's read-back — and only without one by a read of
    /// its own. Unconfirmed, it is kept with the error.
    async fn confirm_visible(
        &self,
        ctx: &Ctx<Zitadel>,
        creating: &mut Creating,
        scope: &Scope,
        ty: &str,
        diags: &mut Diagnostics,
    ) -> Option<Origin> {
        let visible = if ctx.client.reads_follow_writes() {
            Ok(true)
        } else {
            let confirmed = match ctx.client.confirmation(creating, self.kind, ty) {
                Some(shown) => matches!(tokio::time::timeout(HANDOVER, shown).await, Ok(Ok(()))),
                None => false,
            };
            if confirmed { Ok(true) } else { self.read_back(ctx, scope, ty).await }
        };
        match visible {
            Ok(true) => {
                ctx.client.plans.factor_added(scope);
                Some(Origin::Added)
            }
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
                Some(Origin::Unconfirmed)
            }
            Err(e) if e.is_transient() || e.may_have_landed() => {
                diags.report(&e);
                Some(Origin::Unconfirmed)
            }
            Err(e) => {
                diags.report(&e);
                None
            }
        }
    }

    /// Adopting a factor that is already enabled: said, with what destroy will do.
    fn warn_adopted(&self, scope: &Scope, ty: &str, diags: &mut Diagnostics) {
        diags.attr_warning(
            AttrPath::attr("type"),
            format!("{ty} was already enabled; Terraform adopted it"),
            format!(
                "{ty} is already enabled in {}, so creating this resource changed nothing: Terraform manages it from now on. \
                 Destroying the resource leaves it enabled, since users may rely on it; set remove_on_destroy = true to have \
                 destroy remove it.",
                scope.describe()
            ),
        );
    }
}

#[async_trait]
impl Resource for LoginFactor {
    type Client = Zitadel;
    type State = State;
    type Private = ();
    type Identity = Identity;

    fn type_name(&self) -> &'static str {
        Self::type_name_of(self.kind)
    }

    fn identity_schema(&self) -> IdentitySchema {
        IdentitySchema::new(vec![
            IdentityAttribute::optional(
                "org_id",
                Type::String,
                "The organization whose own login settings hold the factor; null (left out) for the instance's default \
                 login settings.",
            ),
            IdentityAttribute::required(
                "type",
                Type::String,
                &format!("The {} type, e.g. `{}`.", self.kind.label(), self.kind.allowed()[0]),
            ),
        ])
    }

    fn identity(&self, state: &State, _: &()) -> Option<Identity> {
        Some(Identity { org_id: state.org_id.clone(), factor: state.factor.clone() })
    }

    fn import_id(&self, identity: &Identity) -> Result<String, String> {
        let ty = identity.factor.known().ok_or("type is required")?;
        Ok(match identity.org_id.known() {
            Some(org) => format!("{org}/{ty}"),
            None => format!("instance/{ty}"),
        })
    }

    fn schema(&self) -> Schema {
        let (what, type_doc) = match self.kind {
            FactorKind::Multi => (
                "Enables one multi-factor (passwordless / passkey) method in ZITADEL's login settings.",
                "The multi-factor type. ZITADEL defines one usable value: `MULTI_FACTOR_TYPE_U2F_WITH_VERIFICATION` (passkeys: a \
                 security key or platform authenticator with PIN or biometrics; phishing-resistant, WebAuthn, NIST SP 800-63B-4 \
                 §3.2.5). `MULTI_FACTOR_TYPE_UNSPECIFIED` is rejected.",
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
                .validate(Validator::Trimmed)
                .validate(Validator::Custom("Must not contain `/`.", |v| match v.as_str() {
                    Some(s) if s.contains('/') => Err("must not contain \"/\"".into()),
                    _ => Ok(()),
                })),
                Attribute::optional(
                    "remove_on_destroy",
                    Type::Bool,
                    "Whether destroying this resource removes the factor. Unset: only a factor Terraform added is removed; one \
                     it found already enabled, or that was imported, stays enabled, since users who enrolled only that factor \
                     would be locked out. `true`: always removed; `false`: never. Removing the last factor of a scope that \
                     forces MFA is refused either way.",
                ),
                Attribute::computed(
                    "origin",
                    Type::String,
                    "How Terraform came to manage the factor: `added` (Terraform enabled it), `found` (it was enabled already \
                     and Terraform adopted it), `imported`, or `unconfirmed` (whether adding it took effect was never confirmed: \
                     the next apply replaces the resource, without removing the factor, and adopts it if it landed). Null for \
                     resources created by provider versions before it existed: whether Terraform added the factor is not known, so \
                     their destroy keeps it unless `remove_on_destroy = true`.",
                ),
            ],
        )
    }

    /// Additions planned in this process count when a removal planned beside them is judged.
    async fn plan(&self, ctx: Option<&Ctx<Zitadel>>, plan: &mut Plan<State, ()>, _: &mut Diagnostics) {
        let (Some(ctx), Some(ty), false) = (ctx, plan.planned.factor.known(), plan.planned.org_id.is_unknown()) else {
            return;
        };
        let scope = Self::scope(&plan.planned);
        if plan.prior.as_ref().is_none_or(|p| p.factor.known() != Some(ty) || Self::scope(p) != scope) {
            ctx.client.plans.plan_change(&scope, |c| {
                c.adds.insert((self.kind, ty.clone()));
            });
        }
    }

    async fn plan_destroy(&self, ctx: Option<&Ctx<Zitadel>>, prior: &State, _: &(), diags: &mut Diagnostics) {
        let Some(ty) = prior.factor.known() else { return };
        let scope = Self::scope(prior);
        if prior.origin.known() == Some(&Origin::Unconfirmed) {
            diags.warning(
                format!("{ty} will be forgotten, not removed"),
                format!(
                    "Whether adding {ty} to {} took effect was never confirmed, so destroying this resource only removes it \
                     from Terraform state and leaves the factor as it is.",
                    scope.describe()
                ),
            );
            return;
        }
        if let Err(why) = Self::removes(prior) {
            diags.warning(
                format!("{ty} will stay enabled"),
                format!(
                    "Destroying this resource leaves {ty} enabled in {}: {why}. Users may rely on it. Set remove_on_destroy = \
                     true (and apply) before destroying to remove it.",
                    scope.describe()
                ),
            );
            return;
        }
        let Some(ctx) = ctx else { return };
        ctx.client.plans.plan_change(&scope, |c| {
            c.removes.insert((self.kind, ty.clone()));
        });
        guard::warn_at_plan(ctx, &scope, |_| AttrPath::attr("type"), diags).await;
    }

    fn remote_object(&self, planned: &State) -> Option<String> {
        if planned.org_id.is_unknown() {
            return None;
        }
        Some(format!("{} in {}", planned.factor.known()?, Self::scope(planned).describe()))
    }

    async fn create(&self, ctx: &Ctx<Zitadel>, planned: State, diags: &mut Diagnostics) -> Option<(State, ())> {
        let ty = planned.factor.known()?.clone();
        let scope = Self::scope(&planned);
        let mut creating = ctx.client.creating(&scope);
        let result = self.add_serialised(ctx, &scope, &ty, diags).await;
        let origin = match self.answered(ctx, &scope, &ty, result, diags) {
            Ok(()) => self.confirm_visible(ctx, &mut creating, &scope, &ty, diags).await,
            Err(settled) => settled,
        }?;
        Some((Self::state(&scope, &ty, planned.remove_on_destroy.clone(), Attr::Known(origin)), ()))
    }

    async fn read(
        &self,
        ctx: &Ctx<Zitadel>,
        current: State,
        _: (),
        diags: &mut Diagnostics,
    ) -> Option<Read<State, ()>> {
        let ty = current.factor.known()?.clone();
        let scope = Self::scope(&current);
        match ctx.client.policy(&scope, &ctx.cancel).await {
            // An organization that went back to inheriting no longer has the factor of its own.
            Ok(p) if p.has(self.kind, &ty) => {
                Some(Read::Found(Self::state(&scope, &ty, current.remove_on_destroy, current.origin), ()))
            }
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
        _: &Ctx<Zitadel>,
        _: State,
        planned: State,
        _: (),
        _: &mut Diagnostics,
    ) -> Option<(State, ())> {
        // Only remove_on_destroy can change in place: it is read at destroy, nothing to send.
        Some((planned, ()))
    }

    async fn delete(&self, ctx: &Ctx<Zitadel>, prior: State, _: (), diags: &mut Diagnostics) -> bool {
        let Some(ty) = prior.factor.known().cloned() else {
            return true;
        };
        let scope = Self::scope(&prior);
        if prior.origin.known() == Some(&Origin::Unconfirmed) {
            // Never removed blindly: it may be the scope's only factor, and a replacement of this
            // resource (the usual way here) adopts it in the same run if it did land.
            ctx.client.plans.forget_unconfirmed(&scope, self.kind, &ty);
            return true;
        }
        if Self::removes(&prior).is_err() {
            return true;
        }
        let removal = Changes { removes: [(self.kind, ty.clone())].into(), ..Default::default() };
        let _serialised = match guard::lock_when_safe(ctx, &scope, &removal, |_| AttrPath::attr("type"), diags).await {
            Ok(Some((held, p))) if p.has(self.kind, &ty) => held,
            // Gone already (removed in the console, or the organization inherits again).
            Ok(Some(_)) => return true,
            Ok(None) => return false,
            Err(e) if e.is_org_missing() => return true,
            Err(e) => {
                diags.report(&e);
                return false;
            }
        };
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

    async fn import(&self, ctx: &Ctx<Zitadel>, id: &str, diags: &mut Diagnostics) -> Option<(State, ())> {
        let invalid = |diags: &mut Diagnostics, why: String| {
            diags.error(
                "Invalid import ID",
                format!(
                    "Expected instance/<type> or <org_id>/<type>, e.g. instance/{}: {why}.",
                    self.kind.allowed()[0]
                ),
            )
        };
        let Some((scope_part, ty)) = id.trim().rsplit_once('/') else {
            invalid(diags, format!("{id:?} has no \"/\""));
            return None;
        };
        if !self.kind.allowed().contains(&ty) {
            diags.error(
                "Invalid import ID",
                format!("{ty:?} is not a {} type; use one of {}.", self.kind.label(), self.kind.allowed().join(", ")),
            );
            return None;
        }
        let scope = match parse_scope(scope_part) {
            Ok(s) => s,
            Err(why) => {
                invalid(diags, why);
                return None;
            }
        };
        let ghost_note = "If ZITADEL nevertheless answers \"already exists\" when the factor is added, it holds an invisible \"ghost\" \
                          factor (added while the organization inherited the instance defaults, zitadel/zitadel#9047); creating the \
                          resource resolves that: the provider removes the ghost and adds the factor again.";
        match ctx.client.policy(&scope, &ctx.cancel).await {
            Ok(p) if p.has(self.kind, ty) => {
                Some((Self::state(&scope, ty, Attr::Null, Attr::Known(Origin::Imported)), ()))
            }
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

#[async_trait]
impl ListResource for LoginFactor {
    type ListConfig = ScopeFilter;

    fn list_schema(&self) -> Schema {
        filter_schema(&format!("every enabled {}", self.kind.label()))
    }

    async fn list(
        &self,
        ctx: &Ctx<Zitadel>,
        filter: ScopeFilter,
        out: &mut ListSink<'_, Self>,
        diags: &mut Diagnostics,
    ) {
        listing::walk(ctx, &filter, out, diags, |found| {
            let factors = found.value.factors(self.kind).unwrap_or_default();
            factors
                .iter()
                .map(|ty| {
                    let state = Self::state(&found.scope, ty, Attr::Null, Attr::Known(Origin::Imported));
                    (format!("{}: {ty}", found.name), state, ())
                })
                .collect()
        })
        .await;
    }
}
