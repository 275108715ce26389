//! DocSpace's brute-force login settings and their enforcement (ONLYOFFICE/DocSpace-server
//! v3.7.2; the files are unchanged on `develop` and `release/v3.8.0`):
//!
//! - `GET`, `PUT`, `DELETE /api/2.0/settings/security/loginSettings`
//!   (`web/ASC.Web.Api/Api/Settings/SecurityController.cs`), each demanding EditPortalSettings
//!   (administrators and the owner). An API key needs `*:read` to read, `*:write` to change.
//! - `LoginSettings` (`web/ASC.Web.Core/Utility/Settings/LoginSettings.cs`): `AttemptCount`,
//!   `BlockTime`, `CheckPeriod`, both times in **seconds** (`TimeSpan.FromSeconds`), defaults 5,
//!   60, 60. GET answers the defaults when nothing was saved (`DbSettingsManager.LoadAsync`), with
//!   `isDefault`; saving the defaults deletes the row, so PUT 5/60/60 and DELETE leave the same.
//! - `LoginSettingsRequestDto`: three non-nullable ints, each `[Range(1, 9999)]`: a missing one
//!   binds as 0 and fails; numbers in strings are read (`AllowReadingFromString`). A failure is
//!   the wrapped ValidationProblemDetails. PUT echoes the request; `SaveAsync` swallows a database
//!   error and PUT still answers 200. DELETE answers the defaults.
//! - GET sets `Last-Modified` in .NET's invariant format (`MM/dd/yyyy HH:mm:ss`) and answers 304
//!   only to an `If-Modified-Since` equal to that string (`HttpContextExtension.TryGetFromCache`).
//! - Enforcement (`web/ASC.Web.Core/BruteForceLoginManager.cs` `AttemptAsync`): per login name
//!   (lower-cased) and client address; each attempt drops history older than `CheckPeriod` and
//!   adds itself; more than `AttemptCount` in the window blocks that pair for `BlockTime`; a
//!   success takes its own entry back. A blocked login answers 403 "Too many login attempts.
//!   Please try again later" (`AuthenticationController.GetUserAsync`, `ResponseWrapper.cs`).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value as J, json};

use super::{OnlyofficeEmulator, bare, envelope_at};
use crate::server::parse_json;

const PATH: &str = "/api/2.0/settings/security/loginSettings";

/// The three settings; `None` in the emulator's state means no row (the defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginSettings {
    pub attempt_count: i64,
    pub block_time: i64,
    pub check_period: i64,
}

pub const DEFAULT: LoginSettings = LoginSettings { attempt_count: 5, block_time: 60, check_period: 60 };

impl LoginSettings {
    fn dto(&self) -> J {
        json!({
            "attemptCount": self.attempt_count, "blockTime": self.block_time, "checkPeriod": self.check_period,
            "isDefault": *self == DEFAULT
        })
    }
}

/// The brute-force counters, in memory as DocSpace keeps them in its cache.
#[derive(Default)]
pub struct BruteForce {
    history: BTreeMap<(String, String), Vec<Instant>>,
    blocks: BTreeMap<(String, String), Instant>,
}

impl BruteForce {
    /// One login attempt by `login` from `ip`: `false` when it is blocked.
    pub fn attempt(&mut self, login: &str, ip: &str, s: &LoginSettings) -> bool {
        let key = (login.to_lowercase(), ip.to_string());
        let now = Instant::now();
        if self.blocks.get(&key).is_some_and(|until| now < *until) {
            return false;
        }
        self.blocks.remove(&key);
        let window = Duration::from_secs(s.check_period.max(0) as u64);
        let history = self.history.entry(key.clone()).or_default();
        history.retain(|t| now.duration_since(*t) < window);
        history.push(now);
        if history.len() as i64 > s.attempt_count {
            self.history.remove(&key);
            self.blocks.insert(key, now + Duration::from_secs(s.block_time.max(0) as u64));
            return false;
        }
        true
    }

    /// The attempt succeeded: it does not count.
    pub fn succeeded(&mut self, login: &str, ip: &str) {
        if let Some(h) = self.history.get_mut(&(login.to_lowercase(), ip.to_string())) {
            h.pop();
        }
    }

    /// Forgets every block and count (a cache restart).
    pub fn clear(&mut self) {
        self.history.clear();
        self.blocks.clear();
    }
}

/// .NET's `DateTime.ToString(CultureInfo.InvariantCulture)`.
fn invariant(t: time::OffsetDateTime) -> String {
    format!(
        "{:02}/{:02}/{:04} {:02}:{:02}:{:02}",
        u8::from(t.month()),
        t.day(),
        t.year(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// System.Text.Json reading a non-nullable int with `AllowReadingFromString`: `Err` is a
/// conversion failure (a fraction, `null`, another type). Missing is 0.
fn int(v: Option<&J>) -> Result<i64, ()> {
    match v {
        None => Ok(0),
        Some(J::Number(n)) => n.as_i64().filter(|n| i32::try_from(*n).is_ok()).ok_or(()),
        Some(J::String(s)) => s.parse::<i32>().map(i64::from).map_err(|_| ()),
        Some(_) => Err(()),
    }
}

/// A property looked up as web-default JSON options do: case-insensitively.
fn field<'a>(body: &'a Map<String, J>, name: &str) -> Option<&'a J> {
    body.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v)
}

