//! `onlyoffice_tfa_settings` under real Terraform against the DocSpace emulator.

use mfa_sandbox::RunningEmulator;
use mfa_sandbox::onlyoffice::{
    ADMIN_EMAIL, ADMIN_ID, ADMIN_PASSWORD, OWNER_ID, OnlyofficeEmulator, READ_ONLY_API_KEY, STAFF_API_KEY,
    STAFF_GROUP_ID, STAFF_USER_ID,
};
use mfa_sandbox::{Fault, FaultKind};

use crate::harness::{self, Provider, Ws, required_providers};

/// The onlyoffice provider for the portal at `url`, authenticated by `auth`. Literal: the
/// credentials (another key, a password, a session token) are what its scenarios are about.
pub(crate) fn provider(url: &str, auth: &str) -> String {
    format!(
        "{}\nprovider \"onlyoffice\" {{\n  portal_url = \"{url}\"\n  {auth}\n}}\n",
        required_providers(&["onlyoffice"])
    )
}

fn with_key(url: &str, body: &str) -> String {
    Provider::of_type("onlyoffice", url).config() + &resource(body)
}

fn resource(body: &str) -> String {
    format!("\nresource \"onlyoffice_tfa_settings\" \"portal\" {{\n{body}\n}}\n")
}

fn host(emu: &RunningEmulator) -> String {
    format!("127.0.0.1:{}", emu.addr.port())
}

#[test]
fn each_type_switched_in_place_and_second_apply_sends_nothing() {
    let (app, emu) = harness::started(OnlyofficeEmulator::new());
    app.set_sms_available(true);
    let app_cfg = format!(
        "  type = \"app\"\n  trusted_ips = [\"10.0.0.0/8\", \"192.168.1.1-192.168.1.9\"]\n  mandatory_users = [\"{STAFF_USER_ID}\"]\n  mandatory_groups = [\"{STAFF_GROUP_ID}\"]"
    );
    let ws = Ws::new(&with_key(&emu.url(), &app_cfg));
    ws.apply().ok().mentions(&[&format!("[id={}]", host(&emu))]);
    let (ty, ips, users, groups) = app.settings();
    assert_eq!(
        (ty.as_str(), ips.len(), users, groups),
        ("app", 2, vec![STAFF_USER_ID.to_string()], vec![STAFF_GROUP_ID.to_string()])
    );
    ws.assert_no_changes();

    let puts = emu.control.count("PUT", "/api/2.0/settings/tfaapp");
    ws.apply().ok().mentions(&["0 added, 0 changed, 0 destroyed"]);
    // Only restore_on_destroy changes: nothing is sent either.
    ws.write(&with_key(&emu.url(), &format!("{app_cfg}\n  restore_on_destroy = true")));
    ws.apply().ok().mentions(&["1 changed"]);
    assert_eq!(emu.control.count("PUT", "/api/2.0/settings/tfaapp"), puts, "no-op applies must not write");

    ws.write(&with_key(&emu.url(), "  type = \"sms\"\n  trusted_ips = [\"10.0.0.0/8\"]"));
    ws.assert_changes().mentions(&["~ type = \"app\" -> \"sms\"", "1 to change"]);
    ws.apply().ok();
    assert_eq!(app.settings().0, "sms");
    ws.assert_no_changes();

    ws.write(&with_key(&emu.url(), "  type = \"none\""));
    ws.apply().ok();
    assert_eq!(app.settings(), ("none".into(), vec![], vec![], vec![]));
    ws.assert_no_changes();
}

#[test]
fn server_order_case_and_old_spelling_never_cause_a_diff() {
    let (app, emu) = harness::started(OnlyofficeEmulator::new());
    app.reorder_lists(true);
    app.use_old_spelling(true);
    app.set_sms_available(true);
    let upper = STAFF_USER_ID.to_uppercase();
    let cfg = format!(
        "  type = \"sms\"\n  trusted_ips = [\"10.0.0.1\", \"10.0.0.2\", \"10.0.0.3\"]\n  mandatory_users = [\"{upper}\"]\n  mandatory_groups = []"
    );
    let ws = Ws::new(&with_key(&emu.url(), &cfg));
    ws.apply().ok();
    ws.assert_no_changes();
}

