//! `zitadel_login_multifactor` / `zitadel_login_second_factor` under real Terraform against the
//! ZITADEL emulator.

use std::time::Duration;

use mfa_sandbox::Fault;
use mfa_sandbox::zitadel::FactorList::{Multi, Second};
use mfa_sandbox::zitadel::{CUSTOM_ORG, INHERITING_ORG, INHERITING_ORG_2, ORG_OWNER_PAT, ZitadelEmulator};

use crate::harness::{self, Provider, Ws, required_providers};

const PASSKEY: &str = "MULTI_FACTOR_TYPE_U2F_WITH_VERIFICATION";

/// Literal: the credentials (none, conflicting, a key file, another user's token) are what its
/// scenarios are about.
fn provider(url: &str, auth: &str) -> String {
    format!("{}\nprovider \"zitadel\" {{\n  url = \"{url}\"\n  {auth}\n}}\n", required_providers(&["zitadel"]))
}

/// The zitadel provider with the emulator's personal access token.
pub(crate) fn pat(url: &str) -> String {
    Provider::of_type("zitadel", url).config()
}

fn factor(kind: &str, name: &str, ty: &str, org: Option<&str>) -> String {
    let org = org.map(|o| format!("\n  org_id = \"{o}\"")).unwrap_or_default();
    format!("\nresource \"zitadel_login_{kind}\" \"{name}\" {{\n  type = \"{ty}\"{org}\n}}\n")
}

#[test]
fn instance_and_org_scopes_lifecycle_with_drift_and_destroy() {
    let (app, emu) = harness::started(ZitadelEmulator::new());
    let config = pat(&emu.url())
        + &factor("second_factor", "email", "SECOND_FACTOR_TYPE_OTP_EMAIL", None)
        + &factor("multifactor", "passkeys", PASSKEY, Some(CUSTOM_ORG));
    let ws = Ws::new(&config);
    ws.apply().ok().mentions(&[
        "2 added",
        "[id=instance/SECOND_FACTOR_TYPE_OTP_EMAIL]",
        &format!("[id={CUSTOM_ORG}/{PASSKEY}]"),
    ]);
    assert!(app.instance_factors(Second).contains(&"SECOND_FACTOR_TYPE_OTP_EMAIL".to_string()));
    assert_eq!(app.org_factors(CUSTOM_ORG, Multi), Some(vec![PASSKEY.to_string()]));
    ws.assert_no_changes();

    // Removed in the console: the plan recreates it.
    app.remove_out_of_band(Some(CUSTOM_ORG), Multi, PASSKEY);
    ws.assert_changes().mentions(&["zitadel_login_multifactor.passkeys will be created"]);
    ws.apply().ok();
    assert_eq!(app.org_factors(CUSTOM_ORG, Multi), Some(vec![PASSKEY.to_string()]));

    // Changing the organization replaces the resource.
    ws.write(&config.replace(CUSTOM_ORG, INHERITING_ORG));
    ws.assert_changes().mentions(&["must be replaced", "forces replacement"]);

    ws.write(&config);
    ws.destroy().ok().mentions(&["2 destroyed"]);
    assert!(!app.instance_factors(Second).contains(&"SECOND_FACTOR_TYPE_OTP_EMAIL".to_string()));
    assert_eq!(app.org_factors(CUSTOM_ORG, Multi), Some(vec![]));
}

