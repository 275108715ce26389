//! `zitadel_lockout_settings`: how many wrong passwords and wrong one-time codes lock a user, in
//! the instance defaults or one organization's own settings. A second factor is only as strong as
//! the limit on guessing it: `max_otp_attempts` is ZITADEL's fix for CVE-2024-32868 ("Improper
//! Lockout Mechanism Leads to MFA Bypass", v2.50.0, PR #7693).
//!
//! What ZITADEL's code makes this do (zitadel/zitadel `proto/zitadel/admin.proto`,
//! `management.proto`, `policy.proto`, `internal/command/org_policy_lockout.go`,
//! `instance_policy_password_lockout.go`):
//! - the instance policy is read at `GET /admin/v1/policies/lockout` and written at `PUT
//!   /admin/v1/policies/password/lockout`; an organization's with `x-zitadel-orgid` at
//!   `/management/v1/policies/lockout` (`POST` gives it settings of its own, `PUT` changes them,
//!   `DELETE` makes it inherit again);
//! - an update replaces the whole policy (an omitted limit becomes 0: never lock), so both limits
//!   are always sent, the one not configured as read;
//! - an update that changes nothing is refused (`ORG-0JFSr`, `INSTANCE-0psjF`): none is sent, and
//!   that answer to a repeated update whose first answer was lost means it is applied;
//! - an inheriting organization first gets settings of its own — the inherited values with the
//!   configured ones — under the scope's lock, and the warning says so;
//! - servers before v2.50 drop `maxOtpAttempts` silently: the read-back tells, and the apply says
//!   so instead of drifting for ever.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::client::{Limits, Lockout, Scope, VISIBILITY_BUDGET, ZitadelClient, parse_scope};
use super::listing::{self, ScopeFilter, filter_schema};
use crate::http::Wrote;
use crate::plugin::diag::{AttrPath, Diagnostics};
use crate::plugin::list::{ListResource, ListSink};
use crate::plugin::resource::{Ctx, Plan, Read, Resource};
use crate::plugin::schema::{Attribute, IdentityAttribute, IdentitySchema, Schema, Validator};
use crate::plugin::typed::Attr;
use crate::plugin::value::Type;
use crate::vendors::common::restore as singleton;

pub const TYPE_NAME: &str = "zitadel_lockout_settings";

/// The first ZITADEL release with `maxOtpAttempts`.
pub const OTP_SINCE: &str = "v2.50";

const KIND: singleton::Names =
    singleton::Names { what: "ZITADEL lock-out settings", resource: TYPE_NAME, owner: "instance or organization" };

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct State {
    pub id: Attr<String>,
    pub org_id: Attr<String>,
    pub max_password_attempts: Attr<u32>,
    pub max_otp_attempts: Attr<u32>,
    pub restore_on_destroy: Attr<bool>,
}

