//! `akana_login_settings` and its data source under real Terraform against the Akana emulator,
//! which serves `GET`/`PUT /api/businesses/{BusinessID}/loginpolicy` as the platform documents
//! the object (m_businesses_updateLoginPolicy, o_businesses_LoginPolicy, Ref_SessionTime).

use mfa_sandbox::RunningEmulator;
use mfa_sandbox::akana::{AkanaEmulator, ROOT_BUSINESS};

use crate::akana::admin;
use crate::harness::{self, Provider, Ws};

fn config(url: &str, body: &str) -> String {
    admin(url)
        + &format!("\nresource \"akana_login_settings\" \"root\" {{\n  business_id = \"{ROOT_BUSINESS}\"\n{body}\n}}\n")
}

fn policy(app: &AkanaEmulator, key: &str) -> String {
    app.login_policy(ROOT_BUSINESS)[key].as_str().unwrap_or_default().to_string()
}

fn puts(emu: &RunningEmulator) -> usize {
    emu.control.requests().iter().filter(|r| r.method == "PUT" && r.path.ends_with("/loginpolicy")).count()
}

/// Adopted on create and written as strings with the unmanaged field kept, drift shown, imported,
/// destroyed with restore — warned about at plan because it turns the limit off again — and
/// without. The limit is warned about because the provider's own account logs in with a password.
#[test]
fn login_settings_lifecycle_with_drift_import_and_restore() {
    let (app, emu) = harness::started(AkanaEmulator::new());
    let body = "  max_failed_attempts = 5\n  attempts_period_minutes = 15\n  suspension_minutes = 30\n  restore_on_destroy = true";
    let ws = Ws::new(&config(&emu.url(), body));
    ws.plan().mentions(&[
        "The provider's own account can be locked out by this limit",
        "suspend it for 30 minutes",
        "max_failed_attempts goes from 5 to 0 (no limit)",
    ]);
    ws.apply().ok().mentions(&["1 added"]);
    assert_eq!(policy(&app, "MaxSequentialFailureAttemptsAllowed"), "5");
    assert_eq!(policy(&app, "SuspensionMinutes"), "30");
    assert_eq!(policy(&app, "AutoLoginExternalDomain"), "com.soa.disabled", "an unmanaged field is written back");
    assert_eq!(policy(&app, "ActiveSessionTimeout"), "30");
    ws.assert_no_changes();
    assert_eq!(puts(&emu), 1);

    app.set_login_policy_out_of_band(ROOT_BUSINESS, "MaxSequentialFailureAttemptsAllowed", "0");
    ws.assert_changes().mentions(&["~ max_failed_attempts", "0 -> 5"]);
    ws.apply().ok();
    assert_eq!(policy(&app, "MaxSequentialFailureAttemptsAllowed"), "5");

    ws.destroy().ok();
    assert_eq!(policy(&app, "MaxSequentialFailureAttemptsAllowed"), "0", "restored");
    assert_eq!(policy(&app, "AttemptsPeriod"), "0");

    ws.write(&config(&emu.url(), "  max_failed_attempts = 0"));
    ws.import("akana_login_settings.root", ROOT_BUSINESS).ok();
    ws.assert_no_changes();
}

/// The platform refuses an inactive timeout longer than the active one: at validate when both are
/// configured, at apply (before anything is sent) when the other one comes from the business.
#[test]
fn an_inactive_timeout_longer_than_the_active_one_is_refused() {
    let (app, emu) = harness::started(AkanaEmulator::new());
    let ws =
        Ws::new(&config(&emu.url(), "  active_session_timeout_minutes = 30\n  inactive_session_timeout_minutes = 60"));
    ws.run(&["validate"]).fails_with(&["inactive_session_timeout_minutes", "Set it to 30 or less"]);

    ws.write(&config(&emu.url(), "  inactive_session_timeout_minutes = 45"));
    ws.apply().fails_with(&["cannot exceed active_session_timeout_minutes (30)"]);
    assert_eq!(puts(&emu), 0);
    ws.write(&config(&emu.url(), "  active_session_timeout_minutes = 60\n  inactive_session_timeout_minutes = 45"));
    ws.apply().ok();
    assert_eq!(
        (policy(&app, "ActiveSessionTimeout"), policy(&app, "InactiveSessionTimeout")),
        ("60".into(), "45".into())
    );
    ws.assert_no_changes();
}

/// A platform that answers with native JSON types reads the same.
#[test]
fn native_types_and_the_data_source() {
    let (app, emu) = harness::started(AkanaEmulator::new());
    app.use_native_types(true);
    app.set_login_policy_out_of_band(ROOT_BUSINESS, "ConcurrentLogin", "false");
    let cfg = format!(
        "{}\ndata \"akana_login_settings\" \"root\" {{\n  business_id = \"{ROOT_BUSINESS}\"\n}}\n\noutput \"p\" {{\n  value = [data.akana_login_settings.root.max_failed_attempts, data.akana_login_settings.root.concurrent_login, data.akana_login_settings.root.active_session_timeout_minutes]\n}}\n",
        Provider::of(&emu).config()
    );
    let ws = Ws::new(&cfg);
    ws.apply().ok();
    let out: serde_json::Value = serde_json::from_str(&ws.run(&["output", "-json", "p"]).ok().text()).unwrap();
    assert_eq!(out, serde_json::json!([0, false, 30]));
}
