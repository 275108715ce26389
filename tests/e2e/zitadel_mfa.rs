//! `zitadel_login_mfa_settings` under real Terraform against the ZITADEL emulator: forcing MFA on
//! the instance and on organizations, without touching any other login setting.

use mfa_sandbox::zitadel::FactorList::Second;
use mfa_sandbox::zitadel::{CUSTOM_ORG, INHERITING_ORG, ZitadelEmulator};
use mfa_sandbox::{Fault, FaultKind, RunningEmulator};
use serde_json::{Value as J, json};

use crate::harness::{self, Ws};
use crate::zitadel::pat;

fn settings(name: &str, org: Option<&str>, body: &str) -> String {
    let org = org.map(|o| format!("  org_id = \"{o}\"\n")).unwrap_or_default();
    format!("\nresource \"zitadel_login_mfa_settings\" \"{name}\" {{\n{org}{body}\n}}\n")
}

/// The MFA fields this resource manages; everything else must survive its writes.
const MFA_FIELDS: [&str; 5] =
    ["forceMfa", "forceMfaLocalOnly", "mfaInitSkipLifetime", "secondFactorCheckLifetime", "multiFactorCheckLifetime"];

fn without_mfa_fields(policy: &J) -> J {
    let mut p = policy.clone();
    for f in MFA_FIELDS.iter().chain(&["details"]) {
        p.as_object_mut().unwrap().remove(*f);
    }
    p
}

/// Requests of one method and path, with their statuses.
fn statuses(emu: &RunningEmulator, method: &str, path: &str) -> Vec<u16> {
    emu.control.requests().iter().filter(|r| r.method == method && r.path == path).map(|r| r.status).collect()
}

#[test]
fn force_mfa_on_the_instance_a_custom_and_an_inheriting_org_with_its_factors() {
    let (app, emu) = harness::started(ZitadelEmulator::new());
    let config = pat(&emu.url())
        + &settings(
            "instance",
            None,
            "  force_mfa = true\n  mfa_init_skip_lifetime = \"168h\"\n  second_factor_check_lifetime = \"8h\"",
        )
        + &settings("payments", Some(CUSTOM_ORG), "  force_mfa = true\n  force_mfa_local_only = true")
        // An inheriting organization: these settings and a factor of the same organization in one run.
        + &settings("labs", Some(INHERITING_ORG), "  force_mfa = true\n  multi_factor_check_lifetime = \"1h30m\"")
        + &format!(
            "\nresource \"zitadel_login_second_factor\" \"labs_email\" {{\n  org_id = \"{INHERITING_ORG}\"\n  type = \"SECOND_FACTOR_TYPE_OTP_EMAIL\"\n}}\n"
        );
    let ws = Ws::new(&config);
    ws.run(&["apply", "-auto-approve", "-input=false", "-parallelism=10"]).ok().mentions(&[
        "4 added",
        "[id=instance]",
        &format!("[id={CUSTOM_ORG}]"),
        &format!("Warning: Organization {INHERITING_ORG} now has login settings of its own"),
    ]);
    let instance = app.instance_policy();
    assert_eq!(
        (&instance["forceMfa"], &instance["mfaInitSkipLifetime"], &instance["secondFactorCheckLifetime"]),
        (&json!(true), &json!("604800s"), &json!("28800s"))
    );
    // Unset lifetimes keep what the settings held.
    assert_eq!(instance["multiFactorCheckLifetime"], "43200s");
    let payments = app.org_policy(CUSTOM_ORG).unwrap();
    assert_eq!((&payments["forceMfa"], &payments["forceMfaLocalOnly"]), (&json!(true), &json!(true)));
    let labs = app.org_policy(INHERITING_ORG).expect("the inheriting organization got settings of its own");
    assert_eq!((&labs["forceMfa"], &labs["multiFactorCheckLifetime"]), (&json!(true), &json!("5400s")));
    assert!(app.org_factors(INHERITING_ORG, Second).unwrap().contains(&"SECOND_FACTOR_TYPE_OTP_EMAIL".to_string()));
    // The user's spellings are kept in state; unset values are shown as the server holds them.
    let attrs = ws.attrs("zitadel_login_mfa_settings.instance");
    assert_eq!(
        (&attrs["mfa_init_skip_lifetime"], &attrs["multi_factor_check_lifetime"], &attrs["force_mfa_local_only"]),
        (&json!("168h"), &json!("12h"), &json!(false))
    );
    ws.assert_no_changes();

    // Drift: switched off in the console, shown in the plan, switched back on by the apply.
    app.set_org_policy_field(CUSTOM_ORG, "forceMfa", json!(false));
    ws.assert_changes().mentions(&["zitadel_login_mfa_settings.payments will be updated in-place", "~ force_mfa"]);
    ws.apply().ok().mentions(&["1 changed"]);
    assert_eq!(app.org_policy(CUSTOM_ORG).unwrap()["forceMfa"], true);

    // An update changes only what changed in the configuration.
    ws.write(&config.replace("second_factor_check_lifetime = \"8h\"", "second_factor_check_lifetime = \"4h\""));
    ws.apply().ok().mentions(&["1 changed"]);
    assert_eq!(app.instance_policy()["secondFactorCheckLifetime"], "14400s");
    ws.assert_no_changes();

    // Destroy leaves the settings as they are, and says so.
    ws.run(&["destroy", "-auto-approve", "-input=false", "-parallelism=10"])
        .ok()
        .mentions(&["4 destroyed", "restore_on_destroy"]);
    assert_eq!(app.instance_policy()["forceMfa"], true);
    assert_eq!(app.org_policy(CUSTOM_ORG).unwrap()["forceMfa"], true);
}

