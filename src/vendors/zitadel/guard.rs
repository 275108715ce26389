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
//!
//! The second rule is about the first step, how users log in at all. With `allowUsernamePassword`
//! off ZITADEL refuses every password check (`internal/command/user_human_password.go`,
//! FailedPrecondition `COMMAND-Dft32` `Errors.Org.LoginPolicy.UsernamePasswordNotAllowed`). A
//! passkey is offered only when `passwordlessType` is not NOT_ALLOWED (`firstFactorChecked` in
//! `auth_request.go`), and ZITADEL's setup makes passkeys the multi-factor
//! `U2F_WITH_VERIFICATION`. External identity providers are offered only when
//! `allowExternalIdp` is on and at least one is linked to the login settings
//! (`getLoginPolicyAndIDPProviders`); with none the login fails with `LOGIN-5Hm8s`
//! `Errors.Org.IdpNotExisting` (`idpChecked`). ZITADEL itself accepts a policy that leaves no way
//! in (`internal/command/org_policy_login.go` checks none of this), so the provider does.

use std::collections::BTreeSet;
use std::time::Duration;

use tokio::sync::OwnedMutexGuard;

use super::client::{FactorKind, Policy, Scope, ZitadelError};
use super::context::Zitadel;
pub use super::coordination::Changes;
use crate::plugin::diag::{AttrPath, Diagnostics};
use crate::plugin::resource::Ctx;

/// How long a change that would lock users out waits for another resource of the same apply to
/// add a factor to the scope first (within one provider process additions go first).
pub const ADDITION_GRACE: Duration = Duration::from_secs(3);

/// The passkey multi-factor.
pub const PASSKEY: &str = "MULTI_FACTOR_TYPE_U2F_WITH_VERIFICATION";
pub const PASSWORDLESS_ALLOWED: &str = "PASSWORDLESS_TYPE_ALLOWED";

/// The part of a scope's login policy that decides who can log in.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Login {
    pub force_mfa: bool,
    pub factors: BTreeSet<(FactorKind, String)>,
    /// `allowUsernamePassword`.
    pub user_login: bool,
    /// `passwordlessType` is ALLOWED.
    pub passwordless: bool,
    /// `allowExternalIdp`, and whether any identity provider is linked.
    pub external_idp: bool,
    pub idps_linked: bool,
}

/// Which rule a verdict comes from, so the caller can point at the attribute that breaks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Forced MFA without a factor to satisfy it.
    ForcedMfa,
    /// No way to log in at all.
    LoginMethod,
}

/// What a scope's login would look like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Fine,
    /// Some users can no longer log in: the message says who.
    Partial(Rule, String),
    /// No user can: the message says why, with the rule.
    LockedOut(Rule, String),
}

impl Login {
    /// The policy in effect for the scope (an inheriting organization's are the instance's).
    pub fn of(policy: &Policy) -> Login {
        let mut factors = BTreeSet::new();
        for kind in [FactorKind::Multi, FactorKind::Second] {
            factors.extend(policy.effective_factors(kind).into_iter().map(|f| (kind, f)));
        }
        // The gateway leaves false and NOT_ALLOWED (0) out of its answers.
        let flag = |f: &str| policy.json.get(f).and_then(serde_json::Value::as_bool).unwrap_or(false);
        Login {
            force_mfa: flag("forceMfa"),
            factors,
            user_login: flag("allowUsernamePassword"),
            passwordless: policy.json.get("passwordlessType").and_then(serde_json::Value::as_str)
                == Some(PASSWORDLESS_ALLOWED),
            external_idp: flag("allowExternalIdp"),
            idps_linked: policy.json.get("idps").and_then(serde_json::Value::as_array).is_some_and(|a| !a.is_empty()),
        }
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
        if let Some(u) = changes.user_login {
            self.user_login = u;
        }
        if let Some(p) = changes.passwordless {
            self.passwordless = p;
        }
        self
    }

    fn has(&self, kind: FactorKind) -> bool {
        self.factors.iter().any(|(k, _)| *k == kind)
    }