#[test]
fn drift_import_and_destroy_with_and_without_restore() {
    let (app, emu) = harness::started(OnlyofficeEmulator::new());
    let ws = Ws::new(&with_key(
        &emu.url(),
        "  type = \"app\"\n  trusted_ips = [\"10.0.0.0/8\"]\n  restore_on_destroy = true",
    ));
    ws.apply().ok();
    // An administrator changes the trusted IPs in the portal.
    app.set_app_out_of_band(&["1.2.3.4"]);
    ws.assert_changes().mentions(&["trusted_ips", "1.2.3.4", "10.0.0.0/8"]);
    ws.apply().ok();
    assert_eq!(app.settings().1, ["10.0.0.0/8"]);
    // restore_on_destroy puts back what was there before adoption: TFA off.
    ws.destroy().ok();
    assert_eq!(app.settings().0, "none");

    // Import by portal host, then no changes; destroy without restore leaves TFA on.
    app.set_app_out_of_band(&["10.9.9.9"]);
    let ws2 = Ws::new(&with_key(&emu.url(), "  type = \"app\"\n  trusted_ips = [\"10.9.9.9\"]"));
    ws2.import("onlyoffice_tfa_settings.portal", "other.example.com").fails_with(&[
        "Import ID is not the configured portal",
        &format!("Import it with ID \"{}\"", host(&emu)),
        "the resource's address",
    ]);
    ws2.import("onlyoffice_tfa_settings.portal", &host(&emu)).ok();
    ws2.assert_no_changes();
    let puts = emu.control.count("PUT", "tfaapp");
    ws2.destroy().ok().mentions(&["DocSpace TFA settings will be left as they are"]);
    assert_eq!(app.settings().0, "app");
    assert_eq!(emu.control.count("PUT", "tfaapp"), puts);
}

#[test]
fn bad_input_and_unavailable_sms_fail_before_any_write() {
    let (_app, emu) = harness::started(OnlyofficeEmulator::new());
    let ws = Ws::new(&with_key(
        &emu.url(),
        "  type = \"app\"\n  mandatory_users = [\"not-a-uuid\"]\n  trusted_ips = [\"10.0.0.300\"]",
    ));
    ws.run(&["validate"]).fails_with(&[
        "Invalid value for mandatory_users",
        "must be a GUID",
        "Invalid value for trusted_ips",
        "CIDR",
    ]);
    ws.write(&with_key(&emu.url(), "  type = \"none\"\n  trusted_ips = [\"10.0.0.1\"]"));
    ws.run(&["validate"]).fails_with(&["trusted_ips needs TFA"]);
    // SMS without an SMS provider on the portal: refused at plan time.
    ws.write(&with_key(&emu.url(), "  type = \"sms\""));
    ws.plan().fails_with(&["SMS two-factor authentication is not available on this portal", "type = \"sms\""]);
    assert_eq!(emu.control.count("PUT", "tfaapp"), 0);
}

#[test]
fn credential_errors_are_explained() {
    let (app, emu) = harness::started(OnlyofficeEmulator::new());
    let ws = Ws::new(&(provider(&emu.url(), "api_key = \"sk-wrong\"") + &resource("  type = \"app\"")));
    ws.apply().fails_with(&["DocSpace rejected the credentials", "API key", "ONLYOFFICE_API_KEY"]);
    let ws =
        Ws::new(&(provider(&emu.url(), &format!("api_key = \"{READ_ONLY_API_KEY}\"")) + &resource("  type = \"app\"")));
    ws.apply().fails_with(&["DocSpace denied permission", "HTTP 403", "*:write"]);
    assert_eq!(app.settings().0, "none");
    let ws = Ws::new(&(provider(&emu.url(), "username = \"x@y\"") + &resource("  type = \"app\"")));
    ws.plan().fails_with(&["Incomplete DocSpace credentials"]);
}

#[test]
fn token_auth_is_told_about_the_portal_wide_logout() {
    let (app, emu) = harness::started(OnlyofficeEmulator::new());
    let token = app.session_token();
    let ws = Ws::new(&(provider(&emu.url(), &format!("token = \"{token}\"")) + &resource("  type = \"app\"")));
    ws.apply().ok().mentions(&["Warning: DocSpace logged out every session of the portal", "needs a new token"]);
    assert_eq!(app.logouts(), 1);
    let r = ws.plan();
    r.fails_with(&["DocSpace rejected the credentials", "session token", "logs out every session", "API key"]);
    assert!(!r.all().contains(&token), "the token must not be printed");
}

