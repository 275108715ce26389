//! ZITADEL's login security beside MFA, under real Terraform against the emulator:
//! `zitadel_lockout_settings` (how many wrong passwords and one-time codes lock a user,
//! `proto/zitadel/policy.proto` `LockoutPolicy`, `internal/command/org_policy_lockout.go`), the
//! `zitadel_lockout_policy` data source, and the login methods of `zitadel_login_mfa_settings`
//! (`passwordless_type`, `user_login`) with the rule that no change leaves a scope without a way
//! in.

use mfa_sandbox::RunningEmulator;
use mfa_sandbox::zitadel::FactorList::Multi;
use mfa_sandbox::zitadel::{CUSTOM_ORG, INHERITING_ORG, ZitadelEmulator};
use serde_json::json;

use crate::harness::{self, Ws};
use crate::zitadel::pat;

const PASSKEY: &str = "MULTI_FACTOR_TYPE_U2F_WITH_VERIFICATION";

fn lockout(name: &str, org: Option<&str>, body: &str) -> String {
    let org = org.map(|o| format!("  org_id = \"{o}\"\n")).unwrap_or_default();
    format!("\nresource \"zitadel_lockout_settings\" \"{name}\" {{\n{org}{body}\n}}\n")
}

fn limits(app: &ZitadelEmulator, org: Option<&str>) -> Option<(u32, u32)> {
    let l = match org {
        None => Some(app.instance_lockout()),
        Some(o) => app.org_lockout(o),
    };
    l.map(|l| (l.max_password_attempts, l.max_otp_attempts))
}

fn puts(emu: &RunningEmulator, path: &str) -> usize {
    emu.control.requests().iter().filter(|r| r.method == "PUT" && r.path == path).count()
}

/// The instance's lock-out policy: adopted on create (a fresh instance never locks anyone),
/// written at its own path, drift shown, imported, and destroyed with and without restore — the
/// restore warned about at plan because it means never locking again.
#[test]
fn instance_lockout_lifecycle_with_drift_import_and_restore() {
    let (app, emu) = harness::started(ZitadelEmulator::new());
    let body = "  max_password_attempts = 5\n  max_otp_attempts = 3\n  restore_on_destroy = true";
    let config = pat(&emu.url()) + &lockout("instance", None, body);
    let ws = Ws::new(&config);
    ws.plan().mentions(&["will weaken", "max_otp_attempts goes from 3 to 0 (never lock)"]);
    ws.apply().ok().mentions(&["1 added"]);
    assert_eq!(limits(&app, None), Some((5, 3)));
    assert_eq!(puts(&emu, "/admin/v1/policies/password/lockout"), 1);
    ws.assert_no_changes();

    // Someone raises the password limit and switches the code limit off in the console.
    app.set_instance_lockout(10, 0);
    ws.assert_changes().mentions(&["~ max_otp_attempts", "0 -> 3", "10 -> 5"]);
    ws.apply().ok().mentions(&["1 changed"]);
    assert_eq!(limits(&app, None), Some((5, 3)));
    ws.assert_no_changes();

    // Destroy with restore puts back what was found: 0 and 0.
    ws.destroy().ok().mentions(&["1 destroyed"]);
    assert_eq!(limits(&app, None), Some((0, 0)));

    // Import, then destroy without restore: the settings stay.
    app.set_instance_lockout(4, 2);
    let config = pat(&emu.url()) + &lockout("instance", None, "  max_password_attempts = 4\n  max_otp_attempts = 2");
    ws.write(&config);
    ws.import("zitadel_lockout_settings.instance", "instance").ok();
    ws.assert_no_changes();
    ws.destroy().ok();
    assert_eq!(limits(&app, None), Some((4, 2)));
}

