//! A stateful emulator of the Akana API Platform calls the provider uses, following the platform
//! documentation (https://help.akana.com/content/current/cm/api/, `businesses/m_businesses_getTwoFASettings.htm`):
//!
//! - `POST /api/login` sets `AtmoAuthToken_<tenant>` and, with CSRF prevention on (the default
//!   here), `Csrf-Token_<tenant>`; a login with pending tasks does not complete;
//! - every call needs the auth cookie (401 without it, or when expired); non-GET calls need the
//!   `X-Csrf-Token_<tenant>` header equal to the CSRF cookie (401 otherwise) — with the business
//!   security setting `ReadRequestCSRFSupport` enabled, GET calls too ("CSRF Prevention on the
//!   Platform": a request without the token "is rejected as unauthorized");
//! - before 8.0 the login "returned the AtmoAuthToken in the response" rather than as a cookie
//!   (`m_login_login.htm`): a switch answers that way;
//! - `GET`/`PUT /api/businesses/{BusinessID}/twofasettings` need the Site Admin role (403); an
//!   unknown business is 404; values travel as JSON strings ("false", "300");
//! - `GET`/`PUT /api/businesses/{BusinessID}/loginpolicy`: see [`login_policy`];
//! - a read shows what the last write stored. The platform says a change "might take up to five
//!   minutes to take effect" — on logins; nothing documents reads lagging, so none do here.

mod login_policy;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Map, Value as J, json};

use crate::server::{EmulatorApp, parse_json};

pub const TENANT: &str = "acmepaymentscorp";
pub const ROOT_BUSINESS: &str = "tenantbusiness.acmepaymentscorp";
pub const ADMIN_EMAIL: &str = "secops@acmepayments.example";
pub const ADMIN_PASSWORD: &str = "demo-Passw0rd!";
/// A Site Admin whose login still has a pending password change.
pub const PENDING_EMAIL: &str = "newadmin@acmepayments.example";
/// A developer without the Site Admin role.
pub const DEVELOPER_EMAIL: &str = "dev@acmepayments.example";

struct Account {
    password: &'static str,
    site_admin: bool,
    pending: &'static [&'static str],
}

struct Session {
    email: &'static str,
    csrf: String,
    expires: Instant,
}

struct Business {
    name: String,
    settings: Map<String, J>,
    login_policy: Map<String, J>,
}

impl Business {
    fn new(name: String) -> Business {
        Business { name, settings: default_settings(), login_policy: login_policy::default_policy() }
    }
}

struct EmuState {
    accounts: BTreeMap<&'static str, Account>,
    sessions: BTreeMap<String, Session>,
    businesses: BTreeMap<String, Business>,
    csrf: bool,
    /// `ReadRequestCSRFSupport`: GETs need the CSRF header too (off by default, as on the platform).
    read_csrf: bool,
    /// A platform before 8.0: the login answers the auth token in its body, without the cookie.
    pre_8_0: bool,
    session_ttl: Duration,
    native_types: bool,
    /// Expire every session once, after this many more settings requests.
    expire_after: Option<u32>,
}

pub struct AkanaEmulator {
    state: Mutex<EmuState>,
}

fn default_settings() -> Map<String, J> {
    let J::Object(m) = json!({
        "TwoFAEnabled": "false",
        "CodeValidSeconds": "300",
        "MaxAttempts": "3",
        "RecurrenceMode": "twofa.each.login",
        "DeviceCookieValue": "emulator-device-cookie-value"
    }) else {
        unreachable!()
    };
    m
}

fn text(status: StatusCode, msg: &str) -> Response {
    (status, [("content-type", "text/plain")], msg.to_string()).into_response()
}

/// A write's body as the platform takes it: JSON (or its `vnd.soa` types; any other media type is
/// answered 404), one object of the named kind.
fn json_object(h: &HeaderMap, body: &[u8], kind: &str) -> Result<Map<String, J>, (StatusCode, String)> {
    let ct = h.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
    if !(ct.starts_with("application/json") || ct.starts_with("application/vnd.soa.")) {
        return Err((StatusCode::NOT_FOUND, "Not Found".into()));
    }
    match parse_json(body) {
        Some(J::Object(req)) => Ok(req),
        _ => Err((StatusCode::BAD_REQUEST, format!("Invalid {kind} body"))),
    }
}

/// The platform's answer to a request its session check refused.
fn refused(st: StatusCode) -> Response {
    text(st, if st == StatusCode::FORBIDDEN { "Forbidden" } else { "Unauthorized" })
}

impl Default for AkanaEmulator {
    fn default() -> Self {
        Self::new()
    }
}

