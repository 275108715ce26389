//! `akana_twofa_settings`: a business's two-factor settings on the Akana API Platform.
//!
//! The platform notes that a change "might take up to five minutes to take effect". That is about
//! the change's effect on logins, not about what `GET .../twofasettings` returns, and nothing shows
//! that the read lags: the state is always what the platform answers, so a console change (someone
//! undoing an apply) is drift in the very next plan.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::client::{AkanaClient, TwoFa, TwoFaObject};
use super::listing;
use crate::plugin::diag::{AttrPath, Diagnostics};
use crate::plugin::list::{ListResource, ListSink, NoConfig};
use crate::plugin::resource::{Ctx, Plan, Read, Resource};
use crate::plugin::schema::{Attribute, IdentityAttribute, IdentitySchema, Schema, Validator};
use crate::plugin::typed::Attr;
use crate::plugin::value::Type;
use crate::vendors::singleton;

pub const TYPE_NAME: &str = "akana_twofa_settings";

const KIND: singleton::Kind = singleton::Kind { what: "Akana 2FA settings", resource: TYPE_NAME, owner: "business" };

const EACH_LOGIN: &str = "twofa.each.login";
const EACH_INTERVAL: &str = "twofa.once.each.interval";
const NEW_DEVICE: &str = "twofa.login.new.device";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct State {
    pub id: Attr<String>,
    pub business_id: Attr<String>,
    pub enabled: Attr<bool>,
    pub code_valid_seconds: Attr<i64>,
    pub max_attempts: Attr<i64>,
    pub recurrence_mode: Attr<String>,
    pub recurrence_interval_minutes: Attr<i64>,
    pub device_cookie_name: Attr<String>,
    pub restore_on_destroy: Attr<bool>,
}

/// Private state. Earlier versions also kept the last write (`last_write`), to hide reads that
/// still showed the values from before it; such a field in stored private state is ignored.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Private {
    /// The settings found when Terraform adopted the business.
    pub adopted: Option<TwoFa>,
}

impl TwoFa {
    /// What writing these settings back over `now` would weaken.
    fn weakens(&self, now: &State) -> Vec<String> {
        let mut out = Vec::new();
        if self.enabled == Some(false) && now.enabled.known() == Some(&true) {
            out.push("2FA is switched off (enabled = false)".to_string());
        }
        let more = |name: &str, then: Option<i64>, now: &Attr<i64>, out: &mut Vec<String>| {
            if let (Some(t), Some(n)) = (then, now.known())
                && t > *n
            {
                out.push(format!("{name} goes up from {n} to {t}"));
            }
        };
        more("max_attempts", self.max_attempts, &now.max_attempts, &mut out);
        more("code_valid_seconds", self.code_valid_seconds, &now.code_valid_seconds, &mut out);
        out
    }
}

pub struct TwoFaSettings;

/// The business, by its ID: the identity of every Akana resource, since each lives in one business.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Identity {
    pub business_id: Attr<String>,
}

impl Identity {
    pub fn schema() -> IdentitySchema {
        IdentitySchema::new(vec![IdentityAttribute::required(
            "business_id",
            Type::String,
            "The business, e.g. `tenantbusiness.acmepaymentscorp` for the tenant's root business.",
        )])
    }
}

fn state_from(business: &str, f: &TwoFa, restore: Attr<bool>) -> State {
    State {
        id: Attr::Known(business.to_string()),
        business_id: Attr::Known(business.to_string()),
        enabled: f.enabled.into(),
        code_valid_seconds: f.code_valid_seconds.into(),
        max_attempts: f.max_attempts.into(),
        recurrence_mode: f.recurrence_mode.clone().into(),
        recurrence_interval_minutes: f.recurrence_interval_minutes.into(),
        device_cookie_name: f.device_cookie_name.clone().into(),
        restore_on_destroy: restore,
    }
}