#[test]
fn inheriting_org_gets_its_own_settings_with_a_warning() {
    let (app, emu) = harness::started(ZitadelEmulator::new());
    let ws = Ws::new(
        &(pat(&emu.url()) + &factor("second_factor", "email", "SECOND_FACTOR_TYPE_OTP_EMAIL", Some(INHERITING_ORG))),
    );
    let out = ws.apply();
    out.ok().mentions(&[
        &format!("Warning: Organization {INHERITING_ORG} now has login settings of its own"),
        "zitadel/zitadel#9047",
        "with SECOND_FACTOR_TYPE_OTP_EMAIL added",
    ]);
    let warning = out.text().split("now has login settings of its own").nth(1).unwrap_or_default().to_string();
    let warning = warning.split("Warning:").next().unwrap_or_default();
    assert_eq!(warning.matches("SECOND_FACTOR_TYPE_OTP_EMAIL").count(), 1, "the added factor is named once: {warning}");
    // The inherited values were carried over, with the new factor.
    let own = app.org_policy(INHERITING_ORG).expect("own settings");
    assert_eq!(
        own["secondFactors"],
        serde_json::json!(["SECOND_FACTOR_TYPE_OTP", "SECOND_FACTOR_TYPE_U2F", "SECOND_FACTOR_TYPE_OTP_EMAIL"])
    );
    assert_eq!(own["multiFactors"], serde_json::json!([PASSKEY]));
    assert_eq!(own["passwordCheckLifetime"], "864000s");
    assert_eq!(own["idps"][0]["idpName"], "Google");
    ws.assert_no_changes();

    // Reset to the defaults in the console: the factor is no longer the organization's own.
    app.reset_org_to_default(INHERITING_ORG);
    ws.assert_changes().mentions(&["will be created"]);
}

#[test]
fn several_factors_across_several_orgs_at_once() {
    let (app, emu) = harness::started(ZitadelEmulator::new());
    let config = pat(&emu.url())
        + &factor("second_factor", "sms_default", "SECOND_FACTOR_TYPE_OTP_SMS", None)
        + &factor("multifactor", "pk_payments", PASSKEY, Some(CUSTOM_ORG))
        + &factor("second_factor", "u2f_payments", "SECOND_FACTOR_TYPE_U2F", Some(CUSTOM_ORG))
        // Two resources on one inheriting organization, one of them for an inherited factor.
        + &factor("second_factor", "email_labs", "SECOND_FACTOR_TYPE_OTP_EMAIL", Some(INHERITING_ORG))
        + &factor("second_factor", "otp_labs", "SECOND_FACTOR_TYPE_OTP", Some(INHERITING_ORG))
        + &factor("multifactor", "pk_retail", PASSKEY, Some(INHERITING_ORG_2));
    let ws = Ws::new(&config);
    ws.run(&["apply", "-auto-approve", "-input=false", "-parallelism=10"]).ok().mentions(&["6 added"]);
    ws.assert_no_changes();
    // The copy holds the instance defaults as they were when it was taken: the instance's new OTP_SMS,
    // added concurrently, is in it only if that add landed first. Nothing else may differ.
    let mut labs = app.org_factors(INHERITING_ORG, Second).unwrap();
    labs.retain(|f| f != "SECOND_FACTOR_TYPE_OTP_SMS");
    labs.sort();
    assert_eq!(labs, ["SECOND_FACTOR_TYPE_OTP", "SECOND_FACTOR_TYPE_OTP_EMAIL", "SECOND_FACTOR_TYPE_U2F"]);
    assert_eq!(app.org_factors(INHERITING_ORG_2, Multi), Some(vec![PASSKEY.to_string()]));
    assert!(app.org_factors(CUSTOM_ORG, Second).unwrap().contains(&"SECOND_FACTOR_TYPE_U2F".to_string()));
    ws.run(&["destroy", "-auto-approve", "-input=false", "-parallelism=10"]).ok().mentions(&["6 destroyed"]);
}

/// The documented way to have an instance change in an inheriting organization's copy: order it.
#[test]
fn depends_on_puts_an_instance_change_into_the_copy() {
    let (app, emu) = harness::started(ZitadelEmulator::new());
    let email = factor("second_factor", "email_retail", "SECOND_FACTOR_TYPE_OTP_EMAIL", Some(INHERITING_ORG_2));
    let email = email.replacen("\n}", "\n  depends_on = [zitadel_login_second_factor.sms_default]\n}", 1);
    let ws = Ws::new(
        &(pat(&emu.url()) + &factor("second_factor", "sms_default", "SECOND_FACTOR_TYPE_OTP_SMS", None) + &email),
    );
    ws.run(&["apply", "-auto-approve", "-input=false", "-parallelism=10"]).ok().mentions(&["2 added"]);
    let mut retail = app.org_factors(INHERITING_ORG_2, Second).unwrap();
    retail.sort();
    assert_eq!(
        retail,
        [
            "SECOND_FACTOR_TYPE_OTP",
            "SECOND_FACTOR_TYPE_OTP_EMAIL",
            "SECOND_FACTOR_TYPE_OTP_SMS",
            "SECOND_FACTOR_TYPE_U2F"
        ]
    );
    ws.assert_no_changes();
}

