//! The DocSpace emulator's login side, as DocSpace's server code has it: trusted IPs are stored
//! unvalidated and parsed only at login (`TfaSettingsBase.cs`, `IPAddressRange.cs`), mandatory
//! users and groups are checked before them, and the client's address can come from the
//! `request-x-real-ip` query parameter (`MessageSettings.GetIP`).

use std::sync::Arc;

use mfa_sandbox::onlyoffice::{
    ADMIN_EMAIL, ADMIN_ID, ADMIN_PASSWORD, API_KEY, OnlyofficeEmulator, STAFF_EMAIL, STAFF_GROUP_ID, STAFF_PASSWORD,
};
use mfa_sandbox::{ServerOptions, start};
use serde_json::{Value as J, json};

struct Portal {
    url: String,
    http: reqwest::Client,
}

impl Portal {
    async fn put(&self, body: J) -> reqwest::StatusCode {
        self.http
            .put(format!("{}/api/2.0/settings/tfaapp", self.url))
            .bearer_auth(API_KEY)
            .json(&body)
            .send()
            .await
            .unwrap()
            .status()
    }
    /// (status, response) of a login, from `ip` when given.
    async fn login(&self, email: &str, password: &str, ip: Option<&str>) -> (u16, J) {
        let q = ip.map(|i| format!("?request-x-real-ip={i}")).unwrap_or_default();
        let r = self
            .http
            .post(format!("{}/api/2.0/authentication{q}", self.url))
            .json(&json!({"userName": email, "password": password}))
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(J::Null))
    }
}

async fn portal() -> (Portal, mfa_sandbox::RunningEmulator) {
    let emu = start(Arc::new(OnlyofficeEmulator::new()), ServerOptions::default()).await.unwrap();
    (Portal { url: emu.url(), http: reqwest::Client::new() }, emu)
}

#[tokio::test]
async fn a_cidr_block_with_host_bits_is_stored_and_breaks_every_login() {
    let (p, _emu) = portal().await;
    assert_eq!(p.put(json!({"type": "app", "trustedIps": ["10.0.0.1/8"]})).await, 200, "stored unvalidated");
    let (status, body) = p.login(ADMIN_EMAIL, ADMIN_PASSWORD, None).await;
    assert_eq!(status, 500, "{body}");
    assert_eq!(body["error"]["type"], "System.FormatException");
    // An earlier entry that matches spares the parse.
    assert_eq!(p.put(json!({"type": "app", "trustedIps": ["127.0.0.1", "10.0.0.1/8"]})).await, 200);
    assert!(p.login(ADMIN_EMAIL, ADMIN_PASSWORD, None).await.1["response"]["token"].is_string());
}

#[tokio::test]
async fn mandatory_users_and_groups_come_before_trusted_ips() {
    let (p, _emu) = portal().await;
    let body = json!({"type": "app", "trustedIps": ["127.0.0.1"], "mandatoryUsers": [ADMIN_ID], "mandatoryGroups": [STAFF_GROUP_ID]});
    assert_eq!(p.put(body).await, 200);
    // Both are mandatory: the trusted address does not spare them a second factor.
    assert_eq!(p.login(ADMIN_EMAIL, ADMIN_PASSWORD, None).await.1["response"]["tfa"], true);
    assert_eq!(p.login(STAFF_EMAIL, STAFF_PASSWORD, None).await.1["response"]["tfa"], true);
}