    /// The worst of the two rules: no way in before forced MFA, locked out before partly.
    pub fn verdict(&self, scope: &Scope) -> Verdict {
        worst([self.login_method(scope), self.forced_mfa(scope)])
    }

    /// What `changes` do to this login: a rule speaks only when the change makes it worse, so a
    /// scope someone already locked out by hand does not block changes that leave that alone.
    pub fn verdict_after(&self, changes: &Changes, scope: &Scope) -> Verdict {
        let after = self.clone().with(changes);
        let worse =
            |before: Verdict, after: Verdict| if after.severity() > before.severity() { after } else { Verdict::Fine };
        worst([
            worse(self.login_method(scope), after.login_method(scope)),
            worse(self.forced_mfa(scope), after.forced_mfa(scope)),
        ])
    }

    fn passkey_login(&self) -> bool {
        self.passwordless && self.factors.contains(&(FactorKind::Multi, PASSKEY.to_string()))
    }

    fn login_method(&self, scope: &Scope) -> Verdict {
        if self.user_login {
            return Verdict::Fine;
        }
        let who = capitalised(&scope.describe());
        let idp = self.external_idp && self.idps_linked;
        if self.passkey_login() || idp {
            let via = match (self.passkey_login(), idp) {
                (true, true) => {
                    "who have not registered a passkey and do not log in through a linked identity provider"
                }
                (true, false) => "who have not registered a passkey",
                _ => "who do not log in through a linked identity provider",
            };
            return Verdict::Partial(
                Rule::LoginMethod,
                format!(
                    "{who} would not allow username and password (user_login = false; ZITADEL then refuses every password check, \
                     COMMAND-Dft32): users {via} can no longer log in.{}",
                    inheriting(scope)
                ),
            );
        }
        let passkey = if !self.passwordless {
            "passwordless_type is PASSWORDLESS_TYPE_NOT_ALLOWED"
        } else {
            "MULTI_FACTOR_TYPE_U2F_WITH_VERIFICATION is not enabled"
        };
        let idp = if !self.external_idp {
            "external identity providers are not allowed (allowExternalIdp is off)"
        } else {
            "no identity provider is linked to the login settings"
        };
        Verdict::LockedOut(
            Rule::LoginMethod,
            format!(
                "{who} would leave no way to log in: username and password are not allowed (user_login = false; ZITADEL refuses \
                 every password check, COMMAND-Dft32), passkey login is not possible ({passkey}), and {idp} (ZITADEL's login \
                 then fails with LOGIN-5Hm8s, Errors.Org.IdpNotExisting).{} Keep user_login = true, or first make passkey login \
                 possible (passwordless_type = \"PASSWORDLESS_TYPE_ALLOWED\" and a zitadel_login_multifactor with \
                 MULTI_FACTOR_TYPE_U2F_WITH_VERIFICATION in the same scope), then apply this change.",
                inheriting(scope)
            ),
        )
    }

    fn forced_mfa(&self, scope: &Scope) -> Verdict {
        if !self.force_mfa || self.has(FactorKind::Second) {
            return Verdict::Fine;
        }
        let inheriting = inheriting(scope);
        if self.has(FactorKind::Multi) {
            return Verdict::Partial(
                Rule::ForcedMfa,
                format!(
                    "{} would force MFA with no second factor allowed: users who log in with a password and have no passkey are \
                     refused at login (ZITADEL LOGIN-5Hm8s, \"Multifactor is configured as required, but no possible providers are \
                     configured\"); only passkey logins still work.{inheriting}",
                    capitalised(&scope.describe())
                ),
            );
        }
        Verdict::LockedOut(
            Rule::ForcedMfa,
            format!(
                "{} would force MFA while allowing no second factor and no multi-factor: ZITADEL's login then refuses every user \
                 of it (LOGIN-5Hm8s, \"Multifactor is configured as required, but no possible providers are configured\").{inheriting} \
                 Enable another factor first (a zitadel_login_second_factor in the same scope), or turn force MFA off first \
                 (zitadel_login_mfa_settings with force_mfa = false), then apply this change.",
                capitalised(&scope.describe())
            ),
        )
    }
}

