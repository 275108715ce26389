//! A business's login policy: `GET`/`PUT /api/businesses/{BusinessID}/loginpolicy` (Akana's API
//! reference, m_businesses_updateLoginPolicy; the object o_businesses_LoginPolicy).
//!
//! - The documented sample sends every value as a JSON string (`"6"`, `"true"`), while the object
//!   page calls them integers and Booleans: the platform's usual string-typed objects, as
//!   twofasettings. Stored and answered as strings here.
//! - `AttemptsPeriod`, `SuspensionMinutes`, `ActiveSessionTimeout` and `InactiveSessionTimeout`
//!   are minutes; "a value of 0 means that there is no setting applied", and "Inactive login
//!   session timeout value cannot exceed active login session timeout" (Ref_SessionTime), which
//!   is refused with 400 here. The failed-login limit is "disabled by default".
//! - The GET page is not in the documentation we could read; the path pairs GET and PUT as every
//!   other business settings object does. Whether a PUT keeps fields it omits is not documented
//!   either: here it does not (they go back to their defaults), the stricter reading.
//! - How the platform answers a login of a locked account is not documented, so logins are not
//!   refused by this policy here.

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Map, Value as J, json};

use super::{AkanaEmulator, json_object, refused, text};

/// A new business's policy as the object page gives the defaults.
pub fn default_policy() -> Map<String, J> {
    let J::Object(m) = json!({
        "MaxSequentialFailureAttemptsAllowed": "0",
        "AttemptsPeriod": "0",
        "SuspensionMinutes": "0",
        "AutoLoginExternalDomain": "com.soa.disabled",
        "ActiveSessionTimeout": "30",
        "InactiveSessionTimeout": "30",
        "PersistentSession": "true",
        "ConcurrentLogin": "true"
    }) else {
        unreachable!()
    };
    m
}

const INTS: [&str; 5] = [
    "MaxSequentialFailureAttemptsAllowed",
    "AttemptsPeriod",
    "SuspensionMinutes",
    "ActiveSessionTimeout",
    "InactiveSessionTimeout",
];
const BOOLS: [&str; 2] = ["PersistentSession", "ConcurrentLogin"];

impl AkanaEmulator {
    pub(super) fn get_login_policy(&self, h: HeaderMap, id: String) -> Response {
        if let Err(st) = self.session_of(&h, false) {
            return refused(st);
        }
        let s = self.state.lock().expect("state");
        let native = s.native_types;
        let Some(b) = s.businesses.get(&id) else { return text(StatusCode::NOT_FOUND, "Business not found") };
        let m = b.login_policy.clone();
        drop(s);
        self.render(&m, native)
    }

    pub(super) fn put_login_policy(&self, h: HeaderMap, id: String, body: Bytes) -> Response {
        if let Err(st) = self.session_of(&h, true) {
            return refused(st);
        }
        let req = match json_object(&h, &body, "LoginPolicy") {
            Ok(req) => req,
            Err((st, why)) => return text(st, &why),
        };
        let mut stored = default_policy();
        for (k, v) in &req {
            let s = match v {
                J::String(s) => s.clone(),
                J::Bool(b) => b.to_string(),
                J::Number(n) => n.to_string(),
                other => other.to_string(),
            };
            stored.insert(k.clone(), J::String(s));
        }
        let get = |k: &str| stored.get(k).and_then(J::as_str).unwrap_or_default().to_string();
        for k in INTS {
            if get(k).parse::<u32>().is_err() {
                return text(StatusCode::BAD_REQUEST, &format!("{k} must be a whole number of 0 or more"));
            }
        }
        for k in BOOLS {
            if !matches!(get(k).as_str(), "true" | "false") {
                return text(StatusCode::BAD_REQUEST, &format!("{k} must be true or false"));
            }
        }
        let (active, inactive) = (
            get("ActiveSessionTimeout").parse::<u32>().unwrap_or(0),
            get("InactiveSessionTimeout").parse::<u32>().unwrap_or(0),
        );
        if active != 0 && inactive > active {
            return text(
                StatusCode::BAD_REQUEST,
                "Inactive login session timeout value cannot exceed active login session timeout",
            );
        }
        let mut s = self.state.lock().expect("state");
        let native = s.native_types;
        let Some(b) = s.businesses.get_mut(&id) else { return text(StatusCode::NOT_FOUND, "Business not found") };
        b.login_policy = stored.clone();
        drop(s);
        self.render(&stored, native)
    }

    /// The login policy as the platform holds it.
    pub fn login_policy(&self, business: &str) -> Map<String, J> {
        self.state.lock().expect("state").businesses[business].login_policy.clone()
    }

    /// A change made in the admin console.
    pub fn set_login_policy_out_of_band(&self, business: &str, key: &str, value: &str) {
        let mut s = self.state.lock().expect("state");
        s.businesses.get_mut(business).expect("business").login_policy.insert(key.into(), J::String(value.into()));
    }
}
