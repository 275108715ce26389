//! A stateful emulator of the Rhombus calls the provider makes, following the vendor documentation
//! (https://apidocs.rhombussystems.com): every call is a POST with `x-auth-apikey` and `x-auth-scheme`; an unknown
//! key is 401; a body that does not match the request object is answered
//! `{"msg":"JSON doesn't match expected object structure"}`; domain failures are HTTP 200 with
//! `"error": true`; `getOrgV2` returns the whole org object.
//!
//! Partner keys (`x-auth-scheme: partner-api-token`) act on a client organization named by
//! `x-auth-org` (Rhombus authentication docs, "Partner Example"; rhombus-cli
//! `internal/client/client.go`), and on the partner's own organization without it. A client org
//! the partner does not manage, or an unknown one, is refused with 403 — the documented status
//! for a key without access ("Your API key role does not have proper permission"), with the body
//! Rhombus's security layer writes (`{"status":403,"error":"Forbidden","msg":"Access Denied"}`).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value as J, json};

use crate::server::{EmulatorApp, parse_json};

/// The demo organization and keys the sandbox and tests start with.
pub const DEMO_ORG_UUID: &str = "AcmeSecurityOrg0000001";
pub const DEMO_API_KEY: &str = "rhombusDemoKey00000001";
pub const PARTNER_API_KEY: &str = "rhombusPartnerKey00001";
/// Client organizations the partner key manages.
pub const CLIENT_ORG_UUID: &str = "AcmeClientOrg000000002";
pub const CLIENT_ORG_UUID_2: &str = "AcmeClientOrg000000003";
pub const CLIENT_ORG_UUID_3: &str = "AcmeClientOrg000000004";
/// An organization that exists but is no client of the partner.
pub const FOREIGN_ORG_UUID: &str = "OtherCustomerOrg000005";

#[derive(Debug, Clone)]
struct KeyInfo {
    org: String,
    scheme: &'static str,
    /// Client orgs a partner key may address with `x-auth-org`.
    clients: Vec<String>,
}

struct EmuState {
    orgs: BTreeMap<String, J>,
    keys: BTreeMap<String, KeyInfo>,
    /// `warningMsg` for the next successful update (Rhombus's "it worked, but" channel).
    next_warning: Option<String>,
}

pub struct RhombusEmulator {
    state: Mutex<EmuState>,
}

fn org_object(uuid: &str, name: &str) -> J {
    json!({
        "uuid": uuid,
        "name": name,
        "accountOwnerEmail": "owner@example.com",
        "countryCode": "US",
        "createdAtMillis": 1_700_000_000_000i64,
        "deleted": false,
        "inactivityTimeout": 30,
        // Rhombus: "By default, 2FA will be enabled for all organizations".
        "mfaEnabled": true,
        // The platform default is not documented; the emulator starts at 30 days.
        "v3AuthNumDaysSkip2FAForTrustedDevices": 30,
        "audioRecordingEnabled": false,
        "uapSettings": {"enabled": false, "text": null},
        "tenantUrl": null
    })
}

impl Default for RhombusEmulator {
    fn default() -> Self {
        Self::new()
    }
}

impl RhombusEmulator {
    pub fn new() -> Self {
        let mut orgs = BTreeMap::new();
        orgs.insert(DEMO_ORG_UUID.to_string(), org_object(DEMO_ORG_UUID, "Acme Security"));
        orgs.insert(CLIENT_ORG_UUID.to_string(), org_object(CLIENT_ORG_UUID, "Acme Client"));
        orgs.insert(CLIENT_ORG_UUID_2.to_string(), org_object(CLIENT_ORG_UUID_2, "Beta Client"));
        orgs.insert(CLIENT_ORG_UUID_3.to_string(), org_object(CLIENT_ORG_UUID_3, "Gamma Client"));
        orgs.insert(FOREIGN_ORG_UUID.to_string(), org_object(FOREIGN_ORG_UUID, "Other Customer"));
        let mut keys = BTreeMap::new();
        keys.insert(
            DEMO_API_KEY.to_string(),
            KeyInfo { org: DEMO_ORG_UUID.into(), scheme: "api-token", clients: vec![] },
        );
        keys.insert(
            PARTNER_API_KEY.to_string(),
            KeyInfo {
                org: DEMO_ORG_UUID.into(),
                scheme: "partner-api-token",
                clients: vec![CLIENT_ORG_UUID.into(), CLIENT_ORG_UUID_2.into(), CLIENT_ORG_UUID_3.into()],
            },
        );
        RhombusEmulator { state: Mutex::new(EmuState { orgs, keys, next_warning: None }) }
    }

    /// (mfaEnabled, trusted-device days) of an org, as the emulated Rhombus holds them.
    pub fn mfa(&self, org: &str) -> (Option<bool>, Option<i64>) {
        let s = self.state.lock().expect("state");
        let o = &s.orgs[org];
        (o["mfaEnabled"].as_bool(), o["v3AuthNumDaysSkip2FAForTrustedDevices"].as_i64())
    }

