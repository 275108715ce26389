//! A stateful emulator of ONLYOFFICE DocSpace's TFA settings API, following the vendor notes (§4)
//! and the server code they cite:
//!
//! - auth dispatch by `Authorization`: `Bearer sk-…` is an API key (scoped read or write),
//!   any other value or the `asc_auth_key` cookie is a session token from
//!   `POST /api/2.0/authentication`, which returns no token once TFA applies to the user;
//! - `GET /api/2.0/settings/tfaapp`: 0–2 entries (`sms` only when SMS settings are visible),
//!   `available` spelled `avaliable` on pre-3.7.1 servers (switchable), null lists omitted;
//! - `PUT /api/2.0/settings/tfaapp`: `Sms` needs an SMS provider, switching type resets the other,
//!   `None` answers `response: false`, the owner-protection check on `id`, and every successful
//!   enabling write logs out **every** session of the portal (tenant cookie reset);
//! - envelopes `{response, count, links, status: 0, statusCode}` and
//!   `{error: {message}, status: 1, statusCode}`; InvalidOperationException answers 403.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value as J, json};

use crate::server::{EmulatorApp, parse_json};

pub const OWNER_ID: &str = "11111111-1111-4111-8111-111111111111";
/// The administrator the provider acts as.
pub const ADMIN_ID: &str = "22222222-2222-4222-8222-222222222222";
pub const ADMIN_EMAIL: &str = "admin@acme.example";
pub const ADMIN_PASSWORD: &str = "demo-Passw0rd!";
/// A user and a group that exist on the demo portal.
pub const STAFF_USER_ID: &str = "33333333-3333-4333-8333-333333333333";
pub const STAFF_GROUP_ID: &str = "44444444-4444-4444-8444-444444444444";
/// API key of the administrator, with write permission.
pub const API_KEY: &str = "sk-demo0docspace0write0key0000000001";
/// API key of the administrator limited to `*:read`.
pub const READ_ONLY_API_KEY: &str = "sk-demo0docspace0read0key00000000002";

#[derive(Clone, Default)]
struct Entry {
    enable: bool,
    trusted_ips: Option<Vec<String>>,
    mandatory_users: Option<Vec<String>>,
    mandatory_groups: Option<Vec<String>>,
}

struct User {
    email: &'static str,
    password: &'static str,
    admin: bool,
}

struct EmuState {
    sms: Entry,
    app: Entry,
    sms_visible: bool,
    sms_provider: bool,
    old_spelling: bool,
    reorder: bool,
    /// Incremented by a tenant cookie reset; sessions of an older index are logged out.
    cookie_index: u64,
    sessions: BTreeMap<String, (&'static str, u64)>,
    users: BTreeMap<&'static str, User>,
    /// key -> (user, may write)
    api_keys: BTreeMap<&'static str, (&'static str, bool)>,
}

pub struct OnlyofficeEmulator {
    state: Mutex<EmuState>,
}

fn envelope(response: J) -> Response {
    let count = response.as_array().map_or(1, Vec::len);
    let body = json!({
        "response": response, "count": count,
        "links": [{"href": "/api/2.0/settings/tfaapp", "action": "GET"}],
        "status": 0, "statusCode": 200
    });
    (StatusCode::OK, [("content-type", "application/json")], body.to_string()).into_response()
}

fn error(status: StatusCode, message: &str, ty: &str) -> Response {
    let body = json!({"error": {"message": message, "type": ty}, "status": 1, "statusCode": status.as_u16()});
    (status, [("content-type", "application/json")], body.to_string()).into_response()
}

fn unauthorized() -> Response {
    error(StatusCode::UNAUTHORIZED, "Unauthorized", "System.Security.Authentication.AuthenticationException")
}

/// Who is calling, and whether the credential allows writes.
struct Caller {
    user: &'static str,
    can_write: bool,
}

impl Default for OnlyofficeEmulator {
    fn default() -> Self {
        Self::new()
    }
}