impl OnlyofficeEmulator {
    /// The caller, an administrator, with the API-key scope the method needs.
    fn settings_caller(&self, h: &HeaderMap, write: bool) -> Result<(), Box<Response>> {
        let c = self.caller(h)?;
        let allowed = if write { c.may_write() } else { c.may_read() };
        if !allowed {
            return Err(Box::new(bare(StatusCode::FORBIDDEN)));
        }
        self.demand_admin(&c)
    }

    pub(super) fn get_login_settings(&self, h: HeaderMap) -> Response {
        if let Err(r) = self.settings_caller(&h, false) {
            return *r;
        }
        let mut s = self.state.lock().expect("state");
        let current = s.login_settings.unwrap_or(DEFAULT);
        // LastModified is the save time, or the time the defaults were first loaded (cached).
        let modified =
            s.login_settings_modified.get_or_insert_with(|| invariant(time::OffsetDateTime::now_utc())).clone();
        if h.get("if-modified-since").and_then(|v| v.to_str().ok()) == Some(modified.as_str()) {
            return StatusCode::NOT_MODIFIED.into_response();
        }
        let mut r = envelope_at(current.dto(), PATH, "GET");
        let headers = r.headers_mut();
        headers.insert("last-modified", modified.parse().expect("ascii"));
        headers.insert("cache-control", "private, no-cache".parse().expect("ascii"));
        r
    }

    pub(super) fn put_login_settings(&self, h: HeaderMap, body: &[u8]) -> Response {
        if let Err(r) = self.settings_caller(&h, true) {
            return *r;
        }
        let Some(J::Object(req)) = parse_json(body) else {
            return self.binding_errors(PATH, "PUT", json!({"inDto": ["The inDto field is required."]}));
        };
        let mut errors = Map::new();
        let mut values = [0i64; 3];
        for (i, (json_name, dotnet)) in
            [("attemptCount", "AttemptCount"), ("blockTime", "BlockTime"), ("checkPeriod", "CheckPeriod")]
                .iter()
                .enumerate()
        {
            match int(field(&req, json_name)) {
                Ok(n) if (1..=9999).contains(&n) => values[i] = n,
                Ok(_) => {
                    errors.insert((*dotnet).into(), json!([format!("The field {dotnet} must be between 1 and 9999.")]));
                }
                Err(()) => {
                    let path = format!("$.{json_name}");
                    errors.insert(
                        path.clone(),
                        json!([format!("The JSON value could not be converted to System.Int32. Path: {path}")]),
                    );
                }
            }
        }
        if !errors.is_empty() {
            return self.binding_errors(PATH, "PUT", J::Object(errors));
        }
        let want = LoginSettings { attempt_count: values[0], block_time: values[1], check_period: values[2] };
        let mut s = self.state.lock().expect("state");
        // `SaveAsync` returns false on a database error; PUT does not look.
        if !s.login_settings_saves_fail {
            s.login_settings = (want != DEFAULT).then_some(want);
            s.login_settings_modified = Some(invariant(time::OffsetDateTime::now_utc()));
        }
        envelope_at(want.dto(), PATH, "PUT")
    }

    pub(super) fn delete_login_settings(&self, h: HeaderMap) -> Response {
        if let Err(r) = self.settings_caller(&h, true) {
            return *r;
        }
        let mut s = self.state.lock().expect("state");
        if !s.login_settings_saves_fail {
            s.login_settings = None;
            s.login_settings_modified = Some(invariant(time::OffsetDateTime::now_utc()));
        }
        envelope_at(DEFAULT.dto(), PATH, "DELETE")
    }

    /// The brute-force settings the portal holds, and whether they are saved (not the defaults).
    pub fn login_settings(&self) -> (LoginSettings, bool) {
        let s = self.state.lock().expect("state");
        (s.login_settings.unwrap_or(DEFAULT), s.login_settings.is_some())
    }

    /// A change made in DocSpace's settings page.
    pub fn set_login_settings(&self, attempt_count: i64, block_time: i64, check_period: i64) {
        let want = LoginSettings { attempt_count, block_time, check_period };
        let mut s = self.state.lock().expect("state");
        s.login_settings = (want != DEFAULT).then_some(want);
        s.login_settings_modified = Some(invariant(time::OffsetDateTime::now_utc()));
    }

    /// The settings table refuses writes from now on; DocSpace answers as if it saved them.
    pub fn fail_settings_saves(&self, yes: bool) {
        self.state.lock().expect("state").login_settings_saves_fail = yes;
    }
}
