//! A business's login policy (Akana's API reference: `PUT /api/businesses/{BusinessID}/loginpolicy`,
//! m_businesses_updateLoginPolicy; the object o_businesses_LoginPolicy; Ref_SessionTime).
//!
//! - The documented sample sends every value as a JSON string, the object page documents integers
//!   and Booleans: both are read, strings are written, as for twofasettings.
//! - Whether a PUT keeps the fields it omits is not documented, so every write is the object as
//!   read with the managed fields replaced (`AutoLoginExternalDomain` and anything newer kept).
//! - The GET on the same path is the platform's pattern for every business settings object; its
//!   own page is not in the documentation we could read.

use serde_json::{Map, Value as Json};
use tokio_util::sync::CancellationToken;

use super::{AkanaClient, AkanaError, as_bool, as_int};
use crate::http::{Call, api_url};

/// The managed fields, typed. `None`: the platform did not show the field.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct LoginPolicy {
    pub max_failed_attempts: Option<i64>,
    pub attempts_period_minutes: Option<i64>,
    pub suspension_minutes: Option<i64>,
    pub active_session_timeout_minutes: Option<i64>,
    pub inactive_session_timeout_minutes: Option<i64>,
    pub persistent_session: Option<bool>,
    pub concurrent_login: Option<bool>,
}

const MAX_FAILED: &str = "MaxSequentialFailureAttemptsAllowed";
const PERIOD: &str = "AttemptsPeriod";
const SUSPENSION: &str = "SuspensionMinutes";
const ACTIVE: &str = "ActiveSessionTimeout";
const INACTIVE: &str = "InactiveSessionTimeout";
const PERSISTENT: &str = "PersistentSession";
const CONCURRENT: &str = "ConcurrentLogin";

/// A LoginPolicy object as read: the typed fields plus everything else, kept to write back.
#[derive(Debug, Clone, Default)]
pub struct PolicyObject {
    pub fields: LoginPolicy,
    pub raw: Map<String, Json>,
}

impl PolicyObject {
    pub fn parse(v: Json) -> PolicyObject {
        let raw = match v {
            Json::Object(m) => m,
            _ => Map::new(),
        };
        let fields = LoginPolicy {
            max_failed_attempts: as_int(raw.get(MAX_FAILED)),
            attempts_period_minutes: as_int(raw.get(PERIOD)),
            suspension_minutes: as_int(raw.get(SUSPENSION)),
            active_session_timeout_minutes: as_int(raw.get(ACTIVE)),
            inactive_session_timeout_minutes: as_int(raw.get(INACTIVE)),
            persistent_session: as_bool(raw.get(PERSISTENT)),
            concurrent_login: as_bool(raw.get(CONCURRENT)),
        };
        PolicyObject { fields, raw }
    }

    /// The complete object to PUT, all values as strings as the documented sample sends them.
    pub fn with(&self, f: &LoginPolicy) -> Json {
        let mut m = self.raw.clone();
        let mut put = |k: &str, v: Option<String>| {
            if let Some(s) = v {
                m.insert(k.to_string(), Json::String(s));
            }
        };
        put(MAX_FAILED, f.max_failed_attempts.map(|n| n.to_string()));
        put(PERIOD, f.attempts_period_minutes.map(|n| n.to_string()));
        put(SUSPENSION, f.suspension_minutes.map(|n| n.to_string()));
        put(ACTIVE, f.active_session_timeout_minutes.map(|n| n.to_string()));
        put(INACTIVE, f.inactive_session_timeout_minutes.map(|n| n.to_string()));
        put(PERSISTENT, f.persistent_session.map(|b| b.to_string()));
        put(CONCURRENT, f.concurrent_login.map(|b| b.to_string()));
        Json::Object(m)
    }
}

impl AkanaClient {
    /// `GET /api/businesses/{id}/loginpolicy`; `None` when the business does not exist.
    pub async fn login_policy(
        &self,
        business: &str,
        cancel: &CancellationToken,
    ) -> Result<Option<PolicyObject>, AkanaError> {
        let path = Self::business_path(business, "loginpolicy");
        let resp = self.call(http::Method::GET, &path, None, cancel).await?;
        match resp.status.as_u16() {
            200 => Ok(Some(PolicyObject::parse(resp.json("Akana", &Call::get(api_url(&self.base, &path)))?))),
            404 => Ok(None),
            s => Err(AkanaError::Status {
                call: format!("GET {path}"),
                status: s,
                message: resp.error_message(&["message"]),
            }),
        }
    }

    /// `PUT` of the complete object (idempotent: the same object again changes nothing).
    pub async fn set_login_policy(
        &self,
        business: &str,
        object: &Json,
        cancel: &CancellationToken,
    ) -> Result<(), AkanaError> {
        let path = Self::business_path(business, "loginpolicy");
        let resp = self.call(http::Method::PUT, &path, Some(object), cancel).await?;
        match resp.status.as_u16() {
            200 | 204 => Ok(()),
            404 => Err(AkanaError::NotFound { business: business.to_string() }),
            s => Err(AkanaError::Status {
                call: format!("PUT {path}"),
                status: s,
                message: resp.error_message(&["message"]),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_and_native_values_read_and_unmanaged_fields_are_written_back() {
        let o = PolicyObject::parse(serde_json::json!({
            "MaxSequentialFailureAttemptsAllowed": "6", "AttemptsPeriod": 8, "PersistentSession": "true",
            "ConcurrentLogin": false, "AutoLoginExternalDomain": "com.soa.disabled"
        }));
        assert_eq!(o.fields.max_failed_attempts, Some(6));
        assert_eq!(o.fields.attempts_period_minutes, Some(8));
        assert_eq!((o.fields.persistent_session, o.fields.concurrent_login), (Some(true), Some(false)));
        let mut f = o.fields.clone();
        f.suspension_minutes = Some(30);
        let out = o.with(&f);
        assert_eq!(out["SuspensionMinutes"], "30");
        assert_eq!(out["AttemptsPeriod"], "8");
        assert_eq!(out["ConcurrentLogin"], "false");
        assert_eq!(out["AutoLoginExternalDomain"], "com.soa.disabled");
    }
}
