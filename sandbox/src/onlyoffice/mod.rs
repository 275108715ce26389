//! A stateful emulator of ONLYOFFICE DocSpace's TFA settings API, behaving as the server code
//! does (ONLYOFFICE/DocSpace-server v3.7.2 unless a switch selects an older one; files named where
//! each behaviour lives):
//!
//! - Auth (`common/ASC.Api.Core/Core/BaseStartup.cs`): `Bearer sk-…` is an API key acting as its
//!   creator, scope-checked — `PUT settings/tfaapp` needs `*:write`, refused with an empty 403
//!   (`AuthorizationExtension.cs`, no custom forbid handler); anything else, or the `asc_auth_key`
//!   cookie, is a session token from `POST /api/2.0/authentication`, dead after the next portal
//!   logout; a failed authentication is an empty 401.
//! - `POST /api/2.0/authentication` (`AuthenticationController.cs`): brute-force lock, disabled
//!   user, TFA that applies (`{tfa}` or `{sms}` instead of a token), and the trusted-IP check of
//!   `TfaSettingsBase.cs` — mandatory groups, then users, then trusted IPs matched by
//!   `IPAddressRange.MatchIPs` ([`ip`]), whose exceptions answer 500. The client address is the
//!   `request-x-real-ip` query parameter when present (`MessageSettings.GetIP`), else 127.0.0.1.
//! - `GET /api/2.0/settings/tfaapp`: 0–2 entries, `avaliable` before v3.7.1, null lists omitted.
//! - `PUT /api/2.0/settings/tfaapp` (`TfaappController.cs`): model binding as System.Text.Json does
//!   it (hyphenated GUIDs only; `type` an enum read case-insensitively, integers too — or, on v2.x,
//!   a string compared with `"sms"`/`"app"`), a binding failure answered with the wrapped
//!   ValidationProblemDetails; the owner rule; `Sms` needing the tariff and a provider; trusted
//!   IPs stored unvalidated; every `App`/`Sms` write logging out every session of the portal.
//! - Brute-force login settings and the lock they put on logins: see [`login`].
//! - Error envelope `{error: {message, type, stack, hresult}, status: 1, statusCode}`
//!   (`ResponseWrapper.cs`): InvalidOperationException answers 403.

mod ip;
pub mod login;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::Query;
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
/// A user and a group that exist on the demo portal; the user is in the group.
pub const STAFF_USER_ID: &str = "33333333-3333-4333-8333-333333333333";
pub const STAFF_EMAIL: &str = "staff@acme.example";
pub const STAFF_PASSWORD: &str = "staff-Passw0rd!";
pub const STAFF_GROUP_ID: &str = "44444444-4444-4444-8444-444444444444";
/// DocSpace's system groups (`AuthConstants.cs`): every user, and the administrators.
pub const EVERYONE_GROUP_ID: &str = "c5cc67d1-c3e8-43c0-a3ad-3928ae3e5b5e";
pub const ADMINS_GROUP_ID: &str = "cd84e66b-b803-40fc-99f9-b2969a54a1de";
/// API key of the administrator, with every permission.
pub const API_KEY: &str = "sk-demo0docspace0write0key0000000001";
/// The portal's tenant ID (`Tenant.Id`) and alias, as `GET /api/2.0/portal` answers them.
pub const TENANT_ID: i64 = 1;
pub const TENANT_ALIAS: &str = "acme";
/// API key of the administrator limited to `*:read`.
pub const READ_ONLY_API_KEY: &str = "sk-demo0docspace0read0key00000000002";
/// API key of a user who is not an administrator, with every permission.
pub const STAFF_API_KEY: &str = "sk-demo0docspace0staff0key0000000003";

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
    disabled: bool,
}

