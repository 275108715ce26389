//! Credentials as a security tool must treat them: a rotated password is one failed login per
//! run, not one per resource (which trips the vendor's brute-force lock on the automation
//! account); a credential of the wrong kind is refused before anything is sent; a password is
//! sent exactly as given; what answers instead of the API (a sign-on page, a redirect, an endless
//! body) is named as such.

use mfa_sandbox::{Fault, FaultKind, akana, onlyoffice, rhombus, zitadel};

use crate::harness::{self, Provider, Ws, required_providers};

const DOCSPACE_LOGIN: &str = "/api/2.0/authentication";

/// Literal: the password is what the scenario is about.
fn docspace(url: &str, password: &str, body: &str) -> String {
    format!(
        "{}provider \"onlyoffice\" {{\n  portal_url = \"{url}\"\n  username = \"{}\"\n  password = {password:?}\n}}\n{body}",
        required_providers(&["onlyoffice"]),
        onlyoffice::ADMIN_EMAIL
    )
}

/// The quickstart's brute-force limit (3 attempts, 15 minutes) and every DocSpace object in one
/// plan: a wrong password costs one failed login, so the right one works at once afterwards.
#[test]
fn a_wrong_docspace_password_is_one_failed_login_per_run() {
    let (app, emu) = harness::started(onlyoffice::OnlyofficeEmulator::new());
    app.set_login_settings(3, 900, 600);
    let body = "resource \"onlyoffice_tfa_settings\" \"portal\" {\n  type = \"app\"\n}\n\
                resource \"onlyoffice_login_settings\" \"portal\" {\n  attempt_count = 3\n  block_time_seconds = 900\n  check_period_seconds = 600\n}\n\
                data \"onlyoffice_tfa_settings\" \"now\" {}\ndata \"onlyoffice_login_settings\" \"now\" {}\n";
    let ws = Ws::new(&docspace(&emu.url(), "rotated-yesterday", body));
    ws.plan().fails_with(&["DocSpace rejected the credentials"]);
    assert_eq!(emu.control.count("POST", DOCSPACE_LOGIN), 1, "one failed login, not one per object");
    // A second run is one more: still under the limit of 3, so the right password works.
    ws.plan().fails_with(&["DocSpace rejected the credentials"]);
    ws.write(&docspace(&emu.url(), onlyoffice::ADMIN_PASSWORD, body));
    ws.assert_changes();
    // Spaces around a password are part of it: sent as given, they are a wrong password.
    ws.write(&docspace(&emu.url(), &format!(" {} ", onlyoffice::ADMIN_PASSWORD), body));
    ws.plan().fails_with(&["DocSpace rejected the credentials"]);
}

/// Thirty businesses with a stale Akana password: one failed login.
#[test]
fn a_wrong_akana_password_is_one_failed_login_for_thirty_businesses() {
    let (app, emu) = harness::started(akana::AkanaEmulator::new());
    app.seed_businesses(30);
    let ids: Vec<String> = (1..=30).map(|i| format!("\"00000000-0000-4000-8000-{i:012}.{}\"", akana::TENANT)).collect();
    // Literal: the password is what the scenario is about.
    let config = |password: &str| {
        format!(
            "{}provider \"akana\" {{\n  base_url = \"{}\"\n  fed_member_id = \"{}\"\n  email = \"{}\"\n  password = {password:?}\n}}\n\
             resource \"akana_twofa_settings\" \"b\" {{\n  for_each = toset([{}])\n  business_id = each.key\n  enabled = true\n}}\n",
            required_providers(&["akana"]),
            emu.url(),
            akana::TENANT,
            akana::ADMIN_EMAIL,
            ids.join(", ")
        )
    };
    let ws = Ws::new(&config("rotated-yesterday"));
    ws.apply().fails_with(&["Akana login failed"]);
    assert_eq!(emu.control.count("POST", "/api/login"), 1, "one failed login, not one per business");
    ws.write(&config(akana::ADMIN_PASSWORD));
    ws.apply().ok().mentions(&["30 added"]);
}

/// A revoked ZITADEL key: one refused token exchange for every resource and data source.
#[test]
fn a_refused_zitadel_key_is_one_token_request() {
    let (app, emu) = harness::started(zitadel::ZitadelEmulator::new());
    let mut key: serde_json::Value = serde_json::from_str(&app.key_file_json()).unwrap();
    key["keyId"] = "799999999999999999".into();
    // Literal: the revoked key file is what the scenario is about.
    let config = format!(
        "{}provider \"zitadel\" {{\n  url = \"{}\"\n  jwt_profile_json = {:?}\n}}\n\
         resource \"zitadel_login_second_factor\" \"otp\" {{\n  type = \"SECOND_FACTOR_TYPE_OTP\"\n}}\n\
         resource \"zitadel_lockout_settings\" \"instance\" {{\n  max_otp_attempts = 3\n}}\n\
         data \"zitadel_login_policy\" \"instance\" {{}}\ndata \"zitadel_lockout_policy\" \"instance\" {{}}\n",
        required_providers(&["zitadel"]),
        emu.url(),
        key.to_string()
    );
    Ws::new(&config).plan().fails_with(&["ZITADEL rejected the JWT profile", "key not found"]);
    assert_eq!(emu.control.count("POST", "/oauth/v2/token"), 1);
}

