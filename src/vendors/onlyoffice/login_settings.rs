//! `onlyoffice_login_settings`: DocSpace's brute-force limit on logins — how many attempts from
//! one address count, in which window, and how long the block lasts. A settings object on the
//! shared lifecycle, one per portal, pinned to its tenant (see [`super::client::LoginLimits`] for
//! what DocSpace's code does with it).
//!
//! DocSpace counts per login name and client address (`web/ASC.Web.Core/BruteForceLoginManager.cs`):
//! within `check_period_seconds`, the attempt after `attempt_count` failures is refused and the
//! pair is blocked for `block_time_seconds`. The same `attempt_count` caps authenticator-app code
//! checks per user and minute (`web/ASC.Web.Core/Tfa/TfaManager.cs`), which is what makes it an MFA
//! setting too.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::client::{AuthMethod, LoginLimits, OnlyofficeClient};
use super::portal::{self, AtPortal, Identity, Tenant};
use crate::plugin::diag::{AttrPath, Diagnostics, Reported};
use crate::plugin::list::{ListSink, NoConfig};
use crate::plugin::resource::{Ctx, Plan};
use crate::plugin::schema::{Attribute, IdentitySchema, Schema, Validator};
use crate::plugin::typed::Attr;
use crate::plugin::value::{Type, Value};
use crate::vendors::common::restore::Names;
use crate::vendors::common::settings::{Adoption, Applied, Settings, SettingsResource, listed};

pub const TYPE_NAME: &str = "onlyoffice_login_settings";

const NAMES: Names = Names { what: "DocSpace login settings", resource: TYPE_NAME, owner: "portal" };

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

/// Writes `want` (it differs from `current`), then reads back: DocSpace answers a PUT with the
/// request even when it saved nothing.
async fn write_and_read_back(
    ctx: &Ctx<OnlyofficeClient>,
    current: LoginLimits,
    want: &LoginLimits,
    diags: &mut Diagnostics,
) -> Applied<LoginLimits, AtPortal<LoginLimits>> {
    if let Err(e) = ctx.client.set_login_limits(want, &ctx.cancel).await {
        return Applied::failed(&e, AtPortal::of(ctx, current), diags);
    }
    let Some(now) = ctx.client.login_limits(&ctx.cancel).await.reported(diags) else { return Applied::Failed };
    if now != *want {
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
        return Applied::Failed;
    }
    Applied::Done { before: current, now: AtPortal::of(ctx, now) }
}

#[async_trait]
impl Settings for LoginSettingsResource {
    type Client = OnlyofficeClient;
    type State = State;
    type Values = LoginLimits;
    type Remote = AtPortal<LoginLimits>;
    /// The portal, one per provider configuration.
    type Key = ();
    type Pin = Tenant;
    type Identity = Identity;
    type ListConfig = NoConfig;

