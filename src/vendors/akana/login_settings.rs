//! `akana_login_settings`: a business's login policy on the Akana API Platform — how many failed
//! logins in a row disable an account, over which period they count, how long the suspension
//! lasts, and the session timeouts (see [`super::client::LoginPolicy`] for what the documentation
//! says about the calls). A settings object on the shared lifecycle, read-modify-written like
//! `akana_twofa_settings`, and read back after every write.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::business::{self, Identity};
use super::client::{AkanaClient, LoginPolicy, PolicyObject, overlay};
use super::listing;
use crate::plugin::diag::{AttrPath, Diagnostics, Reported};
use crate::plugin::list::{ListSink, NoConfig};
use crate::plugin::resource::{Ctx, Plan};
use crate::plugin::schema::{Attribute, IdentitySchema, Schema, Validator};
use crate::plugin::typed::Attr;
use crate::plugin::value::Type;
use crate::vendors::common::restore::Names;
use crate::vendors::common::settings::{Adoption, Applied, NoPin, Settings, SettingsResource};

pub const TYPE_NAME: &str = "akana_login_settings";

const NAMES: Names = Names { what: "Akana login settings", resource: TYPE_NAME, owner: "business" };

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct State {
    pub id: Attr<String>,
    pub business_id: Attr<String>,
    pub max_failed_attempts: Attr<i64>,
    pub attempts_period_minutes: Attr<i64>,
    pub suspension_minutes: Attr<i64>,
    pub active_session_timeout_minutes: Attr<i64>,
    pub inactive_session_timeout_minutes: Attr<i64>,
    pub persistent_session: Attr<bool>,
    pub concurrent_login: Attr<bool>,
    pub restore_on_destroy: Attr<bool>,
}

pub struct LoginSettings;

fn state_from(business: &str, p: &LoginPolicy, restore: Attr<bool>) -> State {
    State {
        id: Attr::Known(business.to_string()),
        business_id: Attr::Known(business.to_string()),
        max_failed_attempts: p.max_failed_attempts.into(),
        attempts_period_minutes: p.attempts_period_minutes.into(),
        suspension_minutes: p.suspension_minutes.into(),
        active_session_timeout_minutes: p.active_session_timeout_minutes.into(),
        inactive_session_timeout_minutes: p.inactive_session_timeout_minutes.into(),
        persistent_session: p.persistent_session.into(),
        concurrent_login: p.concurrent_login.into(),
        restore_on_destroy: restore,
    }
}

/// The values a state holds (the plan's known ones); a field unset or unknown has none.
fn known(s: &State) -> LoginPolicy {
    LoginPolicy {
        max_failed_attempts: s.max_failed_attempts.known().copied(),
        attempts_period_minutes: s.attempts_period_minutes.known().copied(),
        suspension_minutes: s.suspension_minutes.known().copied(),
        active_session_timeout_minutes: s.active_session_timeout_minutes.known().copied(),
        inactive_session_timeout_minutes: s.inactive_session_timeout_minutes.known().copied(),
        persistent_session: s.persistent_session.known().copied(),
        concurrent_login: s.concurrent_login.known().copied(),
    }
}

/// 0 means no limit: the most lenient.
fn lenient(n: Option<i64>) -> i64 {
    match n {
        Some(0) | None => i64::MAX,
        Some(n) => n,
    }
}