impl AkanaEmulator {
    pub fn new() -> Self {
        let mut accounts = BTreeMap::new();
        accounts.insert(ADMIN_EMAIL, Account { password: ADMIN_PASSWORD, site_admin: true, pending: &[] });
        accounts.insert(
            PENDING_EMAIL,
            Account { password: ADMIN_PASSWORD, site_admin: true, pending: &["change.password"] },
        );
        accounts.insert(DEVELOPER_EMAIL, Account { password: ADMIN_PASSWORD, site_admin: false, pending: &[] });
        let mut businesses = BTreeMap::new();
        businesses.insert(ROOT_BUSINESS.to_string(), Business::new("Acme Payments".into()));
        AkanaEmulator {
            state: Mutex::new(EmuState {
                accounts,
                sessions: BTreeMap::new(),
                businesses,
                csrf: true,
                read_csrf: false,
                pre_8_0: false,
                session_ttl: Duration::from_secs(30 * 60),
                native_types: false,
                expire_after: None,
            }),
        }
    }

    pub fn add_business(&self, id: &str) {
        let name = format!("Business {id}");
        self.state.lock().expect("state").businesses.insert(id.to_string(), Business::new(name));
    }

    /// `n` more businesses for rehearsals: `Business 001`, … (child business IDs look like
    /// `{uuid}.{tenant}`, m_businesses_getBusiness.htm).
    pub fn seed_businesses(&self, n: usize) {
        let mut s = self.state.lock().expect("state");
        for i in 1..=n {
            let id = format!("00000000-0000-4000-8000-{i:012}.{TENANT}");
            s.businesses.insert(id, Business::new(format!("Business {i:03}")));
        }
    }

    /// `GET /api/businesses`: every business, as the platform's RSS channel in JSON
    /// (m_businesses_getBusinesses: "information about businesses on the platform, as an RSS
    /// feed"; Ref_RSSChannelsOnThePlatform: a `channel` with `title`, `item`s and `version` 1.0).
    /// The item fields are not in the documentation we could read: here the business ID is the
    /// item's `guid` and its name the `title`, as RSS has them.
    fn list_businesses(&self, h: HeaderMap) -> Response {
        if let Err(st) = self.session_of(&h, false) {
            return refused(st);
        }
        let s = self.state.lock().expect("state");
        let items: Vec<J> = s
            .businesses
            .iter()
            .map(|(id, b)| json!({"title": b.name, "guid": {"value": id}, "category": [{"value": "business"}]}))
            .collect();
        let body = json!({"channel": {"title": "Businesses", "version": "1.0", "item": items}});
        (StatusCode::OK, [("content-type", "application/json")], body.to_string()).into_response()
    }

    /// Auth and CSRF cookie values of the current sessions (for tests that look for leaked secrets).
    pub fn issued_cookies(&self) -> Vec<String> {
        let s = self.state.lock().expect("state");
        s.sessions.iter().flat_map(|(token, sess)| [token.clone(), sess.csrf.clone()]).collect()
    }

    /// The business is deleted on the platform.
    pub fn remove_business(&self, id: &str) {
        self.state.lock().expect("state").businesses.remove(id);
    }

    /// Answer with JSON booleans and numbers instead of strings.
    pub fn use_native_types(&self, yes: bool) {
        self.state.lock().expect("state").native_types = yes;
    }

    /// Turn CSRF prevention off (then logins set no CSRF cookie and no header is required).
    pub fn set_csrf(&self, on: bool) {
        self.state.lock().expect("state").csrf = on;
    }

    /// `ReadRequestCSRFSupport = com.soa.feature.enabled`: GET calls need the CSRF header too.
    pub fn set_read_csrf(&self, on: bool) {
        self.state.lock().expect("state").read_csrf = on;
    }

    /// Answer logins as platforms before 8.0 did: the auth token in the body, no auth cookie.
    pub fn use_pre_8_0_login(&self, yes: bool) {
        self.state.lock().expect("state").pre_8_0 = yes;
    }

    /// Every current session expires now.
    pub fn expire_sessions(&self) {
        self.state.lock().expect("state").sessions.clear();
    }

    /// Every session expires once, after `n` more settings requests.
    pub fn expire_sessions_after(&self, n: u32) {
        self.state.lock().expect("state").expire_after = Some(n);
    }

    /// The settings as the platform holds them.
    pub fn settings(&self, business: &str) -> Map<String, J> {
        let s = self.state.lock().expect("state");
        let b = &s.businesses[business];
        b.settings.clone()
    }

