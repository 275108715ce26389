//! `onlyoffice_login_settings`: DocSpace's brute-force limit on logins — how many attempts from
//! one address count, in which window, and how long the block lasts. A singleton per portal,
//! adopted on create (see [`super::client::LoginLimits`] for what DocSpace's code does with it).
//!
//! DocSpace counts per login name and client address (`web/ASC.Web.Core/BruteForceLoginManager.cs`):
//! within `check_period_seconds`, the attempt after `attempt_count` failures is refused and the
//! pair is blocked for `block_time_seconds`. The same `attempt_count` caps authenticator-app code
//! checks per user and minute (`web/ASC.Web.Core/Tfa/TfaManager.cs`), which is what makes it an MFA
//! setting too.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::client::{AuthMethod, LoginLimits, OnlyofficeClient};
use super::portal::{self, Identity, tenant};
use crate::plugin::diag::{AttrPath, Diagnostics};
use crate::plugin::list::{ListResource, ListSink, NoConfig};
use crate::plugin::resource::{Ctx, Plan, Read, Resource};
use crate::plugin::schema::{Attribute, IdentitySchema, Schema, Validator};
use crate::plugin::typed::Attr;
use crate::plugin::value::Type;
use crate::vendors::common::restore as singleton;

pub const TYPE_NAME: &str = "onlyoffice_login_settings";

const KIND: singleton::Names =
    singleton::Names { what: "DocSpace login settings", resource: TYPE_NAME, owner: "portal" };