#[test]
fn import_both_scopes_then_no_changes() {
    let (app, emu) = harness::started(ZitadelEmulator::new());
    // The instance defaults already have passkeys and OTP; the custom org has OTP.
    let config = pat(&emu.url())
        + &factor("multifactor", "pk", PASSKEY, None)
        + &factor("second_factor", "otp", "SECOND_FACTOR_TYPE_OTP", Some(CUSTOM_ORG));
    let ws = Ws::new(&config);
    ws.import("zitadel_login_multifactor.pk", &format!("instance/{PASSKEY}")).ok();
    ws.import("zitadel_login_second_factor.otp", &format!("{CUSTOM_ORG}/SECOND_FACTOR_TYPE_OTP")).ok();
    ws.assert_no_changes();
    assert_eq!(ws.attrs("zitadel_login_multifactor.pk")["origin"], "imported");
    ws.import("zitadel_login_second_factor.otp", "bogus")
        .fails_with(&["Invalid import ID", "instance/<type> or <org_id>/<type>"]);
    // An imported factor stays enabled on destroy: users may have enrolled only that one.
    ws.destroy().ok().mentions(&[&format!("{PASSKEY} will stay enabled"), "it was imported"]);
    assert!(app.instance_factors(Multi).contains(&PASSKEY.to_string()));
    assert_eq!(app.org_factors(CUSTOM_ORG, Second), Some(vec!["SECOND_FACTOR_TYPE_OTP".to_string()]));
}

#[test]
fn bad_type_and_credentials_fail_before_any_call() {
    let (_app, emu) = harness::started(ZitadelEmulator::new());
    let ws = Ws::new(&(pat(&emu.url()) + &factor("multifactor", "x", "MULTI_FACTOR_TYPE_UNSPECIFIED", None)));
    ws.run(&["validate"]).fails_with(&[
        "Invalid value for type",
        "\"MULTI_FACTOR_TYPE_U2F_WITH_VERIFICATION\"",
        "type = \"MULTI_FACTOR_TYPE_UNSPECIFIED\"",
    ]);
    // The v2 settings API's alias is not a v1 value.
    ws.write(&(pat(&emu.url()) + &factor("second_factor", "x", "SECOND_FACTOR_TYPE_TOTP", None)));
    ws.run(&["validate"]).fails_with(&[
        "Invalid value for type",
        "SECOND_FACTOR_TYPE_OTP_SMS",
        "SECOND_FACTOR_TYPE_RECOVERY_CODES",
    ]);

    let body = factor("multifactor", "pk", PASSKEY, None);
    ws.write(&(provider(&emu.url(), "") + &body));
    ws.plan().fails_with(&["Missing ZITADEL credentials", "ZITADEL_ACCESS_TOKEN", "ZITADEL_JWT_PROFILE_FILE"]);
    ws.write(&(provider(&emu.url(), "access_token = \"a\"\n  jwt_profile_json = \"{}\"") + &body));
    ws.run(&["validate"]).fails_with(&["Conflicting ZITADEL credentials"]);
    ws.write(&(provider(&emu.url(), "jwt_profile_json = \"{\\\"keyId\\\": 1}\"") + &body));
    ws.plan().fails_with(&["Invalid ZITADEL key file", "jwt_profile_json"]);
    assert!(emu.control.requests().is_empty(), "no request may be sent");
}