    /// A change made in the admin console, visible at once.
    pub fn set_out_of_band(&self, business: &str, key: &str, value: &str) {
        let mut s = self.state.lock().expect("state");
        let b = s.businesses.get_mut(business).expect("business");
        b.settings.insert(key.into(), J::String(value.into()));
    }

    /// The session's check: a valid, unexpired session cookie, the CSRF header where the platform
    /// wants it, and a site administrator; else the status of the platform's refusal ([`refused`]).
    fn session_of(&self, h: &HeaderMap, write: bool) -> Result<(), StatusCode> {
        let mut s = self.state.lock().expect("state");
        if let Some(n) = s.expire_after.as_mut() {
            if *n == 0 {
                s.sessions.clear();
                s.expire_after = None;
            } else {
                *n -= 1;
            }
        }
        let name = format!("AtmoAuthToken_{TENANT}=");
        let token = h
            .get_all("cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|c| c.split(';'))
            .find_map(|kv| kv.trim().strip_prefix(name.as_str()).map(str::to_string));
        let Some(session) = token.and_then(|t| s.sessions.get(&t)) else {
            return Err(StatusCode::UNAUTHORIZED);
        };
        if session.expires <= Instant::now() {
            return Err(StatusCode::UNAUTHORIZED);
        }
        if (write || s.read_csrf) && s.csrf {
            let header = h.get(format!("X-Csrf-Token_{TENANT}")).and_then(|v| v.to_str().ok());
            if header != Some(session.csrf.as_str()) {
                return Err(StatusCode::UNAUTHORIZED);
            }
        }
        if !s.accounts[session.email].site_admin {
            return Err(StatusCode::FORBIDDEN);
        }
        Ok(())
    }

    fn login(&self, body: Bytes) -> Response {
        let req = parse_json(&body).unwrap_or(J::Null);
        let (email, password) =
            (req["email"].as_str().unwrap_or_default(), req["password"].as_str().unwrap_or_default());
        let mut s = self.state.lock().expect("state");
        let Some((&email, account)) = s.accounts.iter().find(|(e, a)| **e == email && a.password == password) else {
            return text(StatusCode::UNAUTHORIZED, "Login failed: invalid e-mail or password");
        };
        let mut body = json!({
            "pendingNotifications": 0, "userName": "Security Operations", "userFDN": format!("{email}.{TENANT}"),
            "loginDomainID": format!("siteusers.{TENANT}"), "Status": "Success"
        });
        if !account.pending.is_empty() {
            body["pendingTasks"] = json!(account.pending);
            return (StatusCode::OK, [("content-type", "application/json")], body.to_string()).into_response();
        }
        let expires_ms = (std::time::SystemTime::now() + s.session_ttl)
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis();
        let token = format!(
            "TokenID%3D{}%2CexpirationTime%3D{expires_ms}%2CUserFDN%3D{email}%2Csig%3D{}",
            uuid::Uuid::new_v4(),
            uuid::Uuid::new_v4().simple()
        );
        let csrf = format!("TokenID%3D{}%2CexpirationTime%3D{expires_ms}", uuid::Uuid::new_v4());
        let ttl = s.session_ttl;
        s.sessions.insert(token.clone(), Session { email, csrf: csrf.clone(), expires: Instant::now() + ttl });
        body["authToken"] = json!(token);
        let mut resp = (StatusCode::OK, [("content-type", "application/json")], body.to_string()).into_response();
        let h = resp.headers_mut();
        if !s.pre_8_0 {
            h.append(
                "set-cookie",
                format!("AtmoAuthToken_{TENANT}={token}; Path=/; Secure; HttpOnly").parse().expect("header"),
            );
        }
        if s.csrf {
            h.append("set-cookie", format!("Csrf-Token_{TENANT}={csrf}; Path=/; Secure").parse().expect("header"));
        }
        resp
    }

    fn render(&self, m: &Map<String, J>, native: bool) -> Response {
        let mut m = m.clone();
        if native {
            for (k, v) in m.iter_mut() {
                if let Some(s) = v.as_str().map(str::to_string) {
                    if k == "TwoFAEnabled" || s == "true" || s == "false" {
                        *v = json!(s == "true");
                    } else if let Ok(n) = s.parse::<i64>() {
                        *v = json!(n);
                    }
                }
            }
        }
        (StatusCode::OK, [("content-type", "application/vnd.soa.v81+json")], J::Object(m).to_string()).into_response()
    }

    fn get_settings(&self, h: HeaderMap, id: String) -> Response {
        if let Err(st) = self.session_of(&h, false) {
            return refused(st);
        }
        let mut s = self.state.lock().expect("state");
        let native = s.native_types;
        match s.businesses.get_mut(&id) {
            Some(b) => {
                let m = b.settings.clone();
                drop(s);
                self.render(&m, native)
            }
            None => text(StatusCode::NOT_FOUND, "Business not found"),
        }
    }

    fn put_settings(&self, h: HeaderMap, id: String, body: Bytes) -> Response {
        if let Err(st) = self.session_of(&h, true) {
            return refused(st);
        }
        let req = match json_object(&h, &body, "TwoFASettings") {
            Ok(req) => req,
            Err((st, why)) => return text(st, &why),
        };
        let mut stored = Map::new();
        for (k, v) in &req {
            let s = match v {
                J::String(s) => s.clone(),
                J::Bool(b) => b.to_string(),
                J::Number(n) => n.to_string(),
                other => other.to_string(),
            };
            stored.insert(k.clone(), J::String(s));
        }
        let get = |k: &str| stored.get(k).and_then(J::as_str).map(str::to_string);
        if !matches!(get("TwoFAEnabled").as_deref(), Some("true" | "false")) {
            return text(StatusCode::BAD_REQUEST, "TwoFAEnabled must be true or false");
        }
        for k in ["CodeValidSeconds", "MaxAttempts", "RecurrenceIntervalMinutes"] {
            if let Some(v) = get(k)
                && v.parse::<i64>().map_or(true, |n| n <= 0)
            {
                return text(StatusCode::BAD_REQUEST, &format!("{k} must be a positive integer"));
            }
        }
        match get("RecurrenceMode").as_deref() {
            None | Some("twofa.each.login") => {}
            Some("twofa.once.each.interval") if get("RecurrenceIntervalMinutes").is_some() => {}
            Some("twofa.login.new.device") if get("DeviceCookieName").is_some() => {}
            Some("twofa.once.each.interval") => {
                return text(
                    StatusCode::BAD_REQUEST,
                    "RecurrenceIntervalMinutes is required for twofa.once.each.interval",
                );
            }
            Some("twofa.login.new.device") => {
                return text(StatusCode::BAD_REQUEST, "DeviceCookieName is required for twofa.login.new.device");
            }
            Some(_) => return text(StatusCode::BAD_REQUEST, "Unknown RecurrenceMode"),
        }
        let mut s = self.state.lock().expect("state");
        let native = s.native_types;
        let Some(b) = s.businesses.get_mut(&id) else { return text(StatusCode::NOT_FOUND, "Business not found") };
        b.settings = stored.clone();
        drop(s);
        self.render(&stored, native)
    }
}

impl EmulatorApp for AkanaEmulator {
    fn vendor(&self) -> &'static str {
        "Akana"
    }