/// What writing `then` back over `now` would weaken: a higher (or no) failure limit, a shorter
/// suspension or counting period, longer (or no) session timeouts.
fn weakens(then: &LoginPolicy, now: &State) -> Vec<String> {
    let now = overlay(then, &known(now));
    let show = |n: Option<i64>| match n {
        Some(0) | None => "0 (no limit)".to_string(),
        Some(n) => n.to_string(),
    };
    let mut out = Vec::new();
    for (name, t, n) in [
        ("max_failed_attempts", then.max_failed_attempts, now.max_failed_attempts),
        ("active_session_timeout_minutes", then.active_session_timeout_minutes, now.active_session_timeout_minutes),
        (
            "inactive_session_timeout_minutes",
            then.inactive_session_timeout_minutes,
            now.inactive_session_timeout_minutes,
        ),
    ] {
        if lenient(t) > lenient(n) {
            out.push(format!("{name} goes from {} to {}", show(n), show(t)));
        }
    }
    for (name, t, n) in [
        ("suspension_minutes", then.suspension_minutes, now.suspension_minutes),
        ("attempts_period_minutes", then.attempts_period_minutes, now.attempts_period_minutes),
    ] {
        if t.unwrap_or(0) < n.unwrap_or(0) {
            out.push(format!("{name} goes down from {} to {}", n.unwrap_or(0), t.unwrap_or(0)));
        }
    }
    out
}

/// Ref_SessionTime: "Inactive login session timeout value cannot exceed active login session
/// timeout" (0 being no timeout).
fn timeouts_conflict(p: &LoginPolicy) -> Option<String> {
    match (p.active_session_timeout_minutes, p.inactive_session_timeout_minutes) {
        (Some(a), Some(i)) if a != 0 && i > a => Some(format!(
            "inactive_session_timeout_minutes ({i}) cannot exceed active_session_timeout_minutes ({a}): Akana refuses an inactive \
             timeout longer than the active one. Set it to {a} or less."
        )),
        _ => None,
    }
}

/// Writes `want` over the object as read (it differs), and reads it back.
async fn write(
    ctx: &Ctx<AkanaClient>,
    business: &str,
    current: PolicyObject,
    want: &LoginPolicy,
    diags: &mut Diagnostics,
) -> Applied<LoginPolicy, PolicyObject> {
    if let Some(why) = timeouts_conflict(want) {
        diags.attr_error(
            AttrPath::attr("inactive_session_timeout_minutes"),
            "Inactive timeout longer than the active one",
            why,
        );
        return Applied::Failed;
    }
    if let Err(e) = ctx.client.set_login_policy(business, &current.with(want), &ctx.cancel).await {
        return Applied::failed(&e, current, diags);
    }
    let Some(read) = ctx.client.login_policy(business, &ctx.cancel).await.reported(diags) else {
        return Applied::Failed;
    };
    let Some(now) = read else {
        business::not_found(diags, business);
        return Applied::Failed;
    };
    if now.fields != *want {
        diags.error(
            "Akana did not apply the login settings",
            format!(
                "The platform accepted the change of business {business}'s login policy, but reading it back shows {:?} instead of \
                 {want:?}.",
                now.fields
            ),
        );
        return Applied::Failed;
    }
    Applied::Done { before: current.fields, now }
}

#[async_trait]
impl Settings for LoginSettings {
    type Client = AkanaClient;
    type State = State;
    type Values = LoginPolicy;
    type Remote = PolicyObject;
    /// The business ID.
    type Key = String;
    type Pin = NoPin;
    type Identity = Identity;
    type ListConfig = NoConfig;