#[test]
fn jwt_profile_auth_and_permission_errors() {
    let (app, emu) = harness::started(ZitadelEmulator::new());
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key.json");
    std::fs::write(&key, app.key_file_json()).unwrap();
    let body = factor("second_factor", "email", "SECOND_FACTOR_TYPE_OTP_EMAIL", None);
    let ws = Ws::new(&(provider(&emu.url(), &format!("jwt_profile_file = \"{}\"", key.display())) + &body));
    ws.apply().ok();
    ws.assert_no_changes();
    assert!(emu.control.count("POST", "/oauth/v2/token") >= 1);
    let out = ws.destroy();
    out.ok();
    assert!(!out.all().contains("BEGIN RSA PRIVATE KEY"));

    // An ORG_OWNER may not change the instance defaults.
    let ws2 = Ws::new(&(provider(&emu.url(), &format!("access_token = \"{ORG_OWNER_PAT}\"")) + &body));
    ws2.apply().fails_with(&["ZITADEL denied permission", "IAM_OWNER"]);
    // A wrong token is Unauthenticated, said plainly.
    let ws3 = Ws::new(&(provider(&emu.url(), "access_token = \"nope\"") + &body));
    ws3.apply().fails_with(&["ZITADEL rejected the credentials", "ZITADEL_ACCESS_TOKEN"]);
}

#[test]
fn lagging_reads_and_uncertain_writes_are_reconciled() {
    let (app, emu) = harness::started(ZitadelEmulator::new());
    app.set_projection_lag(Duration::from_millis(800));
    // The first add answers 503: the provider reads back (absent) before adding again.
    emu.control
        .push_fault(Fault::status(503).times(1).on_method("POST").on_path("/admin/v1/policies/login/second_factors$"));
    let ws = Ws::new(&(pat(&emu.url()) + &factor("second_factor", "sms", "SECOND_FACTOR_TYPE_OTP_SMS", None)));
    ws.apply().ok();
    let adds: Vec<u16> = emu
        .control
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path == "/admin/v1/policies/login/second_factors")
        .map(|r| r.status)
        .collect();
    assert_eq!(adds, [503, 200]);
    ws.assert_no_changes();
}

#[test]
fn exchanged_token_expiring_mid_run_is_replaced() {
    let (app, emu) = harness::started(ZitadelEmulator::new());
    let key = app.key_file_json();
    let auth = format!("jwt_profile_json = {key:?}");
    let config = provider(&emu.url(), &auth)
        + &factor("second_factor", "email", "SECOND_FACTOR_TYPE_OTP_EMAIL", Some(CUSTOM_ORG))
        + &factor("second_factor", "sms", "SECOND_FACTOR_TYPE_OTP_SMS", Some(CUSTOM_ORG))
        + &factor("multifactor", "pk", PASSKEY, Some(CUSTOM_ORG));
    let ws = Ws::new(&config);
    // The token expires after a few calls, in the middle of the apply.
    app.expire_access_tokens_after(3);
    ws.apply().ok().mentions(&["3 added"]);
    let expired = emu.control.requests().iter().filter(|r| r.status == 401).count();
    assert!(expired >= 1, "the expiry was never hit");
    // Every rejected call was followed by one new exchange, not by a failure.
    assert!(emu.control.count("POST", "/oauth/v2/token") >= 2);
    ws.assert_no_changes();
}

/// ZITADEL answers 403 `AUTH-Bs7Ds` "Organisation doesn't exist" for a deleted organization: its
/// factors read as gone, destroying them needs no `terraform state rm`, and creating one says the
/// organization does not exist, on `org_id`.
#[test]
fn a_deleted_organization_is_gone_not_a_permission_problem() {
    let (app, emu) = harness::started(ZitadelEmulator::new());
    let config = pat(&emu.url()) + &factor("multifactor", "pk", PASSKEY, Some(CUSTOM_ORG));
    let ws = Ws::new(&config);
    ws.apply().ok();
    app.remove_org(CUSTOM_ORG);
    // Destroy without refreshing reaches the delete call itself: the factor is gone with its org.
    ws.run(&["destroy", "-auto-approve", "-input=false", "-refresh=false"]).ok().mentions(&["1 destroyed"]);
    // A fresh apply: refresh finds nothing, create names the organization and the attribute.
    let out = ws.apply();
    out.fails_with(&["Organization does not exist", &format!("Organization {CUSTOM_ORG} does not exist"), "org_id"]);
    assert!(!out.text().contains("IAM_OWNER"), "not a permission problem:\n{}", out.all());

    // With the factor in state, a refresh drops it, and destroy needs nothing by hand.
    let (app, emu) = harness::started(ZitadelEmulator::new());
    let ws =
        Ws::new(&(pat(&emu.url()) + &factor("second_factor", "otp", "SECOND_FACTOR_TYPE_OTP_SMS", Some(CUSTOM_ORG))));
    ws.apply().ok();
    app.remove_org(CUSTOM_ORG);
    ws.assert_changes().mentions(&["will be created"]);
    ws.destroy().ok();
    assert_eq!(ws.state()["values"]["root_module"]["resources"].as_array().map_or(0, Vec::len), 0);
}