impl OnlyofficeEmulator {
    pub fn new() -> Self {
        let mut users = BTreeMap::new();
        users.insert(OWNER_ID, User { email: "owner@acme.example", password: "owner-Passw0rd!", admin: true });
        users.insert(ADMIN_ID, User { email: ADMIN_EMAIL, password: ADMIN_PASSWORD, admin: true });
        users.insert(STAFF_USER_ID, User { email: "staff@acme.example", password: "staff-Passw0rd!", admin: false });
        let mut api_keys = BTreeMap::new();
        api_keys.insert(API_KEY, (ADMIN_ID, true));
        api_keys.insert(READ_ONLY_API_KEY, (ADMIN_ID, false));
        OnlyofficeEmulator {
            state: Mutex::new(EmuState {
                sms: Entry::default(),
                app: Entry::default(),
                sms_visible: true,
                sms_provider: false,
                old_spelling: false,
                reorder: false,
                cookie_index: 1,
                sessions: BTreeMap::new(),
                users,
                api_keys,
            }),
        }
    }

    /// Whether an SMS provider is enabled (SMS TFA is available only then).
    pub fn set_sms_available(&self, yes: bool) {
        self.state.lock().expect("state").sms_provider = yes;
    }

    /// Answer with the pre-3.7.1 spelling `avaliable`.
    pub fn use_old_spelling(&self, yes: bool) {
        self.state.lock().expect("state").old_spelling = yes;
    }

    /// Return lists in reverse order (a server is free to order them as it likes).
    pub fn reorder_lists(&self, yes: bool) {
        self.state.lock().expect("state").reorder = yes;
    }

    /// A session token for the administrator, as if obtained from the login page.
    pub fn session_token(&self) -> String {
        let mut s = self.state.lock().expect("state");
        let token = format!("sess{}", uuid::Uuid::new_v4().simple());
        let idx = s.cookie_index;
        s.sessions.insert(token.clone(), (ADMIN_ID, idx));
        token
    }

    /// Session tokens issued so far (for tests that look for leaked secrets).
    pub fn issued_sessions(&self) -> Vec<String> {
        self.state.lock().expect("state").sessions.keys().cloned().collect()
    }

    /// How many times every session of the portal was logged out.
    pub fn logouts(&self) -> u64 {
        self.state.lock().expect("state").cookie_index - 1
    }

    /// (type, trusted IPs, mandatory users, mandatory groups) as the portal holds them.
    pub fn settings(&self) -> (String, Vec<String>, Vec<String>, Vec<String>) {
        let s = self.state.lock().expect("state");
        let (ty, e) = if s.app.enable {
            ("app", s.app.clone())
        } else if s.sms.enable {
            ("sms", s.sms.clone())
        } else {
            ("none", Entry::default())
        };
        let l = |v: Option<Vec<String>>| v.unwrap_or_default();
        (ty.into(), l(e.trusted_ips), l(e.mandatory_users), l(e.mandatory_groups))
    }

    /// Changes the settings in the portal's UI (no logout bookkeeping needed for the test).
    pub fn set_app_out_of_band(&self, trusted_ips: &[&str]) {
        let mut s = self.state.lock().expect("state");
        s.sms = Entry::default();
        s.app = Entry {
            enable: true,
            trusted_ips: Some(trusted_ips.iter().map(|x| x.to_string()).collect()),
            ..Default::default()
        };
    }