/// An organization that inherits gets settings of its own: the inherited values with the
/// configured one, and a warning. Unset limits keep what it had. Destroy with restore makes it
/// inherit again; a reset in the console is a deleted object the next plan re-creates.
#[test]
fn an_inheriting_organization_gets_its_own_lockout_settings() {
    let (app, emu) = harness::started(ZitadelEmulator::new());
    app.set_instance_lockout(7, 0);
    let config =
        pat(&emu.url()) + &lockout("labs", Some(INHERITING_ORG), "  max_otp_attempts = 3\n  restore_on_destroy = true");
    let ws = Ws::new(&config);
    ws.apply().ok().mentions(&[
        &format!("Organization {INHERITING_ORG} now has lock-out settings of its own"),
        "inherited the instance's lock-out settings (max_password_attempts = 7, max_otp_attempts = 0)",
    ]);
    assert_eq!(limits(&app, Some(INHERITING_ORG)), Some((7, 3)));
    assert_eq!(limits(&app, None), Some((7, 0)), "the instance is untouched");
    ws.assert_no_changes();
    assert_eq!(ws.attrs("zitadel_lockout_settings.labs")["max_password_attempts"], json!(7));

    // Reset to the instance's in the console: the organization's own settings are gone.
    app.set_org_lockout(INHERITING_ORG, None);
    ws.assert_changes().mentions(&["zitadel_lockout_settings.labs will be created"]);
    ws.apply().ok();
    assert_eq!(limits(&app, Some(INHERITING_ORG)), Some((7, 3)));

    ws.destroy().ok();
    assert_eq!(limits(&app, Some(INHERITING_ORG)), None, "it inherits again, as it did");

    // An inheriting organization has nothing to import.
    ws.write(&(pat(&emu.url()) + &lockout("labs", Some(INHERITING_ORG), "  max_otp_attempts = 3")));
    ws.import("zitadel_lockout_settings.labs", INHERITING_ORG).fails_with(&["Nothing to import", "inherits"]);
    // An organization with settings of its own imports by its ID.
    app.set_org_lockout(CUSTOM_ORG, Some((6, 2)));
    ws.write(&(pat(&emu.url()) + &lockout("payments", Some(CUSTOM_ORG), "  max_otp_attempts = 2")));
    ws.import("zitadel_lockout_settings.payments", CUSTOM_ORG).ok();
    ws.assert_no_changes();
    assert_eq!(ws.attrs("zitadel_lockout_settings.payments")["max_password_attempts"], json!(6));
}

/// ZITADEL before v2.50 has no `maxOtpAttempts` and drops it without a word (the gateway discards
/// unknown fields): asking for it is a clear error on the attribute, not a plan that never settles.
#[test]
fn max_otp_attempts_on_a_zitadel_before_2_50_is_a_clear_error() {
    let (app, emu) = harness::started(ZitadelEmulator::new());
    app.without_max_otp_attempts();
    let ws =
        Ws::new(&(pat(&emu.url()) + &lockout("instance", None, "  max_password_attempts = 5\n  max_otp_attempts = 3")));
    ws.apply().fails_with(&[
        "This ZITADEL does not limit one-time-code attempts",
        "max_otp_attempts",
        "before v2.50",
        "CVE-2024-32868",
    ]);
    // Without it, the password limit works and the plan settles.
    ws.write(&(pat(&emu.url()) + &lockout("instance", None, "  max_password_attempts = 5")));
    ws.apply().ok();
    assert_eq!(limits(&app, None), Some((5, 0)));
    ws.assert_no_changes();
}

/// Negative and fractional limits fail at validate, with the attribute named.
#[test]
fn lockout_limits_are_checked_at_validate() {
    let (_app, emu) = harness::started(ZitadelEmulator::new());
    let ws = Ws::new(&(pat(&emu.url()) + &lockout("instance", None, "  max_password_attempts = -1")));
    ws.run(&["validate"]).fails_with(&["max_password_attempts"]);
    assert!(emu.control.requests().is_empty(), "validate sends nothing");
}

/// The data source reads the effective values and whether an organization inherits them.
#[test]
fn the_lockout_policy_data_source_reads_effective_values() {
    let (app, emu) = harness::started(ZitadelEmulator::new());
    app.set_instance_lockout(5, 3);
    app.set_org_lockout(CUSTOM_ORG, Some((10, 1)));
    let config = pat(&emu.url())
        + "\ndata \"zitadel_lockout_policy\" \"instance\" {}\n"
        + &format!("\ndata \"zitadel_lockout_policy\" \"labs\" {{\n  org_id = \"{INHERITING_ORG}\"\n}}\n")
        + &format!("\ndata \"zitadel_lockout_policy\" \"payments\" {{\n  org_id = \"{CUSTOM_ORG}\"\n}}\n")
        + "\noutput \"all\" {\n  value = [for p in [data.zitadel_lockout_policy.instance, data.zitadel_lockout_policy.labs, data.zitadel_lockout_policy.payments] : [p.inherits, p.max_password_attempts, p.max_otp_attempts]]\n}\n";
    let ws = Ws::new(&config);
    ws.apply().ok();
    let out = ws.run(&["output", "-json", "all"]).ok().text();
    let out: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(out, json!([[false, 5, 3], [true, 5, 3], [false, 10, 1]]));
}

