//! How baselines read DocSpace's settings: `onlyoffice_tfa_settings` and
//! `onlyoffice_login_settings` (data sources or resources), one scope per portal
//! (`portal/<host>`). TFA is an authenticator app or SMS codes for the whole portal, and
//! `trusted_ips` skip it (`TfaappController.cs`, ONLYOFFICE/DocSpace-server); a blocked login
//! stays blocked `block_time_seconds` (`LoginSettings.cs`).

use crate::plugin::value::Value;
use crate::vendors::common::baseline::object::{AttrAny, number, strings, text};
use crate::vendors::common::baseline::{ByScope, ForeignObject, Held, Judged, Measure, Reading, Readings};

pub struct OnlyofficeBaseline;

impl Judged for OnlyofficeBaseline {
    fn provider_type(&self) -> &'static str {
        "onlyoffice"
    }
    fn vendor(&self) -> &'static str {
        "DocSpace"
    }
    fn cannot_enforce(&self, measure: Measure) -> Option<&'static str> {
        match measure {
            Measure::PhishingResistantOffered | Measure::PhishingResistantOnly => {
                Some("offers an authenticator app or SMS codes for TFA, neither phishing-resistant")
            }
            Measure::ReauthenticationHours | Measure::IdleMinutes => {
                Some("keeps its session lifetime in a setting this provider does not manage")
            }
            _ => None,
        }
    }
    fn readings(&self, objects: &[Value]) -> Result<Vec<(String, Readings)>, ForeignObject> {
        let mut seen: ByScope<Readings> = ByScope::default();
        for (index, o) in objects.iter().enumerate() {
            let portal = text(o.attr_any("id")).unwrap_or_default();
            let r = seen.at(format!("portal/{portal}"));
            if o.has("trusted_ips") {
                tfa_readings(o, r);
            } else if o.has("attempt_count") {
                login_readings(o, r);
            } else {
                let text =
                    "is not an onlyoffice_tfa_settings or onlyoffice_login_settings data source or resource".into();
                return Err(ForeignObject { index, text });
            }
        }
        Ok(seen.into_vec())
    }
}

fn tfa_readings(o: &Value, r: &mut Readings) {
    let ty = text(o.attr_any("type")).unwrap_or_else(|| "none".into());
    let on = ty != "none";
    r.insert(Measure::MfaRequired, Reading::flag(on, format!("type = {ty:?}")));
    let trusted = strings(o.attr_any("trusted_ips")).unwrap_or_default();
    let bypass = match (on, trusted.is_empty()) {
        (false, _) => Reading::flag(false, format!("type = {ty:?}")),
        (true, false) => Reading::flag(false, format!("trusted_ips skip the second factor: {}", trusted.join(", "))),
        (true, true) => Reading::flag(true, format!("type = {ty:?}, no trusted_ips")),
    };
    r.insert(Measure::MfaNotBypassable, bypass);
}

fn login_readings(o: &Value, r: &mut Readings) {
    let period = number(o.attr_any("check_period_seconds")).unwrap_or(60.0);
    if let Some(n) = number(o.attr_any("attempt_count")) {
        let words = format!("attempt_count = {n} per {period} s from one address");
        r.insert(Measure::MaxFailedAttempts, Reading::new(Held::Limit(n), words));
    }
    if let Some(s) = number(o.attr_any("block_time_seconds")) {
        let words = format!("block_time_seconds = {s} ({} min)", s / 60.0);
        r.insert(Measure::LockoutMinutes, Reading::new(Held::Limit(s / 60.0), words));
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::plugin::value::Number;
    use crate::vendors::common::baseline::catalog::named;
    use crate::vendors::common::baseline::judge::findings;

    fn status(o: Value, control: &str) -> String {
        let scopes = OnlyofficeBaseline.readings(&[o]).expect("readings");
        let f = findings(&named("pci-dss-4.0.1").expect("named"), &scopes[0].0, &scopes[0].1);
        f.into_iter().find(|f| f.control == control).expect("control").status
    }

    fn login(attempts: i64, block_seconds: i64) -> Value {
        let n = |v| Value::Number(Number::Int(v));
        Value::Object(BTreeMap::from([
            ("id".into(), Value::String("portal.example".into())),
            ("attempt_count".into(), n(attempts)),
            ("block_time_seconds".into(), n(block_seconds)),
            ("check_period_seconds".into(), n(60)),
        ]))
    }

    #[test]
    fn docspace_blocks_in_seconds_1800_meets_thirty_minutes_1799_does_not() {
        assert_eq!(status(login(5, 1800), "8.3.4.b"), "met");
        assert_eq!(status(login(5, 1799), "8.3.4.b"), "gap");
        assert_eq!(status(login(11, 1800), "8.3.4.a"), "gap");
    }

    #[test]
    fn trusted_ips_bypass_the_second_factor() {
        let tfa = |ips: Vec<Value>| {
            Value::Object(BTreeMap::from([
                ("id".into(), Value::String("portal.example".into())),
                ("type".into(), Value::String("app".into())),
                ("trusted_ips".into(), Value::Set(ips)),
            ]))
        };
        assert_eq!(status(tfa(vec![]), "8.5.1"), "met");
        assert_eq!(status(tfa(vec![Value::String("10.0.0.0/8".into())]), "8.5.1"), "gap");
    }
}