#[tokio::test]
async fn addresses_match_as_docspace_matches_them() {
    let (p, _emu) = portal().await;
    let trusted = |ips: &[&str]| json!({"type": "app", "trustedIps": ips});
    let token = |r: (u16, J)| r.1["response"]["token"].is_string();
    // A range works for IPv6.
    assert_eq!(p.put(trusted(&["2001:db8::-2001:db8::ffff"])).await, 200);
    assert!(token(p.login(STAFF_EMAIL, STAFF_PASSWORD, Some("2001:db8::42")).await));
    assert!(!token(p.login(STAFF_EMAIL, STAFF_PASSWORD, Some("2001:db9::42")).await));
    // An IPv6 block only compares the first 32 bits: a /64 lets a whole /32 in.
    assert_eq!(p.put(trusted(&["2001:db8:1:1::/64"])).await, 200);
    assert!(token(p.login(STAFF_EMAIL, STAFF_PASSWORD, Some("2001:db8:ffff::1")).await));
    // A single address is compared as text.
    assert_eq!(p.put(trusted(&["2001:DB8::1"])).await, 200);
    assert!(!token(p.login(STAFF_EMAIL, STAFF_PASSWORD, Some("2001:db8::1")).await));
    assert_eq!(p.put(trusted(&["2001:db8::1"])).await, 200);
    assert!(token(p.login(STAFF_EMAIL, STAFF_PASSWORD, Some("2001:db8::1")).await));
}

/// The brute-force settings as `SecurityController.cs`, `LoginSettings.cs` and
/// `DbSettingsManager.cs` have them, and their enforcement per login name and address
/// (`BruteForceLoginManager.cs`).
#[tokio::test]
async fn login_settings_and_their_block_behave_as_docspace() {
    let app = Arc::new(OnlyofficeEmulator::new());
    let emu = start(app.clone(), ServerOptions::default()).await.unwrap();
    let p = Portal { url: emu.url(), http: reqwest::Client::new() };
    let path = format!("{}/api/2.0/settings/security/loginSettings", p.url);
    let call = |m: reqwest::Method, body: Option<J>| {
        let mut r = p.http.request(m, &path).bearer_auth(API_KEY);
        if let Some(b) = body {
            r = r.json(&b);
        }
        r
    };

    // Nothing saved: the defaults, flagged, with DocSpace's own Last-Modified format.
    let r = call(reqwest::Method::GET, None).send().await.unwrap();
    let modified = r.headers()["last-modified"].to_str().unwrap().to_string();
    assert!(modified.len() == 19 && modified.as_bytes()[2] == b'/', "{modified}");
    let body: J = r.json().await.unwrap();
    assert_eq!(body["response"], json!({"attemptCount": 5, "blockTime": 60, "checkPeriod": 60, "isDefault": true}));
    // Only an exact echo of that string is "not modified".
    let r = call(reqwest::Method::GET, None).header("if-modified-since", &modified).send().await.unwrap();
    assert_eq!(r.status(), 304);

    // A missing field binds as 0 and fails its range; numbers in strings are read.
    let r = call(reqwest::Method::PUT, Some(json!({"attemptCount": 3, "blockTime": 900}))).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let body: J = r.json().await.unwrap();
    assert_eq!(body["response"]["errors"]["CheckPeriod"][0], "The field CheckPeriod must be between 1 and 9999.");
    let r = call(reqwest::Method::PUT, Some(json!({"attemptCount": "2", "blockTime": 900, "checkPeriod": 60})))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(app.login_settings().0.attempt_count, 2);

    // Two wrong passwords are allowed in the window; the third attempt is blocked, even with the
    // right password, from that address only.
    for _ in 0..2 {
        assert_eq!(p.login(ADMIN_EMAIL, "wrong", None).await.0, 401);
    }
    let (status, body) = p.login(ADMIN_EMAIL, ADMIN_PASSWORD, None).await;
    assert_eq!(
        (status, body["error"]["message"].as_str()),
        (403, Some("Too many login attempts. Please try again later"))
    );
    assert_eq!(p.login(ADMIN_EMAIL, ADMIN_PASSWORD, Some("10.0.0.7")).await.0, 200, "another address is not blocked");
    // Successes do not count.
    for _ in 0..4 {
        assert_eq!(p.login(STAFF_EMAIL, STAFF_PASSWORD, None).await.0, 200);
    }

    // Saving the defaults removes the row; DELETE answers the defaults, not a 204.
    let r = call(reqwest::Method::PUT, Some(json!({"attemptCount": 5, "blockTime": 60, "checkPeriod": 60})))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(!app.login_settings().1);
    let body: J = call(reqwest::Method::DELETE, None).send().await.unwrap().json().await.unwrap();
    assert_eq!(body["response"]["isDefault"], true);
}
