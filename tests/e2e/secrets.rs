//! No credential — API key, password, token, cookie, JWT key — appears anywhere Terraform prints:
//! plan and apply output, diagnostics, or the provider's log at TF_LOG=TRACE.

use std::sync::Arc;

use mfa_sandbox::{akana, onlyoffice, rhombus, zitadel};

use crate::harness::{self, Provider, Run, Ws, required_providers};

/// Runs a whole lifecycle at TRACE and returns everything printed.
fn traced_lifecycle(config: &str) -> String {
    let ws = Ws::with(harness::terraform(), config, &[("TF_LOG", "TRACE")]);
    let mut all = String::new();
    let mut keep = |r: Run| {
        all.push_str(&r.all());
        r
    };
    keep(ws.apply()).ok();
    keep(ws.plan());
    keep(ws.run(&["plan", "-destroy"]));
    keep(ws.destroy()).ok();
    assert!(all.contains("[TRACE]"), "TRACE logging was not on");
    assert!(all.contains("provider.terraform-provider-"), "the provider's own log lines must be part of the check");
    all
}

#[track_caller]
fn assert_absent(output: &str, secrets: &[String]) {
    for s in secrets {
        assert!(s.len() >= 8, "secret too short to search for: {s:?}");
        assert!(!output.contains(s.as_str()), "secret {}… leaked into Terraform's output", &s[..6]);
    }
}

#[test]
fn rhombus_key_never_printed() {
    let emu = harness::start(Arc::new(rhombus::RhombusEmulator::new()));
    let key = rhombus::DEMO_API_KEY;
    let cfg = Provider::of(&emu).config() + "resource \"rhombus_mfa_settings\" \"x\" {\n  mfa_enabled = true\n}\n";
    assert_absent(&traced_lifecycle(&cfg), &[key.to_string()]);
}

#[test]
fn zitadel_pat_jwt_key_and_tokens_never_printed() {
    let app = Arc::new(zitadel::ZitadelEmulator::new());
    let emu = harness::start(app.clone());
    let key_file = app.key_file_json();
    let res = "resource \"zitadel_login_second_factor\" \"x\" {\n  type = \"SECOND_FACTOR_TYPE_OTP_SMS\"\n}\n";
    // Literal: the key file is the credential under test.
    let jwt_cfg = format!(
        "{}provider \"zitadel\" {{\n  url = \"{}\"\n  jwt_profile_json = {:?}\n}}\n{res}",
        required_providers(&["zitadel"]),
        emu.url(),
        key_file
    );
    let out = traced_lifecycle(&jwt_cfg);
    let key: serde_json::Value = serde_json::from_str(&key_file).unwrap();
    // Every line of the private key's base64 body, and every token the exchange produced.
    let mut secrets: Vec<String> =
        key["key"].as_str().unwrap().lines().filter(|l| !l.starts_with("-----")).map(str::to_string).collect();
    secrets.extend(app.issued_tokens());
    assert!(!app.issued_tokens().is_empty());
    assert_absent(&out, &secrets);

    let pat_cfg = Provider::of(&emu).config() + res;
    assert_absent(&traced_lifecycle(&pat_cfg), &[zitadel::ADMIN_PAT.to_string()]);
}

#[test]
fn docspace_key_password_and_sessions_never_printed() {
    let app = Arc::new(onlyoffice::OnlyofficeEmulator::new());
    let emu = harness::start(app.clone());
    let res = "resource \"onlyoffice_tfa_settings\" \"x\" {\n  type = \"app\"\n  trusted_ips = [\"127.0.0.1\"]\n}\n";
    // Literal: the user name and password are the credentials under test.
    let pw_cfg = format!(
        "{}provider \"onlyoffice\" {{\n  portal_url = \"{}\"\n  username = \"{}\"\n  password = \"{}\"\n}}\n{res}",
        required_providers(&["onlyoffice"]),
        emu.url(),
        onlyoffice::ADMIN_EMAIL,
        onlyoffice::ADMIN_PASSWORD
    );
    let out = traced_lifecycle(&pw_cfg);
    let mut secrets = vec![onlyoffice::ADMIN_PASSWORD.to_string()];
    secrets.extend(app.issued_sessions());
    assert!(secrets.len() > 1);
    assert_absent(&out, &secrets);

    let key_cfg = Provider::of(&emu).config() + res;
    assert_absent(&traced_lifecycle(&key_cfg), &[onlyoffice::API_KEY.to_string()]);
}