    fn router(self: Arc<Self>) -> axum::Router {
        let (a, b, c, d, e, f) = (self.clone(), self.clone(), self.clone(), self.clone(), self.clone(), self);
        axum::Router::new()
            .route("/api/login", post(move |body: Bytes| async move { a.login(body) }))
            .route("/api/businesses", get(move |h: HeaderMap| async move { d.list_businesses(h) }))
            .route(
                "/api/businesses/{id}/twofasettings",
                get(move |h: HeaderMap, Path(id): Path<String>| async move { b.get_settings(h, id) }).put(
                    move |h: HeaderMap, Path(id): Path<String>, body: Bytes| async move { c.put_settings(h, id, body) },
                ),
            )
            .route(
                "/api/businesses/{id}/loginpolicy",
                get(move |h: HeaderMap, Path(id): Path<String>| async move { e.get_login_policy(h, id) }).put(
                    move |h: HeaderMap, Path(id): Path<String>, body: Bytes| async move {
                        f.put_login_policy(h, id, body)
                    },
                ),
            )
    }

    fn error_envelope(&self) -> (u16, String) {
        (500, "An error occurred processing the call.".into())
    }

    fn seed(&self, n: usize) -> Result<String, String> {
        self.seed_businesses(n);
        Ok(format!("{n} businesses"))
    }

    fn summary(&self) -> J {
        let s = self.state.lock().expect("state");
        let list: Vec<J> = s
            .businesses
            .iter()
            .map(|(id, b)| json!({"business": id, "settings": b.settings, "loginPolicy": b.login_policy}))
            .collect();
        json!({"tenant": TENANT, "businesses": list})
    }

    fn sandbox_env(&self, base_url: &str) -> Vec<(String, String)> {
        vec![
            ("AKANA_BASE_URL".into(), base_url.into()),
            ("AKANA_FED_MEMBER_ID".into(), TENANT.into()),
            ("AKANA_EMAIL".into(), ADMIN_EMAIL.into()),
            ("AKANA_PASSWORD".into(), ADMIN_PASSWORD.into()),
        ]
    }
}