/// A key file in `ZITADEL_ACCESS_TOKEN`, an API key in `ONLYOFFICE_TOKEN`: refused with the
/// attribute that was meant, before any request.
#[test]
fn a_credential_of_the_wrong_kind_is_refused_before_sending() {
    let (app, emu) = harness::started(zitadel::ZitadelEmulator::new());
    // Literal: no credentials in the block, a key file of the wrong kind in the environment.
    let config = format!(
        "{}provider \"zitadel\" {{\n  url = \"{}\"\n}}\ndata \"zitadel_login_policy\" \"instance\" {{}}\n",
        required_providers(&["zitadel"]),
        emu.url()
    );
    let key_file = app.key_file_json();
    let ws = Ws::with(harness::terraform(), &config, &[("ZITADEL_ACCESS_TOKEN", key_file.as_str())]);
    let run = ws.plan();
    run.fails_with(&[
        "Invalid value for access_token",
        "the value holds a service user's key file",
        "jwt_profile_json (ZITADEL_JWT_PROFILE_JSON)",
        "(The value came from the environment variable ZITADEL_ACCESS_TOKEN.)",
    ]);
    assert!(!run.all().contains("BEGIN"), "nothing of the key is shown");
    assert_eq!(emu.control.requests().len(), 0);

    let emu = harness::start(std::sync::Arc::new(onlyoffice::OnlyofficeEmulator::new()));
    // Literal: no credentials in the block, a session token of the wrong kind in the environment.
    let config = format!(
        "{}provider \"onlyoffice\" {{\n  portal_url = \"{}\"\n}}\ndata \"onlyoffice_tfa_settings\" \"portal\" {{}}\n",
        required_providers(&["onlyoffice"]),
        emu.url()
    );
    let ws = Ws::with(harness::terraform(), &config, &[("ONLYOFFICE_TOKEN", onlyoffice::API_KEY)]);
    ws.plan().fails_with(&[
        "Invalid value for token",
        "is an API key (sk-…), not a session token: set it as api_key (ONLYOFFICE_API_KEY)",
    ]);
    assert_eq!(emu.control.requests().len(), 0);
}

fn akana_config(url: &str) -> String {
    format!(
        "{}data \"akana_twofa_settings\" \"root\" {{\n  business_id = \"{}\"\n}}\n",
        Provider::of_type("akana", url).config(),
        akana::ROOT_BUSINESS
    )
}

/// A single-sign-on gateway's login page answering the login (200, HTML), a redirect to it, an
/// endless body: each named for what it is.
#[test]
fn what_answers_instead_of_the_api_is_named() {
    let (_, emu) = harness::started(akana::AkanaEmulator::new());
    emu.control.push_fault(Fault::new(FaultKind::Html(200)).on_path("/api/login"));
    Ws::new(&akana_config(&emu.url())).plan().fails_with(&[
        "An HTML page answered instead of the Akana API",
        "an HTML page answered (a proxy or single-sign-on gateway in front of the API?): HTTP 200",
    ]);
    assert_eq!(emu.control.count("POST", "/api/login"), 1);

    let (_, emu) = harness::started(rhombus::RhombusEmulator::new());
    let config = Provider::of(&emu).config() + "data \"rhombus_mfa_settings\" \"org\" {}\n";
    let sso = "https://sso.corp.test/adfs/ls/?SAMLRequest=fZJNT8MwDIbv";
    emu.control.push_fault(Fault::new(FaultKind::Redirect(302, sso.into())).times(1));
    let run = Ws::new(&config).plan();
    run.fails_with(&[
        "The Rhombus API redirected the request",
        "redirected (HTTP 302) to https://sso.corp.test/adfs/ls/",
    ]);
    assert!(!run.all().contains("SAMLRequest"), "the query of a redirect is not shown");
    emu.control.push_fault(Fault::new(FaultKind::Endless).times(1));
    Ws::new(&config).plan().fails_with(&["answered with more than 4 MiB"]);
}

/// Per provider type, the scenario above in which a refused login costs one attempt per run, or
/// `None` where the type has no login; a type missing here fails `every_vendor_has_a_login_scenario`.
fn one_failed_login(type_name: &str) -> Option<Option<fn()>> {
    match type_name {
        "onlyoffice" => Some(Some(a_wrong_docspace_password_is_one_failed_login_per_run)),
        "akana" => Some(Some(a_wrong_akana_password_is_one_failed_login_for_thirty_businesses)),
        "zitadel" => Some(Some(a_refused_zitadel_key_is_one_token_request)),
        // Rhombus takes its API key on every call: there is no login to repeat.
        "rhombus" => Some(None),
        _ => None,
    }
}

#[test]
fn every_vendor_has_a_login_scenario() {
    harness::every_vendor("tests/e2e/credentials.rs", one_failed_login);
}