struct EmuState {
    sms: Entry,
    app: Entry,
    sms_visible: bool,
    /// An SMS provider (Twilio, Smsc, …) is enabled.
    sms_provider: bool,
    /// `IsAvailableSettingsAsync`: standalone, or a tariff that is neither trial, free nor non-profit.
    sms_tariff: bool,
    /// A server before v3.7.1: `avaliable`, and binding errors misreported as status 0 / 200.
    pre_3_7_1: bool,
    /// A v2.x server: `type` is a string compared with "sms" / "app".
    v2_type: bool,
    reorder: bool,
    /// Incremented by a tenant cookie reset; sessions of an older index are logged out.
    cookie_index: u64,
    sessions: BTreeMap<String, (&'static str, u64)>,
    users: BTreeMap<&'static str, User>,
    groups: BTreeMap<&'static str, BTreeSet<&'static str>>,
    /// key -> (creator, permissions; empty means all)
    api_keys: BTreeMap<&'static str, (&'static str, Vec<&'static str>)>,
    /// SMS codes sent at logins (a code is reused while it is stored).
    sms_sent: u32,
    /// The saved brute-force settings (`None`: no row, the defaults) and their LastModified.
    login_settings: Option<login::LoginSettings>,
    login_settings_modified: Option<String>,
    login_settings_saves_fail: bool,
    brute_force: login::BruteForce,
    /// The portal's tenant: every portal of a DocSpace installation (or of the cloud) has its own.
    tenant: (i64, &'static str),
}

pub struct OnlyofficeEmulator {
    state: Mutex<EmuState>,
}

fn envelope(response: J) -> Response {
    envelope_at(response, "/api/2.0/settings/tfaapp", "GET")
}

/// `SuccessApiResponse`: the result with its count and a link to the request.
fn envelope_at(response: J, href: &str, action: &str) -> Response {
    let count = response.as_array().map_or(1, Vec::len);
    let body = json!({
        "response": response, "count": count,
        "links": [{"href": href, "action": action}],
        "status": 0, "statusCode": 200
    });
    (StatusCode::OK, [("content-type", "application/json")], body.to_string()).into_response()
}

/// `CustomExceptionHandler`: an exception as the envelope carries it. Exceptions thrown with a
/// stack trace show their type; authentication failures carry none (`null`s, not omitted).
fn error(status: StatusCode, message: &str, exception: Option<&str>) -> Response {
    let (ty, stack, hresult) = match exception {
        Some(t) => (
            json!(t),
            json!("   at ASC.Web.Api.Controllers.Settings.TfaappController.UpdateTfaSettings(...)"),
            json!(-2146233079),
        ),
        None => (J::Null, J::Null, json!(0)),
    };
    let body = json!({"error": {"message": message, "type": ty, "stack": stack, "hresult": hresult}, "status": 1, "statusCode": status.as_u16()});
    (status, [("content-type", "application/json")], body.to_string()).into_response()
}

const INVALID_OPERATION: &str = "System.InvalidOperationException";

/// An authentication failure, or a refused scope: the status and no body at all.
fn bare(status: StatusCode) -> Response {
    status.into_response()
}

/// Who is calling.
struct Caller {
    user: &'static str,
    /// The API key's permissions; `None` for a session.
    scopes: Option<Vec<&'static str>>,
}

impl Caller {
    fn may_write(&self) -> bool {
        self.scopes.as_ref().is_none_or(|p| p.is_empty() || p.iter().any(|s| *s == "*" || *s == "*:write"))
    }
    /// `*:write` includes reading (`AuthorizationExtension.GetAuthorizePolicy`).
    fn may_read(&self) -> bool {
        self.may_write() || self.scopes.as_ref().is_some_and(|p| p.contains(&"*:read"))
    }
}

impl Default for OnlyofficeEmulator {
    fn default() -> Self {
        Self::new()
    }
}

/// `TfaRequestsDto.Type` as v3 binds it: `JsonStringEnumConverter` on the property, names read
/// case-insensitively, integers and integer strings taken as they are (undefined ones too).
/// `Err` is a binding failure.
fn v3_type(v: &J) -> Result<i64, ()> {
    match v {
        J::Null => Err(()),
        J::Number(n) => n.as_i64().ok_or(()),
        J::String(s) => {
            let t = s.trim();
            if let Ok(n) = t.parse::<i64>() {
                return Ok(n);
            }
            let mut total = 0;
            for part in t.split(',') {
                total |= match part.trim().to_ascii_lowercase().as_str() {
                    "none" => 0,
                    "sms" => 1,
                    "app" => 2,
                    _ => return Err(()),
                };
            }
            Ok(total)
        }
        _ => Err(()),
    }
}

/// System.Text.Json's Guid reading: a string of exactly 36 characters in the hyphenated form.
fn guid(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let shape = b.len() == 36
        && b.iter()
            .enumerate()
            .all(|(i, c)| if [8, 13, 18, 23].contains(&i) { *c == b'-' } else { c.is_ascii_hexdigit() });
    shape.then(|| s.to_ascii_lowercase())
}

impl OnlyofficeEmulator {
    pub fn new() -> Self {
        let user = |email, password, admin| User { email, password, admin, disabled: false };
        let users = BTreeMap::from([
            (OWNER_ID, user("owner@acme.example", "owner-Passw0rd!", true)),
            (ADMIN_ID, user(ADMIN_EMAIL, ADMIN_PASSWORD, true)),
            (STAFF_USER_ID, user(STAFF_EMAIL, STAFF_PASSWORD, false)),
        ]);
        let groups = BTreeMap::from([
            (STAFF_GROUP_ID, BTreeSet::from([STAFF_USER_ID])),
            (EVERYONE_GROUP_ID, BTreeSet::from([OWNER_ID, ADMIN_ID, STAFF_USER_ID])),
            (ADMINS_GROUP_ID, BTreeSet::from([OWNER_ID, ADMIN_ID])),
        ]);
        let api_keys = BTreeMap::from([
            (API_KEY, (ADMIN_ID, vec![])),
            (READ_ONLY_API_KEY, (ADMIN_ID, vec!["*:read"])),
            (STAFF_API_KEY, (STAFF_USER_ID, vec![])),
        ]);
        OnlyofficeEmulator {
            state: Mutex::new(EmuState {
                sms: Entry::default(),
                app: Entry::default(),
                sms_visible: true,
                sms_provider: false,
                sms_tariff: true,
                pre_3_7_1: false,
                v2_type: false,
                reorder: false,
                cookie_index: 1,
                sessions: BTreeMap::new(),
                users,
                groups,
                api_keys,
                sms_sent: 0,
                login_settings: None,
                login_settings_modified: None,
                login_settings_saves_fail: false,
                brute_force: login::BruteForce::default(),
                tenant: (TENANT_ID, TENANT_ALIAS),
            }),
        }
    }

    /// Another portal: its tenant ID and alias (`TenantDto.TenantId`, `TenantAlias`).
    pub fn set_tenant(&self, id: i64, alias: &'static str) {
        self.state.lock().expect("state").tenant = (id, alias);
    }

    /// Whether an SMS provider is enabled (SMS TFA is available only then).
    pub fn set_sms_available(&self, yes: bool) {
        self.state.lock().expect("state").sms_provider = yes;
    }

    /// A SaaS portal on a trial, free or non-profit tariff: SMS TFA is refused at write time,
    /// although reads still say it is available.
    pub fn set_sms_tariff(&self, allowed: bool) {
        self.state.lock().expect("state").sms_tariff = allowed;
    }

    /// A server before v3.7.1: answers spell `avaliable`, and model-binding errors say
    /// `"status": 0, "statusCode": 200` in a 400 answer.
    pub fn use_old_spelling(&self, yes: bool) {
        self.state.lock().expect("state").pre_3_7_1 = yes;
    }

    /// A v2.x server (up to v2.6.3-server): `type` is a plain string compared with `"sms"` and
    /// `"app"`; anything else disables TFA and answers `false`.
    pub fn use_v2_type_comparison(&self, yes: bool) {
        let mut s = self.state.lock().expect("state");
        s.v2_type = yes;
        s.pre_3_7_1 |= yes;
    }

    /// Return lists in reverse order (a server is free to order them as it likes).
    pub fn reorder_lists(&self, yes: bool) {
        self.state.lock().expect("state").reorder = yes;
    }

    /// The user's account is disabled.
    pub fn disable_user(&self, id: &str) {
        if let Some(u) = self.state.lock().expect("state").users.get_mut(id) {
            u.disabled = true;
        }
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

    /// SMS codes the portal sent at logins.
    pub fn sms_sent(&self) -> u32 {
        self.state.lock().expect("state").sms_sent
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

    /// Authenticates a request as the server's auth schemes do; `Err` is the answer.
    fn caller(&self, h: &HeaderMap) -> Result<Caller, Box<Response>> {
        let s = self.state.lock().expect("state");
        let auth = h.get("authorization").and_then(|v| v.to_str().ok()).map(str::trim);
        let token = match auth {
            Some(a) if a.starts_with("Bearer sk-") => {
                let key = &a["Bearer ".len()..];
                return match s.api_keys.get(key) {
                    Some((user, perms)) => Ok(Caller { user, scopes: Some(perms.clone()) }),
                    None => Err(Box::new(bare(StatusCode::UNAUTHORIZED))),
                };
            }
            Some(a) if a.starts_with("Basic ") => return Err(Box::new(bare(StatusCode::UNAUTHORIZED))),
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
            Some((user, idx)) if *idx == s.cookie_index => Ok(Caller { user, scopes: None }),
            _ => Err(Box::new(bare(StatusCode::UNAUTHORIZED))),
        }
    }

    /// `DemandPermissionsAsync(EditPortalSettings)`: administrators and the owner.
    fn demand_admin(&self, c: &Caller) -> Result<(), Box<Response>> {
        if self.state.lock().expect("state").users[c.user].admin {
            Ok(())
        } else {
            Err(Box::new(error(
                StatusCode::FORBIDDEN,
                "Access denied",
                Some("ASC.Common.Security.Authorizing.AuthorizingException"),
            )))
        }
    }

    /// A model-binding failure: ASP.NET Core's ValidationProblemDetails, wrapped by the global
    /// result filter. Before v3.7.1 the wrapper still said status 0 / 200 (bug 81187).
    fn binding_error(&self, field: &str, message: &str) -> Response {
        self.binding_errors("/api/2.0/settings/tfaapp", "PUT", json!({field: [message]}))
    }

    fn binding_errors(&self, href: &str, action: &str, errors: J) -> Response {
        let old = self.state.lock().expect("state").pre_3_7_1;
        let (status, status_code) = if old { (0, 200) } else { (1, 400) };
        let body = json!({
            "response": {
                "type": "https://tools.ietf.org/html/rfc9110#section-15.5.1",
                "title": "One or more validation errors occurred.",
                "status": 400,
                "errors": errors,
                "traceId": "00-emulator-00"
            },
            "count": 1,
            "links": [{"href": href, "action": action}],
            "status": status,
            "statusCode": status_code
        });
        (StatusCode::BAD_REQUEST, [("content-type", "application/problem+json")], body.to_string()).into_response()
    }

    /// `TfaEnabledForUserAsync`: groups, then users, then trusted IPs; `Err` is a parse exception.
    fn tfa_applies(&self, s: &EmuState, e: &Entry, user: &str, ip: &str) -> Result<bool, String> {
        if !e.enable {
            return Ok(false);
        }
        let in_group = |g: &String| s.groups.get(g.as_str()).is_some_and(|m| m.contains(user));
        if e.mandatory_groups.iter().flatten().any(in_group) || e.mandatory_users.iter().flatten().any(|u| u == user) {
            return Ok(true);
        }
        for t in e.trusted_ips.iter().flatten() {
            if ip::match_ips(ip, t)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn login(&self, query: BTreeMap<String, String>, body: Bytes) -> Response {
        let failed = || error(StatusCode::UNAUTHORIZED, "User authentication failed", None);
        let Some(req) = parse_json(&body) else {
            return failed();
        };
        let (name, pass) = (req["userName"].as_str().unwrap_or_default(), req["password"].as_str().unwrap_or_default());
        if name.is_empty() || pass.is_empty() {
            return failed();
        }
        let ip = query.get("request-x-real-ip").cloned().unwrap_or_else(|| "127.0.0.1".into());
        let mut s = self.state.lock().expect("state");
        // `BruteForceLoginManager.AttemptAsync` counts before the user is even looked up.
        let settings = s.login_settings.unwrap_or(login::DEFAULT);
        if !s.brute_force.attempt(name, &ip, &settings) {
            return error(StatusCode::FORBIDDEN, "Too many login attempts. Please try again later", None);
        }
        let Some((&id, user)) = s.users.iter().find(|(_, u)| u.email == name) else {
            return failed();
        };
        if user.password != pass {
            return failed();
        }
        let disabled = user.disabled;
        s.brute_force.succeeded(name, &ip);
        if disabled {
            return error(StatusCode::FORBIDDEN, "User disabled", Some(INVALID_OPERATION));
        }
        let sms_applies = if s.sms_visible && s.sms_tariff { self.tfa_applies(&s, &s.sms, id, &ip) } else { Ok(false) };
        let app_applies = self.tfa_applies(&s, &s.app, id, &ip);
        match (sms_applies, app_applies) {
            (Err(e), _) | (_, Err(e)) => error(StatusCode::INTERNAL_SERVER_ERROR, &e, Some("System.FormatException")),
            (Ok(true), _) => {
                // A code is sent once and reused while stored (`SmsManager.PutAuthCodeAsync`).
                if s.sms_sent == 0 {
                    s.sms_sent += 1;
                }
                envelope(
                    json!({"sms": true, "tfa": false, "phoneNoise": "+1*******42", "confirmUrl": "/confirm/PhoneAuth"}),
                )
            }
            (_, Ok(true)) => envelope(json!({"tfa": true, "sms": false, "confirmUrl": "/confirm/TfaAuth"})),
            _ => {
                let token = format!("sess{}", uuid::Uuid::new_v4().simple());
                let idx = s.cookie_index;
                s.sessions.insert(token.clone(), (id, idx));
                envelope(json!({"token": token, "expires": "2099-01-01T00:00:00Z", "sms": false, "tfa": false}))
            }
        }
    }

    fn get_tfa(&self, h: HeaderMap) -> Response {
        let c = match self.caller(&h) {
            Ok(c) => c,
            Err(r) => return *r,
        };
        if let Err(r) = self.demand_admin(&c) {
            return *r;
        }
        let s = self.state.lock().expect("state");
        let key = if s.pre_3_7_1 { "avaliable" } else { "available" };
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
            // `available` ignores the tariff: a write can still be refused for it.
            out.push(entry("sms", "SMS", s.sms.enable && s.sms_provider, s.sms_provider, &s.sms));
        }
        out.push(entry("app", "Authenticator app", s.app.enable, true, &s.app));
        envelope(J::Array(out))
    }

    fn put_tfa(&self, h: HeaderMap, body: Bytes) -> Response {
        let caller = match self.caller(&h) {
            Ok(c) => c,
            Err(r) => return *r,
        };
        // The scope policy runs before the action: an empty 403.
        if !caller.may_write() {
            return bare(StatusCode::FORBIDDEN);
        }
        let Some(req) = parse_json(&body).filter(J::is_object) else {
            return self.binding_error(
                "$",
                "The JSON value could not be converted to ASC.Web.Api.ApiModels.RequestsDto.TfaRequestsDto.",
            );
        };
        let v2 = self.state.lock().expect("state").v2_type;
        // Model binding first (a 400 for a malformed field), then the permission check.
        let bound = self
            .tfa_request_type(&req, v2)
            .and_then(|ty| Ok((ty, self.tfa_request_lists(&req)?, self.tfa_request_id(&req, v2)?)));
        let (ty, lists, id) = match bound {
            Ok(b) => b,
            Err(r) => return *r,
        };
        if let Err(r) = self.demand_admin(&caller) {
            return *r;
        }
        // The owner rule (bug 79262, v3.7.1+): refused when the owner is named, unless `id` is the caller.
        let pre = self.state.lock().expect("state").pre_3_7_1;
        let owner_named =
            id == OWNER_ID || lists["mandatoryUsers"].as_ref().is_some_and(|u| u.iter().any(|x| x == OWNER_ID));
        if !pre && owner_named && id != caller.user {
            return error(StatusCode::FORBIDDEN, "No permissions to perform this action", Some(INVALID_OPERATION));
        }
        self.store_tfa(ty, &lists)
    }

    /// `type`: "none" (0), "sms" (1), "app" (2), or another value (v3: an undefined number; v2:
    /// any other string).
    fn tfa_request_type(&self, req: &J, v2: bool) -> Result<i64, Box<Response>> {
        if v2 {
            return match &req["type"] {
                J::String(s) if s == "sms" => Ok(1),
                J::String(s) if s == "app" => Ok(2),
                J::String(_) | J::Null => Ok(0),
                _ => Err(Box::new(
                    self.binding_error("$.type", "The JSON value could not be converted to System.String."),
                )),
            };
        }
        match req.get("type") {
            None => Ok(0),
            Some(v) => v3_type(v).map_err(|()| {
                Box::new(self.binding_error(
                    "$.type",
                    "The JSON value could not be converted to ASC.Web.Api.ApiModels.RequestsDto.TfaRequestsDtoType.",
                ))
            }),
        }
    }

    /// `trustedIps` (strings), `mandatoryUsers` and `mandatoryGroups` (GUIDs): null or a list.
    fn tfa_request_lists(&self, req: &J) -> Result<BTreeMap<&'static str, Option<Vec<String>>>, Box<Response>> {
        let mut lists = BTreeMap::new();
        for (k, is_guid) in [("trustedIps", false), ("mandatoryUsers", true), ("mandatoryGroups", true)] {
            let target = if is_guid {
                "System.Collections.Generic.List`1[System.Guid]"
            } else {
                "System.Collections.Generic.List`1[System.String]"
            };
            let value = match &req[k] {
                J::Null => None,
                J::Array(a) => {
                    let mut out = Vec::new();
                    for (i, x) in a.iter().enumerate() {
                        let item = match x.as_str() {
                            Some(s) if is_guid => guid(s),
                            Some(s) => Some(s.to_string()),
                            None => None,
                        };
                        out.push(item.ok_or_else(|| {
                            Box::new(self.binding_error(
                                &format!("$.{k}[{i}]"),
                                &format!("The JSON value could not be converted to {target}. Path: $.{k}[{i}]"),
                            ))
                        })?);
                    }
                    Some(out)
                }
                _ => {
                    return Err(Box::new(self.binding_error(
                        &format!("$.{k}"),
                        &format!("The JSON value could not be converted to {target}."),
                    )));
                }
            };
            lists.insert(k, value);
        }
        Ok(lists)
    }

    /// `id`: a GUID; absent (or null on v2) is the empty GUID.
    fn tfa_request_id(&self, req: &J, v2: bool) -> Result<String, Box<Response>> {
        let refused = || Box::new(self.binding_error("$.id", "The JSON value could not be converted to System.Guid."));
        match &req["id"] {
            J::Null if !v2 && req.get("id").is_some() => Err(refused()),
            J::String(s) => guid(s).ok_or_else(refused),
            _ => Ok("00000000-0000-0000-0000-000000000000".to_string()),
        }
    }

    /// Stores the method, its lists as sent — no validation, no trimming
    /// (`SetSettingsProperty`) — and logs every session out when TFA is on.
    fn store_tfa(&self, ty: i64, lists: &BTreeMap<&'static str, Option<Vec<String>>>) -> Response {
        let mut s = self.state.lock().expect("state");
        let entry = || Entry {
            enable: true,
            trusted_ips: Some(lists["trustedIps"].clone().unwrap_or_default()),
            mandatory_users: Some(lists["mandatoryUsers"].clone().unwrap_or_default()),
            mandatory_groups: Some(lists["mandatoryGroups"].clone().unwrap_or_default()),
        };
        let result = match ty {
            1 => {
                if !(s.sms_visible && s.sms_tariff) {
                    return error(StatusCode::FORBIDDEN, "SMS settings are not available", Some(INVALID_OPERATION));
                }
                if !s.sms_provider {
                    return error(
                        StatusCode::FORBIDDEN,
                        "Operation is not valid due to the current state of the object.",
                        Some(INVALID_OPERATION),
                    );
                }
                s.sms = entry();
                s.app = Entry::default();
                true
            }
            2 => {
                s.app = entry();
                s.sms = Entry::default();
                true
            }
            // "None", and on v3 any undefined number, on v2 any other string: TFA off.
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

    /// `GET /api/2.0/portal` (`PortalController.GetPortalInformation`): the tenant as a `TenantDto`
    /// for those with EditPortalSettings, and only `tenantId` for everyone else.
    fn portal(&self, h: HeaderMap) -> Response {
        let c = match self.caller(&h) {
            Ok(c) => c,
            Err(r) => return *r,
        };
        let (id, alias) = self.state.lock().expect("state").tenant;
        if self.demand_admin(&c).is_err() {
            return envelope(json!({"tenantId": id}));
        }
        envelope(json!({
            "tenantId": id, "tenantAlias": alias, "name": "Acme", "calls": false,
            "industry": 0, "language": "en-US", "status": 0, "timeZone": "UTC", "trustedDomainsType": 1,
            "ownerId": OWNER_ID, "region": null
        }))
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
        let (a, b, c, d, e) = (self.clone(), self.clone(), self.clone(), self.clone(), self.clone());
        let (f, g, i) = (self.clone(), self.clone(), self);
        axum::Router::new()
            .route(
                "/api/2.0/authentication",
                post(move |q: Query<BTreeMap<String, String>>, body: Bytes| async move { a.login(q.0, body) }),
            )
            .route(
                "/api/2.0/settings/tfaapp",
                get(move |h: HeaderMap| async move { b.get_tfa(h) })
                    .put(move |h: HeaderMap, body: Bytes| async move { c.put_tfa(h, body) }),
            )
            .route("/api/2.0/people/@self", get(move |h: HeaderMap| async move { d.people_self(h) }))
            .route("/api/2.0/portal", get(move |h: HeaderMap| async move { e.portal(h) }))
            .route(
                "/api/2.0/settings/security/loginSettings",
                get(move |h: HeaderMap| async move { f.get_login_settings(h) })
                    .put(move |h: HeaderMap, b: Bytes| async move { g.put_login_settings(h, &b) })
                    .delete(move |h: HeaderMap| async move { i.delete_login_settings(h) }),
            )
    }

    fn error_envelope(&self) -> (u16, String) {
        (200, json!({"error": {"message": "Simulated failure: portal settings are being migrated"}, "status": 1, "statusCode": 500}).to_string())
    }

    fn summary(&self) -> J {
        let (ty, ips, users, groups) = self.settings();
        let s = self.state.lock().expect("state");
        let l = s.login_settings.unwrap_or(login::DEFAULT);
        json!({"type": ty, "trustedIps": ips, "mandatoryUsers": users, "mandatoryGroups": groups,
               "smsAvailable": s.sms_visible && s.sms_provider, "portalWideLogouts": s.cookie_index - 1,
               "loginSettings": {"attemptCount": l.attempt_count, "blockTimeSeconds": l.block_time,
                                 "checkPeriodSeconds": l.check_period}})
    }

    fn sandbox_env(&self, base_url: &str) -> Vec<(String, String)> {
        vec![("ONLYOFFICE_PORTAL_URL".into(), base_url.into()), ("ONLYOFFICE_API_KEY".into(), API_KEY.into())]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_binds_as_each_server_version_reads_it() {
        assert_eq!(v3_type(&json!("App")), Ok(2));
        assert_eq!(v3_type(&json!("app")), Ok(2), "v3 reads names case-insensitively");
        assert_eq!(v3_type(&json!(2)), Ok(2));
        assert_eq!(v3_type(&json!("Sms, App")), Ok(3), "a flags list parses, and disables");
        assert_eq!(v3_type(&json!(7)), Ok(7));
        assert_eq!(v3_type(&json!("Maybe")), Err(()));
        assert_eq!(v3_type(&J::Null), Err(()));
    }

    #[test]
    fn guids_bind_only_in_the_hyphenated_form() {
        assert_eq!(
            guid("75A5F745-F697-4418-B38D-0FE0D277E258").as_deref(),
            Some("75a5f745-f697-4418-b38d-0fe0d277e258")
        );
        for bad in [
            "{75a5f745-f697-4418-b38d-0fe0d277e258}",
            "75a5f745f6974418b38d0fe0d277e258",
            "urn:uuid:75a5f745-f697-4418-b38d-0fe0d277e258",
            " 75a5f745-f697-4418-b38d-0fe0d277e258",
            "",
        ] {
            assert_eq!(guid(bad), None, "{bad}");
        }
    }
}
