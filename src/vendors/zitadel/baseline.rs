//! How baselines read ZITADEL's settings: `data.zitadel_login_policy`, `data.zitadel_lockout_policy`
//! and the resources `zitadel_login_mfa_settings`, `zitadel_lockout_settings`,
//! `zitadel_login_multifactor` and `zitadel_login_second_factor`, grouped by scope (`instance`,
//! `org/<id>`).
//!
//! - MFA is required for everyone when `force_mfa` is on and `force_mfa_local_only` off: with it
//!   on, users of external identity providers skip it (`forceMfaLocalOnly`,
//!   `internal/domain/policy_login.go`).
//! - Phishing-resistant (§3.2.5, WebAuthn): the security key `SECOND_FACTOR_TYPE_U2F` and the
//!   passkey `MULTI_FACTOR_TYPE_U2F_WITH_VERIFICATION`; one-time codes (OTP, e-mail, SMS) and
//!   recovery codes are not.
//! - A locked user stays locked until an administrator unlocks it (`UnlockUser`;
//!   `internal/command/user_human_password.go` locks when the attempts reach the policy's
//!   maximum), which meets any minimum lock-out duration.
//! - Reauthentication: the longer of the second-factor and passkey check lifetimes.

use super::duration;
use crate::plugin::value::Value;
use crate::vendors::common::baseline::object::{AttrAny, flag, number, strings, text};
use crate::vendors::common::baseline::{ByScope, ForeignObject, Held, Judged, Measure, Reading, Readings};

pub struct ZitadelBaseline;

const PHISHING_RESISTANT: [&str; 2] = ["SECOND_FACTOR_TYPE_U2F", "MULTI_FACTOR_TYPE_U2F_WITH_VERIFICATION"];

/// What one scope's objects say.
#[derive(Default)]
struct Seen<'a> {
    login: Option<&'a Value>,
    lockout: Option<&'a Value>,
    /// Factor types, from the login policy data source's lists or from factor resources.
    factors: Option<Vec<String>>,
}

fn scope(o: &Value) -> String {
    text(o.attr_any("org_id")).map_or_else(|| "instance".to_string(), |id| format!("org/{id}"))
}

impl Judged for ZitadelBaseline {
    fn provider_type(&self) -> &'static str {
        "zitadel"
    }
    fn vendor(&self) -> &'static str {
        "ZITADEL"
    }
    fn cannot_enforce(&self, measure: Measure) -> Option<&'static str> {
        (measure == Measure::IdleMinutes)
            .then_some("has no idle timeout in its login settings: a session lasts until its check lifetimes run out")
    }
    fn readings(&self, objects: &[Value]) -> Result<Vec<(String, Readings)>, ForeignObject> {
        let mut seen: ByScope<Seen> = ByScope::default();
        for (index, o) in objects.iter().enumerate() {
            let at = seen.at(scope(o));
            if o.has("force_mfa") {
                at.login = Some(o);
                if let (Some(m), Some(s)) =
                    (strings(o.attr_any("multi_factors")), strings(o.attr_any("second_factors")))
                {
                    at.factors.get_or_insert_with(Vec::new).extend(m.into_iter().chain(s));
                }
            } else if o.has("max_password_attempts") {
                at.lockout = Some(o);
            } else if o.has("remove_on_destroy") && o.has("type") {
                at.factors.get_or_insert_with(Vec::new).extend(text(o.attr_any("type")));
            } else {
                return Err(ForeignObject {
                    index,
                    text: "is not a ZITADEL login policy, lock-out policy or factor (data.zitadel_login_policy, \
                           data.zitadel_lockout_policy, zitadel_login_mfa_settings, zitadel_lockout_settings, \
                           zitadel_login_multifactor, zitadel_login_second_factor)"
                        .into(),
                });
            }
        }
        Ok(seen.into_vec().into_iter().map(|(s, seen)| (s, readings(&seen))).collect())
    }
}

fn readings(seen: &Seen) -> Readings {
    let mut r = Readings::new();
    if let Some(login) = seen.login {
        login_readings(login, seen.factors.as_deref(), &mut r);
    }
    if let Some(lockout) = seen.lockout {
        lockout_readings(lockout, &mut r);
    }
    r
}

fn login_readings(login: &Value, factors: Option<&[String]>, r: &mut Readings) {
    let forced = flag(login.attr_any("force_mfa")) == Some(true);
    let local_only = flag(login.attr_any("force_mfa_local_only")) == Some(true);
    let everyone = Reading::flag(
        forced && !local_only,
        match (forced, local_only) {
            (false, _) => "force_mfa = false",
            (true, true) => "force_mfa_local_only = true: users of external identity providers skip MFA",
            (true, false) => "force_mfa = true, for every user",
        },
    );
    r.insert(Measure::MfaRequired, everyone.clone());
    r.insert(Measure::MfaNotBypassable, everyone);
    let Some(factors) = factors else {
        let why =
            "the scope's factors are not among the settings: add data.zitadel_login_policy or its factor resources";
        r.insert(Measure::PhishingResistantOffered, Reading::unknown(why));
        r.insert(Measure::PhishingResistantOnly, Reading::unknown(why));
        return reauthentication(login, r);
    };
    let listed = if factors.is_empty() { "no factors allowed".to_string() } else { factors.join(", ") };
    let resistant = |f: &String| PHISHING_RESISTANT.contains(&f.as_str());
    r.insert(Measure::PhishingResistantOffered, Reading::flag(factors.iter().any(resistant), listed.clone()));
    let only =
        forced && !local_only && factors.iter().any(|f| f.starts_with("SECOND_")) && factors.iter().all(resistant);
    r.insert(Measure::PhishingResistantOnly, Reading::flag(only, listed));
    reauthentication(login, r);
}