impl Verdict {
    fn severity(&self) -> u8 {
        match self {
            Verdict::Fine => 0,
            Verdict::Partial(..) => 1,
            Verdict::LockedOut(..) => 2,
        }
    }
}

/// The most severe verdict, the first of equals.
fn worst<const N: usize>(verdicts: [Verdict; N]) -> Verdict {
    let mut out = Verdict::Fine;
    for v in verdicts {
        if v.severity() > out.severity() {
            out = v;
        }
    }
    out
}

fn inheriting(scope: &Scope) -> &'static str {
    if *scope == Scope::Instance {
        " Every organization that inherits the instance defaults is affected too."
    } else {
        ""
    }
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

/// At plan: what the changes planned in this process for `scope` (the caller's recorded among
/// them) would do to the live policy's login; a warning on `path` when it locks anyone out.
pub async fn warn_at_plan(ctx: &Ctx<Zitadel>, scope: &Scope, path: impl Fn(Rule) -> AttrPath, diags: &mut Diagnostics) {
    let Ok(policy) = ctx.client.policy(scope, &ctx.cancel).await else {
        // The refresh reports read errors; a plan warning is not worth a second error.
        return;
    };
    match Login::of(&policy).verdict_after(&ctx.client.plans.planned(scope), scope) {
        Verdict::Fine => {}
        Verdict::Partial(rule, why) => {
            diags.attr_warning(path(rule), "Some users will no longer be able to log in", why)
        }
        Verdict::LockedOut(rule, why) => diags.attr_warning(
            path(rule),
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
    ctx: &Ctx<Zitadel>,
    scope: &Scope,
    change: &Changes,
    path: impl Fn(Rule) -> AttrPath,
    diags: &mut Diagnostics,
) -> Result<Option<(OwnedMutexGuard<()>, Policy)>, ZitadelError> {
    let mut additions = ctx.client.plans.watch_additions(scope);
    let deadline = tokio::time::Instant::now() + ADDITION_GRACE;
    loop {
        let held = ctx.client.plans.lock_for(scope).lock_owned().await;
        let policy = ctx.client.policy(scope, &ctx.cancel).await?;
        match Login::of(&policy).verdict_after(change, scope) {
            Verdict::Fine => return Ok(Some((held, policy))),
            Verdict::Partial(rule, why) => {
                diags.attr_warning(path(rule), "Some users can no longer log in", why);
                return Ok(Some((held, policy)));
            }
            Verdict::LockedOut(..) if tokio::time::Instant::now() < deadline => {
                drop(held);
                tokio::select! {
                    _ = tokio::time::sleep_until(deadline) => {}
                    _ = additions.changed() => {}
                    _ = ctx.cancel.cancelled() => return Ok(None),
                }
            }
            Verdict::LockedOut(rule, why) => {
                diags.attr_error(
                    path(rule),
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
            json: json!({"forceMfa": force, "secondFactors": second, "multiFactors": multi, "allowUsernamePassword": true}),
            inherits: false,
        };
        Login::of(&policy)
    }

    #[test]
    fn forced_mfa_needs_a_factor() {
        let org = Scope::Org("42".into());
        assert_eq!(login(false, &[], &[]).verdict(&org), Verdict::Fine);
        assert_eq!(login(true, &["SECOND_FACTOR_TYPE_OTP"], &[]).verdict(&org), Verdict::Fine);
        let Verdict::LockedOut(Rule::ForcedMfa, why) = login(true, &[], &[]).verdict(&org) else { panic!() };
        assert!(
            why.contains("organization 42") && why.contains("LOGIN-5Hm8s") && why.contains("force_mfa = false"),
            "{why}"
        );
        assert!(matches!(
            login(true, &[], &["MULTI_FACTOR_TYPE_U2F_WITH_VERIFICATION"]).verdict(&Scope::Instance),
            Verdict::Partial(Rule::ForcedMfa, w) if w.contains("no passkey") && w.contains("inherits")
        ));
    }

    #[test]
    fn planned_changes_are_taken_into_account() {
        let org = Scope::Org("42".into());
        let otp = (FactorKind::Second, "SECOND_FACTOR_TYPE_OTP".to_string());
        let email = (FactorKind::Second, "SECOND_FACTOR_TYPE_OTP_EMAIL".to_string());
        let swap = Changes { adds: [email.clone()].into(), removes: [otp.clone()].into(), ..Default::default() };
        assert_eq!(login(true, &["SECOND_FACTOR_TYPE_OTP"], &[]).with(&swap).verdict(&org), Verdict::Fine);
        let remove = Changes { removes: [otp].into(), ..Default::default() };
        assert!(matches!(
            login(true, &["SECOND_FACTOR_TYPE_OTP"], &[]).with(&remove).verdict(&org),
            Verdict::LockedOut(..)
        ));
        let force = Changes { force_mfa: Some(true), ..Default::default() };
        assert!(matches!(login(false, &[], &[]).with(&force).verdict(&org), Verdict::LockedOut(..)));
    }

    #[test]
    fn without_username_and_password_a_passkey_or_an_identity_provider_must_be_possible() {
        let org = Scope::Org("42".into());
        let policy = |pwless: &str, multi: &[&str], idp: bool, idps: &[&str]| {
            Login::of(&Policy {
                json: json!({"allowUsernamePassword": true, "passwordlessType": pwless, "multiFactors": multi,
                             "allowExternalIdp": idp, "idps": idps.iter().map(|i| json!({"idpId": i})).collect::<Vec<_>>()}),
                inherits: false,
            })
        };
        let off = Changes { user_login: Some(false), ..Default::default() };
        let no_way = |l: Login| matches!(l.with(&off).verdict(&org), Verdict::LockedOut(Rule::LoginMethod, w) if w.contains("COMMAND-Dft32") && w.contains("LOGIN-5Hm8s"));
        // Passkeys not allowed, no identity provider: nobody.
        assert!(no_way(policy("PASSWORDLESS_TYPE_NOT_ALLOWED", &[PASSKEY], false, &[])));
        // Allowed, but the passkey factor is not enabled; identity providers allowed but none linked.
        assert!(no_way(policy(PASSWORDLESS_ALLOWED, &[], true, &[])));
        // A linked provider that is not allowed does not count.
        assert!(no_way(policy(PASSWORDLESS_ALLOWED, &[], false, &["1"])));
        // Passkeys possible: only users without one are left out.
        assert!(matches!(
            policy(PASSWORDLESS_ALLOWED, &[PASSKEY], false, &[]).with(&off).verdict(&org),
            Verdict::Partial(Rule::LoginMethod, w) if w.contains("not registered a passkey")
        ));
        assert!(matches!(
            policy("PASSWORDLESS_TYPE_NOT_ALLOWED", &[], true, &["1"]).with(&off).verdict(&org),
            Verdict::Partial(Rule::LoginMethod, w) if w.contains("identity provider")
        ));
        // Turning passkeys off where they are the only way in is the same lock-out.
        let pk_off = Changes { user_login: Some(false), passwordless: Some(false), ..Default::default() };
        assert!(matches!(
            policy(PASSWORDLESS_ALLOWED, &[PASSKEY], false, &[]).with(&pk_off).verdict(&org),
            Verdict::LockedOut(Rule::LoginMethod, _)
        ));
        // Username and password on: the first rule has nothing to say.
        assert_eq!(policy("PASSWORDLESS_TYPE_NOT_ALLOWED", &[], false, &[]).verdict(&org), Verdict::Fine);
        // A scope already without a way in (set by hand) does not block a change that leaves that as it is.
        let locked = policy("PASSWORDLESS_TYPE_NOT_ALLOWED", &[], false, &[]).with(&off);
        assert!(matches!(locked.verdict(&org), Verdict::LockedOut(..)));
        let force = Changes { force_mfa: Some(false), user_login: Some(false), ..Default::default() };
        assert_eq!(locked.verdict_after(&force, &org), Verdict::Fine);
    }
}
