//! `onlyoffice_tfa_settings` under real Terraform against the DocSpace emulator.

use std::sync::Arc;

use mfa_sandbox::RunningEmulator;
use mfa_sandbox::onlyoffice::{
    ADMIN_EMAIL, ADMIN_PASSWORD, API_KEY, OnlyofficeEmulator, READ_ONLY_API_KEY, STAFF_GROUP_ID, STAFF_USER_ID,
};

use crate::harness::{self, Ws, required_providers};

fn emulator() -> (Arc<OnlyofficeEmulator>, RunningEmulator) {
    let app = Arc::new(OnlyofficeEmulator::new());
    let running = harness::start(app.clone());
    (app, running)
}

fn provider(url: &str, auth: &str) -> String {
    format!(
        "{}\nprovider \"onlyoffice\" {{\n  portal_url = \"{url}\"\n  {auth}\n}}\n",
        required_providers(&["onlyoffice"])
    )
}

fn with_key(url: &str, body: &str) -> String {
    provider(url, &format!("api_key = \"{API_KEY}\"")) + &resource(body)
}

fn resource(body: &str) -> String {
    format!("\nresource \"onlyoffice_tfa_settings\" \"portal\" {{\n{body}\n}}\n")
}

fn host(emu: &RunningEmulator) -> String {
    format!("127.0.0.1:{}", emu.addr.port())
}

#[test]
fn each_type_switched_in_place_and_second_apply_sends_nothing() {
    let (app, emu) = emulator();
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
    let (app, emu) = emulator();
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
    let (app, emu) = emulator();
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
        &format!("terraform import onlyoffice_tfa_settings.<name> {}", host(&emu)),
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
    let (_app, emu) = emulator();
    let ws = Ws::new(&with_key(
        &emu.url(),
        "  type = \"app\"\n  mandatory_users = [\"not-a-uuid\"]\n  trusted_ips = [\"10.0.0.300\"]",
    ));
    ws.run(&["validate"]).fails_with(&[
        "Invalid value for mandatory_users",
        "must be a UUID",
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
    let (app, emu) = emulator();
    let ws = Ws::new(&(provider(&emu.url(), "api_key = \"sk-wrong\"") + &resource("  type = \"app\"")));
    ws.apply().fails_with(&["DocSpace rejected the credentials", "API key", "ONLYOFFICE_API_KEY"]);
    let ws =
        Ws::new(&(provider(&emu.url(), &format!("api_key = \"{READ_ONLY_API_KEY}\"")) + &resource("  type = \"app\"")));
    ws.apply().fails_with(&["DocSpace refused the change", "HTTP 403"]);
    assert_eq!(app.settings().0, "none");
    let ws = Ws::new(&(provider(&emu.url(), "username = \"x@y\"") + &resource("  type = \"app\"")));
    ws.plan().fails_with(&["Incomplete DocSpace credentials"]);
}

#[test]
fn token_auth_is_told_about_the_portal_wide_logout() {
    let (app, emu) = emulator();
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
    let (app, emu) = emulator();
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
    r.fails_with(&["DocSpace now requires two-factor authentication for the provider's user", "API key"]);
    assert!(!r.all().contains(ADMIN_PASSWORD));
    assert_eq!(app.settings().0, "app");
}