    /// Changes settings behind Terraform's back (what a person in the console would do).
    pub fn set_mfa(&self, org: &str, enabled: bool, days: i64) {
        let mut s = self.state.lock().expect("state");
        let o = s.orgs.get_mut(org).expect("org");
        o["mfaEnabled"] = enabled.into();
        o["v3AuthNumDaysSkip2FAForTrustedDevices"] = days.into();
    }

    /// `n` more client organizations of the partner key, for rehearsals: `Client 001`, ….
    pub fn seed_clients(&self, n: usize) {
        let mut s = self.state.lock().expect("state");
        for i in 1..=n {
            let uuid = format!("SeededClientOrg{i:07}");
            s.orgs.insert(uuid.clone(), org_object(&uuid, &format!("Client {i:03}")));
            s.keys.get_mut(PARTNER_API_KEY).expect("partner key").clients.push(uuid);
        }
    }

    /// `POST /api/partner/getClientsV2` (Rhombus OpenAPI `getPartnerClientsV2`): a partner key's
    /// client organizations, all at once (no paging), as `clients[]` of `clientOrgUuid` and
    /// `clientOrgName`. A key that is no partner's is refused, as the security layer does.
    fn partner_clients(&self, headers: HeaderMap, body: Bytes) -> Response {
        if let Err((status, msg)) = self.authenticate(&headers) {
            return envelope_error(status, msg);
        }
        if !parse_json(&body).is_some_and(|v| v.is_object()) {
            return malformed();
        }
        let s = self.state.lock().expect("state");
        let key = headers.get("x-auth-apikey").and_then(|v| v.to_str().ok()).unwrap_or_default();
        let info = &s.keys[key];
        if info.scheme != "partner-api-token" {
            return envelope_error(StatusCode::FORBIDDEN, "Access Denied");
        }
        let clients: Vec<J> = info
            .clients
            .iter()
            .map(
                |c| json!({"clientOrgUuid": c, "clientOrgName": s.orgs[c]["name"], "cameraCount": 0, "sensorCount": 0}),
            )
            .collect();
        Json200(json!({"error": false, "errorMsg": null, "clients": clients, "warningMsg": null})).into_response()
    }

    /// Another customer's organization with an API key of its own (another tenant, or another
    /// environment's key in the wrong pipeline variable).
    pub fn add_org_with_key(&self, uuid: &str, name: &str, key: &str) {
        let mut s = self.state.lock().expect("state");
        s.orgs.insert(uuid.to_string(), org_object(uuid, name));
        s.keys.insert(key.to_string(), KeyInfo { org: uuid.into(), scheme: "api-token", clients: vec![] });
    }

    /// Makes the next successful update answer with this `warningMsg`.
    pub fn warn_next_update(&self, msg: &str) {
        self.state.lock().expect("state").next_warning = Some(msg.to_string());
    }

    /// Identifies the caller's org from the auth headers, as Rhombus does.
    fn authenticate(&self, h: &HeaderMap) -> Result<String, (StatusCode, &'static str)> {
        let header = |n: &str| h.get(n).and_then(|v| v.to_str().ok()).map(str::to_string);
        let scheme = header("x-auth-scheme").unwrap_or_default();
        if !["api-token", "api", "partner-api-token", "partner-api"].contains(&scheme.as_str()) {
            // The docs list "Improper Headers" among the 500 causes.
            return Err((StatusCode::INTERNAL_SERVER_ERROR, "Improper Headers"));
        }
        let s = self.state.lock().expect("state");
        let key = header("x-auth-apikey").unwrap_or_default();
        let Some(info) = s.keys.get(&key) else {
            return Err((StatusCode::UNAUTHORIZED, "Authentication Failed"));
        };
        // Certificate schemes ("api", "partner-api") need a client certificate the emulator never sees.
        if info.scheme != scheme {
            return Err((StatusCode::UNAUTHORIZED, "Authentication Failed"));
        }
        match header("x-auth-org") {
            Some(client) if info.scheme == "partner-api-token" => {
                if info.clients.contains(&client) {
                    Ok(client)
                } else {
                    Err((StatusCode::FORBIDDEN, "Access Denied"))
                }
            }
            // Without the header a partner key acts on the partner's own organization.
            _ => Ok(info.org.clone()),
        }
    }

    fn get_org(&self, headers: HeaderMap, body: Bytes) -> Response {
        let org = match self.authenticate(&headers) {
            Ok(o) => o,
            Err((status, msg)) => return envelope_error(status, msg),
        };
        if !parse_json(&body).is_some_and(|v| v.is_object()) {
            return malformed();
        }
        let s = self.state.lock().expect("state");
        Json200(json!({
            "cameraConfigDefaults": {},
            "cameraConfigOptions": {},
            "error": false,
            "errorMsg": null,
            "featureFlags": {},
            "org": s.orgs[&org],
            "warningMsg": null
        }))
        .into_response()
    }