/// `LoginSettingsRequestDto`: `[Range(1, 9999)]` on each.
const RANGE: Validator = Validator::IntRange(1, 9999);

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct State {
    pub id: Attr<String>,
    pub attempt_count: Attr<i64>,
    pub block_time_seconds: Attr<i64>,
    pub check_period_seconds: Attr<i64>,
    pub restore_on_destroy: Attr<bool>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Private {
    pub adopted: Option<LoginLimits>,
    pub tenant_id: Option<i64>,
}

pub struct LoginSettingsResource;

impl State {
    fn of(host: String, l: &LoginLimits, restore_on_destroy: Attr<bool>) -> State {
        State {
            id: Attr::Known(host),
            attempt_count: Attr::Known(l.attempt_count),
            block_time_seconds: Attr::Known(l.block_time_seconds),
            check_period_seconds: Attr::Known(l.check_period_seconds),
            restore_on_destroy,
        }
    }

    /// `current` with what this state sets.
    fn over(&self, mut current: LoginLimits) -> LoginLimits {
        if let Some(n) = self.attempt_count.known() {
            current.attempt_count = *n;
        }
        if let Some(n) = self.block_time_seconds.known() {
            current.block_time_seconds = *n;
        }
        if let Some(n) = self.check_period_seconds.known() {
            current.check_period_seconds = *n;
        }
        current
    }
}

/// What writing `then` back over `now` would weaken: more attempts, a shorter block, a shorter
/// window.
fn weakens(then: &LoginLimits, now: &State) -> Vec<String> {
    let now = now.over(*then);
    let mut out = Vec::new();
    if then.attempt_count > now.attempt_count {
        out.push(format!("attempt_count goes up from {} to {}", now.attempt_count, then.attempt_count));
    }
    if then.block_time_seconds < now.block_time_seconds {
        out.push(format!(
            "block_time_seconds goes down from {} to {}",
            now.block_time_seconds, then.block_time_seconds
        ));
    }
    if then.check_period_seconds < now.check_period_seconds {
        out.push(format!(
            "check_period_seconds goes down from {} to {}",
            now.check_period_seconds, then.check_period_seconds
        ));
    }
    out
}

/// Writes `want` unless the portal holds it, then reads back: DocSpace answers a PUT with the
/// request even when it saved nothing.
async fn put(ctx: &Ctx<OnlyofficeClient>, current: &LoginLimits, want: &LoginLimits, diags: &mut Diagnostics) -> bool {
    if want == current {
        return true;
    }
    if let Err(e) = ctx.client.set_login_limits(want, &ctx.cancel).await {
        diags.report(&e);
        return false;
    }
    match ctx.client.login_limits(&ctx.cancel).await {
        Ok(now) if now == *want => true,
        Ok(now) => {
            diags.error(
                "DocSpace did not save the login settings",
                format!(
                    "DocSpace answered the change with success, but reading the settings back shows {} instead of {}. DocSpace \
                     answers this call with the request even when saving failed (SettingsManager.SaveAsync swallows database \
                     errors); check the portal's logs, then run terraform apply again.",
                    now.describe(),
                    want.describe()
                ),
            );
            false
        }
        Err(e) => {
            diags.report(&e);
            false
        }
    }
}

#[async_trait]
impl Resource for LoginSettingsResource {
    type Client = OnlyofficeClient;
    type State = State;
    type Private = Private;
    type Identity = Identity;

    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        let limit = |name: &'static str, doc: &str| {
            Attribute::optional_computed(
                name,
                Type::Number,
                &format!("{doc} 1 to 9999. Unset: the value the portal holds is kept."),
            )
            .validate(RANGE)
        };
        Schema::new(
            "Manages the brute-force login limit of an ONLYOFFICE DocSpace portal: failed attempts allowed per login name and \
             address, the window they count in, and how long the block lasts. The settings always exist, so creating this \
             resource adopts them; destroying it leaves them as they are unless `restore_on_destroy` is set.",
            vec![
                Attribute::computed(
                    "id",
                    Type::String,
                    "The portal host, e.g. `acme.onlyoffice.com`; also the import ID.",
                ),
                limit(
                    "attempt_count",
                    "Failed logins allowed within `check_period_seconds` from one address before that login is blocked \
                     (`attemptCount`; DocSpace's default is 5). It also caps authenticator-app code checks per user and minute.",
                ),
                limit(
                    "block_time_seconds",
                    "How long, in seconds, a blocked login stays blocked (`blockTime`; default 60).",
                ),
                limit(
                    "check_period_seconds",
                    "The window, in seconds, in which failed logins are counted (`checkPeriod`; default 60).",
                ),
                singleton::restore_on_destroy_attribute("portal"),
            ],
        )
    }

    fn identity_schema(&self) -> IdentitySchema {
        Identity::schema()
    }

    fn identity(&self, _: &State, private: &Private) -> Option<Identity> {
        private.tenant_id.map(Identity::of)
    }

    fn import_id(&self, identity: &Identity) -> Result<String, String> {
        identity.import_id()
    }

    async fn plan(
        &self,
        ctx: Option<&Ctx<OnlyofficeClient>>,
        plan: &mut Plan<State, Private>,
        diags: &mut Diagnostics,
    ) {
        let Some(ctx) = ctx else { return };
        if plan.prior.is_none() {
            plan.planned.id = Attr::Known(ctx.client.portal_host());
        }
        let changes = |f: fn(&State) -> &Attr<i64>| {
            f(&plan.planned).known().is_some()
                && plan.prior.as_ref().is_none_or(|p| f(p).known() != f(&plan.planned).known())
        };
        let tightening =
            changes(|s| &s.attempt_count) || changes(|s| &s.block_time_seconds) || changes(|s| &s.check_period_seconds);
        if ctx.client.auth_method() == AuthMethod::Password && tightening {
            let p = &plan.planned;
            let secs = |a: &Attr<i64>, unset: &str| a.known().map_or(unset.to_string(), |n| format!("{n} seconds"));
            let attempts =
                p.attempt_count.known().map_or("as many as the portal's attempt count".to_string(), i64::to_string);
            diags.attr_warning(
                AttrPath::attr("attempt_count"),
                "The provider's own account can be locked out by these limits",
                format!(
                    "This provider logs in with username and password, and DocSpace applies these limits to that login too: \
                     {attempts} wrong passwords within {} from one address block the account from that address for {} \
                     (BruteForceLoginManager counts per login name and address). A wrong or rotated password in CI then locks \
                     out the very account the provider uses, and every run in that time fails. Use an API key (api_key / \
                     ONLYOFFICE_API_KEY), which logins do not count.",
                    secs(&p.check_period_seconds, "the portal's check period"),
                    secs(&p.block_time_seconds, "the portal's block time"),
                ),
            );
        }
        if singleton::restore_is_news(
            plan.prior.as_ref().map(|p| &p.restore_on_destroy),
            &plan.planned.restore_on_destroy,
        ) {
            let adopted = match plan.private.adopted {
                Some(a) => Some(a),
                None if plan.prior.is_none() => ctx.client.login_limits(&ctx.cancel).await.ok(),
                None => None,
            };
            if let Some(a) = adopted {
                singleton::warn_restore_weakens(diags, &KIND, weakens(&a, &plan.planned));
            }
        }
    }

    async fn plan_destroy(
        &self,
        _: Option<&Ctx<OnlyofficeClient>>,
        prior: &State,
        private: &Private,
        diags: &mut Diagnostics,
    ) {
        let restore = prior.restore_on_destroy.known() == Some(&true);
        singleton::plan_destroy(diags, &KIND, restore, private.adopted.as_ref(), |a| weakens(a, prior));
    }

    fn remote_object(&self, _: &State) -> Option<String> {
        Some("the login settings of the provider's DocSpace portal".into())
    }

    async fn create(
        &self,
        ctx: &Ctx<OnlyofficeClient>,
        planned: State,
        diags: &mut Diagnostics,
    ) -> Option<(State, Private)> {
        let current = ctx.client.login_limits(&ctx.cancel).await.map_err(|e| diags.report(&e)).ok()?;
        let private = Private { adopted: Some(current), tenant_id: tenant(ctx, diags).await };
        let want = planned.over(current);
        if !put(ctx, &current, &want, diags).await {
            return None;
        }
        Some((State::of(ctx.client.portal_host(), &want, planned.restore_on_destroy), private))
    }

    async fn read(
        &self,
        ctx: &Ctx<OnlyofficeClient>,
        current: State,
        mut private: Private,
        diags: &mut Diagnostics,
    ) -> Option<Read<State, Private>> {
        // States from before identities existed learn the tenant ID here.
        private.tenant_id = Some(portal::pinned(ctx, TYPE_NAME, private.tenant_id, diags).await?);
        let l = ctx.client.login_limits(&ctx.cancel).await.map_err(|e| diags.report(&e)).ok()?;
        Some(Read::Found(State::of(ctx.client.portal_host(), &l, current.restore_on_destroy), private))
    }

    async fn update(
        &self,
        ctx: &Ctx<OnlyofficeClient>,
        prior: State,
        planned: State,
        private: Private,
        diags: &mut Diagnostics,
    ) -> Option<(State, Private)> {
        portal::pinned(ctx, TYPE_NAME, private.tenant_id, diags).await?;
        // Prior is what the refresh just read: the portal's settings.
        let current = prior.over(LoginLimits::DEFAULT);
        let want = planned.over(current);
        if !put(ctx, &current, &want, diags).await {
            return None;
        }
        Some((State::of(ctx.client.portal_host(), &want, planned.restore_on_destroy), private))
    }

    async fn delete(
        &self,
        ctx: &Ctx<OnlyofficeClient>,
        prior: State,
        private: Private,
        diags: &mut Diagnostics,
    ) -> bool {
        let (true, Some(adopted)) = (prior.restore_on_destroy.known() == Some(&true), private.adopted) else {
            return true;
        };
        // Writing back: only to the portal this resource manages.
        if portal::pinned(ctx, TYPE_NAME, private.tenant_id, diags).await.is_none() {
            return false;
        }
        put(ctx, &prior.over(LoginLimits::DEFAULT), &adopted, diags).await
    }

    async fn import(&self, ctx: &Ctx<OnlyofficeClient>, id: &str, diags: &mut Diagnostics) -> Option<(State, Private)> {
        let tenant_id = portal::imported(ctx, TYPE_NAME, id, diags).await?;
        let l = ctx.client.login_limits(&ctx.cancel).await.map_err(|e| diags.report(&e)).ok()?;
        let private = Private { adopted: Some(l), tenant_id: Some(tenant_id) };
        Some((State::of(ctx.client.portal_host(), &l, Attr::Known(false)), private))
    }
}