    fn names(&self) -> &'static Names {
        &NAMES
    }

    fn schema(&self) -> Schema {
        let minutes = |name: &'static str, doc: &str| {
            Attribute::optional_computed(
                name,
                Type::Number,
                &format!("{doc} Unset: the value the business holds is kept."),
            )
            .validate(Validator::IntRange(0, i32::MAX as i64))
        };
        Schema::new(
            "Manages the login policy of a business on the Akana API Platform (Community Manager): failed logins allowed, the \
             period they count in, the suspension, and session timeouts. The policy always exists, so creating this resource \
             adopts it; destroying it leaves it as it is unless `restore_on_destroy` is set.",
            vec![
                Attribute::computed("id", Type::String, "Same as `business_id`."),
                business::attribute(),
                minutes(
                    "max_failed_attempts",
                    "Failed logins in a row after which the account is suspended (`MaxSequentialFailureAttemptsAllowed`); `0` \
                     turns the limit off, as Akana ships it.",
                ),
                minutes(
                    "attempts_period_minutes",
                    "The period, in minutes, over which failed logins count (`AttemptsPeriod`).",
                ),
                minutes(
                    "suspension_minutes",
                    "How many minutes a suspended account stays locked (`SuspensionMinutes`).",
                ),
                minutes(
                    "active_session_timeout_minutes",
                    "Minutes after which a session ends even while in use (`ActiveSessionTimeout`; `0`: none). The only timeout \
                     that applies to API users outside the developer portal.",
                ),
                minutes(
                    "inactive_session_timeout_minutes",
                    "Minutes of inactivity after which a session ends (`InactiveSessionTimeout`; `0`: none); at most \
                     `active_session_timeout_minutes`.",
                ),
                Attribute::optional_computed(
                    "persistent_session",
                    Type::Bool,
                    "Whether the session cookie outlives the browser (`PersistentSession`). Unset: the value the business holds is \
                     kept.",
                ),
                Attribute::optional_computed(
                    "concurrent_login",
                    Type::Bool,
                    "Whether a user may have more than one session at a time (`ConcurrentLogin`, platform 2020.1.2 and later). \
                     Unset: the value the business holds is kept.",
                ),
            ],
        )
    }

    fn key_attributes(&self) -> &'static [&'static str] {
        &["business_id"]
    }

    fn key(&self, s: &State) -> Option<String> {
        s.business_id.known().cloned()
    }

    async fn read(
        &self,
        ctx: &Ctx<AkanaClient>,
        business: &String,
        diags: &mut Diagnostics,
    ) -> Option<Option<PolicyObject>> {
        ctx.client.login_policy(business, &ctx.cancel).await.reported(diags)
    }

    fn recorded(&self, s: &State) -> Option<LoginPolicy> {
        Some(known(s))
    }

    fn values(&self, o: &PolicyObject) -> LoginPolicy {
        o.fields.clone()
    }

    fn state(&self, business: &String, o: &PolicyObject, reference: &State) -> State {
        state_from(business, &o.fields, reference.restore_on_destroy.clone())
    }

    /// Read-modify-write from the platform's object, unless it holds the plan already.
    async fn apply(
        &self,
        ctx: &Ctx<AkanaClient>,
        business: &String,
        _: Option<&State>,
        planned: &State,
        diags: &mut Diagnostics,
    ) -> Applied<LoginPolicy, PolicyObject> {
        let Some(read) = self.read(ctx, business, diags).await else { return Applied::Failed };
        let Some(current) = read else {
            business::not_found(diags, business);
            return Applied::Failed;
        };
        let want = overlay(&current.fields, &known(planned));
        if want == current.fields {
            return Applied::Done { before: current.fields.clone(), now: current };
        }
        write(ctx, business, current, &want, diags).await
    }

    async fn restore(
        &self,
        ctx: &Ctx<AkanaClient>,
        business: &String,
        adopted: &LoginPolicy,
        _: &State,
        diags: &mut Diagnostics,
    ) -> bool {
        let Some(read) = self.read(ctx, business, diags).await else { return false };
        let Some(current) = read else { return true };
        let want = overlay(&current.fields, adopted);
        want == current.fields || matches!(write(ctx, business, current, &want, diags).await, Applied::Done { .. })
    }

    fn weakens(&self, then: &LoginPolicy, now: &State) -> Vec<String> {
        weakens(then, now)
    }

    fn missing(&self, business: &String, diags: &mut Diagnostics) {
        business::not_found(diags, business);
    }

    fn remote_object(&self, planned: &State) -> Option<String> {
        planned.business_id.known().map(|b| format!("the login policy of Akana business {b}"))
    }

    fn identity_schema(&self) -> IdentitySchema {
        Identity::schema()
    }

    fn identity(&self, state: &State, _: &NoPin) -> Option<Identity> {
        Some(Identity::of(&state.business_id))
    }

    fn import_id(&self, identity: &Identity) -> Result<String, String> {
        identity.import_id()
    }

    async fn import_key(&self, _: &Ctx<AkanaClient>, id: &str, diags: &mut Diagnostics) -> Option<(String, NoPin)> {
        business::import_key(id, diags).map(|b| (b, NoPin {}))
    }

    fn nothing_to_import(&self, business: &String, diags: &mut Diagnostics) {
        business::nothing_to_import(diags, business);
    }

    fn validate(&self, c: &State, diags: &mut Diagnostics) {
        let both = LoginPolicy {
            active_session_timeout_minutes: c.active_session_timeout_minutes.known().copied(),
            inactive_session_timeout_minutes: c.inactive_session_timeout_minutes.known().copied(),
            ..Default::default()
        };
        if let Some(why) = timeouts_conflict(&both) {
            diags.attr_error(
                AttrPath::attr("inactive_session_timeout_minutes"),
                "Inactive timeout longer than the active one",
                why,
            );
        }
    }

    /// The provider logs in with a password: a new failure limit can lock its own account.
    async fn plan_notes(
        &self,
        _: Option<&Ctx<AkanaClient>>,
        plan: &mut Plan<State, Adoption<LoginPolicy, NoPin>>,
        diags: &mut Diagnostics,
    ) {
        let p = &plan.planned;
        let limit_changes = p.max_failed_attempts.known().is_some_and(|n| *n > 0)
            && plan
                .prior
                .as_ref()
                .is_none_or(|prior| prior.max_failed_attempts.known() != p.max_failed_attempts.known());
        if !limit_changes {
            return;
        }
        let n = p.max_failed_attempts.known().copied().unwrap_or_default();
        let suspension =
            p.suspension_minutes.known().map_or("the suspension time".to_string(), |m| format!("{m} minutes"));
        diags.attr_warning(
            AttrPath::attr("max_failed_attempts"),
            "The provider's own account can be locked out by this limit",
            format!(
                "The provider logs in to Akana with an e-mail and password (email / AKANA_EMAIL). If that account falls under \
                 this business's policy, {n} wrong passwords in a row — a rotated password not yet updated in CI, say — \
                 suspend it for {suspension}, and every run fails until then. Give the provider an account of its own and keep \
                 its password where CI reads it."
            ),
        );
    }

    fn list_schema(&self) -> Schema {
        Schema::new("Lists the login policy of every business the administrator can see.", vec![])
    }

    async fn list(
        &self,
        ctx: &Ctx<AkanaClient>,
        _: NoConfig,
        out: &mut ListSink<'_, SettingsResource<Self>>,
        diags: &mut Diagnostics,
    ) {
        listing::walk(self, ctx, out, diags).await;
    }

    fn data_description(&self) -> &'static str {
        "The login policy of a business on the Akana API Platform, read-only. Values the platform leaves unset are null."
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weaker_and_conflicting_policies() {
        let then = LoginPolicy { max_failed_attempts: Some(0), suspension_minutes: Some(0), ..Default::default() };
        let now = state_from(
            "b",
            &LoginPolicy { max_failed_attempts: Some(5), suspension_minutes: Some(30), ..Default::default() },
            Attr::Null,
        );
        assert_eq!(
            weakens(&then, &now),
            ["max_failed_attempts goes from 5 to 0 (no limit)", "suspension_minutes goes down from 30 to 0"]
        );
        let both = |a, i| LoginPolicy {
            active_session_timeout_minutes: Some(a),
            inactive_session_timeout_minutes: Some(i),
            ..Default::default()
        };
        assert!(timeouts_conflict(&both(30, 60)).unwrap().contains("Set it to 30 or less"));
        assert!(timeouts_conflict(&both(30, 30)).is_none());
        assert!(timeouts_conflict(&both(0, 60)).is_none(), "no active timeout: anything goes");
    }
}