    fn update_mfa(&self, headers: HeaderMap, body: Bytes) -> Response {
        let org = match self.authenticate(&headers) {
            Ok(o) => o,
            Err((status, msg)) => return envelope_error(status, msg),
        };
        let Some(req) = parse_json(&body).filter(|v| v.is_object()) else {
            return malformed();
        };
        let enabled = &req["mfaEnabled"];
        let days = &req["v3AuthNumDaysSkip2FAForTrustedDevices"];
        if !(enabled.is_null() || enabled.is_boolean()) {
            return malformed();
        }
        let days_val = if days.is_null() {
            None
        } else {
            match days.as_i64().filter(|d| i32::try_from(*d).is_ok()) {
                Some(d) => Some(d),
                None => return malformed(),
            }
        };
        let mut s = self.state.lock().expect("state");
        let o = s.orgs.get_mut(&org).expect("authenticated org exists");
        if let Some(b) = enabled.as_bool() {
            o["mfaEnabled"] = b.into();
        }
        if let Some(d) = days_val {
            o["v3AuthNumDaysSkip2FAForTrustedDevices"] = d.into();
        }
        let org = o.clone();
        let warning = s.next_warning.take();
        Json200(json!({"error": false, "errorMsg": null, "org": org, "warningMsg": warning})).into_response()
    }
}

struct Json200(J);

impl IntoResponse for Json200 {
    fn into_response(self) -> Response {
        (StatusCode::OK, [("content-type", "application/json")], self.0.to_string()).into_response()
    }
}

fn envelope_error(status: StatusCode, msg: &str) -> Response {
    let body = if status == StatusCode::FORBIDDEN {
        // The security layer's refusal, not the web service's envelope.
        json!({"status": 403, "error": "Forbidden", "timestamp": 1_767_225_600_000i64, "msg": msg})
    } else {
        json!({"error": true, "errorMsg": msg})
    };
    (status, [("content-type", "application/json")], body.to_string()).into_response()
}

fn malformed() -> Response {
    (
        StatusCode::BAD_REQUEST,
        [("content-type", "application/json")],
        json!({"msg": "JSON doesn't match expected object structure"}).to_string(),
    )
        .into_response()
}

impl EmulatorApp for RhombusEmulator {
    fn vendor(&self) -> &'static str {
        "Rhombus"
    }

    fn router(self: Arc<Self>) -> axum::Router {
        let (a, b, c) = (self.clone(), self.clone(), self);
        axum::Router::new()
            .route("/api/org/getOrgV2", post(move |h: HeaderMap, body: Bytes| async move { a.get_org(h, body) }))
            .route(
                "/api/partner/getClientsV2",
                post(move |h: HeaderMap, body: Bytes| async move { c.partner_clients(h, body) }),
            )
            .route(
                "/api/org/updateMFASettings",
                post(move |h: HeaderMap, body: Bytes| async move { b.update_mfa(h, body) }),
            )
    }

    /// Rhombus's documented 429 (api-docs.rhombus.community/rate-limits): plain text, `Retry-After`
    /// in seconds.
    fn too_many_requests(&self, retry_after_s: u64) -> axum::response::Response {
        axum::response::Response::builder()
            .status(429)
            .header("retry-after", retry_after_s.to_string())
            .header("content-type", "text/plain")
            .body(axum::body::Body::from("Too many api requests. Enhance your calm."))
            .expect("static response")
    }

    fn error_envelope(&self) -> (u16, String) {
        (200, json!({"error": true, "errorMsg": "Simulated failure: organization settings are locked for maintenance", "org": null, "warningMsg": null}).to_string())
    }

    fn seed(&self, n: usize) -> Result<String, String> {
        self.seed_clients(n);
        Ok(format!(
            "{n} client organizations of the partner key (RHOMBUS_API_KEY=rhombusPartnerKey00001, RHOMBUS_AUTH_SCHEME=partner-api-token)"
        ))
    }

    fn summary(&self) -> J {
        let s = self.state.lock().expect("state");
        let orgs: Vec<J> = s
            .orgs
            .values()
            .map(|o| json!({"org": o["uuid"], "name": o["name"], "mfaEnabled": o["mfaEnabled"], "trustedDeviceSkipDays": o["v3AuthNumDaysSkip2FAForTrustedDevices"]}))
            .collect();
        json!({ "orgs": orgs })
    }

    fn sandbox_env(&self, base_url: &str) -> Vec<(String, String)> {
        vec![("RHOMBUS_ENDPOINT".into(), base_url.into()), ("RHOMBUS_API_KEY".into(), DEMO_API_KEY.into())]
    }
}
