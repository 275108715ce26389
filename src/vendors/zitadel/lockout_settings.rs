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

use super::client::{Limits, Lockout, Scope};
use super::context::Zitadel;
use super::listing::{self, ScopeFilter, filter_schema};
use super::scope::{self, Identity, VISIBILITY_BUDGET};
use crate::http::Wrote;
use crate::plugin::diag::{AttrPath, Diagnostics, Reported};
use crate::plugin::list::ListSink;
use crate::plugin::resource::Ctx;
use crate::plugin::schema::{Attribute, IdentitySchema, Schema, Validator};
use crate::plugin::typed::Attr;
use crate::plugin::value::Type;
use crate::vendors::common::restore::Names;
use crate::vendors::common::settings::{Applied, Settings, SettingsResource, listed};

pub const TYPE_NAME: &str = "zitadel_lockout_settings";

/// The first ZITADEL release with `maxOtpAttempts`.
pub const OTP_SINCE: &str = "v2.50";

const NAMES: Names =
    Names { what: "ZITADEL lock-out settings", resource: TYPE_NAME, owner: "instance or organization" };

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
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Adopted {
    pub limits: Limits,
    pub inherited: bool,
}

fn state_from(scope: &Scope, l: &Limits, restore_on_destroy: Attr<bool>) -> State {
    State {
        id: Attr::Known(scope::id(scope)),
        org_id: scope::org_id(scope),
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

/// Applies the plan's limits to its scope under the scope's lock, giving an inheriting
/// organization settings of its own first.
async fn write(
    ctx: &Ctx<Zitadel>,
    scope: &Scope,
    planned: &State,
    diags: &mut Diagnostics,
) -> Applied<Adopted, Lockout> {
    let lock = ctx.client.plans.lock_for(scope);
    let _serialised = lock.lock().await;
    let Some(current) = ctx.client.lockout(scope, &ctx.cancel).await.reported(diags) else { return Applied::Failed };
    let before = Adopted { limits: current.limits, inherited: current.inherits };
    let want = current.limits.with(planned);
    if let (Scope::Org(org), true) = (scope, current.inherits) {
        let (client, cancel, scope_ref) = (&ctx.client, &ctx.cancel, scope);
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
                if let Err(e) = ctx.client.update_lockout(scope, want, &ctx.cancel).await
                    && !e.is_lockout_not_changed()
                {
                    return Applied::failed(&e, current, diags);
                }
            }
            Err(e) => return Applied::failed(&e, current, diags),
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
        match ctx.client.update_lockout(scope, want, &ctx.cancel).await {
            Ok(()) => {}
            // A repeat of an update whose answer was lost, or the same change made meanwhile.
            Err(e) if e.is_lockout_not_changed() => {}
            Err(e) => return Applied::failed(&e, current, diags),
        }
    }
    match read_back(ctx, scope, &want, diags).await {
        Some(now) => Applied::Done { before, now: Lockout { limits: now, inherits: false } },
        None => Applied::Failed,
    }
}

/// Reads until the read side shows `want` (reads come from projections that may lag).
async fn read_back(ctx: &Ctx<Zitadel>, scope: &Scope, want: &Limits, diags: &mut Diagnostics) -> Option<Limits> {
    let read = || async { Ok(ctx.client.lockout(scope, &ctx.cancel).await?.limits) };
    let now = scope::until_visible(&ctx.cancel, read, |now| now == want).await.reported(diags)?;
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

pub struct LockoutSettings;

#[async_trait]
impl Settings for LockoutSettings {
    type Client = Zitadel;
    type State = State;
    type Values = Adopted;
    type Remote = Lockout;
    type Key = Scope;
    type Pin = scope::Instance;
    type Identity = Identity;
    type ListConfig = ScopeFilter;

    fn names(&self) -> &'static Names {
        &NAMES
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
            ],
        )
    }

    fn key_attributes(&self) -> &'static [&'static str] {
        &["org_id"]
    }

    fn key(&self, s: &State) -> Option<Scope> {
        (!s.org_id.is_unknown()).then(|| scope::of(&s.org_id))
    }

    /// An organization back to inheriting (reset in the console) has no settings of its own.
    async fn read(&self, ctx: &Ctx<Zitadel>, scope: &Scope, diags: &mut Diagnostics) -> Option<Option<Lockout>> {
        match ctx.client.lockout(scope, &ctx.cancel).await {
            Ok(l) => Some((!l.inherits).then_some(l)),
            Err(e) if e.is_org_missing() => Some(None),
            Err(e) => {
                diags.report(&e);
                None
            }
        }
    }

    /// Whether an organization inherited is not in state: a restore writes the same limits as
    /// the organization's own.
    fn recorded(&self, s: &State) -> Option<Adopted> {
        let limits = Limits {
            max_password_attempts: *s.max_password_attempts.known()?,
            max_otp_attempts: *s.max_otp_attempts.known()?,
        };
        Some(Adopted { limits, inherited: false })
    }

    fn values(&self, l: &Lockout) -> Adopted {
        Adopted { limits: l.limits, inherited: l.inherits }
    }

    fn state(&self, scope: &Scope, l: &Lockout, reference: &State) -> State {
        state_from(scope, &l.limits, reference.restore_on_destroy.clone())
    }

    async fn apply(
        &self,
        ctx: &Ctx<Zitadel>,
        scope: &Scope,
        _: Option<&State>,
        planned: &State,
        diags: &mut Diagnostics,
    ) -> Applied<Adopted, Lockout> {
        write(ctx, scope, planned, diags).await
    }

    async fn restore(
        &self,
        ctx: &Ctx<Zitadel>,
        scope: &Scope,
        adopted: &Adopted,
        _: &State,
        diags: &mut Diagnostics,
    ) -> bool {
        let lock = ctx.client.plans.lock_for(scope);
        let _serialised = lock.lock().await;
        let result = match scope {
            // It inherited when adopted: inheriting again is what it had.
            Scope::Org(org) if adopted.inherited => ctx.client.reset_org_lockout(org, &ctx.cancel).await,
            _ => match ctx.client.update_lockout(scope, adopted.limits, &ctx.cancel).await {
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

    fn weakens(&self, adopted: &Adopted, now: &State) -> Vec<String> {
        adopted.weakens(now)
    }

    /// `apply` gives an inheriting organization settings of its own: nothing is ever missing.
    fn missing(&self, _: &Scope, _: &mut Diagnostics) {}

    fn remote_object(&self, planned: &State) -> Option<String> {
        (!planned.org_id.is_unknown())
            .then(|| format!("the lock-out settings of {}", scope::of(&planned.org_id).describe()))
    }

    async fn pin(
        &self,
        ctx: &Ctx<Zitadel>,
        state: &State,
        recorded: &scope::Instance,
        diags: &mut Diagnostics,
    ) -> Option<scope::Instance> {
        scope::pinned(ctx, &scope::of(&state.org_id), "zitadel_lockout_settings", recorded, diags).await
    }

    fn identity_schema(&self) -> IdentitySchema {
        Identity::schema("lock-out settings")
    }

    fn identity(&self, state: &State, _: &scope::Instance) -> Option<Identity> {
        Some(Identity { org_id: state.org_id.clone() })
    }

    fn import_id(&self, identity: &Identity) -> Result<String, String> {
        identity.import_id()
    }

    async fn import_key(
        &self,
        _: &Ctx<Zitadel>,
        id: &str,
        diags: &mut Diagnostics,
    ) -> Option<(Scope, scope::Instance)> {
        scope::import_scope(id, diags).map(|s| (s, scope::Instance::default()))
    }

    fn nothing_to_import(&self, scope: &Scope, diags: &mut Diagnostics) {
        scope::nothing_of_its_own(scope, "lock-out settings", "the instance's", diags);
    }

    fn list_schema(&self) -> Schema {
        filter_schema("the lock-out settings")
    }

    async fn list(
        &self,
        ctx: &Ctx<Zitadel>,
        filter: ScopeFilter,
        out: &mut ListSink<'_, SettingsResource<Self>>,
        diags: &mut Diagnostics,
    ) {
        let read = |scope: Scope| async move {
            let l = ctx.client.lockout(&scope, &ctx.cancel).await?;
            Ok((!l.inherits).then_some(l))
        };
        listing::walk_with(ctx, &filter, out, diags, "lock-out settings", read, |found: &listing::Found<Lockout>| {
            let (state, private) = listed(self, &found.scope, &found.value, scope::Instance::default());
            vec![(found.name.clone(), state, private)]
        })
        .await;
    }
}