/// `user_login = false` where no passkey login is possible and no identity provider is usable
/// would leave nobody a way in: refused at apply before anything is sent, warned about at plan.
/// Where passkeys are possible it is "passkeys required": applied, with a warning for users
/// without one. Removing the passkey factor afterwards is refused the same way.
#[test]
fn user_login_off_needs_a_way_in_and_passkeys_make_it_required() {
    let (app, emu) = harness::started(ZitadelEmulator::new());
    // The custom organization: no passkeys, no external identity providers.
    app.set_org_policy_field(CUSTOM_ORG, "passwordlessType", json!("PASSWORDLESS_TYPE_NOT_ALLOWED"));
    app.set_org_policy_field(CUSTOM_ORG, "allowExternalIdp", json!(false));
    let settings = |name: &str, org: Option<&str>, body: &str| {
        let org = org.map(|o| format!("  org_id = \"{o}\"\n")).unwrap_or_default();
        format!("\nresource \"zitadel_login_mfa_settings\" \"{name}\" {{\n{org}  force_mfa = false\n{body}\n}}\n")
    };
    let ws = Ws::new(&(pat(&emu.url()) + &settings("payments", Some(CUSTOM_ORG), "  user_login = false")));
    ws.plan().mentions(&["Warning: This change would lock every user out", "user_login"]);
    emu.control.clear_requests();
    ws.apply().fails_with(&[
        &format!("Refused: this change would lock every user out of the login settings of organization {CUSTOM_ORG}"),
        "COMMAND-Dft32",
        "PASSWORDLESS_TYPE_NOT_ALLOWED",
        "LOGIN-5Hm8s",
        "Nothing was sent",
    ]);
    assert_eq!(puts(&emu, "/management/v1/policies/login"), 0);
    assert_eq!(app.org_policy(CUSTOM_ORG).unwrap()["allowUsernamePassword"], true);

    // Passkeys allowed in the same change, and the passkey factor enabled: passkeys are required.
    let passkey = format!(
        "\nresource \"zitadel_login_multifactor\" \"passkey\" {{\n  org_id = \"{CUSTOM_ORG}\"\n  type = \"{PASSKEY}\"\n}}\n"
    );
    let required = "  user_login = false\n  passwordless_type = \"PASSWORDLESS_TYPE_ALLOWED\"";
    ws.write(&(pat(&emu.url()) + &settings("payments", Some(CUSTOM_ORG), required) + &passkey));
    ws.apply().ok().mentions(&["Some users can no longer log in", "who have not registered a passkey"]);
    let p = app.org_policy(CUSTOM_ORG).unwrap();
    assert_eq!(
        (&p["allowUsernamePassword"], &p["passwordlessType"]),
        (&json!(false), &json!("PASSWORDLESS_TYPE_ALLOWED"))
    );
    assert_eq!(app.org_factors(CUSTOM_ORG, Multi), Some(vec![PASSKEY.to_string()]));
    ws.assert_no_changes();

    // Drift: username and password switched back on in the console.
    app.set_org_policy_field(CUSTOM_ORG, "allowUsernamePassword", json!(true));
    ws.assert_changes().mentions(&["~ user_login", "true -> false"]);
    ws.apply().ok();

    // The passkey factor is the only way in now: its removal is refused.
    ws.write(&(pat(&emu.url()) + &settings("payments", Some(CUSTOM_ORG), required)));
    ws.apply().fails_with(&["Refused: this change would lock every user out", "COMMAND-Dft32"]);
    assert_eq!(app.org_factors(CUSTOM_ORG, Multi), Some(vec![PASSKEY.to_string()]));
}

/// A misspelt passkey setting fails at validate with the two values it can have.
#[test]
fn passwordless_type_is_checked_at_validate() {
    let (_app, emu) = harness::started(ZitadelEmulator::new());
    let config = pat(&emu.url())
        + "\nresource \"zitadel_login_mfa_settings\" \"i\" {\n  force_mfa = false\n  passwordless_type = \"ALLOWED\"\n}\n";
    let ws = Ws::new(&config);
    ws.run(&["validate"]).fails_with(&["passwordless_type", "PASSWORDLESS_TYPE_ALLOWED"]);
}
