//! The vendor-neutral policy object the policy modules take, read as a baseline measures it,
//! the way one vendor would enforce it: what the vendor cannot express is unknown, with why.
//!
//! Exceptions (`{ scope, until, reason }`) exempt a scope from `require_mfa` while the policy's
//! `as_of` date (the caller's `plantimestamp()`: a function has no clock of its own) is before
//! `until`. PCI DSS 8.5.1 accepts only documented exceptions limited in time: one without a
//! reason, or running more than a year past `as_of`, is a gap.

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime};

use super::catalog::Baseline;
use super::judge::{self, Finding, Status};
use super::object::{self, AttrAny, text};
use super::{Held, Judged, Measure, Reading, Readings};
use crate::plugin::value::Value;

/// Every attribute of the policy object (`modules/policy/*/variables.tf`), `as_of`, and the
/// module's `unsupported` map (attribute to why the vendor cannot express what it says).
pub const ATTRIBUTES: [&str; 13] = [
    "require_mfa",
    "trusted_device_days",
    "max_failed_code_attempts",
    "passkeys",
    "second_factors",
    "phishing_resistant",
    "max_failed_login_attempts",
    "lockout_minutes",
    "session_idle_minutes",
    "session_max_hours",
    "exceptions",
    "as_of",
    "unsupported",
];

/// The measures a policy attribute speaks to.
fn measures_of(attribute: &str) -> &'static [Measure] {
    match attribute {
        "require_mfa" => &[Measure::MfaRequired, Measure::MfaNotBypassable],
        "phishing_resistant" => &[Measure::PhishingResistantOnly, Measure::PhishingResistantOffered],
        "passkeys" => &[Measure::PhishingResistantOffered],
        "second_factors" => &[Measure::PhishingResistantOnly, Measure::PhishingResistantOffered],
        "max_failed_login_attempts" | "max_failed_code_attempts" => &[Measure::MaxFailedAttempts],
        "lockout_minutes" => &[Measure::LockoutMinutes],
        "session_idle_minutes" => &[Measure::IdleMinutes],
        "session_max_hours" => &[Measure::ReauthenticationHours],
        _ => &[],
    }
}

/// The longest exception PCI DSS 8.5.1 reads as "limited in time" here: a year.
const MAX_EXCEPTION_DAYS: i64 = 366;

#[derive(Debug, Clone, PartialEq)]
pub struct Exception {
    pub scope: String,
    pub until: Date,
    pub reason: String,
}

/// Whether `v` is a policy object rather than a vendor's objects: an object whose attributes are
/// all the policy's (an empty object is a policy that sets nothing).
pub fn is_policy(v: &Value) -> bool {
    match v {
        Value::Dynamic(_, inner) => is_policy(inner),
        Value::Object(m) | Value::Map(m) => m.keys().all(|k| ATTRIBUTES.contains(&k.as_str())),
        _ => false,
    }
}

fn flag(p: &Value, name: &str) -> Option<bool> {
    object::flag(p.attr_any(name))
}

fn number(p: &Value, name: &str) -> Option<f64> {
    object::number(p.attr_any(name))
}

fn factors(p: &Value) -> Option<Vec<String>> {
    object::strings(p.attr_any("second_factors"))
}

/// A date as `YYYY-MM-DD`, or an RFC 3339 timestamp (`plantimestamp()`) for its UTC date.
pub fn date(s: &str) -> Option<Date> {
    Date::parse(s, format_description!("[year]-[month]-[day]"))
        .ok()
        .or_else(|| OffsetDateTime::parse(s, &Rfc3339).ok().map(|t| t.to_offset(time::UtcOffset::UTC).date()))
}

fn exceptions(p: &Value) -> Result<Vec<Exception>, String> {
    let items = match p.attr_any("exceptions") {
        Value::Null => return Ok(Vec::new()),
        Value::List(v) | Value::Tuple(v) | Value::Set(v) => v,
        _ => return Err("exceptions is a list of { scope, until, reason } objects".into()),
    };
    items
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let scope = text(e.attr_any("scope")).filter(|s| !s.is_empty());
            let until = text(e.attr_any("until"));
            let scope = scope.ok_or_else(|| format!("exceptions[{i}].scope names what is exempt (a string)"))?;
            let until = until
                .as_deref()
                .and_then(date)
                .ok_or_else(|| format!("exceptions[{i}].until is a date, YYYY-MM-DD"))?;
            Ok(Exception { scope, until, reason: text(e.attr_any("reason")).unwrap_or_default() })
        })
        .collect()
}