/// Every field the update request carries besides the MFA ones, set to a non-default value,
/// survives an apply unchanged — on the instance and on an organization.
#[test]
fn every_other_login_setting_survives_an_apply() {
    let (app, emu) = harness::started(ZitadelEmulator::new());
    let others = [
        ("allowUsernamePassword", json!(false)),
        ("allowRegister", json!(false)),
        ("allowExternalIdp", json!(false)),
        ("passwordlessType", json!("PASSWORDLESS_TYPE_NOT_ALLOWED")),
        ("hidePasswordReset", json!(true)),
        ("ignoreUnknownUsernames", json!(true)),
        ("defaultRedirectUri", json!("https://login.acme.example/welcome")),
        ("passwordCheckLifetime", json!("172800s")),
        ("externalLoginCheckLifetime", json!("7200s")),
        ("allowDomainDiscovery", json!(false)),
        ("disableLoginWithEmail", json!(true)),
        ("disableLoginWithPhone", json!(true)),
        ("useDefaultUriForNotificationLinks", json!(true)),
    ];
    for (field, value) in &others {
        app.set_instance_policy_field(field, value.clone());
        app.set_org_policy_field(CUSTOM_ORG, field, value.clone());
    }
    let (instance_before, org_before) = (app.instance_policy(), app.org_policy(CUSTOM_ORG).unwrap());
    let config = pat(&emu.url())
        + &settings(
            "instance",
            None,
            "  force_mfa = true\n  force_mfa_local_only = true\n  mfa_init_skip_lifetime = \"0s\"\n  second_factor_check_lifetime = \"1h\"\n  multi_factor_check_lifetime = \"2h\"",
        )
        + &settings("payments", Some(CUSTOM_ORG), "  force_mfa = false\n  mfa_init_skip_lifetime = \"24h\"");
    let ws = Ws::new(&config);
    ws.apply().ok().mentions(&["2 added"]);
    let (instance, org) = (app.instance_policy(), app.org_policy(CUSTOM_ORG).unwrap());
    assert_eq!(without_mfa_fields(&instance), without_mfa_fields(&instance_before));
    assert_eq!(without_mfa_fields(&org), without_mfa_fields(&org_before));
    for (field, value) in &others {
        assert_eq!((field, &instance[*field]), (field, value), "instance");
        assert_eq!((field, &org[*field]), (field, value), "organization");
    }
    assert_eq!(
        MFA_FIELDS.map(|f| instance[f].clone()),
        [json!(true), json!(true), json!("0s"), json!("3600s"), json!("7200s")]
    );
    assert_eq!((&org["forceMfa"], &org["mfaInitSkipLifetime"]), (&json!(false), &json!("86400s")));
    ws.assert_no_changes();
}

#[test]
fn durations_in_another_spelling_are_no_change_and_bad_ones_fail_at_validate() {
    let (app, emu) = harness::started(ZitadelEmulator::new());
    let config =
        pat(&emu.url()) + &settings("instance", None, "  force_mfa = true\n  mfa_init_skip_lifetime = \"720h\"");
    let ws = Ws::new(&config);
    ws.apply().ok();
    assert_eq!(app.instance_policy()["mfaInitSkipLifetime"], "2592000s");
    for same in ["43200m", "2592000s", "720h0m0s"] {
        ws.write(&config.replace("\"720h\"", &format!("\"{same}\"")));
        ws.assert_no_changes();
    }
    // The first write of the same value is not sent either (ZITADEL would refuse it as NotChanged).
    assert_eq!(statuses(&emu, "PUT", "/admin/v1/policies/login"), [200]);

    ws.write(&config.replace("\"720h\"", "\"30d\""));
    ws.run(&["validate"]).fails_with(&[
        "mfa_init_skip_lifetime",
        "must be a duration such as \"720h\", \"1h30m\" or \"90s\" (Go has no days: 30 days is \"720h\")",
    ]);
    assert_eq!(statuses(&emu, "PUT", "/admin/v1/policies/login"), [200], "nothing sent for a bad duration");
}