fn reauthentication(login: &Value, r: &mut Readings) {
    let lifetimes: Vec<(&str, f64)> = ["second_factor_check_lifetime", "multi_factor_check_lifetime"]
        .into_iter()
        .filter_map(|n| {
            let ns = text(login.attr_any(n)).and_then(|d| duration::parse_go(&d))?;
            Some((n, ns as f64 / 3.6e12))
        })
        .collect();
    if lifetimes.is_empty() {
        return;
    }
    let words = lifetimes.iter().map(|(n, h)| format!("{n} = {h}h")).collect::<Vec<_>>().join(", ");
    let longest = lifetimes.iter().map(|(_, h)| *h).fold(0.0, f64::max);
    r.insert(Measure::ReauthenticationHours, Reading::new(Held::Limit(longest), words));
}

fn lockout_readings(lockout: &Value, r: &mut Readings) {
    let password = number(lockout.attr_any("max_password_attempts")).unwrap_or(0.0);
    let otp = number(lockout.attr_any("max_otp_attempts")).unwrap_or(0.0);
    let words = format!("max_password_attempts = {password}, max_otp_attempts = {otp}");
    let held = if password == 0.0 || otp == 0.0 { Held::Unlimited } else { Held::Limit(password.max(otp)) };
    let words = if held == Held::Unlimited { format!("{words} (0 never locks)") } else { words };
    r.insert(Measure::MaxFailedAttempts, Reading::new(held, words));
    r.insert(Measure::LockoutMinutes, Reading::new(Held::UntilAdmin, "locked until an administrator unlocks the user"));
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::plugin::value::Number;
    use crate::vendors::common::baseline::catalog::named;
    use crate::vendors::common::baseline::judge::findings;

    fn obj(pairs: &[(&str, Value)]) -> Value {
        Value::Object(pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect::<BTreeMap<_, _>>())
    }
    fn s(v: &str) -> Value {
        Value::String(v.into())
    }
    fn list(v: &[&str]) -> Value {
        Value::List(v.iter().map(|x| s(x)).collect())
    }

    fn status(baseline: &str, objects: &[Value], control: &str) -> (String, String) {
        let scopes = ZitadelBaseline.readings(objects).expect("readings");
        let f = findings(&named(baseline).expect("named"), &scopes[0].0, &scopes[0].1);
        let f = f.into_iter().find(|f| f.control == control).expect("control");
        (f.status, f.actual)
    }

    fn login(local_only: bool, second: &[&str]) -> Value {
        obj(&[
            ("org_id", s("281")),
            ("force_mfa", Value::Bool(true)),
            ("force_mfa_local_only", Value::Bool(local_only)),
            ("multi_factors", list(&[])),
            ("second_factors", list(second)),
            ("second_factor_check_lifetime", s("18h")),
            ("multi_factor_check_lifetime", s("12h")),
        ])
    }

    #[test]
    fn a_zitadel_lockout_locks_until_an_administrator_which_meets_pci_duration() {
        let lockout = obj(&[
            ("org_id", s("281")),
            ("max_password_attempts", Value::Number(Number::Int(10))),
            ("max_otp_attempts", Value::Number(Number::Int(5))),
        ]);
        assert_eq!(status("pci-dss-4.0.1", std::slice::from_ref(&lockout), "8.3.4.b").0, "met");
        assert_eq!(status("pci-dss-4.0.1", &[lockout], "8.3.4.a").0, "met");
    }

    #[test]
    fn local_only_mfa_is_bypassable_and_otp_is_not_phishing_resistant() {
        assert_eq!(status("pci-dss-4.0.1", &[login(true, &["SECOND_FACTOR_TYPE_U2F"])], "8.5.1").0, "gap");
        assert_eq!(status("nist-800-63b-4-aal3", &[login(false, &["SECOND_FACTOR_TYPE_OTP"])], "2.3.2").0, "gap");
        assert_eq!(status("nist-800-63b-4-aal3", &[login(false, &["SECOND_FACTOR_TYPE_U2F"])], "2.3.2").0, "met");
        assert_eq!(status("nist-800-63b-4-aal2", &[login(false, &["SECOND_FACTOR_TYPE_OTP"])], "2.2.2").0, "gap");
        let (st, actual) = status("nist-800-63b-4-aal3", &[login(false, &[])], "2.3.3-session");
        assert_eq!(
            (st.as_str(), actual.as_str()),
            ("gap", "second_factor_check_lifetime = 18h, multi_factor_check_lifetime = 12h")
        );
    }

    #[test]
    fn another_vendors_object_is_named() {
        let e = ZitadelBaseline.readings(&[obj(&[("mfa_enabled", Value::Bool(true))])]).unwrap_err();
        assert_eq!(e.index, 0);
        assert!(e.text.contains("is not a ZITADEL"), "{}", e.text);
    }
}
