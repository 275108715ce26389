//! `onlyoffice_login_settings` and its data source under real Terraform against the DocSpace
//! emulator, which counts and blocks logins as `BruteForceLoginManager.cs` does and stores the
//! settings as `SecurityController.cs` / `DbSettingsManager.cs` do.

use mfa_sandbox::RunningEmulator;
use mfa_sandbox::onlyoffice::{ADMIN_EMAIL, ADMIN_PASSWORD, OnlyofficeEmulator, READ_ONLY_API_KEY};

use crate::harness::{self, Provider, Ws};
use crate::onlyoffice::provider;

fn with_key(url: &str, body: &str) -> String {
    Provider::of_type("onlyoffice", url).config() + &resource(body)
}

fn resource(body: &str) -> String {
    format!("\nresource \"onlyoffice_login_settings\" \"portal\" {{\n{body}\n}}\n")
}

fn held(app: &OnlyofficeEmulator) -> (i64, i64, i64, bool) {
    let (l, saved) = app.login_settings();
    (l.attempt_count, l.block_time, l.check_period, saved)
}

fn writes(emu: &RunningEmulator) -> usize {
    emu.control.requests().iter().filter(|r| r.path.ends_with("/loginSettings") && r.method != "GET").count()
}

/// Adopted on create, unset values kept, drift shown and reverted, imported by portal host,
/// destroyed without and with restore — the restore to DocSpace's defaults warned about because
/// it allows more attempts again, and done with the DELETE DocSpace's own page uses.
#[test]
fn login_settings_lifecycle_with_drift_import_and_restore() {
    let (app, emu) = harness::started(OnlyofficeEmulator::new());
    let body = "  attempt_count = 3\n  block_time_seconds = 900\n  restore_on_destroy = true";
    let ws = Ws::new(&with_key(&emu.url(), body));
    ws.plan().mentions(&["will weaken", "attempt_count goes up from 3 to 5"]);
    ws.apply().ok().mentions(&["1 added"]);
    assert_eq!(held(&app), (3, 900, 60, true));
    ws.assert_no_changes();
    assert_eq!(ws.attrs("onlyoffice_login_settings.portal")["check_period_seconds"], 60);
    assert_eq!(writes(&emu), 1, "one PUT, and no write for the unchanged plan");

    app.set_login_settings(10, 60, 60);
    ws.assert_changes().mentions(&["~ attempt_count", "10 -> 3", "60 -> 900"]);
    ws.apply().ok();
    assert_eq!(held(&app), (3, 900, 60, true));

    ws.destroy().ok().mentions(&["1 destroyed"]);
    assert_eq!(held(&app), (5, 60, 60, false), "back to the defaults: no row");
    let deletes = emu.control.requests().iter().filter(|r| r.method == "DELETE").count();
    assert_eq!(deletes, 1);

    // Import by host; destroy without restore leaves the settings.
    app.set_login_settings(4, 300, 120);
    let host = format!("127.0.0.1:{}", emu.addr.port());
    ws.write(&with_key(&emu.url(), "  attempt_count = 4\n  block_time_seconds = 300\n  check_period_seconds = 120"));
    ws.import("onlyoffice_login_settings.portal", "acme.example")
        .fails_with(&["Import ID is not the configured portal"]);
    ws.import("onlyoffice_login_settings.portal", &host).ok();
    ws.assert_no_changes();
    ws.destroy().ok();
    assert_eq!(held(&app), (4, 300, 120, true));
}

/// DocSpace answers a PUT with the request even when its settings table refused the save: the
/// read-back tells, and the apply fails instead of recording what the portal does not hold.
#[test]
fn a_put_docspace_did_not_save_is_an_error() {
    let (app, emu) = harness::started(OnlyofficeEmulator::new());
    app.fail_settings_saves(true);
    let ws = Ws::new(&with_key(&emu.url(), "  attempt_count = 3"));
    ws.apply().fails_with(&["DocSpace did not save the login settings", "attempt_count = 5", "attempt_count = 3"]);
    assert_eq!(held(&app), (5, 60, 60, false));
    app.fail_settings_saves(false);
    ws.apply().ok();
    assert_eq!(held(&app), (3, 60, 60, true));
}

