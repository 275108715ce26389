//! The named baselines, control by control, and the object shape a custom baseline takes: the
//! same as `provider::<type>::baseline(name)` returns, so a team can start from a named one and
//! change a limit.

use std::collections::BTreeMap;

use super::Measure;
use super::object::{AttrAny, text};
use crate::plugin::value::{Number, Type, Value};

const NIST: &str = "https://pages.nist.gov/800-63-4/sp800-63b.html";
const PCI: &str = "https://docs-prv.pcisecuritystandards.org/PCI%20DSS/Standard/PCI-DSS-v4_0_1.pdf";

/// `shall` gaps fail a module's plan; `should` gaps warn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Shall,
    Should,
}

impl Level {
    pub fn name(self) -> &'static str {
        match self {
            Level::Shall => "shall",
            Level::Should => "should",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Control {
    pub id: String,
    pub reference: String,
    pub requirement: String,
    pub level: Level,
    pub measure: Measure,
    /// The bound of a numeric measure (attempts, minutes, hours); `None` for yes/no ones.
    pub limit: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Baseline {
    pub name: String,
    pub title: String,
    pub url: String,
    pub controls: Vec<Control>,
}

/// The names `baseline(name)` knows.
pub const NAMES: [&str; 3] = ["nist-800-63b-4-aal2", "nist-800-63b-4-aal3", "pci-dss-4.0.1"];

fn control(
    id: &str,
    reference: &str,
    level: Level,
    measure: Measure,
    limit: Option<f64>,
    requirement: &str,
) -> Control {
    Control { id: id.into(), reference: reference.into(), requirement: requirement.into(), level, measure, limit }
}

/// NIST SP 800-63B-4 §3.2.2: rate limiting applies at every AAL.
fn nist_attempts() -> Control {
    control(
        "3.2.2",
        "NIST SP 800-63B-4 §3.2.2",
        Level::Shall,
        Measure::MaxFailedAttempts,
        Some(100.0),
        "At most 100 consecutive failed authentication attempts on one account before it is limited.",
    )
}

fn aal2() -> Baseline {
    use Level::{Shall, Should};
    let controls = vec![
        nist_attempts(),
        control(
            "2.2.1",
            "NIST SP 800-63B-4 §2.2.1",
            Shall,
            Measure::MfaRequired,
            None,
            "Authentication at AAL2 uses two distinct factors: MFA is required for every user.",
        ),
        control(
            "2.2.2",
            "NIST SP 800-63B-4 §2.2.2",
            Shall,
            Measure::PhishingResistantOffered,
            None,
            "Verifiers offer at least one phishing-resistant authentication option (§3.2.5: WebAuthn, FIDO2).",
        ),
        control(
            "2.2.3-session",
            "NIST SP 800-63B-4 §2.2.3",
            Should,
            Measure::ReauthenticationHours,
            Some(24.0),
            "Reauthentication at least once every 24 hours of a session.",
        ),
        control(
            "2.2.3-idle",
            "NIST SP 800-63B-4 §2.2.3",
            Should,
            Measure::IdleMinutes,
            Some(60.0),
            "Reauthentication after at most 1 hour of inactivity.",
        ),
    ];
    Baseline { name: NAMES[0].into(), title: "NIST SP 800-63B-4, AAL2".into(), url: NIST.into(), controls }
}

fn aal3() -> Baseline {
    use Level::{Shall, Should};
    let controls = vec![
        nist_attempts(),
        control(
            "2.3.1",
            "NIST SP 800-63B-4 §2.3.1",
            Shall,
            Measure::MfaRequired,
            None,
            "Authentication at AAL3 uses two distinct factors: MFA is required for every user.",
        ),
        control(
            "2.3.2",
            "NIST SP 800-63B-4 §2.3.2",
            Shall,
            Measure::PhishingResistantOnly,
            None,
            "Only phishing-resistant authenticators (§3.2.5): one-time codes typed in, SMS and e-mail codes are not.",
        ),
        control(
            "2.3.3-session",
            "NIST SP 800-63B-4 §2.3.3",
            Shall,
            Measure::ReauthenticationHours,
            Some(12.0),
            "Reauthentication at least once every 12 hours of a session.",
        ),
        control(
            "2.3.3-idle",
            "NIST SP 800-63B-4 §2.3.3",
            Should,
            Measure::IdleMinutes,
            Some(15.0),
            "Reauthentication after at most 15 minutes of inactivity.",
        ),
    ];
    Baseline { name: NAMES[1].into(), title: "NIST SP 800-63B-4, AAL3".into(), url: NIST.into(), controls }
}

fn pci() -> Baseline {
    use Level::Shall;
    let controls = vec![
        control(
            "8.4.2",
            "PCI DSS v4.0.1 Requirement 8.4.2",
            Shall,
            Measure::MfaRequired,
            None,
            "MFA is implemented for all access into the cardholder data environment.",
        ),
        control(
            "8.3.4.a",
            "PCI DSS v4.0.1 Requirement 8.3.4",
            Shall,
            Measure::MaxFailedAttempts,
            Some(10.0),
            "Invalid authentication attempts lock out the user ID after not more than 10 attempts.",
        ),
        control(
            "8.3.4.b",
            "PCI DSS v4.0.1 Requirement 8.3.4",
            Shall,
            Measure::LockoutMinutes,
            Some(30.0),
            "The lock-out lasts at least 30 minutes or until the user's identity is confirmed.",
        ),
        control(
            "8.2.8",
            "PCI DSS v4.0.1 Requirement 8.2.8",
            Shall,
            Measure::IdleMinutes,
            Some(15.0),
            "A session idle for more than 15 minutes requires the user to authenticate again.",
        ),
        control(
            "8.5.1",
            "PCI DSS v4.0.1 Requirement 8.5.1",
            Shall,
            Measure::MfaNotBypassable,
            None,
            "MFA cannot be bypassed by any user, unless documented and authorized as an exception limited in time.",
        ),
    ];
    Baseline { name: NAMES[2].into(), title: "PCI DSS v4.0.1".into(), url: PCI.into(), controls }
}

/// A named baseline.
pub fn named(name: &str) -> Option<Baseline> {
    match name {
        "nist-800-63b-4-aal2" => Some(aal2()),
        "nist-800-63b-4-aal3" => Some(aal3()),
        "pci-dss-4.0.1" => Some(pci()),
        _ => None,
    }
}

/// The object type of a baseline.
pub fn baseline_type() -> Type {
    let s = || Type::String;
    let control = Type::Object(BTreeMap::from([
        ("id".into(), s()),
        ("reference".into(), s()),
        ("requirement".into(), s()),
        ("level".into(), s()),
        ("measure".into(), s()),
        ("limit".into(), Type::Number),
    ]));
    Type::Object(BTreeMap::from([
        ("name".into(), s()),
        ("title".into(), s()),
        ("url".into(), s()),
        ("controls".into(), Type::List(Box::new(control))),
    ]))
}

fn string(s: &str) -> Value {
    Value::String(s.to_string())
}

impl Baseline {
    pub fn to_value(&self) -> Value {
        let control = |c: &Control| {
            Value::Object(BTreeMap::from([
                ("id".into(), string(&c.id)),
                ("reference".into(), string(&c.reference)),
                ("requirement".into(), string(&c.requirement)),
                ("level".into(), string(c.level.name())),
                ("measure".into(), string(c.measure.name())),
                ("limit".into(), c.limit.map_or(Value::Null, |l| Value::Number(Number::Float(l)))),
            ]))
        };
        Value::Object(BTreeMap::from([
            ("name".into(), string(&self.name)),
            ("title".into(), string(&self.title)),
            ("url".into(), string(&self.url)),
            ("controls".into(), Value::List(self.controls.iter().map(control).collect())),
        ]))
    }

    /// A baseline argument: a name, or an object of [`baseline_type`]'s shape (`title`, `url`,
    /// a control's `reference` and a yes/no control's `limit` may be left out). The error names
    /// the part to fix.
    pub fn from_argument(v: &Value) -> Result<Baseline, String> {
        match v {
            Value::Dynamic(_, inner) => Baseline::from_argument(inner),
            Value::String(name) => named(name).ok_or_else(|| {
                format!("There is no baseline {name:?}. Use one of {}, or a baseline object.", quoted(&NAMES))
            }),
            Value::Object(_) | Value::Map(_) => Baseline::from_object(v),
            _ => Err(format!("A baseline is a name ({}) or an object like baseline() returns.", quoted(&NAMES))),
        }
    }

    fn from_object(v: &Value) -> Result<Baseline, String> {
        let name = text(v.attr_any("name")).ok_or("The baseline object needs a name (a string).")?;
        let controls = match v.attr_any("controls") {
            Value::List(items) | Value::Tuple(items) | Value::Set(items) if !items.is_empty() => items,
            _ => return Err("The baseline object needs controls: a list of controls like baseline() returns.".into()),
        };
        let controls = controls
            .iter()
            .enumerate()
            .map(|(i, c)| parse_control(c).map_err(|e| format!("controls[{i}]: {e}")))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Baseline {
            title: text(v.attr_any("title")).unwrap_or_else(|| name.clone()),
            url: text(v.attr_any("url")).unwrap_or_default(),
            name,
            controls,
        })
    }
}

fn parse_control(c: &Value) -> Result<Control, String> {
    let id = text(c.attr_any("id")).ok_or("a control needs an id (a string)")?;
    let requirement = text(c.attr_any("requirement")).ok_or("a control needs a requirement (a string)")?;
    let level = match text(c.attr_any("level")).as_deref() {
        Some("shall") => Level::Shall,
        Some("should") => Level::Should,
        _ => return Err("level is \"shall\" or \"should\"".into()),
    };
    let names: Vec<&str> = Measure::ALL.iter().map(|m| m.name()).collect();
    let measure = text(c.attr_any("measure"))
        .and_then(|m| Measure::parse(&m))
        .ok_or_else(|| format!("measure is one of {}", quoted(&names)))?;
    let limit = match c.attr_any("limit") {
        Value::Number(n) => Some(n.as_f64()),
        Value::Null => None,
        _ => return Err("limit is a number".into()),
    };
    if measure.bound().is_some() && limit.is_none() {
        return Err(format!("measure {:?} needs a limit (a number)", measure.name()));
    }
    Ok(Control {
        reference: text(c.attr_any("reference")).unwrap_or_else(|| id.clone()),
        id,
        requirement,
        level,
        measure,
        limit,
    })
}

pub(super) fn quoted(names: &[&str]) -> String {
    names.iter().map(|n| format!("{n:?}")).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_named_baseline_survives_the_object_form() {
        for name in NAMES {
            let b = named(name).expect("named");
            let v = b.to_value().conform(&baseline_type()).expect("fits its type");
            assert_eq!(Baseline::from_argument(&v), Ok(b));
        }
    }

    #[test]
    fn a_custom_baseline_names_what_is_wrong() {
        let c = |limit: Value| {
            Value::Object(BTreeMap::from([
                ("id".into(), string("x")),
                ("requirement".into(), string("six tries")),
                ("level".into(), string("shall")),
                ("measure".into(), string("max_failed_attempts")),
                ("limit".into(), limit),
            ]))
        };
        let b = |control: Value| {
            Value::Object(BTreeMap::from([
                ("name".into(), string("ours")),
                ("controls".into(), Value::Tuple(vec![control])),
            ]))
        };
        let ok = Baseline::from_argument(&b(c(Value::Number(Number::Int(6))))).expect("valid");
        assert_eq!((ok.controls[0].limit, ok.title.as_str()), (Some(6.0), "ours"));
        let e = Baseline::from_argument(&b(c(Value::Null))).unwrap_err();
        assert!(e.contains("controls[0]") && e.contains("needs a limit"), "{e}");
        let e = Baseline::from_argument(&string("pci")).unwrap_err();
        assert!(e.contains("\"pci-dss-4.0.1\""), "{e}");
    }
}