#[test]
fn password_auth_logs_in_again_or_says_why_it_cannot() {
    let (app, emu) = harness::started(OnlyofficeEmulator::new());
    let auth = format!("username = \"{ADMIN_EMAIL}\"\n  password = \"{ADMIN_PASSWORD}\"");
    // Trusting the provider's own address keeps the login possible after TFA is on.
    let ws = Ws::new(&(provider(&emu.url(), &auth) + &resource("  type = \"app\"\n  trusted_ips = [\"127.0.0.1\"]")));
    ws.apply().ok().mentions(&["DocSpace logged out every session of the portal"]);
    ws.assert_no_changes();
    assert!(emu.control.count("POST", "/api/2.0/authentication") >= 2);

    // Without that, the next login is blocked by TFA: said plainly, never a bare 401.
    ws.write(&(provider(&emu.url(), &auth) + &resource("  type = \"app\"")));
    ws.apply().ok();
    let r = ws.plan();
    r.fails_with(&[
        "DocSpace now requires two-factor authentication for the provider's user",
        "API key",
        // Advice that helps a mandatory user too, not only "trust your IP".
        "only if the user is in neither mandatory_users nor a group of mandatory_groups",
        "backup code",
    ]);
    assert!(!r.all().contains(ADMIN_PASSWORD));
    assert_eq!(app.settings().0, "app");

    // The way out the docs give: forgetting the resource needs no login at all.
    emu.control.clear_requests();
    ws.run(&["destroy", "-auto-approve", "-input=false", "-refresh=false"]).ok().mentions(&["1 destroyed"]);
    assert!(
        emu.control.requests().is_empty(),
        "destroy -refresh=false must make no call: {:?}",
        emu.control.requests()
    );
}

/// With username and password, turning TFA on is said at plan: the provider's own next login
/// will need a second factor it cannot enter, and an API key is the fix.
#[test]
fn password_auth_is_warned_at_plan_before_enabling_tfa() {
    let (_app, emu) = harness::started(OnlyofficeEmulator::new());
    let auth = format!("username = \"{ADMIN_EMAIL}\"\n  password = \"{ADMIN_PASSWORD}\"");
    let ws = Ws::new(&(provider(&emu.url(), &auth) + &resource("  type = \"app\"")));
    ws.plan().mentions(&[
        "Warning: The provider's own login will need a second factor",
        "Use an API key instead",
        "terraform destroy -refresh=false",
    ]);
    // With an API key there is nothing to warn about.
    let ws = Ws::new(&with_key(&emu.url(), "  type = \"app\""));
    let plan = ws.plan();
    assert_eq!(plan.code, 2, "the API-key configuration plans a change:\n{}", plan.all());
    assert!(!plan.text().contains("own login will need"));
}

/// Trusted IPs DocSpace cannot match as written are refused at plan time, with the corrected
/// value: a CIDR block with host bits set (DocSpace stores it, then answers 500 to every login),
/// an IPv6 block (DocSpace compares only the first 32 bits), spaces, non-canonical spellings.
#[test]
fn trusted_ips_docspace_would_misread_are_refused_at_plan_time() {
    let (_app, emu) = harness::started(OnlyofficeEmulator::new());
    let ws = Ws::new(&with_key(&emu.url(), "  type = \"app\"\n  trusted_ips = [\"10.0.0.1/8\"]"));
    ws.run(&["validate"]).fails_with(&[
        "Invalid value for trusted_ips",
        "HTTP 500 to every login",
        "did you mean \"10.0.0.0/8\"",
    ]);
    for (ip, expect) in [
        ("2001:db8::/48", vec!["IPv6 block", "first 32 bits", "\"2001:db8::-2001:db8:0:ffff:ffff:ffff:ffff:ffff\""]),
        (" 10.0.0.1", vec!["spaces around it", "did you mean \"10.0.0.1\""]),
        ("2001:DB8::0001", vec!["compares single addresses as text", "did you mean \"2001:db8::1\""]),
        ("0.0.0.0/0", vec!["0.0.0.0-255.255.255.255"]),
    ] {
        ws.write(&with_key(&emu.url(), &format!("  type = \"app\"\n  trusted_ips = [\"{ip}\"]")));
        ws.run(&["validate"]).fails_with(&expect);
    }
    // What DocSpace matches as written is accepted and stored exactly so.
    let good = ["203.0.113.7", "10.0.0.0/8", "10.1.0.1-10.1.0.9", "2001:db8::7", "2001:db8::-2001:db8::ffff"];
    let list = good.iter().map(|g| format!("\"{g}\"")).collect::<Vec<_>>().join(", ");
    ws.write(&with_key(&emu.url(), &format!("  type = \"app\"\n  trusted_ips = [{list}]")));
    ws.apply().ok();
    let mut held = _app.settings().1;
    held.sort();
    let mut want: Vec<String> = good.iter().map(|g| g.to_string()).collect();
    want.sort();
    assert_eq!(held, want);
    ws.assert_no_changes();
}