/// The values to write: the plan's known values, the current ones where the plan has none.
fn merged(current: &TwoFa, planned: &State) -> TwoFa {
    TwoFa {
        enabled: planned.enabled.known().copied().or(current.enabled),
        code_valid_seconds: planned.code_valid_seconds.known().copied().or(current.code_valid_seconds),
        max_attempts: planned.max_attempts.known().copied().or(current.max_attempts),
        recurrence_mode: planned.recurrence_mode.known().cloned().or(current.recurrence_mode.clone()),
        recurrence_interval_minutes: planned
            .recurrence_interval_minutes
            .known()
            .copied()
            .or(current.recurrence_interval_minutes),
        device_cookie_name: planned.device_cookie_name.known().cloned().or(current.device_cookie_name.clone()),
    }
}

async fn read_or_report(
    ctx: &Ctx<AkanaClient>,
    business: &str,
    diags: &mut Diagnostics,
) -> Option<Option<TwoFaObject>> {
    ctx.client.read(business, &ctx.cancel).await.map_err(|e| diags.report(&e)).ok()
}

/// Writes `want` over the object as read (fields it does not manage are kept).
async fn write(
    ctx: &Ctx<AkanaClient>,
    business: &str,
    current: &TwoFaObject,
    want: &TwoFa,
    diags: &mut Diagnostics,
) -> Option<()> {
    ctx.client.write(business, &current.with(want), &ctx.cancel).await.map(|_| ()).map_err(|e| diags.report(&e)).ok()
}

pub(super) fn not_found(diags: &mut Diagnostics, business: &str) {
    diags.attr_error(
        AttrPath::attr("business_id"),
        "Akana business not found",
        format!(
            "Business {business:?} does not exist on this platform (HTTP 404). The tenant's root business is \
             tenantbusiness.<fed_member_id>, e.g. tenantbusiness.acmepaymentscorp."
        ),
    );
}