    fn names(&self) -> &'static Names {
        &NAMES
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
            ],
        )
    }

    fn key_attributes(&self) -> &'static [&'static str] {
        &[]
    }

    fn key(&self, _: &State) -> Option<()> {
        Some(())
    }

    async fn read(
        &self,
        ctx: &Ctx<OnlyofficeClient>,
        _: &(),
        diags: &mut Diagnostics,
    ) -> Option<Option<AtPortal<LoginLimits>>> {
        let l = ctx.client.login_limits(&ctx.cancel).await.reported(diags)?;
        Some(Some(AtPortal::of(ctx, l)))
    }

    fn recorded(&self, s: &State) -> Option<LoginLimits> {
        Some(LoginLimits {
            attempt_count: *s.attempt_count.known()?,
            block_time_seconds: *s.block_time_seconds.known()?,
            check_period_seconds: *s.check_period_seconds.known()?,
        })
    }

    fn values(&self, l: &AtPortal<LoginLimits>) -> LoginLimits {
        l.read
    }

    fn state(&self, _: &(), l: &AtPortal<LoginLimits>, reference: &State) -> State {
        State::of(l.host.clone(), &l.read, reference.restore_on_destroy.clone())
    }

    async fn apply(
        &self,
        ctx: &Ctx<OnlyofficeClient>,
        _: &(),
        prior: Option<&State>,
        planned: &State,
        diags: &mut Diagnostics,
    ) -> Applied<LoginLimits, AtPortal<LoginLimits>> {
        // On update the refresh has just read the portal: no second read before the write.
        let current = match prior {
            Some(p) => p.over(LoginLimits::DEFAULT),
            None => match ctx.client.login_limits(&ctx.cancel).await.reported(diags) {
                Some(l) => l,
                None => return Applied::Failed,
            },
        };
        let want = planned.over(current);
        if want == current {
            return Applied::Done { before: current, now: AtPortal::of(ctx, current) };
        }
        write_and_read_back(ctx, current, &want, diags).await
    }

    async fn restore(
        &self,
        ctx: &Ctx<OnlyofficeClient>,
        _: &(),
        adopted: &LoginLimits,
        prior: &State,
        diags: &mut Diagnostics,
    ) -> bool {
        let current = prior.over(LoginLimits::DEFAULT);
        current == *adopted || matches!(write_and_read_back(ctx, current, adopted, diags).await, Applied::Done { .. })
    }

    fn weakens(&self, adopted: &LoginLimits, now: &State) -> Vec<String> {
        weakens(adopted, now)
    }

    /// The portal always exists.
    fn missing(&self, _: &(), _: &mut Diagnostics) {}

    fn remote_object(&self, _: &State) -> Option<String> {
        Some("the login settings of the provider's DocSpace portal".into())
    }

    async fn pin(
        &self,
        ctx: &Ctx<OnlyofficeClient>,
        _: &State,
        recorded: &Tenant,
        diags: &mut Diagnostics,
    ) -> Option<Tenant> {
        portal::pinned(ctx, TYPE_NAME, recorded, diags).await
    }

    fn identity_schema(&self) -> IdentitySchema {
        Identity::schema()
    }

    fn identity(&self, _: &State, pin: &Tenant) -> Option<Identity> {
        pin.tenant_id.map(Identity::of)
    }

    fn import_id(&self, identity: &Identity) -> Result<String, String> {
        identity.import_id()
    }

    async fn import_key(&self, ctx: &Ctx<OnlyofficeClient>, id: &str, diags: &mut Diagnostics) -> Option<((), Tenant)> {
        portal::imported(ctx, TYPE_NAME, id, diags).await.map(|t| ((), t))
    }

    fn nothing_to_import(&self, _: &(), _: &mut Diagnostics) {}

    async fn plan_notes(
        &self,
        ctx: Option<&Ctx<OnlyofficeClient>>,
        plan: &mut Plan<State, Adoption<LoginLimits, Tenant>>,
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
            warn_about_own_login(&plan.planned, diags);
        }
    }

    fn list_schema(&self) -> Schema {
        Schema::new("Lists the login settings of the provider's portal (there is one).", vec![])
    }

    /// The portal, one object.
    async fn list(
        &self,
        ctx: &Ctx<OnlyofficeClient>,
        _: NoConfig,
        out: &mut ListSink<'_, SettingsResource<Self>>,
        diags: &mut Diagnostics,
    ) {
        let (Some(tenant_id), Some(Some(l))) = (portal::tenant(ctx, diags).await, self.read(ctx, &(), diags).await)
        else {
            return;
        };
        let display = format!("{} (tenant {tenant_id})", l.host);
        let (state, private) = listed(self, &(), &l, Tenant { tenant_id: Some(tenant_id) });
        out.found(display, state, private).await;
    }

    fn data_description(&self) -> &'static str {
        "The brute-force login limit of the configured ONLYOFFICE DocSpace portal, read-only."
    }

    fn data_extras(&self) -> Vec<Attribute> {
        vec![Attribute::computed("is_default", Type::Bool, "Whether these are DocSpace's defaults (5, 60, 60).")]
    }

    fn data_extra_values(&self, l: &AtPortal<LoginLimits>) -> Vec<(&'static str, Value)> {
        vec![("is_default", Value::Bool(l.read == LoginLimits::DEFAULT))]
    }
}

/// The provider logs in with a password, and these limits apply to that login too.
fn warn_about_own_login(p: &State, diags: &mut Diagnostics) {
    let secs = |a: &Attr<i64>, unset: &str| a.known().map_or(unset.to_string(), |n| format!("{n} seconds"));
    let attempts = p.attempt_count.known().map_or("as many as the portal's attempt count".to_string(), i64::to_string);
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
