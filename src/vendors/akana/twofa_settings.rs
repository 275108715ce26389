//! `akana_twofa_settings`: a business's two-factor settings on the Akana API Platform, a settings
//! object on the shared lifecycle ([`crate::vendors::common::settings`]).
//!
//! The platform notes that a change "might take up to five minutes to take effect". That is about
//! the change's effect on logins, not about what `GET .../twofasettings` returns, and nothing shows
//! that the read lags: the state is always what the platform answers, so a console change (someone
//! undoing an apply) is drift in the very next plan.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::business::{self, Identity};
use super::client::{AkanaClient, TwoFa, TwoFaObject, overlay};
use super::listing;
use crate::plugin::diag::{AttrPath, Diagnostics, Reported};
use crate::plugin::list::{ListSink, NoConfig};
use crate::plugin::resource::Ctx;
use crate::plugin::schema::{Attribute, IdentitySchema, Schema, Validator};
use crate::plugin::typed::Attr;
use crate::plugin::value::Type;
use crate::vendors::common::restore::Names;
use crate::vendors::common::settings::{Applied, NoPin, Settings, SettingsResource};

pub const TYPE_NAME: &str = "akana_twofa_settings";

const NAMES: Names = Names { what: "Akana 2FA settings", resource: TYPE_NAME, owner: "business" };

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

/// The values a state holds (the plan's known ones); a field unset or unknown has none.
fn known(s: &State) -> TwoFa {
    TwoFa {
        enabled: s.enabled.known().copied(),
        code_valid_seconds: s.code_valid_seconds.known().copied(),
        max_attempts: s.max_attempts.known().copied(),
        recurrence_mode: s.recurrence_mode.known().cloned(),
        recurrence_interval_minutes: s.recurrence_interval_minutes.known().copied(),
        device_cookie_name: s.device_cookie_name.known().cloned(),
    }
}

pub struct TwoFaSettings;

#[async_trait]
impl Settings for TwoFaSettings {
    type Client = AkanaClient;
    type State = State;
    type Values = TwoFa;
    type Remote = TwoFaObject;
    /// The business ID.
    type Key = String;
    type Pin = NoPin;
    type Identity = Identity;
    type ListConfig = NoConfig;

    fn names(&self) -> &'static Names {
        &NAMES
    }

    fn schema(&self) -> Schema {
        let positive = Validator::IntRange(1, i32::MAX as i64);
        Schema::new(
            "Manages the two-factor authentication settings of a business on the Akana API Platform (Community Manager). The \
             settings always exist, so creating this resource adopts them; destroying it leaves them as they are unless \
             `restore_on_destroy` is set.",
            vec![
                Attribute::computed("id", Type::String, "Same as `business_id`."),
                business::attribute(),
                Attribute::required("enabled", Type::Bool, "Whether users of the developer portal must pass two-factor authentication (a one-time code; not phishing-resistant, NIST SP 800-63B-4 §3.2.5)."),
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
    ) -> Option<Option<TwoFaObject>> {
        ctx.client.read(business, &ctx.cancel).await.reported(diags)
    }

    fn recorded(&self, s: &State) -> Option<TwoFa> {
        Some(known(s))
    }

    fn values(&self, o: &TwoFaObject) -> TwoFa {
        o.fields.clone()
    }

    fn state(&self, business: &String, o: &TwoFaObject, reference: &State) -> State {
        let f = &o.fields;
        State {
            id: Attr::Known(business.clone()),
            business_id: Attr::Known(business.clone()),
            enabled: f.enabled.into(),
            code_valid_seconds: f.code_valid_seconds.into(),
            max_attempts: f.max_attempts.into(),
            recurrence_mode: f.recurrence_mode.clone().into(),
            recurrence_interval_minutes: f.recurrence_interval_minutes.into(),
            device_cookie_name: f.device_cookie_name.clone().into(),
            restore_on_destroy: reference.restore_on_destroy.clone(),
        }
    }

    /// Read-modify-write from the platform's object, so fields it does not manage are kept.
    async fn apply(
        &self,
        ctx: &Ctx<AkanaClient>,
        business: &String,
        _: Option<&State>,
        planned: &State,
        diags: &mut Diagnostics,
    ) -> Applied<TwoFa, TwoFaObject> {
        let Some(read) = self.read(ctx, business, diags).await else { return Applied::Failed };
        let Some(current) = read else {
            business::not_found(diags, business);
            return Applied::Failed;
        };
        let want = overlay(&current.fields, &known(planned));
        if want != current.fields
            && let Err(e) = ctx.client.write(business, &current.with(&want), &ctx.cancel).await
        {
            return Applied::failed(&e, current, diags);
        }
        let before = current.fields.clone();
        Applied::Done { before, now: TwoFaObject { fields: want, raw: current.raw } }
    }

    async fn restore(
        &self,
        ctx: &Ctx<AkanaClient>,
        business: &String,
        adopted: &TwoFa,
        _: &State,
        diags: &mut Diagnostics,
    ) -> bool {
        let Some(read) = self.read(ctx, business, diags).await else { return false };
        let Some(current) = read else { return true };
        current.fields == *adopted
            || ctx.client.write(business, &current.with(adopted), &ctx.cancel).await.reported(diags).is_some()
    }

    fn weakens(&self, then: &TwoFa, now: &State) -> Vec<String> {
        let mut out = Vec::new();
        if then.enabled == Some(false) && now.enabled.known() == Some(&true) {
            out.push("2FA is switched off (enabled = false)".to_string());
        }
        for (name, t, n) in [
            ("max_attempts", then.max_attempts, &now.max_attempts),
            ("code_valid_seconds", then.code_valid_seconds, &now.code_valid_seconds),
        ] {
            if let (Some(t), Some(n)) = (t, n.known())
                && t > *n
            {
                out.push(format!("{name} goes up from {n} to {t}"));
            }
        }
        out
    }

    fn missing(&self, business: &String, diags: &mut Diagnostics) {
        business::not_found(diags, business);
    }

    fn remote_object(&self, planned: &State) -> Option<String> {
        planned.business_id.known().map(|b| format!("the 2FA settings of Akana business {b}"))
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

    fn list_schema(&self) -> Schema {
        Schema::new("Lists the 2FA settings of every business the administrator can see.", vec![])
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
        "The two-factor authentication settings of a business on the Akana API Platform, read-only. Values the platform \
         leaves unset are null."
    }
}