/// The policy's readings, before what the vendor can express is taken into account.
fn stated(p: &Value, exceptions: &[Exception], as_of: Option<Date>) -> Readings {
    let mut r = Readings::new();
    let require = flag(p, "require_mfa");
    if let Some(b) = require {
        r.insert(Measure::MfaRequired, Reading::flag(b, format!("require_mfa = {b}")));
    }
    let sf = factors(p);
    let only_keys = sf.as_ref().map(|f| !f.is_empty() && f.iter().all(|x| x == "security_key"));
    match (flag(p, "phishing_resistant"), only_keys) {
        (Some(b), _) => r.insert(Measure::PhishingResistantOnly, Reading::flag(b, format!("phishing_resistant = {b}"))),
        (None, Some(b)) => {
            r.insert(Measure::PhishingResistantOnly, Reading::flag(b, format!("second_factors = {sf:?}")))
        }
        _ => None,
    };
    let offered = flag(p, "phishing_resistant") == Some(true)
        || flag(p, "passkeys") == Some(true)
        || sf.as_ref().is_some_and(|f| f.iter().any(|x| x == "security_key"));
    if offered {
        r.insert(Measure::PhishingResistantOffered, Reading::flag(true, "passkeys or security keys allowed"));
    } else if flag(p, "passkeys") == Some(false) && sf.is_some() {
        r.insert(Measure::PhishingResistantOffered, Reading::flag(false, "no passkeys, no security keys"));
    }
    if let Some(reading) = attempts(p) {
        r.insert(Measure::MaxFailedAttempts, reading);
    }
    if let Some(m) = number(p, "lockout_minutes") {
        let (held, words) = match m {
            0.0 => (Held::UntilAdmin, "lockout_minutes = 0: until an administrator unlocks".to_string()),
            m => (Held::Limit(m), format!("lockout_minutes = {m}")),
        };
        r.insert(Measure::LockoutMinutes, Reading::new(held, words));
    }
    if let Some(h) = number(p, "session_max_hours") {
        r.insert(Measure::ReauthenticationHours, Reading::new(Held::Limit(h), format!("session_max_hours = {h}")));
    }
    if let Some(m) = number(p, "session_idle_minutes") {
        r.insert(Measure::IdleMinutes, Reading::new(Held::Limit(m), format!("session_idle_minutes = {m}")));
    }
    if let Some(reading) = bypass(require, exceptions, as_of) {
        r.insert(Measure::MfaNotBypassable, reading);
    }
    r
}

/// The most failed attempts the policy allows, logins or codes; 0 never locks.
fn attempts(p: &Value) -> Option<Reading> {
    let set: Vec<(&str, f64)> = ["max_failed_login_attempts", "max_failed_code_attempts"]
        .into_iter()
        .filter_map(|n| number(p, n).map(|v| (n, v)))
        .collect();
    let words = set.iter().map(|(n, v)| format!("{n} = {v}")).collect::<Vec<_>>().join(", ");
    if set.is_empty() {
        return None;
    }
    if set.iter().any(|(_, v)| *v == 0.0) {
        return Some(Reading::new(Held::Unlimited, format!("{words} (0 never locks)")));
    }
    Some(Reading::new(Held::Limit(set.iter().map(|(_, v)| *v).fold(0.0, f64::max)), words))
}

/// MFA required, and every exception documented and limited in time.
fn bypass(require: Option<bool>, exceptions: &[Exception], as_of: Option<Date>) -> Option<Reading> {
    match require? {
        false => Some(Reading::flag(false, "require_mfa = false")),
        true => {
            let horizon = as_of.map(|d| d + time::Duration::days(MAX_EXCEPTION_DAYS));
            let flaw = |e: &Exception| match () {
                _ if e.reason.trim().is_empty() => Some(format!("the exception for {} has no reason", e.scope)),
                _ if horizon.is_some_and(|h| e.until > h) => {
                    Some(format!("the exception for {} runs past a year (until {})", e.scope, e.until))
                }
                _ => None,
            };
            Some(match exceptions.iter().find_map(flaw) {
                Some(why) => Reading::flag(false, why),
                None if exceptions.is_empty() => Reading::flag(true, "require_mfa = true, no exceptions"),
                None => Reading::flag(
                    true,
                    format!("require_mfa = true; exceptions ({}) documented and limited in time", exceptions.len()),
                ),
            })
        }
    }
}

/// Readings of a policy as `vendor` would enforce it, and its exceptions.
pub fn readings(p: &Value, vendor: &dyn Judged) -> Result<(Readings, Vec<Exception>, Option<Date>), String> {
    let exceptions = exceptions(p)?;
    let as_of = match text(p.attr_any("as_of")) {
        Some(s) => Some(date(&s).ok_or("as_of is a date, YYYY-MM-DD, or a timestamp such as plantimestamp()")?),
        None if !exceptions.is_empty() => {
            return Err("exceptions are judged at a date: add as_of = plantimestamp() to the policy object".into());
        }
        None => None,
    };
    let mut r = stated(p, &exceptions, as_of);
    // What the policy module found the vendor cannot express, value by value.
    if let Value::Object(m) | Value::Map(m) = p.attr_any("unsupported") {
        for (attribute, why) in m {
            let why = text(why).unwrap_or_default();
            for measure in measures_of(attribute) {
                let words = format!("{} cannot enforce {attribute}: {why}", vendor.vendor());
                r.insert(*measure, Reading::unknown(words.trim_end_matches('.')));
            }
        }
    }
    for m in Measure::ALL {
        if r.get(&m).is_some_and(|x| x.held == Held::Unknown) {
            continue;
        }
        if let Some(why) = vendor.cannot_enforce(m) {
            let was = r.get(&m).map(|x| format!(" (the policy says {})", x.actual)).unwrap_or_default();
            r.insert(m, Reading::unknown(format!("not enforceable: {} {why}{was}", vendor.vendor())));
        }
    }
    Ok((r, exceptions, as_of))
}

