//! `akana_twofa_settings`: a business's two-factor settings on the Akana API Platform.
//!
//! The platform warns that a change "might take up to five minutes to take effect". The state
//! records what was written; for five minutes after a write, a read that still shows exactly the
//! values from before the write is taken as propagation delay, not drift, so the next plan shows
//! no bogus change. Any other difference is real drift and is reported at once.

use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::client::{AkanaClient, TwoFa, TwoFaObject};
use crate::plugin::diag::{AttrPath, Diagnostics};
use crate::plugin::resource::{Ctx, Read, Resource};
use crate::plugin::schema::{Attribute, Schema, Validator};
use crate::plugin::typed::Attr;
use crate::plugin::value::Type;
use crate::vendors::singleton;

pub const TYPE_NAME: &str = "akana_twofa_settings";
/// The platform's documented propagation time.
pub const PROPAGATION_SECS: u64 = 300;

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

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Private {
    /// The settings found when Terraform adopted the business.
    pub adopted: Option<TwoFa>,
    /// The last write: when, what it replaced, and what it wrote.
    pub last_write: Option<Write>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Write {
    pub at_unix: u64,
    pub before: TwoFa,
    pub written: TwoFa,
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs()
}

pub struct TwoFaSettings;

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

/// Reads, writes `want` as the complete object, and returns what to record.
async fn write(
    ctx: &Ctx<AkanaClient>,
    business: &str,
    current: &TwoFaObject,
    want: &TwoFa,
    diags: &mut Diagnostics,
) -> Option<Write> {
    let body = current.with(want);
    if let Err(e) = ctx.client.write(business, &body, &ctx.cancel).await {
        diags.report(&e);
        return None;
    }
    Some(Write { at_unix: now(), before: current.fields.clone(), written: want.clone() })
}

fn not_found(diags: &mut Diagnostics, business: &str) {
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

    fn type_name(&self) -> &'static str {
        TYPE_NAME
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
                .validate(Validator::NotEmpty),
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

    fn plan_destroy(&self, prior: &State, diags: &mut Diagnostics) {
        if prior.restore_on_destroy.known() != Some(&true) {
            singleton::warn_left_as_is(diags, "Akana 2FA settings", TYPE_NAME, "business");
        }
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
        let mut private = Private { adopted: Some(current.fields.clone()), last_write: None };
        if want != current.fields {
            private.last_write = Some(write(ctx, &business, &current, &want, diags).await?);
        }
        Some((state_from(&business, &want, planned.restore_on_destroy), private))
    }

    async fn read(
        &self,
        ctx: &Ctx<AkanaClient>,
        current: State,
        mut private: Private,
        diags: &mut Diagnostics,
    ) -> Option<Read<State, Private>> {
        let business = current.business_id.known()?.clone();
        let Some(server) = read_or_report(ctx, &business, diags).await? else {
            return Some(Read::Gone);
        };
        let seen = server.fields;
        let shown = match private.last_write.take() {
            Some(w) if seen == w.written => seen,
            // Still the values from before our write, within the documented five minutes:
            // propagation, not drift. Keep reporting what was written.
            Some(w) if seen == w.before && now().saturating_sub(w.at_unix) < PROPAGATION_SECS => {
                log::info!(
                    "Akana: {business} still shows the settings from before the last write; within the propagation window"
                );
                let written = w.written.clone();
                private.last_write = Some(w);
                written
            }
            _ => seen,
        };
        Some(Read::Found(state_from(&business, &shown, current.restore_on_destroy), private))
    }

    async fn update(
        &self,
        ctx: &Ctx<AkanaClient>,
        prior: State,
        planned: State,
        mut private: Private,
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
        let w = write(ctx, &business, &current, &want, diags).await?;
        // If the platform still showed pre-propagation values, remember the older baseline.
        private.last_write = Some(match private.last_write.take() {
            Some(prev) if current.fields == prev.before => Write { before: prev.before, ..w },
            _ => w,
        });
        Some((state_from(&business, &want, planned.restore_on_destroy), private))
    }

    async fn delete(&self, ctx: &Ctx<AkanaClient>, prior: State, private: Private, diags: &mut Diagnostics) -> bool {
        if prior.restore_on_destroy.known() != Some(&true) {
            self.plan_destroy(&prior, diags);
            return true;
        }
        let Some(adopted) = private.adopted else {
            singleton::warn_nothing_to_restore(diags, "business");
            return true;
        };
        let Some(business) = prior.business_id.known().cloned() else { return true };
        let Some(read) = read_or_report(ctx, &business, diags).await else { return false };
        let Some(current) = read else { return true };
        write(ctx, &business, &current, &adopted, diags).await.is_some()
    }

    async fn import(&self, ctx: &Ctx<AkanaClient>, id: &str, diags: &mut Diagnostics) -> Option<(State, Private)> {
        let business = id.trim().to_string();
        let Some(current) = read_or_report(ctx, &business, diags).await? else {
            diags.error(
                "Akana business not found",
                format!("Business {business:?} does not exist on this platform (HTTP 404), so there is nothing to import. The tenant's root business is tenantbusiness.<fed_member_id>."),
            );
            return None;
        };
        let private = Private { adopted: Some(current.fields.clone()), last_write: None };
        Some((state_from(&business, &current.fields, Attr::Known(false)), private))
    }
}
