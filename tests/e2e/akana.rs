//! `akana_twofa_settings` under real Terraform against the Akana emulator.

use mfa_sandbox::akana::{ADMIN_EMAIL, ADMIN_PASSWORD, AkanaEmulator, PENDING_EMAIL, ROOT_BUSINESS, TENANT};

use crate::harness::{self, Provider, Ws, required_providers};

/// Literal: the login (another account, a wrong password) is what its scenario is about.
fn provider(url: &str, email: &str, password: &str) -> String {
    format!(
        "{}\nprovider \"akana\" {{\n  base_url = \"{url}\"\n  fed_member_id = \"{TENANT}\"\n  email = \"{email}\"\n  password = \"{password}\"\n}}\n",
        required_providers(&["akana"])
    )
}

fn resource(name: &str, business: &str, body: &str) -> String {
    format!("\nresource \"akana_twofa_settings\" \"{name}\" {{\n  business_id = \"{business}\"\n{body}\n}}\n")
}

/// The akana provider logged in as the emulator's administrator.
pub(crate) fn admin(url: &str) -> String {
    Provider::of_type("akana", url).config()
}

const NEW_DEVICE: &str = "  enabled = true\n  max_attempts = 4\n  recurrence_mode = \"twofa.login.new.device\"\n  device_cookie_name = \"acme_2fa\"";

#[test]
fn lifecycle_strings_drift_update_and_destroy() {
    let (app, emu) = harness::started(AkanaEmulator::new());
    let ws = Ws::new(&(admin(&emu.url()) + &resource("root", ROOT_BUSINESS, NEW_DEVICE)));
    ws.apply().ok().mentions(&[&format!("[id={ROOT_BUSINESS}]")]);
    let s = app.settings(ROOT_BUSINESS);
    // String-typed on the wire, as the platform's samples; unmanaged fields kept.
    assert_eq!((s["TwoFAEnabled"].as_str(), s["MaxAttempts"].as_str()), (Some("true"), Some("4")));
    assert_eq!(s["CodeValidSeconds"], "300");
    assert_eq!(s["DeviceCookieValue"], "emulator-device-cookie-value");
    ws.assert_no_changes();
    assert_eq!(ws.attrs("akana_twofa_settings.root")["code_valid_seconds"], 300);

    app.set_out_of_band(ROOT_BUSINESS, "MaxAttempts", "9");
    ws.assert_changes().mentions(&["~ max_attempts", "9 -> 4"]);
    ws.apply().ok();
    assert_eq!(app.settings(ROOT_BUSINESS)["MaxAttempts"], "4");

    ws.write(&(admin(&emu.url()) + &resource("root", ROOT_BUSINESS, &NEW_DEVICE.replace("4", "6"))));
    ws.apply().ok().mentions(&["1 changed"]);
    ws.assert_no_changes();

    let puts = emu.control.count("PUT", "twofasettings");
    ws.destroy().ok().mentions(&["Akana 2FA settings will be left as they are"]);
    assert_eq!(emu.control.count("PUT", "twofasettings"), puts);
    assert_eq!(app.settings(ROOT_BUSINESS)["TwoFAEnabled"], "true");
}

#[test]
fn restore_on_destroy_import_and_deleted_business() {
    let (app, emu) = harness::started(AkanaEmulator::new());
    app.use_native_types(true);
    let ws = Ws::new(
        &(admin(&emu.url()) + &resource("root", ROOT_BUSINESS, &format!("{NEW_DEVICE}\n  restore_on_destroy = true"))),
    );
    ws.apply().ok();
    ws.assert_no_changes();
    ws.destroy().ok();
    let s = app.settings(ROOT_BUSINESS);
    assert_eq!((s["TwoFAEnabled"].as_str(), s["RecurrenceMode"].as_str()), (Some("false"), Some("twofa.each.login")));

    let ws = Ws::new(&(admin(&emu.url()) + &resource("root", ROOT_BUSINESS, "  enabled = false")));
    let before = emu.control.requests().len();
    ws.import("akana_twofa_settings.root", " ").fails_with(&["Invalid import ID", "it is empty"]);
    assert!(
        emu.control.requests().iter().skip(before).all(|r| !r.path.contains("/api/businesses")),
        "an empty import ID must not reach the server"
    );
    ws.import("akana_twofa_settings.root", "tenantbusiness.nosuch")
        .fails_with(&["Akana business not found", "tenantbusiness.<fed_member_id>"]);
    ws.import("akana_twofa_settings.root", ROOT_BUSINESS).ok();
    ws.assert_no_changes();
    app.remove_business(ROOT_BUSINESS);
    ws.assert_changes().mentions(&["will be created"]);
}

#[test]
fn validation_at_plan_time() {
    let (_app, emu) = harness::started(AkanaEmulator::new());
    let ws = Ws::new(
        &(admin(&emu.url())
            + &resource("root", ROOT_BUSINESS, "  enabled = true\n  recurrence_mode = \"twofa.once.each.interval\"")),
    );
    ws.run(&["validate"]).fails_with(&["Missing recurrence_interval_minutes", "twofa.once.each.interval"]);
    ws.write(
        &(admin(&emu.url())
            + &resource("root", ROOT_BUSINESS, "  enabled = true\n  recurrence_mode = \"twofa.login.new.device\"")),
    );
    ws.run(&["validate"]).fails_with(&["Missing device_cookie_name"]);
    ws.write(
        &(admin(&emu.url())
            + &resource("root", ROOT_BUSINESS, "  enabled = true\n  max_attempts = 0\n  recurrence_mode = \"weekly\"")),
    );
    ws.run(&["validate"]).fails_with(&[
        "Invalid value for max_attempts",
        "at least 1",
        "Invalid value for recurrence_mode",
        "twofa.each.login",
    ]);
    assert!(emu.control.requests().is_empty());
}

