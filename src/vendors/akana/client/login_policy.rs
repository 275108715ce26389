//! A business's login policy (Akana's API reference: `PUT /api/businesses/{BusinessID}/loginpolicy`,
//! m_businesses_updateLoginPolicy; the object o_businesses_LoginPolicy; Ref_SessionTime).
//!
//! - The documented sample sends every value as a JSON string, the object page documents integers
//!   and Booleans: both are read, strings are written, as for twofasettings.
//! - Whether a PUT keeps the fields it omits is not documented, so every write is the object as
//!   read with the managed fields replaced (`AutoLoginExternalDomain` and anything newer kept).
//! - The GET on the same path is the platform's pattern for every business settings object; its
//!   own page is not in the documentation we could read.

use serde_json::Value as Json;
use tokio_util::sync::CancellationToken;

use super::wire::{Field, Fields, Object};
use super::{AkanaClient, AkanaError};
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

/// A LoginPolicy object as read.
pub type PolicyObject = Object<LoginPolicy>;

impl Fields for LoginPolicy {
    const WIRE: &'static [Field<LoginPolicy>] = &[
        Field::Int("MaxSequentialFailureAttemptsAllowed", |f| &mut f.max_failed_attempts),
        Field::Int("AttemptsPeriod", |f| &mut f.attempts_period_minutes),
        Field::Int("SuspensionMinutes", |f| &mut f.suspension_minutes),
        Field::Int("ActiveSessionTimeout", |f| &mut f.active_session_timeout_minutes),
        Field::Int("InactiveSessionTimeout", |f| &mut f.inactive_session_timeout_minutes),
        Field::Bool("PersistentSession", |f| &mut f.persistent_session),
        Field::Bool("ConcurrentLogin", |f| &mut f.concurrent_login),
    ];
    /// A field the platform did not show is left as it was.
    const DROP_ABSENT: bool = false;
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