/// Only ZITADEL's own NotFound for the factor means "already removed": a proxy that misroutes the
/// DELETE gets the gateway's bare 404, the destroy fails, and the factor stays in state.
#[test]
fn a_misrouted_delete_keeps_the_factor_in_state() {
    let (app, emu) = harness::started(ZitadelEmulator::new());
    let ws = Ws::new(
        &(pat(&emu.url()) + &factor("second_factor", "email", "SECOND_FACTOR_TYPE_OTP_EMAIL", Some(CUSTOM_ORG))),
    );
    ws.apply().ok();
    // The type travels in the path as plain text: `_` needs no escaping.
    let deletes =
        || emu.control.requests().into_iter().filter(|r| r.method == "DELETE").map(|r| r.path).collect::<Vec<_>>();
    app.misroute_deletes(true);
    ws.destroy().fails_with(&["Not ZITADEL's answer", "proxy"]);
    assert_eq!(deletes(), ["/management/v1/policies/login/second_factors/SECOND_FACTOR_TYPE_OTP_EMAIL"]);
    assert!(app.org_factors(CUSTOM_ORG, Second).unwrap().contains(&"SECOND_FACTOR_TYPE_OTP_EMAIL".to_string()));
    assert!(!ws.state()["values"]["root_module"]["resources"].as_array().unwrap().is_empty(), "dropped from state");
    app.misroute_deletes(false);
    ws.destroy().ok().mentions(&["1 destroyed"]);
    assert!(!app.org_factors(CUSTOM_ORG, Second).unwrap().contains(&"SECOND_FACTOR_TYPE_OTP_EMAIL".to_string()));
}

/// A factor added while the organization inherited (zitadel/zitadel#9047) stays active but
/// invisible, also after the organization got settings of its own. Import explains it; create
/// removes the ghost, adds the factor again and says so.
#[test]
fn ghost_factors_are_resolved_with_a_warning() {
    let (app, emu) = harness::started(ZitadelEmulator::new());
    let ty = "SECOND_FACTOR_TYPE_OTP_EMAIL";
    app.add_out_of_band(INHERITING_ORG, Second, ty);
    app.create_policy_out_of_band(INHERITING_ORG);
    assert_eq!(app.ghosts(INHERITING_ORG), [(Second, ty.to_string())]);
    let config = pat(&emu.url()) + &factor("second_factor", "email", ty, Some(INHERITING_ORG));
    let ws = Ws::new(&config);
    ws.import("zitadel_login_second_factor.email", &format!("{INHERITING_ORG}/{ty}")).fails_with(&[
        "Nothing to import",
        "ghost",
        "zitadel/zitadel#9047",
        "removes the ghost",
    ]);
    ws.apply().ok().mentions(&[
        &format!("Warning: {ty} was a ghost factor in organization {INHERITING_ORG}"),
        "removed that invisible factor and added it again",
    ]);
    assert!(app.ghosts(INHERITING_ORG).is_empty());
    assert!(app.org_factors(INHERITING_ORG, Second).unwrap().contains(&ty.to_string()));
    ws.assert_no_changes();
}