/// User and group IDs in a form System.Text.Json cannot bind are refused with the hyphenated form.
#[test]
fn guids_docspace_cannot_bind_are_refused_with_the_hyphenated_form() {
    let (_app, emu) = harness::started(OnlyofficeEmulator::new());
    let ws = Ws::new(&with_key(
        &emu.url(),
        "  type = \"app\"\n  mandatory_users = [\"{33333333-3333-4333-8333-333333333333}\"]\n  mandatory_groups = [\"44444444444444448444444444444444\"]",
    ));
    ws.run(&["validate"]).fails_with(&[
        "Invalid value for mandatory_users",
        "did you mean \"33333333-3333-4333-8333-333333333333\"",
        "Invalid value for mandatory_groups",
        "did you mean \"44444444-4444-4444-8444-444444444444\"",
    ]);
}

/// DocSpace up to v2.6.3 compared `type` with lower-case "sms"/"app" and switched TFA off for
/// anything else. The provider sends the one spelling every version reads, and reads back.
#[test]
fn older_servers_that_compare_type_as_text_get_what_was_asked() {
    let (app, emu) = harness::started(OnlyofficeEmulator::new());
    app.use_v2_type_comparison(true);
    let ws = Ws::new(&with_key(&emu.url(), "  type = \"app\"\n  trusted_ips = [\"10.0.0.0/8\"]"));
    ws.apply().ok();
    assert_eq!(app.settings().0, "app", "TFA must be on, not silently off");
    ws.assert_no_changes();
    ws.write(&with_key(&emu.url(), "  type = \"none\""));
    ws.apply().ok();
    assert_eq!(app.settings().0, "none");
}

/// 403s as DocSpace writes them: an API key without `*:write` gets an empty body (permission,
/// not "a proxy answered"); a key whose creator is no administrator gets "Access denied"; SMS on
/// a trial/free portal passes the plan (the read says available) and is refused at apply with the
/// tariff explained; making the owner mandatory is refused with the owner rule.
#[test]
fn refusals_show_the_servers_reason_with_a_hint() {
    let (app, emu) = harness::started(OnlyofficeEmulator::new());
    let ws =
        Ws::new(&(provider(&emu.url(), &format!("api_key = \"{STAFF_API_KEY}\"")) + &resource("  type = \"app\"")));
    let out = ws.apply();
    out.fails_with(&["DocSpace refused the change", "Access denied", "needs a portal administrator"]);

    app.set_sms_available(true);
    app.set_sms_tariff(false);
    let ws = Ws::new(&with_key(&emu.url(), "  type = \"sms\""));
    let out = ws.apply();
    out.fails_with(&["SMS settings are not available", "standalone", "trial, free or non-profit"]);
    assert!(!out.text().contains("administrator"), "not a permission problem:\n{}", out.all());
    assert_eq!(app.settings().0, "none");

    // The DocSpace web client sends no `id`, so the owner rule applies to this provider too.
    let ws = Ws::new(&with_key(
        &emu.url(),
        &format!("  type = \"app\"\n  mandatory_users = [\"{OWNER_ID}\", \"{ADMIN_ID}\"]"),
    ));
    let out = ws.apply();
    out.fails_with(&[
        "DocSpace refuses to make the portal owner a mandatory user",
        "No permissions to perform this action",
        "mandatory_users",
    ]);
    assert_eq!(app.settings().0, "none");
    // The owner can still be covered by a group.
    ws.write(&with_key(
        &emu.url(),
        &format!("  type = \"app\"\n  mandatory_users = [\"{ADMIN_ID}\"]\n  mandatory_groups = [\"{STAFF_GROUP_ID}\"]"),
    ));
    ws.apply().ok();
}

/// A refused login shows DocSpace's reason, never "you need admin rights".
#[test]
fn refused_logins_show_the_servers_reason() {
    let (app, emu) = harness::started(OnlyofficeEmulator::new());
    app.disable_user(ADMIN_ID);
    let auth = format!("username = \"{ADMIN_EMAIL}\"\n  password = \"{ADMIN_PASSWORD}\"");
    let ws = Ws::new(&(provider(&emu.url(), &auth) + &resource("  type = \"app\"")));
    let out = ws.apply();
    out.fails_with(&["DocSpace refused the login", "User disabled", "account is disabled"]);
    assert!(!out.text().contains("administrator"), "{}", out.all());
}