/// What was found at adoption, for `restore_on_destroy`: the limits, and whether the
/// organization inherited them (restoring then means inheriting again).
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct Adopted {
    pub limits: Limits,
    pub inherited: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Private {
    pub adopted: Option<Adopted>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Identity {
    pub org_id: Attr<String>,
}

pub struct LockoutSettings;

fn scope_of(s: &State) -> Scope {
    s.org_id.known().map_or(Scope::Instance, |o| Scope::Org(o.clone()))
}

fn state_from(scope: &Scope, l: &Limits, restore_on_destroy: Attr<bool>) -> State {
    State {
        id: Attr::Known(match scope {
            Scope::Instance => "instance".into(),
            Scope::Org(o) => o.clone(),
        }),
        org_id: match scope {
            Scope::Instance => Attr::Null,
            Scope::Org(o) => Attr::Known(o.clone()),
        },
        max_password_attempts: Attr::Known(l.max_password_attempts),
        max_otp_attempts: Attr::Known(l.max_otp_attempts),
        restore_on_destroy,
    }
}

impl Limits {
    /// `self` with what the plan sets.
    fn with(mut self, s: &State) -> Limits {
        if let Some(p) = s.max_password_attempts.known() {
            self.max_password_attempts = *p;
        }
        if let Some(o) = s.max_otp_attempts.known() {
            self.max_otp_attempts = *o;
        }
        self
    }

    fn describe(&self) -> String {
        format!("max_password_attempts = {}, max_otp_attempts = {}", self.max_password_attempts, self.max_otp_attempts)
    }
}

/// 0 means never lock: the most lenient.
fn lenient(n: u32) -> u64 {
    if n == 0 { u64::MAX } else { u64::from(n) }
}

impl Adopted {
    /// What writing these settings back over `now` would weaken.
    fn weakens(&self, now: &State) -> Vec<String> {
        let now = Limits::default().with(now);
        let mut out = Vec::new();
        for (name, then, was) in [
            ("max_password_attempts", self.limits.max_password_attempts, now.max_password_attempts),
            ("max_otp_attempts", self.limits.max_otp_attempts, now.max_otp_attempts),
        ] {
            if lenient(then) > lenient(was) {
                let then = if then == 0 { "0 (never lock)".to_string() } else { then.to_string() };
                out.push(format!("{name} goes from {was} to {then}"));
            }
        }
        out
    }
}

/// Applies the plan's limits to its scope under the scope's lock; returns the new state and what
/// the scope held before.
async fn write(ctx: &Ctx<ZitadelClient>, planned: &State, diags: &mut Diagnostics) -> Option<(State, Adopted)> {
    let scope = scope_of(planned);
    let lock = ctx.client.lock_for(&scope);
    let _serialised = lock.lock().await;
    let current = ctx.client.lockout(&scope, &ctx.cancel).await.map_err(|e| diags.report(&e)).ok()?;
    let before = Adopted { limits: current.limits, inherited: current.inherits };
    let want = current.limits.with(planned);
    if let (Scope::Org(org), true) = (&scope, current.inherits) {
        let (client, cancel, scope_ref) = (&ctx.client, &ctx.cancel, &scope);
        let created = client
            .http()
            .write_verified(
                "POST /management/v1/policies/lockout",
                cancel,
                move || client.add_org_lockout(org, want, cancel),
                move || async move { Ok(!client.lockout(scope_ref, cancel).await?.inherits) },
            )
            .await;
        match created {
            Ok(Wrote::Answered(()) | Wrote::Confirmed) => {}
            // Someone gave it settings of its own meanwhile: change those.
            Err(e) if e.is_lockout_exists() => {
                if let Err(e) = ctx.client.update_lockout(&scope, want, &ctx.cancel).await
                    && !e.is_lockout_not_changed()
                {
                    diags.report(&e);
                    return None;
                }
            }
            Err(e) => {
                diags.report(&e);
                return None;
            }
        }
        diags.warning(
            format!("Organization {org} now has lock-out settings of its own"),
            format!(
                "Organization {org} inherited the instance's lock-out settings ({}). The provider gave it settings of its own, \
                 with {}: from now on it no longer follows changes to the instance's.",
                current.limits.describe(),
                want.describe()
            ),
        );
    } else if want != current.limits {
        match ctx.client.update_lockout(&scope, want, &ctx.cancel).await {
            Ok(()) => {}
            // A repeat of an update whose answer was lost, or the same change made meanwhile.
            Err(e) if e.is_lockout_not_changed() => {}
            Err(e) => {
                diags.report(&e);
                return None;
            }
        }
    }
    let now = read_back(ctx, &scope, &want, diags).await?;
    Some((state_from(&scope, &now, planned.restore_on_destroy.clone()), before))
}

/// Reads until the read side shows `want` (reads come from projections that may lag).
async fn read_back(ctx: &Ctx<ZitadelClient>, scope: &Scope, want: &Limits, diags: &mut Diagnostics) -> Option<Limits> {
    let started = tokio::time::Instant::now();
    let mut delay = std::time::Duration::from_millis(100);
    let now = loop {
        let now = ctx.client.lockout(scope, &ctx.cancel).await.map_err(|e| diags.report(&e)).ok()?.limits;
        if now == *want || started.elapsed() + delay > VISIBILITY_BUDGET || ctx.cancel.is_cancelled() {
            break now;
        }
        tokio::select! {
            _ = ctx.cancel.cancelled() => {}
            _ = tokio::time::sleep(delay) => {}
        }
        delay = (delay * 2).min(std::time::Duration::from_secs(2));
    };
    if now == *want {
        return Some(now);
    }
    if want.max_otp_attempts > 0 && now.max_otp_attempts == 0 && now.max_password_attempts == want.max_password_attempts
    {
        diags.attr_error(
            AttrPath::attr("max_otp_attempts"),
            "This ZITADEL does not limit one-time-code attempts",
            format!(
                "{} was written with max_otp_attempts = {}, and ZITADEL kept everything but that: versions before {OTP_SINCE} have no \
                 such setting and drop it without a word (it is the fix for CVE-2024-32868, an MFA bypass by guessing codes). \
                 Upgrade ZITADEL, or leave max_otp_attempts unset (or 0).",
                scope.describe(),
                want.max_otp_attempts
            ),
        );
        return None;
    }
    diags.error(
        "ZITADEL did not apply the lock-out settings",
        format!(
            "The update of {} was accepted, but reading it back for {} s shows {} instead of the requested {}.",
            scope.describe(),
            VISIBILITY_BUDGET.as_secs(),
            now.describe(),
            want.describe()
        ),
    );
    None
}

#[async_trait]
impl Resource for LockoutSettings {
    type Client = ZitadelClient;
    type State = State;
    type Private = Private;
    type Identity = Identity;

    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        let limit = |name: &'static str, what: &str| {
            Attribute::optional_computed(
                name,
                Type::Number,
                &format!(
                    "{what} before the user is locked; `0` never locks. Unset: the value the settings hold is kept."
                ),
            )
            .validate(Validator::IntRange(0, i64::from(u32::MAX)))
        };
        Schema::new(
            "The lock-out policy of ZITADEL's instance defaults or of one organization: how many wrong passwords and wrong \
             one-time codes lock a user. Creating it adopts the settings; destroying it leaves them as they are unless \
             `restore_on_destroy` is set.",
            vec![
                Attribute::computed("id", Type::String, "`instance`, or the organization's ID; also the import ID."),
                Attribute::optional(
                    "org_id",
                    Type::String,
                    "ID of the organization whose own lock-out settings these are. Unset: the instance's default settings, \
                     which every organization without settings of its own inherits.",
                )
                .force_new()
                .validate(Validator::NotEmpty)
                .validate(Validator::Trimmed),
                limit("max_password_attempts", "Wrong passwords in a row (`maxPasswordAttempts`)"),
                limit(
                    "max_otp_attempts",
                    "Wrong one-time codes of one kind (TOTP, SMS, e-mail, recovery codes) in a row (`maxOtpAttempts`, ZITADEL \
                     v2.50 and later: the fix for CVE-2024-32868)",
                ),
                singleton::restore_on_destroy_attribute("instance or organization"),
            ],
        )
    }

    fn identity_schema(&self) -> IdentitySchema {
        IdentitySchema::new(vec![IdentityAttribute::optional(
            "org_id",
            Type::String,
            "The organization whose own lock-out settings these are; null (left out) for the instance's defaults.",
        )])
    }

    fn identity(&self, state: &State, _: &Private) -> Option<Identity> {
        Some(Identity { org_id: state.org_id.clone() })
    }

    fn import_id(&self, identity: &Identity) -> Result<String, String> {
        Ok(identity.org_id.known().cloned().unwrap_or_else(|| "instance".into()))
    }

    async fn plan(&self, ctx: Option<&Ctx<ZitadelClient>>, plan: &mut Plan<State, Private>, diags: &mut Diagnostics) {
        if !singleton::restore_is_news(
            plan.prior.as_ref().map(|p| &p.restore_on_destroy),
            &plan.planned.restore_on_destroy,
        ) {
            return;
        }
        let adopted = match (plan.private.adopted, ctx) {
            (Some(a), _) => Some(a),
            (None, Some(ctx)) if plan.prior.is_none() => {
                let scope = scope_of(&plan.planned);
                ctx.client
                    .lockout(&scope, &ctx.cancel)
                    .await
                    .ok()
                    .map(|l| Adopted { limits: l.limits, inherited: l.inherits })
            }
            _ => None,
        };
        if let Some(a) = adopted {
            singleton::warn_restore_weakens(diags, &KIND, a.weakens(&plan.planned));
        }
    }

    async fn plan_destroy(
        &self,
        _: Option<&Ctx<ZitadelClient>>,
        prior: &State,
        private: &Private,
        diags: &mut Diagnostics,
    ) {
        let restore = prior.restore_on_destroy.known() == Some(&true);
        singleton::plan_destroy(diags, &KIND, restore, private.adopted.as_ref(), |a| a.weakens(prior));
    }

    fn remote_object(&self, planned: &State) -> Option<String> {
        (!planned.org_id.is_unknown()).then(|| format!("the lock-out settings of {}", scope_of(planned).describe()))
    }

    async fn create(
        &self,
        ctx: &Ctx<ZitadelClient>,
        planned: State,
        diags: &mut Diagnostics,
    ) -> Option<(State, Private)> {
        let (state, before) = write(ctx, &planned, diags).await?;
        Some((state, Private { adopted: Some(before) }))
    }

    async fn read(
        &self,
        ctx: &Ctx<ZitadelClient>,
        current: State,
        private: Private,
        diags: &mut Diagnostics,
    ) -> Option<Read<State, Private>> {
        let scope = scope_of(&current);
        match ctx.client.lockout(&scope, &ctx.cancel).await {
            // Back to inheriting (reset in the console): the organization's own settings are gone.
            Ok(l) if l.inherits => Some(Read::Gone),
            Ok(l) => Some(Read::Found(state_from(&scope, &l.limits, current.restore_on_destroy), private)),
            Err(e) if e.is_org_missing() => Some(Read::Gone),
            Err(e) => {
                diags.report(&e);
                None
            }
        }
    }

    async fn update(
        &self,
        ctx: &Ctx<ZitadelClient>,
        _: State,
        planned: State,
        private: Private,
        diags: &mut Diagnostics,
    ) -> Option<(State, Private)> {
        let (state, _) = write(ctx, &planned, diags).await?;
        Some((state, private))
    }

    async fn delete(&self, ctx: &Ctx<ZitadelClient>, prior: State, private: Private, diags: &mut Diagnostics) -> bool {
        let (true, Some(adopted)) = (prior.restore_on_destroy.known() == Some(&true), private.adopted) else {
            return true;
        };
        let scope = scope_of(&prior);
        let lock = ctx.client.lock_for(&scope);
        let _serialised = lock.lock().await;
        let result = match &scope {
            // It inherited when adopted: inheriting again is what it had.
            Scope::Org(org) if adopted.inherited => ctx.client.reset_org_lockout(org, &ctx.cancel).await,
            _ => match ctx.client.update_lockout(&scope, adopted.limits, &ctx.cancel).await {
                Err(e) if e.is_lockout_not_changed() => Ok(()),
                other => other,
            },
        };
        match result {
            Ok(()) => true,
            Err(e) if e.is_org_missing() => true,
            Err(e) => {
                diags.report(&e);
                false
            }
        }
    }

    async fn import(&self, ctx: &Ctx<ZitadelClient>, id: &str, diags: &mut Diagnostics) -> Option<(State, Private)> {
        let id = id.trim();
        let scope = match parse_scope(id) {
            Ok(s) => s,
            Err(why) => {
                diags.error("Invalid import ID", format!("Expected \"instance\" or an organization ID: {why}."));
                return None;
            }
        };
        let l: Lockout = ctx.client.lockout(&scope, &ctx.cancel).await.map_err(|e| diags.report(&e)).ok()?;
        if l.inherits {
            diags.error(
                "Nothing to import",
                format!(
                    "Organization {id} has no lock-out settings of its own (it inherits the instance's). Create the resource \
                     instead; the provider will give the organization settings of its own."
                ),
            );
            return None;
        }
        let adopted = Adopted { limits: l.limits, inherited: false };
        Some((state_from(&scope, &l.limits, Attr::Known(false)), Private { adopted: Some(adopted) }))
    }
}

#[async_trait]
impl ListResource for LockoutSettings {
    type ListConfig = ScopeFilter;

    fn list_schema(&self) -> Schema {
        filter_schema("the lock-out settings")
    }

    async fn list(
        &self,
        ctx: &Ctx<ZitadelClient>,
        filter: ScopeFilter,
        out: &mut ListSink<'_, Self>,
        diags: &mut Diagnostics,
    ) {
        let read = |scope: Scope| async move {
            let l = ctx.client.lockout(&scope, &ctx.cancel).await?;
            Ok((!l.inherits).then_some(l))
        };
        listing::walk_with(ctx, &filter, out, diags, "lock-out settings", read, |found: &listing::Found<Lockout>| {
            let l = &found.value;
            let adopted = Adopted { limits: l.limits, inherited: false };
            vec![(
                found.name.clone(),
                state_from(&found.scope, &l.limits, Attr::Known(false)),
                Private { adopted: Some(adopted) },
            )]
        })
        .await;
    }
}