#[test]
fn import_then_restore_on_destroy() {
    let (app, emu) = harness::started(ZitadelEmulator::new());
    // The custom organization forces MFA with the default lifetimes.
    let config = pat(&emu.url())
        + &settings("payments", Some(CUSTOM_ORG), "  force_mfa = true\n  mfa_init_skip_lifetime = \"43200m\"");
    let ws = Ws::new(&config);
    ws.import("zitadel_login_mfa_settings.payments", CUSTOM_ORG).ok();
    ws.assert_no_changes();
    assert_eq!(ws.attrs("zitadel_login_mfa_settings.payments")["id"], CUSTOM_ORG);

    // Switch it off, remembering to restore on destroy: the settings at import come back.
    let managed = config.replace(
        "force_mfa = true",
        "force_mfa = false\n  second_factor_check_lifetime = \"2h\"\n  restore_on_destroy = true",
    );
    ws.write(&managed);
    ws.apply().ok().mentions(&["1 changed"]);
    let org = app.org_policy(CUSTOM_ORG).unwrap();
    assert_eq!((&org["forceMfa"], &org["secondFactorCheckLifetime"]), (&json!(false), &json!("7200s")));
    ws.destroy().ok().mentions(&["1 destroyed"]);
    let org = app.org_policy(CUSTOM_ORG).unwrap();
    assert_eq!((&org["forceMfa"], &org["secondFactorCheckLifetime"]), (&json!(true), &json!("64800s")));

    // Import IDs: the instance, and nothing for an organization that inherits.
    let instance = pat(&emu.url()) + &settings("instance", None, "  force_mfa = false");
    let ws = Ws::new(&instance);
    ws.import("zitadel_login_mfa_settings.instance", "instance").ok();
    ws.assert_no_changes();
    ws.write(&(instance + &settings("labs", Some(INHERITING_ORG), "  force_mfa = true")));
    ws.import("zitadel_login_mfa_settings.labs", INHERITING_ORG)
        .fails_with(&["Nothing to import", "inherits the instance defaults"]);
    // Near misses are said as such, not as an organization that does not exist.
    ws.import("zitadel_login_mfa_settings.labs", "Instance").fails_with(&["Invalid import ID", "spelt \"instance\""]);
    ws.import("zitadel_login_mfa_settings.labs", "instance/SECOND_FACTOR_TYPE_OTP")
        .fails_with(&["Invalid import ID", "the scope alone, e.g. \"instance\""]);
}

/// The update's answer is lost after ZITADEL applied it; the repeat is refused as NotChanged
/// (`INSTANCE-5M9vdd`), which means it is already applied: the apply succeeds after reading back.
#[test]
fn a_lost_answer_then_not_changed_counts_as_applied() {
    let (app, emu) = harness::started(ZitadelEmulator::new());
    emu.control.push_fault(Fault::new(FaultKind::Lost).times(1).on_method("PUT").on_path("/admin/v1/policies/login$"));
    let ws = Ws::new(&(pat(&emu.url()) + &settings("instance", None, "  force_mfa = true")));
    ws.apply().ok().mentions(&["1 added"]);
    assert_eq!(app.instance_policy()["forceMfa"], true);
    let puts = statuses(&emu, "PUT", "/admin/v1/policies/login");
    assert_eq!(puts.len(), 2, "{puts:?}");
    assert_eq!(puts[1], 400, "the repeat is refused as NotChanged (FailedPrecondition)");
    ws.assert_no_changes();

    // A deleted organization's settings are gone: the plan recreates them, the apply says why it
    // cannot.
    let ws = Ws::new(&(pat(&emu.url()) + &settings("payments", Some(CUSTOM_ORG), "  force_mfa = true")));
    ws.apply().ok();
    app.remove_org(CUSTOM_ORG);
    ws.assert_changes().mentions(&["zitadel_login_mfa_settings.payments will be created"]);
    ws.apply().fails_with(&[&format!("Organization {CUSTOM_ORG} does not exist"), "org_id"]);
}

/// The configured URL now reaches another ZITADEL instance (another environment, a DNS change):
/// the instance's default settings in state are pinned to the instance that owned them, so the
/// plan fails naming both instances and how to move on — never drift that apply would "fix" by
/// writing into the other instance. Organization settings need no pin (another instance has no
/// such organization).
#[test]
fn another_instance_behind_the_url_is_an_error_not_drift() {
    let (app, emu) = harness::started(ZitadelEmulator::new());
    let config = pat(&emu.url())
        + &settings("instance", None, "  force_mfa = false")
        + "\nresource \"zitadel_lockout_settings\" \"instance\" {\n  max_password_attempts = 5\n}\n";
    let ws = Ws::new(&config);
    ws.apply().ok();
    ws.assert_no_changes();
    // Another instance, whose defaults differ from what state holds.
    app.set_instance_id("900000000000000009");
    app.set_instance_policy_field("forceMfa", json!(true));
    app.set_instance_lockout(0, 0);
    let want = ["points at another ZITADEL instance", "100000000000000000", "900000000000000009", "terraform state rm"];
    ws.plan().fails_with(&want);
    ws.apply().fails_with(&want);
    assert_eq!(app.instance_policy()["forceMfa"], json!(true), "nothing was written into the other instance");
    assert_eq!(app.instance_lockout().max_password_attempts, 0);
}
