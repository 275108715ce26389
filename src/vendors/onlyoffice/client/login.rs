//! DocSpace's brute-force login settings: `GET`, `PUT`, `DELETE
//! /api/2.0/settings/security/loginSettings` (ONLYOFFICE/DocSpace-server v3.7.2,
//! `web/ASC.Web.Api/Api/Settings/SecurityController.cs`; `LoginSettings.cs`,
//! `LoginSettingsRequestDto.cs`, `LoginSettingsDto.cs`).
//!
//! - All three demand EditPortalSettings: a portal administrator, and an API key with `*:read`
//!   to read, `*:write` to change.
//! - GET answers the defaults (5 attempts, 60 s, 60 s, `isDefault`) when nothing was saved. No
//!   `If-Modified-Since` is sent: DocSpace answers 304 to an exact match of its own odd
//!   `Last-Modified` format only, and a 304 has no settings in it.
//! - PUT takes all three (each 1–9999: a missing one binds as 0 and is refused) and echoes the
//!   request, even when the save failed (`SaveAsync` swallows database errors): what counts is
//!   the read-back. Saving the defaults removes the row, so PUT of the defaults is DELETE.
//! - Both times are seconds (`TimeSpan.FromSeconds` in `LoginSettingsWrapper`), whatever the DTO
//!   comments say.

use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};
use tokio_util::sync::CancellationToken;

use super::{OnlyofficeClient, OnlyofficeError};
use crate::http::{Call, api_url};

const PATH: &str = "/api/2.0/settings/security/loginSettings";

/// The three settings; times in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginLimits {
    pub attempt_count: i64,
    pub block_time_seconds: i64,
    pub check_period_seconds: i64,
}

impl LoginLimits {
    /// `LoginSettings.GetDefault()`.
    pub const DEFAULT: LoginLimits = LoginLimits { attempt_count: 5, block_time_seconds: 60, check_period_seconds: 60 };

    pub fn describe(&self) -> String {
        format!(
            "attempt_count = {}, block_time_seconds = {}, check_period_seconds = {}",
            self.attempt_count, self.block_time_seconds, self.check_period_seconds
        )
    }
}

/// An answer's settings; a field DocSpace left out reads as its default.
fn parse(r: &Json) -> LoginLimits {
    let n = |f: &str, d: i64| r.get(f).and_then(|v| v.as_i64().or_else(|| v.as_str()?.parse().ok())).unwrap_or(d);
    let d = LoginLimits::DEFAULT;
    LoginLimits {
        attempt_count: n("attemptCount", d.attempt_count),
        block_time_seconds: n("blockTime", d.block_time_seconds),
        check_period_seconds: n("checkPeriod", d.check_period_seconds),
    }
}

impl OnlyofficeClient {
    pub async fn login_limits(&self, cancel: &CancellationToken) -> Result<LoginLimits, OnlyofficeError> {
        let url = api_url(&self.base, PATH);
        let r = self.call(|| Call::get(url.clone()).header("accept", "application/json"), false, cancel).await?;
        Ok(parse(&r))
    }

    /// One PUT of all three, or the DELETE that resets them when they are the defaults (the same
    /// to DocSpace). Idempotent: a repeat writes the same row.
    pub async fn set_login_limits(&self, l: &LoginLimits, cancel: &CancellationToken) -> Result<(), OnlyofficeError> {
        let url = api_url(&self.base, PATH);
        if *l == LoginLimits::DEFAULT {
            let make = || Call::new(http::Method::DELETE, url.clone()).header("accept", "application/json");
            return self.call(make, false, cancel).await.map(|_| ());
        }
        let body = json!({
            "attemptCount": l.attempt_count, "blockTime": l.block_time_seconds, "checkPeriod": l.check_period_seconds
        });
        let make = || {
            Call::new(http::Method::PUT, url.clone()).json(&body).header("accept", "application/json").idempotent(true)
        };
        self.call(make, false, cancel).await.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_read_with_defaults_for_what_is_missing() {
        let r = json!({"attemptCount": 3, "blockTime": "900", "isDefault": false});
        assert_eq!(parse(&r), LoginLimits { attempt_count: 3, block_time_seconds: 900, check_period_seconds: 60 });
    }
}
