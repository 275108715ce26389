//! No change may lock the users of a scope out. Every ZITADEL resource that changes what a login
//! needs — removing a factor, forcing MFA, later the login methods themselves — asks this module
//! what the scope's login would look like afterwards, before anything is sent.
//!
//! The rule is ZITADEL's own login (zitadel/zitadel `internal/auth/repository/eventsourcing/
//! eventstore/auth_request.go`, `mfaChecked`): with `forceMfa` on, a user who did not log in with
//! a passkey must pass a second factor the policy allows; when the policy allows none the login
//! fails with FailedPrecondition `LOGIN-5Hm8s` "Multifactor is configured as required, but no
//! possible providers are configured" (`Errors.Login.LoginPolicy.MFA.ForceAndNotConfigured`).
//! Login V2 (`apps/login/src/lib/verify-helper.ts`) sends such users to a setup page that offers
//! only the policy's second factors. A passkey login (`MULTI_FACTOR_TYPE_U2F_WITH_VERIFICATION`)
//! satisfies MFA by itself, so a scope that still allows passkeys locks out only the users
//! without one.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use tokio::sync::OwnedMutexGuard;

use super::client::{FactorKind, Policy, Scope, ZitadelClient, ZitadelError};
use crate::plugin::diag::{AttrPath, Diagnostics};
use crate::plugin::resource::Ctx;

/// How long a change that would lock users out waits for another resource of the same apply to
/// add a factor to the scope first (within one provider process additions go first).
pub const ADDITION_GRACE: Duration = Duration::from_secs(3);

/// The MFA-relevant part of a scope's login policy.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Login {
    pub force_mfa: bool,
    pub factors: BTreeSet<(FactorKind, String)>,
}

/// What a scope's login would look like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Fine,
    /// Some users can no longer log in: the message says who.
    Partial(String),
    /// No user can: the message says why, with the rule.
    LockedOut(String),
}

impl Login {
    /// The policy in effect for the scope (an inheriting organization's are the instance's).
    pub fn of(policy: &Policy) -> Login {
        let mut factors = BTreeSet::new();
        for kind in [FactorKind::Multi, FactorKind::Second] {
            factors.extend(policy.effective_factors(kind).into_iter().map(|f| (kind, f)));
        }
        let force_mfa = policy.json.get("forceMfa").and_then(serde_json::Value::as_bool).unwrap_or(false);
        Login { force_mfa, factors }
    }

    /// This login with `changes` applied.
    pub fn with(mut self, changes: &Changes) -> Login {
        for f in &changes.removes {
            self.factors.remove(f);
        }
        self.factors.extend(changes.adds.iter().cloned());
        if let Some(force) = changes.force_mfa {
            self.force_mfa = force;
        }
        self
    }

    fn has(&self, kind: FactorKind) -> bool {
        self.factors.iter().any(|(k, _)| *k == kind)
    }

    pub fn verdict(&self, scope: &Scope) -> Verdict {
        if !self.force_mfa || self.has(FactorKind::Second) {
            return Verdict::Fine;
        }
        let inheriting = if *scope == Scope::Instance {
            " Every organization that inherits the instance defaults is affected too."
        } else {
            ""
        };
        if self.has(FactorKind::Multi) {
            return Verdict::Partial(format!(
                "{} would force MFA with no second factor allowed: users who log in with a password and have no passkey are \
                 refused at login (ZITADEL LOGIN-5Hm8s, \"Multifactor is configured as required, but no possible providers are \
                 configured\"); only passkey logins still work.{inheriting}",
                capitalised(&scope.describe())
            ));
        }
        Verdict::LockedOut(format!(
            "{} would force MFA while allowing no second factor and no multi-factor: ZITADEL's login then refuses every user \
             of it (LOGIN-5Hm8s, \"Multifactor is configured as required, but no possible providers are configured\").{inheriting} \
             Enable another factor first (a zitadel_login_second_factor in the same scope), or turn force MFA off first \
             (zitadel_login_mfa_settings with force_mfa = false), then apply this change.",
            capitalised(&scope.describe())
        ))
    }
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

/// Changes to a scope's login that plans in this provider process intend: what a plan must take
/// into account besides the live policy (a factor added and another removed in one apply).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    pub adds: BTreeSet<(FactorKind, String)>,
    pub removes: BTreeSet<(FactorKind, String)>,
    pub force_mfa: Option<bool>,
}

/// Planned changes by scope key.
pub type Planned = BTreeMap<String, Changes>;