/// Values outside DocSpace's `[Range(1, 9999)]` fail at validate; a key limited to `*:read` can
/// read but not change them, and the error says what the key needs.
#[test]
fn out_of_range_values_and_a_read_only_key_are_clear_errors() {
    let (_app, emu) = harness::started(OnlyofficeEmulator::new());
    let ws = Ws::new(&with_key(&emu.url(), "  attempt_count = 0\n  block_time_seconds = 10000"));
    ws.run(&["validate"]).fails_with(&["attempt_count", "block_time_seconds", "between 1 and 9999"]);

    let config = provider(&emu.url(), &format!("api_key = \"{READ_ONLY_API_KEY}\"")) + &resource("  attempt_count = 3");
    ws.write(&config);
    ws.apply().fails_with(&["DocSpace denied permission", "*:write"]);
}

/// With username and password, tighter limits can lock the provider's own account out: the plan
/// says so. And DocSpace really blocks it: after `attempt_count` wrong passwords the right one is
/// refused too, with the message the provider explains.
#[test]
fn password_auth_is_warned_about_and_the_block_is_real() {
    let (app, emu) = harness::started(OnlyofficeEmulator::new());
    let auth = format!("username = \"{ADMIN_EMAIL}\"\n  password = \"{ADMIN_PASSWORD}\"");
    let ws = Ws::new(&(provider(&emu.url(), &auth) + &resource("  attempt_count = 2\n  block_time_seconds = 600")));
    ws.plan().mentions(&[
        "The provider's own account can be locked out by these limits",
        "2 wrong passwords within the portal's check period from one address block the account from that address for 600 seconds",
    ]);
    ws.apply().ok();
    assert_eq!(held(&app), (2, 600, 60, true));
    ws.assert_no_changes();

    let wrong = format!("username = \"{ADMIN_EMAIL}\"\n  password = \"not-the-password\"");
    ws.write(&(provider(&emu.url(), &wrong) + &resource("  attempt_count = 2\n  block_time_seconds = 600")));
    ws.plan().fails_with(&["DocSpace rejected the credentials"]);
    ws.plan().fails_with(&["DocSpace rejected the credentials"]);
    ws.write(&(provider(&emu.url(), &auth) + &resource("  attempt_count = 2\n  block_time_seconds = 600")));
    ws.plan().fails_with(&["Too many login attempts", "locked the user out"]);
}

#[test]
fn the_data_source_reads_the_settings_and_whether_they_are_the_defaults() {
    let (app, emu) = harness::started(OnlyofficeEmulator::new());
    let config = provider(&emu.url(), &format!("api_key = \"{READ_ONLY_API_KEY}\""))
        + "\ndata \"onlyoffice_login_settings\" \"p\" {}\n"
        + "\noutput \"l\" {\n  value = [data.onlyoffice_login_settings.p.attempt_count, data.onlyoffice_login_settings.p.block_time_seconds, data.onlyoffice_login_settings.p.check_period_seconds, data.onlyoffice_login_settings.p.is_default]\n}\n";
    let ws = Ws::new(&config);
    ws.apply().ok();
    let out: serde_json::Value = serde_json::from_str(&ws.run(&["output", "-json", "l"]).ok().text()).unwrap();
    assert_eq!(out, serde_json::json!([5, 60, 60, true]));
    app.set_login_settings(3, 900, 120);
    ws.apply().ok();
    let out: serde_json::Value = serde_json::from_str(&ws.run(&["output", "-json", "l"]).ok().text()).unwrap();
    assert_eq!(out, serde_json::json!([3, 900, 120, false]));
}