/// What an inheriting organization's copy keeps: `useDefaultUriForNotificationLinks` travels in
/// the creation request where ZITADEL knows it; where the copy loses it anyway, the warning
/// names the setting and its value.
#[test]
fn the_copied_policy_carries_the_notification_links_flag_or_names_it() {
    let (app, emu) = harness::started(ZitadelEmulator::new());
    app.set_instance_policy_field("defaultRedirectUri", serde_json::json!("https://login.acme.example/"));
    app.set_instance_policy_field("useDefaultUriForNotificationLinks", serde_json::json!(true));
    let config =
        pat(&emu.url()) + &factor("second_factor", "email", "SECOND_FACTOR_TYPE_OTP_EMAIL", Some(INHERITING_ORG));
    let ws = Ws::new(&config);
    let out = ws.apply();
    out.ok().mentions(&["now has login settings of its own"]);
    assert!(!out.text().contains("did not keep"), "{}", out.all());
    let own = app.org_policy(INHERITING_ORG).unwrap();
    assert_eq!(
        (own["useDefaultUriForNotificationLinks"].clone(), own["defaultRedirectUri"].clone()),
        (serde_json::json!(true), serde_json::json!("https://login.acme.example/"))
    );

    let (app, emu) = harness::started(ZitadelEmulator::new());
    app.set_instance_policy_field("defaultRedirectUri", serde_json::json!("https://login.acme.example/"));
    app.set_instance_policy_field("useDefaultUriForNotificationLinks", serde_json::json!(true));
    app.drop_notification_links_flag_on_create();
    let ws = Ws::new(
        &(pat(&emu.url()) + &factor("second_factor", "email", "SECOND_FACTOR_TYPE_OTP_EMAIL", Some(INHERITING_ORG))),
    );
    ws.apply().ok().mentions(&[
        "ZITADEL did not keep these inherited settings in the copy: useDefaultUriForNotificationLinks = true",
    ]);
}

/// `SECOND_FACTOR_TYPE_RECOVERY_CODES` (policy.proto value 5, ZITADEL v4.9+) is a factor like the others.
#[test]
fn recovery_codes_are_a_second_factor() {
    let (app, emu) = harness::started(ZitadelEmulator::new());
    let ws = Ws::new(&(pat(&emu.url()) + &factor("second_factor", "codes", "SECOND_FACTOR_TYPE_RECOVERY_CODES", None)));
    ws.apply().ok();
    assert!(app.instance_factors(Second).contains(&"SECOND_FACTOR_TYPE_RECOVERY_CODES".to_string()));
    ws.assert_no_changes();
    ws.destroy().ok();
    assert!(!app.instance_factors(Second).contains(&"SECOND_FACTOR_TYPE_RECOVERY_CODES".to_string()));
}

/// Four factors of one organization in one apply: the organization's policy is read once before
/// the first add and once after it; once that read-back showed the add at once, the later adds
/// are taken at their answer (this server's reads follow its writes). A server whose reads lag
/// gets every add read back, and the next plan is still empty.
#[test]
fn answered_adds_are_read_back_until_reads_are_seen_to_follow_writes() {
    for lag in [Duration::ZERO, Duration::from_millis(300)] {
        let (app, emu) = harness::started(ZitadelEmulator::new());
        app.set_projection_lag(lag);
        let config = pat(&emu.url())
            + &factor("second_factor", "email", "SECOND_FACTOR_TYPE_OTP_EMAIL", Some(CUSTOM_ORG))
            + &factor("second_factor", "sms", "SECOND_FACTOR_TYPE_OTP_SMS", Some(CUSTOM_ORG))
            + &factor("second_factor", "u2f", "SECOND_FACTOR_TYPE_U2F", Some(CUSTOM_ORG))
            + &factor("multifactor", "pk", PASSKEY, Some(CUSTOM_ORG));
        let ws = Ws::new(&config);
        emu.control.clear_requests();
        ws.run(&["apply", "-auto-approve", "-input=false", "-parallelism=1"]).ok().mentions(&["4 added"]);
        let reads = emu.control.count("GET", "/management/v1/policies/login");
        if lag.is_zero() {
            assert_eq!(reads, 2, "one read before the first add, one after it");
        } else {
            assert!(reads > 4, "every add read back under lag (and one read first): {reads} reads");
        }
        ws.assert_no_changes();
    }
}
