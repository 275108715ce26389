//! How baselines read Rhombus's settings: `rhombus_mfa_settings` (data source or resource), one
//! scope per organization (`org/<uuid>`). Rhombus has an organization-wide MFA switch and a
//! trusted-device period, nothing else a baseline measures
//! (https://apidocs.rhombussystems.com, `updateMFASettings`).

use crate::plugin::value::Value;
use crate::vendors::common::baseline::object::{AttrAny, flag, number, text};
use crate::vendors::common::baseline::{ByScope, ForeignObject, Judged, Measure, Reading, Readings};

pub struct RhombusBaseline;

impl Judged for RhombusBaseline {
    fn provider_type(&self) -> &'static str {
        "rhombus"
    }
    fn vendor(&self) -> &'static str {
        "Rhombus"
    }
    fn cannot_enforce(&self, measure: Measure) -> Option<&'static str> {
        match measure {
            Measure::PhishingResistantOffered | Measure::PhishingResistantOnly => {
                Some("chooses the second factor itself and offers no phishing-resistant one")
            }
            Measure::MaxFailedAttempts | Measure::LockoutMinutes => Some("has no lock-out setting per organization"),
            Measure::ReauthenticationHours | Measure::IdleMinutes => Some("has no session setting per organization"),
            Measure::MfaRequired | Measure::MfaNotBypassable => None,
        }
    }
    fn readings(&self, objects: &[Value]) -> Result<Vec<(String, Readings)>, ForeignObject> {
        let mut seen: ByScope<Readings> = ByScope::default();
        for (index, o) in objects.iter().enumerate() {
            if !o.has("mfa_enabled") {
                return Err(ForeignObject {
                    index,
                    text: "is not a rhombus_mfa_settings data source or resource".into(),
                });
            }
            let org = text(o.attr_any("org_uuid")).or_else(|| text(o.attr_any("id"))).unwrap_or_default();
            let r = seen.at(format!("org/{org}"));
            let on = flag(o.attr_any("mfa_enabled")) == Some(true);
            r.insert(Measure::MfaRequired, Reading::flag(on, format!("mfa_enabled = {on}")));
            // A negative period: a trusted device never asks again, for good.
            let days = number(o.attr_any("trusted_device_skip_days")).unwrap_or(0.0);
            let bypass = match (on, days < 0.0) {
                (false, _) => Reading::flag(false, "mfa_enabled = false"),
                (true, true) => Reading::flag(
                    false,
                    format!("trusted_device_skip_days = {days}: a trusted device never asks again"),
                ),
                (true, false) => Reading::flag(true, format!("mfa_enabled = true, trusted_device_skip_days = {days}")),
            };
            r.insert(Measure::MfaNotBypassable, bypass);
        }
        Ok(seen.into_vec())
    }
}