/// A lost answer to the enabling write: the portal is read back and the write is not sent again,
/// so the portal is logged out once. With a session token, the logout that the lost write caused
/// is not mistaken for rejected credentials.
#[test]
fn a_lost_enabling_write_is_read_back_not_resent() {
    let (app, emu) = harness::started(OnlyofficeEmulator::new());
    emu.control.push_fault(Fault::new(FaultKind::Lost).on_method("PUT").times(1));
    let ws = Ws::new(&with_key(&emu.url(), "  type = \"app\""));
    ws.apply().ok();
    assert_eq!(app.settings().0, "app");
    assert_eq!(app.logouts(), 1, "exactly one enabling write may land");
    assert_eq!(emu.control.count("PUT", "tfaapp"), 1);
    ws.assert_no_changes();

    let (app, emu) = harness::started(OnlyofficeEmulator::new());
    let token = app.session_token();
    emu.control.push_fault(Fault::new(FaultKind::Lost).on_method("PUT").times(1));
    let ws = Ws::new(&(provider(&emu.url(), &format!("token = \"{token}\"")) + &resource("  type = \"app\"")));
    let out = ws.apply();
    out.ok().mentions(&["DocSpace logged out every session of the portal", "could not be read back"]);
    assert!(!out.text().contains("rejected the credentials"), "{}", out.all());
    assert_eq!((app.settings().0.as_str(), app.logouts()), ("app", 1));
}

/// When the budget runs out with the outcome unknown, the apply says so, and the next plain
/// apply recovers by reading — whether the write landed or not — without a second logout.
#[test]
fn outcome_unknown_then_a_plain_apply_recovers() {
    for landed in [true, false] {
        let (app, emu) = harness::started(OnlyofficeEmulator::new());
        let provider = Provider::of(&emu).with("max_retries", 0).config();
        let ws = Ws::new(&(provider.clone() + &resource("  type = \"app\"")));
        ws.apply().ok();
        ws.write(&(provider + &resource("  type = \"app\"\n  trusted_ips = [\"10.0.0.0/8\"]")));
        let kind = if landed { FaultKind::Lost } else { FaultKind::Drop };
        emu.control.push_fault(Fault::new(kind).on_method("PUT").times(1));
        // The read-back of the settings fails too (the portal's tenant check before the write is not it).
        emu.control.push_fault(Fault::status(503).on_method("GET").on_path("/api/2.0/settings/tfaapp").times(1));
        ws.run(&["apply", "-auto-approve", "-input=false", "-refresh=false"])
            .fails_with(&["Outcome of PUT /api/2.0/settings/tfaapp is unknown", "Run terraform apply again"]);
        assert_eq!(app.settings().1.len(), usize::from(landed));
        ws.apply().ok();
        assert_eq!(app.settings(), ("app".into(), vec!["10.0.0.0/8".to_string()], vec![], vec![]));
        assert_eq!(app.logouts(), 2, "landed={landed}: one logout for the first apply, one for the change");
        ws.assert_no_changes();
    }
}

/// The provider pointed at another portal (another environment, a wrong alias): the resources'
/// state pins their portal by tenant ID, so the plan fails naming both portals instead of showing
/// drift that apply would "fix" by writing one portal's policy into the other.
#[test]
fn another_portal_behind_the_url_is_an_error_never_a_write() {
    let (_, first) = harness::started(OnlyofficeEmulator::new());
    let (other, second) = harness::started(OnlyofficeEmulator::new());
    other.set_tenant(7, "staging");
    let body = "  type = \"app\"\n  trusted_ips = [\"10.0.0.0/8\"]\n}\nresource \"onlyoffice_login_settings\" \"portal\" {\n  attempt_count = 3";
    let ws = Ws::new(&with_key(&first.url(), body));
    ws.apply().ok();
    ws.write(&with_key(&second.url(), body));
    for run in [ws.plan(), ws.apply()] {
        run.fails_with(&[
            "The provider points at another DocSpace portal",
            "manages the portal with tenant ID 1, but",
            "is the portal with tenant ID 7",
            "terraform state rm",
        ]);
    }
    let writes = second.control.requests().into_iter().filter(|r| r.method != "GET").count();
    assert_eq!(writes, 0, "nothing is written to the other portal");
    // Back at the right portal: nothing to do.
    ws.write(&with_key(&first.url(), body));
    ws.assert_no_changes();
}