/// `terraform query`: the portal, one object.
#[async_trait]
impl ListResource for LoginSettingsResource {
    type ListConfig = NoConfig;

    fn list_schema(&self) -> Schema {
        Schema::new("Lists the login settings of the provider's portal (there is one).", vec![])
    }

    async fn list(
        &self,
        ctx: &Ctx<OnlyofficeClient>,
        _: NoConfig,
        out: &mut ListSink<'_, Self>,
        diags: &mut Diagnostics,
    ) {
        let (Some(tenant_id), Ok(l)) =
            (tenant(ctx, diags).await, ctx.client.login_limits(&ctx.cancel).await.map_err(|e| diags.report(&e)))
        else {
            return;
        };
        let host = ctx.client.portal_host();
        let state = State::of(host.clone(), &l, Attr::Known(false));
        out.found(
            format!("{host} (tenant {tenant_id})"),
            state,
            Private { adopted: Some(l), tenant_id: Some(tenant_id) },
        )
        .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restoring_more_attempts_or_shorter_times_is_weaker() {
        let then = LoginLimits::DEFAULT;
        let now = State::of(
            "p".into(),
            &LoginLimits { attempt_count: 3, block_time_seconds: 900, check_period_seconds: 60 },
            Attr::Null,
        );
        assert_eq!(
            weakens(&then, &now),
            ["attempt_count goes up from 3 to 5", "block_time_seconds goes down from 900 to 60"]
        );
        assert!(weakens(&then, &State::of("p".into(), &then, Attr::Null)).is_empty());
    }
}
