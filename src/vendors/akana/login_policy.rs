//! `akana_login_settings`: a business's login policy on the Akana API Platform — how many failed
//! logins in a row disable an account, over which period they count, how long the suspension
//! lasts, and the session timeouts (see [`super::client::LoginPolicy`] for what the documentation
//! says about the calls). A singleton per business, adopted on create, read-modify-written like
//! `akana_twofa_settings`, and read back after every write.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::client::{AkanaClient, LoginPolicy, PolicyObject};
use super::listing;
use super::resource::{Identity, not_found};
use crate::plugin::diag::{AttrPath, Diagnostics};
use crate::plugin::list::{ListResource, ListSink, NoConfig};
use crate::plugin::resource::{Ctx, Plan, Read, Resource};
use crate::plugin::schema::{Attribute, IdentitySchema, Schema, Validator};
use crate::plugin::typed::Attr;
use crate::plugin::value::Type;
use crate::vendors::singleton;

pub const TYPE_NAME: &str = "akana_login_settings";

const KIND: singleton::Kind = singleton::Kind { what: "Akana login settings", resource: TYPE_NAME, owner: "business" };

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

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Private {
    /// The policy found when Terraform adopted the business.
    pub adopted: Option<LoginPolicy>,
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

/// The plan's known values over `current`.
fn merged(current: &LoginPolicy, s: &State) -> LoginPolicy {
    LoginPolicy {
        max_failed_attempts: s.max_failed_attempts.known().copied().or(current.max_failed_attempts),
        attempts_period_minutes: s.attempts_period_minutes.known().copied().or(current.attempts_period_minutes),
        suspension_minutes: s.suspension_minutes.known().copied().or(current.suspension_minutes),
        active_session_timeout_minutes: s
            .active_session_timeout_minutes
            .known()
            .copied()
            .or(current.active_session_timeout_minutes),
        inactive_session_timeout_minutes: s
            .inactive_session_timeout_minutes
            .known()
            .copied()
            .or(current.inactive_session_timeout_minutes),
        persistent_session: s.persistent_session.known().copied().or(current.persistent_session),
        concurrent_login: s.concurrent_login.known().copied().or(current.concurrent_login),
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
    let now = merged(then, now);
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

async fn read_or_report(
    ctx: &Ctx<AkanaClient>,
    business: &str,
    diags: &mut Diagnostics,
) -> Option<Option<PolicyObject>> {
    ctx.client.login_policy(business, &ctx.cancel).await.map_err(|e| diags.report(&e)).ok()
}

/// Writes `want` over the object as read, unless it holds it already, and reads back.
async fn write(
    ctx: &Ctx<AkanaClient>,
    business: &str,
    current: &PolicyObject,
    want: &LoginPolicy,
    diags: &mut Diagnostics,
) -> Option<()> {
    if *want == current.fields {
        return Some(());
    }
    if let Some(why) = timeouts_conflict(want) {
        diags.attr_error(
            AttrPath::attr("inactive_session_timeout_minutes"),
            "Inactive timeout longer than the active one",
            why,
        );
        return None;
    }
    ctx.client.set_login_policy(business, &current.with(want), &ctx.cancel).await.map_err(|e| diags.report(&e)).ok()?;
    let Some(now) = read_or_report(ctx, business, diags).await? else {
        not_found(diags, business);
        return None;
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
        return None;
    }
    Some(())
}

#[async_trait]
impl Resource for LoginSettings {
    type Client = AkanaClient;
    type State = State;
    type Private = Private;
    type Identity = Identity;

    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn identity_schema(&self) -> IdentitySchema {
        Identity::schema()
    }

    fn identity(&self, state: &State, _: &Private) -> Option<Identity> {
        Some(Identity { business_id: state.business_id.clone() })
    }

    fn import_id(&self, identity: &Identity) -> Result<String, String> {
        identity.business_id.known().cloned().ok_or_else(|| "business_id is required".into())
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
                Attribute::required(
                    "business_id",
                    Type::String,
                    "The business whose login policy this is; the tenant's root business is `tenantbusiness.<fed_member_id>`.",
                )
                .force_new()
                .validate(Validator::NotEmpty)
                .validate(Validator::Trimmed),
                minutes(
                    "max_failed_attempts",
                    "Failed logins in a row after which the account is suspended (`MaxSequentialFailureAttemptsAllowed`); `0` \
                     turns the limit off, as Akana ships it.",
                ),
                minutes("attempts_period_minutes", "The period, in minutes, over which failed logins count (`AttemptsPeriod`)."),
                minutes("suspension_minutes", "How many minutes a suspended account stays locked (`SuspensionMinutes`)."),
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
                singleton::restore_on_destroy_attribute("business"),
            ],
        )
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

    async fn plan(&self, ctx: Option<&Ctx<AkanaClient>>, plan: &mut Plan<State, Private>, diags: &mut Diagnostics) {
        let p = &plan.planned;
        let limit_changes = p.max_failed_attempts.known().is_some_and(|n| *n > 0)
            && plan
                .prior
                .as_ref()
                .is_none_or(|prior| prior.max_failed_attempts.known() != p.max_failed_attempts.known());
        if limit_changes {
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
        if !singleton::restore_is_news(
            plan.prior.as_ref().map(|p| &p.restore_on_destroy),
            &plan.planned.restore_on_destroy,
        ) {
            return;
        }
        let adopted = match (&plan.private.adopted, ctx, plan.planned.business_id.known()) {
            (Some(a), _, _) => Some(a.clone()),
            (None, Some(ctx), Some(b)) if plan.prior.is_none() => {
                ctx.client.login_policy(b, &ctx.cancel).await.ok().flatten().map(|o| o.fields)
            }
            _ => None,
        };
        if let Some(a) = adopted {
            singleton::warn_restore_weakens(diags, &KIND, weakens(&a, &plan.planned));
        }
    }

    async fn plan_destroy(
        &self,
        _: Option<&Ctx<AkanaClient>>,
        prior: &State,
        private: &Private,
        diags: &mut Diagnostics,
    ) {
        let restore = prior.restore_on_destroy.known() == Some(&true);
        singleton::plan_destroy(diags, &KIND, restore, private.adopted.as_ref(), |a| weakens(a, prior));
    }

    fn remote_object(&self, planned: &State) -> Option<String> {
        planned.business_id.known().map(|b| format!("the login policy of Akana business {b}"))
    }

    async fn create(
        &self,
        ctx: &Ctx<AkanaClient>,
        planned: State,
        diags: &mut Diagnostics,
    ) -> Option<(State, Private)> {
        let business = planned.business_id.known()?.clone();
        let Some(current) = read_or_report(ctx, &business, diags).await? else {
            not_found(diags, &business);
            return None;
        };
        let want = merged(&current.fields, &planned);
        write(ctx, &business, &current, &want, diags).await?;
        Some((state_from(&business, &want, planned.restore_on_destroy), Private { adopted: Some(current.fields) }))
    }

    async fn read(
        &self,
        ctx: &Ctx<AkanaClient>,
        current: State,
        private: Private,
        diags: &mut Diagnostics,
    ) -> Option<Read<State, Private>> {
        let business = current.business_id.known()?.clone();
        let Some(server) = read_or_report(ctx, &business, diags).await? else {
            return Some(Read::Gone);
        };
        Some(Read::Found(state_from(&business, &server.fields, current.restore_on_destroy), private))
    }

    async fn update(
        &self,
        ctx: &Ctx<AkanaClient>,
        _: State,
        planned: State,
        private: Private,
        diags: &mut Diagnostics,
    ) -> Option<(State, Private)> {
        let business = planned.business_id.known()?.clone();
        let Some(current) = read_or_report(ctx, &business, diags).await? else {
            not_found(diags, &business);
            return None;
        };
        let want = merged(&current.fields, &planned);
        write(ctx, &business, &current, &want, diags).await?;
        Some((state_from(&business, &want, planned.restore_on_destroy), private))
    }

    async fn delete(&self, ctx: &Ctx<AkanaClient>, prior: State, private: Private, diags: &mut Diagnostics) -> bool {
        let (true, Some(adopted)) = (prior.restore_on_destroy.known() == Some(&true), private.adopted) else {
            return true;
        };
        let Some(business) = prior.business_id.known().cloned() else { return true };
        let Some(read) = read_or_report(ctx, &business, diags).await else { return false };
        let Some(current) = read else { return true };
        write(ctx, &business, &current, &merged(&current.fields, &state_from(&business, &adopted, Attr::Null)), diags)
            .await
            .is_some()
    }

    async fn import(&self, ctx: &Ctx<AkanaClient>, id: &str, diags: &mut Diagnostics) -> Option<(State, Private)> {
        let business = id.trim().to_string();
        if business.is_empty() {
            diags.error(
                "Invalid import ID",
                "The import ID is the business ID, e.g. tenantbusiness.acmepaymentscorp for the tenant's root business; it is empty.",
            );
            return None;
        }
        let Some(current) = read_or_report(ctx, &business, diags).await? else {
            diags.error(
                "Akana business not found",
                format!(
                    "Business {business:?} does not exist on this platform (HTTP 404), so there is nothing to import."
                ),
            );
            return None;
        };
        Some((state_from(&business, &current.fields, Attr::Known(false)), Private { adopted: Some(current.fields) }))
    }
}

/// `terraform query`: every business the administrator can see, with its login policy.
#[async_trait]
impl ListResource for LoginSettings {
    type ListConfig = NoConfig;

    fn list_schema(&self) -> Schema {
        Schema::new("Lists the login policy of every business the administrator can see.", vec![])
    }

    async fn list(&self, ctx: &Ctx<AkanaClient>, _: NoConfig, out: &mut ListSink<'_, Self>, diags: &mut Diagnostics) {
        let read =
            |id: String| async move { ctx.client.login_policy(&id, &ctx.cancel).await.map(|o| o.map(|o| o.fields)) };
        listing::walk(ctx, out, diags, (TYPE_NAME, "login policy"), read, |id, policy: LoginPolicy| {
            (state_from(id, &policy, Attr::Known(false)), Private { adopted: Some(policy) })
        })
        .await;
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