/// At plan: what `change`, together with every other change planned in this process for the
/// scope, would do to the live policy's login; a warning on `path` when it locks anyone out.
pub async fn warn_at_plan(ctx: &Ctx<ZitadelClient>, scope: &Scope, path: AttrPath, diags: &mut Diagnostics) {
    let Ok(policy) = ctx.client.policy(scope, &ctx.cancel).await else {
        // The refresh reports read errors; a plan warning is not worth a second error.
        return;
    };
    match Login::of(&policy).with(&ctx.client.planned(scope)).verdict(scope) {
        Verdict::Fine => {}
        Verdict::Partial(why) => diags.attr_warning(path, "Some users will no longer be able to log in", why),
        Verdict::LockedOut(why) => diags.attr_warning(
            path,
            format!("This change would lock every user out of {}", scope.describe()),
            format!("{why} The apply refuses it before sending anything unless that has happened by then."),
        ),
    }
}

/// At apply, before sending `change`: takes the scope's lock and reads the live policy, and
/// returns both once `change` locks nobody out. A change that would lock everyone out waits, with
/// the lock released, up to [`ADDITION_GRACE`] for a factor another resource of this apply is
/// adding to the scope; then it is refused (`Ok(None)`) with an error on `path`. Users that only
/// some logins leave out are warned about. `Err` is a failed read, for the caller to judge.
pub async fn lock_when_safe(
    ctx: &Ctx<ZitadelClient>,
    scope: &Scope,
    change: &Changes,
    path: AttrPath,
    diags: &mut Diagnostics,
) -> Result<Option<(OwnedMutexGuard<()>, Policy)>, ZitadelError> {
    let mut additions = ctx.client.watch_additions(scope);
    let deadline = tokio::time::Instant::now() + ADDITION_GRACE;
    loop {
        let held = ctx.client.lock_for(scope).lock_owned().await;
        let policy = ctx.client.policy(scope, &ctx.cancel).await?;
        match Login::of(&policy).with(change).verdict(scope) {
            Verdict::Fine => return Ok(Some((held, policy))),
            Verdict::Partial(why) => {
                diags.attr_warning(path, "Some users can no longer log in", why);
                return Ok(Some((held, policy)));
            }
            Verdict::LockedOut(_) if tokio::time::Instant::now() < deadline => {
                drop(held);
                tokio::select! {
                    _ = tokio::time::sleep_until(deadline) => {}
                    _ = additions.changed() => {}
                    _ = ctx.cancel.cancelled() => return Ok(None),
                }
            }
            Verdict::LockedOut(why) => {
                diags.attr_error(
                    path,
                    format!("Refused: this change would lock every user out of {}", scope.describe()),
                    format!(
                        "{why} Nothing was sent. If this apply also adds a factor to this scope — through another provider \
                         block, or queued behind other changes — run terraform apply again: it completes this change once \
                         that factor is in place."
                    ),
                );
                return Ok(None);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn login(force: bool, second: &[&str], multi: &[&str]) -> Login {
        let policy = Policy {
            json: json!({"forceMfa": force, "secondFactors": second, "multiFactors": multi}),
            inherits: false,
        };
        Login::of(&policy)
    }

    #[test]
    fn forced_mfa_needs_a_factor() {
        let org = Scope::Org("42".into());
        assert_eq!(login(false, &[], &[]).verdict(&org), Verdict::Fine);
        assert_eq!(login(true, &["SECOND_FACTOR_TYPE_OTP"], &[]).verdict(&org), Verdict::Fine);
        let Verdict::LockedOut(why) = login(true, &[], &[]).verdict(&org) else { panic!() };
        assert!(
            why.contains("organization 42") && why.contains("LOGIN-5Hm8s") && why.contains("force_mfa = false"),
            "{why}"
        );
        assert!(matches!(
            login(true, &[], &["MULTI_FACTOR_TYPE_U2F_WITH_VERIFICATION"]).verdict(&Scope::Instance),
            Verdict::Partial(w) if w.contains("no passkey") && w.contains("inherits")
        ));
    }

    #[test]
    fn planned_changes_are_taken_into_account() {
        let org = Scope::Org("42".into());
        let otp = (FactorKind::Second, "SECOND_FACTOR_TYPE_OTP".to_string());
        let email = (FactorKind::Second, "SECOND_FACTOR_TYPE_OTP_EMAIL".to_string());
        let swap = Changes { adds: [email.clone()].into(), removes: [otp.clone()].into(), force_mfa: None };
        assert_eq!(login(true, &["SECOND_FACTOR_TYPE_OTP"], &[]).with(&swap).verdict(&org), Verdict::Fine);
        let remove = Changes { removes: [otp].into(), ..Default::default() };
        assert!(matches!(
            login(true, &["SECOND_FACTOR_TYPE_OTP"], &[]).with(&remove).verdict(&org),
            Verdict::LockedOut(_)
        ));
        let force = Changes { force_mfa: Some(true), ..Default::default() };
        assert!(matches!(login(false, &[], &[]).with(&force).verdict(&org), Verdict::LockedOut(_)));
    }
}
