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
