//! Baselines: what a standard asks of MFA, lock-out and sessions, as controls judged against a
//! policy object or a vendor's settings — the provider functions `baseline`, `baseline_report`
//! and `sarif` every provider type serves.
//!
//! Sources: NIST SP 800-63B-4 (usnistgov/800-63-4, `_sp800-63b/2_aal.md` §2.2–§2.3 and
//! `3_authenticators.md` §3.2.2, §3.2.5) and PCI DSS v4.0.1 (Requirement 8: 8.2.8, 8.3.4, 8.4.2,
//! 8.5.1). [`catalog`] holds the controls with their sections; a vendor says what its objects
//! hold ([`Judged`]); [`judge`] turns the two into findings.

pub mod catalog;
pub mod functions;
pub mod judge;
pub mod object;
pub mod policy;
pub mod sarif;

use std::collections::BTreeMap;

use crate::plugin::value::Value;

/// What a control measures, in the vendor-neutral terms of the policy object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Measure {
    /// Every user must pass a second factor.
    MfaRequired,
    /// At least one phishing-resistant authenticator (§3.2.5: WebAuthn/FIDO2) can be used.
    PhishingResistantOffered,
    /// Only phishing-resistant authenticators are accepted.
    PhishingResistantOnly,
    /// Failed attempts in a row before an account is limited: at most the control's limit.
    MaxFailedAttempts,
    /// How long a locked account stays locked: at least the control's limit, or until an
    /// administrator unlocks it.
    LockoutMinutes,
    /// How long an authenticated session lasts before the user authenticates again: at most.
    ReauthenticationHours,
    /// Inactivity after which the user authenticates again: at most.
    IdleMinutes,
    /// No user can skip MFA, except under a documented exception limited in time.
    MfaNotBypassable,
}

impl Measure {
    pub const ALL: [Measure; 8] = [
        Measure::MfaRequired,
        Measure::PhishingResistantOffered,
        Measure::PhishingResistantOnly,
        Measure::MaxFailedAttempts,
        Measure::LockoutMinutes,
        Measure::ReauthenticationHours,
        Measure::IdleMinutes,
        Measure::MfaNotBypassable,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Measure::MfaRequired => "mfa_required",
            Measure::PhishingResistantOffered => "phishing_resistant_offered",
            Measure::PhishingResistantOnly => "phishing_resistant_only",
            Measure::MaxFailedAttempts => "max_failed_attempts",
            Measure::LockoutMinutes => "lockout_minutes",
            Measure::ReauthenticationHours => "reauthentication_hours",
            Measure::IdleMinutes => "idle_minutes",
            Measure::MfaNotBypassable => "mfa_not_bypassable",
        }
    }

    pub fn parse(name: &str) -> Option<Measure> {
        Measure::ALL.into_iter().find(|m| m.name() == name)
    }

    /// How the control's limit bounds the value held: `None` for a yes/no measure.
    pub fn bound(self) -> Option<Bound> {
        match self {
            Measure::MaxFailedAttempts | Measure::ReauthenticationHours | Measure::IdleMinutes => Some(Bound::AtMost),
            Measure::LockoutMinutes => Some(Bound::AtLeast),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    AtMost,
    AtLeast,
}

/// What a scope holds for one measure.
#[derive(Debug, Clone, PartialEq)]
pub enum Held {
    Yes,
    No,
    /// A number in the measure's unit (attempts, minutes, hours).
    Limit(f64),
    /// No limit at all: never locks, never expires.
    Unlimited,
    /// Locked until an administrator unlocks the account.
    UntilAdmin,
    /// Nothing says, or the vendor has no such setting: never a pass.
    Unknown,
}

/// What a scope holds for one measure, and how to say it in a finding.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    pub held: Held,
    pub actual: String,
}

impl Reading {
    pub fn new(held: Held, actual: impl Into<String>) -> Self {
        Reading { held, actual: actual.into() }
    }
    pub fn flag(yes: bool, actual: impl Into<String>) -> Self {
        Reading::new(if yes { Held::Yes } else { Held::No }, actual)
    }
    pub fn unknown(why: impl Into<String>) -> Self {
        Reading::new(Held::Unknown, why)
    }
}

/// One scope's readings; a measure missing is unknown.
pub type Readings = BTreeMap<Measure, Reading>;

/// A provider type's objects that are not its own, or not settings: the 0-based element and why.
#[derive(Debug, Clone, PartialEq)]
pub struct ForeignObject {
    pub index: usize,
    pub text: String,
}

/// A vendor as baselines see it: what it can enforce, and what its objects (data sources or
/// resources of this provider type, as Terraform holds them) say, by scope.
pub trait Judged: Send + Sync + 'static {
    /// The provider type: `zitadel`.
    fn provider_type(&self) -> &'static str;
    /// The vendor as people name it: `ZITADEL`.
    fn vendor(&self) -> &'static str;
    /// Why the vendor cannot enforce `measure`, as what follows its name ("has no idle
    /// timeout"), or `None` when it can.
    fn cannot_enforce(&self, measure: Measure) -> Option<&'static str>;
    /// The readings of each scope the objects describe, in the order first named.
    fn readings(&self, objects: &[Value]) -> Result<Vec<(String, Readings)>, ForeignObject>;
}

/// Objects grouped by the scope they describe, in the order first named.
#[derive(Default)]
pub struct ByScope<T> {
    scopes: Vec<(String, T)>,
}

impl<T: Default> ByScope<T> {
    /// The entry of `scope`, created empty on first use.
    pub fn at(&mut self, scope: String) -> &mut T {
        let i = match self.scopes.iter().position(|(s, _)| *s == scope) {
            Some(i) => i,
            None => {
                self.scopes.push((scope, T::default()));
                self.scopes.len() - 1
            }
        };
        &mut self.scopes[i].1
    }

    pub fn into_vec(self) -> Vec<(String, T)> {
        self.scopes
    }
}
