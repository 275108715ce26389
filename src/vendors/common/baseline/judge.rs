//! Findings: each control of a baseline judged against what one scope holds.

use std::collections::BTreeMap;

use super::catalog::{Baseline, Control};
use super::{Bound, Held, Reading, Readings};
use crate::plugin::value::{Type, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Met,
    Gap,
    /// Nothing says, or the vendor has no such setting: never a pass.
    Unknown,
    /// An active exception covers it.
    Excepted,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Met => "met",
            Status::Gap => "gap",
            Status::Unknown => "unknown",
            Status::Excepted => "excepted",
        }
    }
}

/// One control judged at one scope: what `baseline_report` returns, element by element.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub baseline: String,
    pub control: String,
    pub reference: String,
    pub level: String,
    pub requirement: String,
    pub actual: String,
    pub status: String,
    pub scope: String,
}

const FIELDS: [&str; 8] = ["baseline", "control", "reference", "level", "requirement", "actual", "status", "scope"];

/// The object type of a finding (every field a string).
pub fn finding_type() -> Type {
    Type::Object(FIELDS.iter().map(|f| (f.to_string(), Type::String)).collect())
}

impl Finding {
    fn fields(&self) -> [&String; 8] {
        [
            &self.baseline,
            &self.control,
            &self.reference,
            &self.level,
            &self.requirement,
            &self.actual,
            &self.status,
            &self.scope,
        ]
    }

    pub fn to_value(&self) -> Value {
        let m = FIELDS.iter().zip(self.fields()).map(|(k, v)| (k.to_string(), Value::String(v.clone())));
        Value::Object(m.collect::<BTreeMap<_, _>>())
    }

    /// A finding as `baseline_report` returned it; the missing field, when one is.
    pub fn from_value(v: &Value) -> Result<Finding, &'static str> {
        let get = |f: &'static str| match v.attr(f) {
            Value::String(s) => Ok(s.clone()),
            _ => Err(f),
        };
        Ok(Finding {
            baseline: get("baseline")?,
            control: get("control")?,
            reference: get("reference")?,
            level: get("level")?,
            requirement: get("requirement")?,
            actual: get("actual")?,
            status: get("status")?,
            scope: get("scope")?,
        })
    }
}

fn describe_limit(c: &Control) -> String {
    c.limit.map_or_else(String::new, |l| format!("{l}"))
}

/// The status of `control` given what the scope holds.
pub fn judge(control: &Control, reading: Option<&Reading>) -> (Status, String) {
    let Some(r) = reading else {
        return (Status::Unknown, "nothing in the settings says".into());
    };
    let status = match (control.measure.bound(), &r.held, control.limit) {
        (_, Held::Unknown, _) => Status::Unknown,
        (None, Held::Yes, _) => Status::Met,
        (None, Held::No, _) => Status::Gap,
        (Some(Bound::AtMost), Held::Limit(n), Some(l)) if *n <= l => Status::Met,
        (Some(Bound::AtMost), Held::Limit(_) | Held::Unlimited, _) => Status::Gap,
        (Some(Bound::AtLeast), Held::Limit(n), Some(l)) if *n >= l => Status::Met,
        (Some(Bound::AtLeast), Held::Limit(_), _) => Status::Gap,
        // Locked until someone confirms the identity: the longest lock-out there is.
        (Some(Bound::AtLeast), Held::UntilAdmin | Held::Unlimited, _) => Status::Met,
        _ => Status::Unknown,
    };
    (status, r.actual.clone())
}

/// Every control of `baseline` judged at `scope`.
pub fn findings(baseline: &Baseline, scope: &str, readings: &Readings) -> Vec<Finding> {
    baseline
        .controls
        .iter()
        .map(|c| {
            let (status, actual) = judge(c, readings.get(&c.measure));
            finding(baseline, c, scope, status, actual)
        })
        .collect()
}

pub fn finding(baseline: &Baseline, c: &Control, scope: &str, status: Status, actual: String) -> Finding {
    let bound = match (c.measure.bound(), describe_limit(c)) {
        (Some(Bound::AtMost), l) => format!(" (at most {l})"),
        (Some(Bound::AtLeast), l) => format!(" (at least {l})"),
        (None, _) => String::new(),
    };
    Finding {
        baseline: baseline.name.clone(),
        control: c.id.clone(),
        reference: c.reference.clone(),
        level: c.level.name().into(),
        requirement: format!("{}{bound}.", c.requirement.trim_end_matches('.')),
        actual,
        status: status.name().into(),
        scope: scope.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::Measure;
    use super::super::catalog::named;
    use super::*;

    fn at(measure: Measure, held: Held) -> Readings {
        Readings::from([(measure, Reading::new(held, "as read"))])
    }

    fn status(baseline: &str, control: &str, readings: &Readings) -> String {
        let b = named(baseline).expect("named");
        findings(&b, "s", readings).into_iter().find(|f| f.control == control).expect("control").status
    }

    #[test]
    fn pci_attempts_10_is_met_11_is_a_gap() {
        let r = |n| at(Measure::MaxFailedAttempts, Held::Limit(n));
        assert_eq!(status("pci-dss-4.0.1", "8.3.4.a", &r(10.0)), "met");
        assert_eq!(status("pci-dss-4.0.1", "8.3.4.a", &r(11.0)), "gap");
        assert_eq!(status("pci-dss-4.0.1", "8.3.4.a", &at(Measure::MaxFailedAttempts, Held::Unlimited)), "gap");
        assert_eq!(status("nist-800-63b-4-aal2", "3.2.2", &r(100.0)), "met");
        assert_eq!(status("nist-800-63b-4-aal2", "3.2.2", &r(101.0)), "gap");
    }

    #[test]
    fn pci_lockout_30_minutes_is_met_29_is_a_gap_and_until_an_administrator_is_met() {
        let r = |n| at(Measure::LockoutMinutes, Held::Limit(n));
        assert_eq!(status("pci-dss-4.0.1", "8.3.4.b", &r(30.0)), "met");
        assert_eq!(status("pci-dss-4.0.1", "8.3.4.b", &r(29.0)), "gap");
        assert_eq!(status("pci-dss-4.0.1", "8.3.4.b", &at(Measure::LockoutMinutes, Held::UntilAdmin)), "met");
    }

    #[test]
    fn idle_15_minutes_is_met_16_is_a_gap() {
        let r = |n| at(Measure::IdleMinutes, Held::Limit(n));
        assert_eq!(status("pci-dss-4.0.1", "8.2.8", &r(15.0)), "met");
        assert_eq!(status("pci-dss-4.0.1", "8.2.8", &r(16.0)), "gap");
        assert_eq!(status("nist-800-63b-4-aal3", "2.3.3-idle", &r(16.0)), "gap");
        assert_eq!(status("nist-800-63b-4-aal2", "2.2.3-idle", &r(16.0)), "met");
        assert_eq!(
            status("nist-800-63b-4-aal3", "2.3.3-session", &at(Measure::ReauthenticationHours, Held::Limit(13.0))),
            "gap"
        );
    }

    #[test]
    fn nothing_said_or_no_such_setting_is_unknown_never_met() {
        assert_eq!(status("pci-dss-4.0.1", "8.2.8", &Readings::new()), "unknown");
        assert_eq!(status("pci-dss-4.0.1", "8.4.2", &at(Measure::MfaRequired, Held::Unknown)), "unknown");
        assert_eq!(status("nist-800-63b-4-aal3", "2.3.2", &at(Measure::PhishingResistantOnly, Held::No)), "gap");
    }
}