#[test]
fn akana_password_and_cookies_never_printed() {
    let app = Arc::new(akana::AkanaEmulator::new());
    let emu = harness::start(app.clone());
    let cfg = format!(
        "{}resource \"akana_twofa_settings\" \"x\" {{\n  business_id = \"{}\"\n  enabled = true\n}}\n",
        Provider::of(&emu).config(),
        akana::ROOT_BUSINESS
    );
    let out = traced_lifecycle(&cfg);
    let mut secrets = vec![akana::ADMIN_PASSWORD.to_string()];
    secrets.extend(app.issued_cookies());
    assert!(secrets.len() > 1);
    assert_absent(&out, &secrets);
}

/// Answers that carry tokens — an error that echoes the session it was sent, an authentication
/// answer that cannot be read — never reach a message or a log: excerpts go through one
/// redaction, and authentication answers are never quoted at all.
#[test]
fn token_shaped_strings_in_answers_never_reach_the_output() {
    use mfa_sandbox::{Fault, FaultKind};
    let jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiI1MDAwMDAwMDAwMDAwMDAwMDUifQ.c2lnbmF0dXJlLWJ5dGVz";
    let key = "sk-0f1e2d3c4b5a69788796a5b4c3d2e1f0";
    let session = "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2Rl";
    let secrets: Vec<String> = [jwt, key, session].iter().map(|s| s.to_string()).collect();
    let traced = |config: &str| {
        let ws = Ws::with(harness::terraform(), config, &[("TF_LOG", "TRACE")]);
        let run = ws.plan();
        assert_ne!(run.code, 0, "{}", run.all());
        // Terraform wraps diagnostics at 80 columns: words joined back for matching.
        run.all().split_whitespace().collect::<Vec<_>>().join(" ")
    };

    let emu = harness::start(Arc::new(rhombus::RhombusEmulator::new()));
    let echoing = format!(r#"{{"error":true,"errorMsg":"invalid session {jwt} for key {key}","session":"{session}"}}"#);
    emu.control.push_fault(Fault::new(FaultKind::Body(500, echoing)));
    let cfg = Provider::of(&emu).with("max_retries", 0).config() + "data \"rhombus_mfa_settings\" \"x\" {}\n";
    let out = traced(&cfg);
    assert!(out.contains("invalid session (redacted)"), "the message stays readable:\n{out}");
    assert_absent(&out, &secrets);

    let app = Arc::new(zitadel::ZitadelEmulator::new());
    let emu = harness::start(app.clone());
    let unreadable = format!(r#"{{"access_token":"{jwt}","token_type":"Bearer","expires_in":"#);
    emu.control.push_fault(Fault::new(FaultKind::Body(200, unreadable)).on_path("/oauth/v2/token"));
    // Literal: the key file's exchange is what answers here.
    let cfg = format!(
        "{}provider \"zitadel\" {{\n  url = \"{}\"\n  jwt_profile_json = {:?}\n}}\ndata \"zitadel_login_policy\" \"x\" {{}}\n",
        required_providers(&["zitadel"]),
        emu.url(),
        app.key_file_json()
    );
    let out = traced(&cfg);
    assert!(out.contains("not shown, since an authentication answer may hold a token"), "{out}");
    assert_absent(&out, &secrets);

    let emu = harness::start(Arc::new(onlyoffice::OnlyofficeEmulator::new()));
    let unreadable = format!(r#"{{"response":{{"token":"{session}","expires":"#);
    emu.control.push_fault(Fault::new(FaultKind::Body(200, unreadable)).on_path("/api/2.0/authentication"));
    // Literal: the password login is what answers here.
    let cfg = format!(
        "{}provider \"onlyoffice\" {{\n  portal_url = \"{}\"\n  username = \"{}\"\n  password = \"{}\"\n}}\ndata \"onlyoffice_tfa_settings\" \"x\" {{}}\n",
        required_providers(&["onlyoffice"]),
        emu.url(),
        onlyoffice::ADMIN_EMAIL,
        onlyoffice::ADMIN_PASSWORD
    );
    assert_absent(&traced(&cfg), &secrets);
}

/// Each provider type's scenario above; a type without one fails here instead of going unchecked.
fn scenario(type_name: &str) -> Option<fn()> {
    match type_name {
        "rhombus" => Some(rhombus_key_never_printed),
        "zitadel" => Some(zitadel_pat_jwt_key_and_tokens_never_printed),
        "onlyoffice" => Some(docspace_key_password_and_sessions_never_printed),
        "akana" => Some(akana_password_and_cookies_never_printed),
        _ => None,
    }
}

#[test]
fn every_vendor_has_a_scenario() {
    harness::every_vendor("tests/e2e/secrets.rs", scenario);
}