    fn caller(&self, h: &HeaderMap) -> Result<Caller, Box<Response>> {
        let s = self.state.lock().expect("state");
        let auth = h.get("authorization").and_then(|v| v.to_str().ok()).map(str::trim);
        let token = match auth {
            Some(a) if a.starts_with("Bearer sk-") => {
                let key = &a["Bearer ".len()..];
                return match s.api_keys.get(key) {
                    Some((user, write)) => Ok(Caller { user, can_write: *write }),
                    None => Err(Box::new(unauthorized())),
                };
            }
            Some(a) if a.starts_with("Basic ") => return Err(Box::new(unauthorized())),
            // Any other Authorization value is a session token (a leading "Bearer " is stripped).
            Some(a) => a.strip_prefix("Bearer ").unwrap_or(a).to_string(),
            None => h
                .get_all("cookie")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|c| c.split(';'))
                .find_map(|kv| kv.trim().strip_prefix("asc_auth_key=").map(str::to_string))
                .unwrap_or_default(),
        };
        match s.sessions.get(&token) {
            Some((user, idx)) if *idx == s.cookie_index => Ok(Caller { user, can_write: true }),
            _ => Err(Box::new(unauthorized())),
        }
    }

    fn admin(&self, h: &HeaderMap) -> Result<Caller, Box<Response>> {
        let c = self.caller(h)?;
        if !self.state.lock().expect("state").users[c.user].admin {
            return Err(Box::new(error(StatusCode::FORBIDDEN, "Access denied", "System.Security.SecurityException")));
        }
        Ok(c)
    }

    fn login(&self, body: Bytes) -> Response {
        let Some(req) = parse_json(&body) else {
            return error(StatusCode::BAD_REQUEST, "Invalid body", "System.ArgumentException");
        };
        let (name, pass) = (req["userName"].as_str().unwrap_or_default(), req["password"].as_str().unwrap_or_default());
        if name.is_empty() || pass.is_empty() {
            return error(StatusCode::BAD_REQUEST, "Empty credentials", "System.ArgumentException");
        }
        let mut s = self.state.lock().expect("state");
        let Some((&id, _)) = s.users.iter().find(|(_, u)| u.email == name && u.password == pass) else {
            return unauthorized();
        };
        // TFA applies unless the caller's IP is trusted and the user is not mandatory.
        let applies = |e: &Entry| {
            e.enable
                && (e.mandatory_users.as_ref().is_some_and(|m| m.iter().any(|u| u == id))
                    || !e
                        .trusted_ips
                        .as_ref()
                        .is_some_and(|ips| ips.iter().any(|i| i == "127.0.0.1" || i == "127.0.0.0/8")))
        };
        if applies(&s.app) {
            return envelope(json!({"tfa": true, "sms": false, "confirmUrl": "/confirm/TfaAuth"}));
        }
        if s.sms.enable && s.sms_provider && applies(&s.sms) {
            return envelope(
                json!({"sms": true, "tfa": false, "phoneNoise": "+1*******42", "confirmUrl": "/confirm/PhoneAuth"}),
            );
        }
        let token = format!("sess{}", uuid::Uuid::new_v4().simple());
        let idx = s.cookie_index;
        s.sessions.insert(token.clone(), (id, idx));
        envelope(json!({"token": token, "expires": "2099-01-01T00:00:00Z", "sms": false, "tfa": false}))
    }

    fn get_tfa(&self, h: HeaderMap) -> Response {
        if let Err(r) = self.admin(&h) {
            return *r;
        }
        let s = self.state.lock().expect("state");
        let key = if s.old_spelling { "avaliable" } else { "available" };
        let list = |v: &Option<Vec<String>>| {
            v.as_ref().map(|l| {
                let mut l = l.clone();
                if s.reorder {
                    l.reverse();
                }
                json!(l)
            })
        };
        let entry = |id: &str, title: &str, enabled: bool, available: bool, e: &Entry| {
            let mut o = json!({"id": id, "title": title, "enabled": enabled, key: available});
            // Null lists are omitted (WhenWritingNull).
            for (k, v) in [
                ("trustedIps", &e.trusted_ips),
                ("mandatoryUsers", &e.mandatory_users),
                ("mandatoryGroups", &e.mandatory_groups),
            ] {
                if let Some(l) = list(v) {
                    o[k] = l;
                }
            }
            o
        };
        let mut out = Vec::new();
        if s.sms_visible {
            out.push(entry("sms", "SMS", s.sms.enable && s.sms_provider, s.sms_provider, &s.sms));
        }
        out.push(entry("app", "Authenticator app", s.app.enable, true, &s.app));
        envelope(J::Array(out))
    }

    fn put_tfa(&self, h: HeaderMap, body: Bytes) -> Response {
        let caller = match self.admin(&h) {
            Ok(c) => c,
            Err(r) => return *r,
        };
        if !caller.can_write {
            return error(StatusCode::FORBIDDEN, "Access denied", "System.Security.SecurityException");
        }
        let Some(req) = parse_json(&body).filter(J::is_object) else {
            return error(
                StatusCode::BAD_REQUEST,
                "The JSON value could not be converted to TfaRequestsDto",
                "System.Text.Json.JsonException",
            );
        };
        let ty = match &req["type"] {
            J::Null => "none".to_string(),
            J::String(s) => s.to_ascii_lowercase(),
            J::Number(n) => match n.as_u64() {
                Some(0) => "none".into(),
                Some(1) => "sms".into(),
                Some(2) => "app".into(),
                _ => String::new(),
            },
            _ => String::new(),
        };
        if !["none", "sms", "app"].contains(&ty.as_str()) {
            return error(
                StatusCode::BAD_REQUEST,
                "The JSON value could not be converted to TfaRequestsDtoType",
                "System.Text.Json.JsonException",
            );
        }
        // A value that does not deserialize answers 400, as System.Text.Json does.
        let strings = |k: &str, guid: bool| -> Result<Option<Vec<String>>, String> {
            let bad = || format!("The JSON value could not be converted to {k}");
            match &req[k] {
                J::Null => Ok(None),
                J::Array(a) => a
                    .iter()
                    .map(|x| match x.as_str() {
                        // .NET serialises Guids in lower case.
                        Some(s) if guid && uuid::Uuid::try_parse(s).is_ok() => Ok(s.to_ascii_lowercase()),
                        Some(s) if !guid => Ok(s.to_string()),
                        _ => Err(bad()),
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map(Some),
                _ => Err(bad()),
            }
        };
        let (ips, users, groups) =
            match (strings("trustedIps", false), strings("mandatoryUsers", true), strings("mandatoryGroups", true)) {
                (Ok(a), Ok(b), Ok(c)) => (a, b, c),
                (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => {
                    return error(StatusCode::BAD_REQUEST, &e, "System.Text.Json.JsonException");
                }
            };
        // Owner protection (DocSpace fix for bug 79262): only the owner may make the owner mandatory.
        let id = req["id"].as_str().unwrap_or("00000000-0000-0000-0000-000000000000").to_ascii_lowercase();
        let owner_named = id == OWNER_ID || users.as_ref().is_some_and(|u| u.iter().any(|x| x == OWNER_ID));
        if owner_named && id != caller.user {
            return error(StatusCode::FORBIDDEN, "Access denied", "System.InvalidOperationException");
        }
        let mut s = self.state.lock().expect("state");
        let entry = || Entry {
            enable: true,
            trusted_ips: Some(ips.clone().unwrap_or_default()),
            mandatory_users: Some(users.clone().unwrap_or_default()),
            mandatory_groups: Some(groups.clone().unwrap_or_default()),
        };
        let result = match ty.as_str() {
            "sms" => {
                if !(s.sms_visible && s.sms_provider) {
                    return error(
                        StatusCode::FORBIDDEN,
                        "SMS settings are not available",
                        "System.InvalidOperationException",
                    );
                }
                s.sms = entry();
                s.app = Entry::default();
                true
            }
            "app" => {
                s.app = entry();
                s.sms = Entry::default();
                true
            }
            _ => {
                s.sms = Entry::default();
                s.app = Entry::default();
                false
            }
        };
        if result {
            // CookiesManager.ResetTenantCookieAsync: every session of the portal is logged out.
            s.cookie_index += 1;
        }
        envelope(J::Bool(result))
    }

    fn people_self(&self, h: HeaderMap) -> Response {
        match self.caller(&h) {
            Ok(c) => {
                let s = self.state.lock().expect("state");
                let u = &s.users[c.user];
                envelope(json!({"id": c.user, "email": u.email, "isAdmin": u.admin, "isOwner": c.user == OWNER_ID}))
            }
            Err(r) => *r,
        }
    }
}

impl EmulatorApp for OnlyofficeEmulator {
    fn vendor(&self) -> &'static str {
        "DocSpace"
    }

    fn router(self: Arc<Self>) -> axum::Router {
        let (a, b, c, d) = (self.clone(), self.clone(), self.clone(), self);
        axum::Router::new()
            .route("/api/2.0/authentication", post(move |body: Bytes| async move { a.login(body) }))
            .route(
                "/api/2.0/settings/tfaapp",
                get(move |h: HeaderMap| async move { b.get_tfa(h) })
                    .put(move |h: HeaderMap, body: Bytes| async move { c.put_tfa(h, body) }),
            )
            .route("/api/2.0/people/@self", get(move |h: HeaderMap| async move { d.people_self(h) }))
    }

    fn error_envelope(&self) -> (u16, String) {
        (200, json!({"error": {"message": "Simulated failure: portal settings are being migrated"}, "status": 1, "statusCode": 500}).to_string())
    }

    fn summary(&self) -> J {
        let (ty, ips, users, groups) = self.settings();
        let s = self.state.lock().expect("state");
        json!({"type": ty, "trustedIps": ips, "mandatoryUsers": users, "mandatoryGroups": groups,
               "smsAvailable": s.sms_visible && s.sms_provider, "portalWideLogouts": s.cookie_index - 1})
    }

    fn sandbox_env(&self, base_url: &str) -> Vec<(String, String)> {
        vec![("ONLYOFFICE_PORTAL_URL".into(), base_url.into()), ("ONLYOFFICE_API_KEY".into(), API_KEY.into())]
    }
}