#[test]
fn twenty_businesses_at_parallelism_ten_log_in_once_and_expiry_relogs_once() {
    let (app, emu) = harness::started(AkanaEmulator::new());
    let mut config = admin(&emu.url());
    for i in 0..20 {
        let b = format!("business.team{i}");
        app.add_business(&b);
        config.push_str(&resource(&format!("b{i}"), &b, "  enabled = true"));
    }
    let ws = Ws::new(&config);
    ws.run(&["apply", "-auto-approve", "-input=false", "-parallelism=10"]).ok().mentions(&["20 added"]);
    assert_eq!(emu.control.count("POST", "/api/login"), 1, "20 resources must share one login");

    // Sessions expire in the middle of the next refresh: one re-login, and the run succeeds.
    emu.control.clear_requests();
    app.expire_sessions_after(5);
    ws.run(&["apply", "-auto-approve", "-input=false", "-parallelism=10"]).ok();
    let unauthorized = emu.control.requests().iter().filter(|r| r.status == 401).count();
    assert!(unauthorized >= 1, "the expiry must have been hit");
    // One login for the refresh, one re-login after the expiry (the plan had no changes to apply).
    assert_eq!(emu.control.count("POST", "/api/login"), 2);
}

/// The most likely console change right after an apply is someone undoing it. The previous
/// provider took a read showing the values from before its write, within five minutes of it, for
/// propagation and planned no change while 2FA was off; what GET returns is what the plan shows.
#[test]
fn a_console_undo_right_after_an_apply_is_drift() {
    let (app, emu) = harness::started(AkanaEmulator::new());
    let ws = Ws::new(&(admin(&emu.url()) + &resource("root", ROOT_BUSINESS, "  enabled = true")));
    ws.apply().ok();
    assert_eq!(app.settings(ROOT_BUSINESS)["TwoFAEnabled"], "true");
    app.set_out_of_band(ROOT_BUSINESS, "TwoFAEnabled", "false");
    ws.assert_changes().mentions(&["~ enabled", "false -> true"]);
}

#[test]
fn login_problems_are_explained_without_the_password() {
    let (_app, emu) = harness::started(AkanaEmulator::new());
    let body = resource("root", ROOT_BUSINESS, "  enabled = true");
    let ws = Ws::new(&(provider(&emu.url(), ADMIN_EMAIL, "wrong-secret-123") + &body));
    let r = ws.apply();
    r.fails_with(&["Akana login failed", ADMIN_EMAIL, "AKANA_PASSWORD"]);
    assert!(!r.all().contains("wrong-secret-123"));
    let ws = Ws::new(&(provider(&emu.url(), PENDING_EMAIL, ADMIN_PASSWORD) + &body));
    ws.apply().fails_with(&["Akana login is not complete", "change.password"]);
    // Literal: a block without settings, and none in the environment.
    let cfg = format!("{}\nprovider \"akana\" {{}}\n{body}", required_providers(&["akana"]));
    let ws = Ws::new(&cfg);
    ws.plan().fails_with(&["Missing Akana base_url", "AKANA_BASE_URL", "Missing Akana password", "AKANA_PASSWORD"]);
}

/// With the platform's `ReadRequestCSRFSupport` on, reads need `X-Csrf-Token_<tenant>` too: the
/// provider sends it on every call once the CSRF cookie is known, so reads do not end in a
/// 401 → re-login → 401 loop.
#[test]
fn reads_carry_the_csrf_header_when_the_platform_requires_it() {
    let (app, emu) = harness::started(AkanaEmulator::new());
    app.set_read_csrf(true);
    let ws = Ws::new(&(admin(&emu.url()) + &resource("root", ROOT_BUSINESS, "  enabled = true")));
    ws.apply().ok();
    ws.assert_no_changes();
    let refused = emu.control.requests().iter().filter(|r| r.status == 401).count();
    assert_eq!(refused, 0, "no call may be refused for a missing CSRF header");
    assert_eq!(app.settings(ROOT_BUSINESS)["TwoFAEnabled"], "true");
}

/// Platforms before 8.0 answered the login's auth token in the body rather than as a cookie; the
/// provider sends it back as the `AtmoAuthToken_<tenant>` cookie.
#[test]
fn a_pre_8_0_login_answer_is_understood() {
    let (app, emu) = harness::started(AkanaEmulator::new());
    app.use_pre_8_0_login(true);
    let ws = Ws::new(&(admin(&emu.url()) + &resource("root", ROOT_BUSINESS, "  enabled = true")));
    ws.apply().ok();
    ws.assert_no_changes();
    assert_eq!(app.settings(ROOT_BUSINESS)["TwoFAEnabled"], "true");
}