#[async_trait]
impl Resource for TwoFaSettings {
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
        let positive = Validator::IntRange(1, i32::MAX as i64);
        Schema::new(
            "Manages the two-factor authentication settings of a business on the Akana API Platform (Community Manager). The \
             settings always exist, so creating this resource adopts them; destroying it leaves them as they are unless \
             `restore_on_destroy` is set.",
            vec![
                Attribute::computed("id", Type::String, "Same as `business_id`."),
                Attribute::required(
                    "business_id",
                    Type::String,
                    "The business whose settings these are; the tenant's root business is `tenantbusiness.<fed_member_id>`.",
                )
                .force_new()
                .validate(Validator::NotEmpty)
                .validate(Validator::Trimmed),
                Attribute::required("enabled", Type::Bool, "Whether users of the developer portal must pass two-factor authentication."),
                Attribute::optional_computed("code_valid_seconds", Type::Number, "How many seconds a verification code stays valid.")
                    .validate(positive.clone()),
                Attribute::optional_computed(
                    "max_attempts",
                    Type::Number,
                    "How many times a code may be tried before a new one is needed.",
                )
                .validate(positive.clone()),
                Attribute::optional_computed(
                    "recurrence_mode",
                    Type::String,
                    "When 2FA is asked for: at each login (`twofa.each.login`), once per period (`twofa.once.each.interval`, needs \
                     `recurrence_interval_minutes`), or on a new device (`twofa.login.new.device`, needs `device_cookie_name`).",
                )
                .validate(Validator::OneOf(&[EACH_LOGIN, EACH_INTERVAL, NEW_DEVICE])),
                Attribute::optional_computed(
                    "recurrence_interval_minutes",
                    Type::Number,
                    "Minutes after which 2FA is asked for again, with `twofa.once.each.interval`.",
                )
                .validate(positive),
                Attribute::optional_computed(
                    "device_cookie_name",
                    Type::String,
                    "Name of the cookie that marks a known device, with `twofa.login.new.device`.",
                )
                .validate(Validator::NotEmpty),
                singleton::restore_on_destroy_attribute("business"),
            ],
        )
    }

    fn validate(&self, c: &State, diags: &mut Diagnostics) {
        match c.recurrence_mode.known().map(String::as_str) {
            Some(EACH_INTERVAL) if c.recurrence_interval_minutes.is_null() => diags.attr_error(
                AttrPath::attr("recurrence_interval_minutes"),
                "Missing recurrence_interval_minutes",
                "recurrence_mode = \"twofa.once.each.interval\" asks for 2FA once per period: set recurrence_interval_minutes.",
            ),
            Some(NEW_DEVICE) if c.device_cookie_name.is_null() => diags.attr_error(
                AttrPath::attr("device_cookie_name"),
                "Missing device_cookie_name",
                "recurrence_mode = \"twofa.login.new.device\" recognises devices by a cookie: set device_cookie_name.",
            ),
            _ => {}
        }
    }

    /// `restore_on_destroy` that would put weaker settings back is said at plan, not at destroy.
    async fn plan(&self, ctx: Option<&Ctx<AkanaClient>>, plan: &mut Plan<State, Private>, diags: &mut Diagnostics) {
        if !singleton::restore_is_news(
            plan.prior.as_ref().map(|p| &p.restore_on_destroy),
            &plan.planned.restore_on_destroy,
        ) {
            return;
        }
        let adopted = match (&plan.private.adopted, ctx, plan.planned.business_id.known()) {
            (Some(a), _, _) => Some(a.clone()),
            // Creating: what would be adopted is what the business holds now.
            (None, Some(ctx), Some(b)) if plan.prior.is_none() => {
                ctx.client.read(b, &ctx.cancel).await.ok().flatten().map(|o| o.fields)
            }
            _ => None,
        };
        if let Some(a) = adopted {
            singleton::warn_restore_weakens(diags, &KIND, a.weakens(&plan.planned));
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
        singleton::plan_destroy(diags, &KIND, restore, private.adopted.as_ref(), |a| a.weakens(prior));
    }

    fn remote_object(&self, planned: &State) -> Option<String> {
        planned.business_id.known().map(|b| format!("the 2FA settings of Akana business {b}"))
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
        if want != current.fields {
            write(ctx, &business, &current, &want, diags).await?;
        }
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
        prior: State,
        planned: State,
        private: Private,
        diags: &mut Diagnostics,
    ) -> Option<(State, Private)> {
        let business = planned.business_id.known()?.clone();
        let prior_fields = merged(&TwoFa::default(), &prior);
        let want_from_prior = merged(&prior_fields, &planned);
        if want_from_prior == prior_fields {
            // Only restore_on_destroy changed.
            return Some((state_from(&business, &prior_fields, planned.restore_on_destroy), private));
        }
        let Some(current) = read_or_report(ctx, &business, diags).await? else {
            not_found(diags, &business);
            return None;
        };
        // Read-modify-write from the platform's object, so fields we do not manage are kept.
        let want = merged(&current.fields, &planned);
        write(ctx, &business, &current, &want, diags).await?;
        Some((state_from(&business, &want, planned.restore_on_destroy), private))
    }

    async fn delete(&self, ctx: &Ctx<AkanaClient>, prior: State, private: Private, diags: &mut Diagnostics) -> bool {
        // Forget only (the plan said so), or nothing recorded to restore.
        let (true, Some(adopted)) = (prior.restore_on_destroy.known() == Some(&true), private.adopted) else {
            return true;
        };
        let Some(business) = prior.business_id.known().cloned() else { return true };
        let Some(read) = read_or_report(ctx, &business, diags).await else { return false };
        let Some(current) = read else { return true };
        write(ctx, &business, &current, &adopted, diags).await.is_some()
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
                format!("Business {business:?} does not exist on this platform (HTTP 404), so there is nothing to import. The tenant's root business is tenantbusiness.<fed_member_id>."),
            );
            return None;
        };
        Some((state_from(&business, &current.fields, Attr::Known(false)), Private { adopted: Some(current.fields) }))
    }
}

/// `terraform query`: every business the administrator can see, with its 2FA settings.
#[async_trait]
impl ListResource for TwoFaSettings {
    type ListConfig = NoConfig;

    fn list_schema(&self) -> Schema {
        Schema::new("Lists the 2FA settings of every business the administrator can see.", vec![])
    }

    async fn list(&self, ctx: &Ctx<AkanaClient>, _: NoConfig, out: &mut ListSink<'_, Self>, diags: &mut Diagnostics) {
        let read = |id: String| async move { ctx.client.read(&id, &ctx.cancel).await.map(|o| o.map(|o| o.fields)) };
        listing::walk(ctx, out, diags, (TYPE_NAME, "2FA settings"), read, |id, settings: TwoFa| {
            (state_from(id, &settings, Attr::Known(false)), Private { adopted: Some(settings) })
        })
        .await;
    }
}