/// The report of a policy: every control at the policy's scope, then, for each exception in
/// force, the MFA controls it exempts.
pub fn report(baseline: &Baseline, p: &Value, vendor: &dyn Judged) -> Result<Vec<Finding>, String> {
    let (readings, exceptions, as_of) = readings(p, vendor)?;
    let scope = format!("{}:policy", vendor.provider_type());
    let mut out = judge::findings(baseline, &scope, &readings);
    for e in exceptions.iter().filter(|e| as_of.is_some_and(|d| d < e.until)) {
        for c in baseline.controls.iter().filter(|c| c.measure == Measure::MfaRequired) {
            let actual = format!("exempt until {}: {}", e.until, e.reason);
            out.push(judge::finding(baseline, c, &format!("{scope}/{}", e.scope), Status::Excepted, actual));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::super::ForeignObject;
    use super::super::catalog::named;
    use super::*;
    use crate::plugin::value::Number;

    struct Everything;
    impl Judged for Everything {
        fn provider_type(&self) -> &'static str {
            "test"
        }
        fn vendor(&self) -> &'static str {
            "Test"
        }
        fn cannot_enforce(&self, m: Measure) -> Option<&'static str> {
            (m == Measure::IdleMinutes).then_some("no idle timeout")
        }
        fn readings(&self, _: &[Value]) -> Result<Vec<(String, Readings)>, ForeignObject> {
            Ok(vec![])
        }
    }

    fn policy(until: &str, as_of: &str) -> Value {
        let s = |v: &str| Value::String(v.into());
        let exception = Value::Object(BTreeMap::from([
            ("scope".into(), s("org-7")),
            ("until".into(), s(until)),
            ("reason".into(), s("migration")),
        ]));
        Value::Object(BTreeMap::from([
            ("require_mfa".into(), Value::Bool(true)),
            ("max_failed_login_attempts".into(), Value::Number(Number::Int(10))),
            ("session_idle_minutes".into(), Value::Number(Number::Int(15))),
            ("exceptions".into(), Value::Tuple(vec![exception])),
            ("as_of".into(), s(as_of)),
        ]))
    }

    fn statuses(p: &Value) -> Vec<(String, String, String)> {
        let b = named("pci-dss-4.0.1").expect("named");
        report(&b, p, &Everything).expect("report").into_iter().map(|f| (f.control, f.scope, f.status)).collect()
    }

    #[test]
    fn an_exception_exempts_its_scope_the_day_before_until_and_not_from_that_day() {
        let before = statuses(&policy("2027-03-01", "2027-02-28T23:00:00Z"));
        assert!(before.contains(&("8.4.2".into(), "test:policy/org-7".into(), "excepted".into())), "{before:?}");
        assert!(before.contains(&("8.5.1".into(), "test:policy".into(), "met".into())), "{before:?}");
        for as_of in ["2027-03-01", "2027-03-02"] {
            let after = statuses(&policy("2027-03-01", as_of));
            assert!(!after.iter().any(|(_, _, s)| s == "excepted"), "{as_of}: {after:?}");
        }
    }

    #[test]
    fn what_the_vendor_cannot_enforce_is_unknown_and_says_why() {
        let b = named("pci-dss-4.0.1").expect("named");
        let f = report(&b, &policy("2027-03-01", "2027-01-01"), &Everything).expect("report");
        let idle = f.iter().find(|f| f.control == "8.2.8").expect("8.2.8");
        assert_eq!(idle.status, "unknown");
        assert!(
            idle.actual.contains("not enforceable: Test no idle timeout") && idle.actual.contains("15"),
            "{idle:?}"
        );
    }

    #[test]
    fn an_exception_past_a_year_or_without_a_reason_is_a_gap_of_8_5_1() {
        let far = statuses(&policy("2028-06-01", "2027-01-01"));
        assert!(far.contains(&("8.5.1".into(), "test:policy".into(), "gap".into())), "{far:?}");
        let mut p = policy("2027-03-01", "2027-01-01");
        if let Value::Object(m) = &mut p {
            m.remove("as_of");
        }
        let e = report(&named("pci-dss-4.0.1").expect("named"), &p, &Everything).unwrap_err();
        assert!(e.contains("as_of = plantimestamp()"), "{e}");
    }
}
