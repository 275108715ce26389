//! How baselines read Akana's settings: `akana_twofa_settings` and `akana_login_settings` (data
//! sources or resources), one scope per business (`business/<id>`). Minutes are the platform's
//! (`SuspensionMinutes`, `ActiveSessionTimeout`, `InactiveSessionTimeout`); `0` turns a limit
//! off (https://help.akana.com/content/current/cm/api/obj/o_businesses_LoginPolicy.htm).

use crate::plugin::value::Value;
use crate::vendors::common::baseline::object::{AttrAny, flag, number, text};
use crate::vendors::common::baseline::{ByScope, ForeignObject, Held, Judged, Measure, Reading, Readings};

pub struct AkanaBaseline;

impl Judged for AkanaBaseline {
    fn provider_type(&self) -> &'static str {
        "akana"
    }
    fn vendor(&self) -> &'static str {
        "Akana"
    }
    fn cannot_enforce(&self, measure: Measure) -> Option<&'static str> {
        matches!(measure, Measure::PhishingResistantOffered | Measure::PhishingResistantOnly)
            .then_some("sends one-time codes for 2FA, which are not phishing-resistant, and offers nothing else")
    }
    fn readings(&self, objects: &[Value]) -> Result<Vec<(String, Readings)>, ForeignObject> {
        let mut seen: ByScope<Readings> = ByScope::default();
        for (index, o) in objects.iter().enumerate() {
            let business = text(o.attr_any("business_id")).unwrap_or_default();
            let r = seen.at(format!("business/{business}"));
            if o.has("recurrence_mode") {
                let on = flag(o.attr_any("enabled")) == Some(true);
                r.insert(Measure::MfaRequired, Reading::flag(on, format!("enabled = {on}")));
                r.insert(Measure::MfaNotBypassable, Reading::flag(on, format!("enabled = {on}")));
            } else if o.has("suspension_minutes") {
                login_readings(o, r);
            } else {
                let text = "is not an akana_twofa_settings or akana_login_settings data source or resource".into();
                return Err(ForeignObject { index, text });
            }
        }
        Ok(seen.into_vec())
    }
}

/// A number (of attempts, or of minutes counted in `unit`s); `0` turns the limit off.
fn minutes(o: &Value, name: &str, unit: f64) -> Option<Reading> {
    let m = number(o.attr_any(name))?;
    Some(if m == 0.0 {
        Reading::new(Held::Unlimited, format!("{name} = 0: the limit is off"))
    } else {
        Reading::new(Held::Limit(m / unit), format!("{name} = {m}"))
    })
}

fn login_readings(o: &Value, r: &mut Readings) {
    if let Some(reading) = minutes(o, "max_failed_attempts", 1.0) {
        r.insert(Measure::MaxFailedAttempts, reading);
    }
    if let Some(m) = number(o.attr_any("suspension_minutes")) {
        r.insert(Measure::LockoutMinutes, Reading::new(Held::Limit(m), format!("suspension_minutes = {m}")));
    }
    if let Some(reading) = minutes(o, "active_session_timeout_minutes", 60.0) {
        r.insert(Measure::ReauthenticationHours, reading);
    }
    if let Some(reading) = minutes(o, "inactive_session_timeout_minutes", 1.0) {
        r.insert(Measure::IdleMinutes, reading);
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::plugin::value::Number;
    use crate::vendors::common::baseline::catalog::named;
    use crate::vendors::common::baseline::judge::findings;

    fn login(idle: i64, active: i64) -> Value {
        let n = |v| Value::Number(Number::Int(v));
        Value::Object(BTreeMap::from([
            ("business_id".into(), Value::String("tenantbusiness.acme".into())),
            ("max_failed_attempts".into(), n(0)),
            ("suspension_minutes".into(), n(30)),
            ("active_session_timeout_minutes".into(), n(active)),
            ("inactive_session_timeout_minutes".into(), n(idle)),
        ]))
    }

    fn status(baseline: &str, o: Value, control: &str) -> String {
        let scopes = AkanaBaseline.readings(&[o]).expect("readings");
        let f = findings(&named(baseline).expect("named"), &scopes[0].0, &scopes[0].1);
        f.into_iter().find(|f| f.control == control).expect("control").status
    }

    #[test]
    fn akana_session_timeouts_are_minutes_and_zero_is_none() {
        assert_eq!(status("pci-dss-4.0.1", login(15, 720), "8.2.8"), "met");
        assert_eq!(status("pci-dss-4.0.1", login(16, 720), "8.2.8"), "gap");
        assert_eq!(status("pci-dss-4.0.1", login(0, 720), "8.2.8"), "gap");
        assert_eq!(status("nist-800-63b-4-aal3", login(15, 720), "2.3.3-session"), "met");
        assert_eq!(status("nist-800-63b-4-aal3", login(15, 721), "2.3.3-session"), "gap");
        // max_failed_attempts = 0: the limit is off.
        assert_eq!(status("pci-dss-4.0.1", login(15, 720), "8.3.4.a"), "gap");
        assert_eq!(status("pci-dss-4.0.1", login(15, 720), "8.3.4.b"), "met");
    }
}
