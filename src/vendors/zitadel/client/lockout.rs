//! ZITADEL's lock-out policy calls (zitadel/zitadel `proto/zitadel/admin.proto`,
//! `management.proto`, `policy.proto` `LockoutPolicy`; commands in
//! `internal/command/org_policy_lockout.go` and `instance_policy_password_lockout.go`).
//!
//! Requests carry both limits as `uint32`; answers render them as `uint64`, which protojson
//! writes as JSON strings, and leave zero out. An update replaces the whole policy.

use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};
use tokio_util::sync::CancellationToken;

use super::{Scope, ZitadelClient, ZitadelError, code};

/// The two limits; 0 means never lock (`internal/command/user_human_password.go`,
/// `user_human_otp.go` lock only when the limit is above 0).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    pub max_password_attempts: u32,
    pub max_otp_attempts: u32,
}

/// A scope's lock-out policy as read; `inherits` while an organization follows the instance's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lockout {
    pub limits: Limits,
    pub inherits: bool,
}

impl ZitadelError {
    /// An update that changes nothing (`ORG-0JFSr`, `INSTANCE-0psjF`; before v2.50 `ORG-4M9vs`,
    /// `IAM-4M9vs`).
    pub fn is_lockout_not_changed(&self) -> bool {
        self.has_id(code::FAILED_PRECONDITION, &["ORG-0JFSr", "INSTANCE-0psjF", "ORG-4M9vs", "IAM-4M9vs"])
    }
    /// The organization already has a lock-out policy of its own (`ORG-0olDf`).
    pub fn is_lockout_exists(&self) -> bool {
        self.has_id(code::ALREADY_EXISTS, &["ORG-0olDf"])
    }
}

/// A `uint64` as protojson writes it (a string), or a number from another gateway; absent is 0.
fn count(policy: &Json, field: &str) -> u32 {
    match policy.get(field) {
        Some(Json::String(s)) => s.parse::<u64>().ok(),
        Some(Json::Number(n)) => n.as_u64(),
        _ => None,
    }
    .map_or(0, |n| u32::try_from(n).unwrap_or(u32::MAX))
}

fn body(l: Limits) -> Json {
    json!({"maxPasswordAttempts": l.max_password_attempts, "maxOtpAttempts": l.max_otp_attempts})
}

impl ZitadelClient {
    /// `GET /admin/v1/policies/lockout`, or `GET /management/v1/policies/lockout`, which answers
    /// the instance's policy flagged `isDefault` while the organization inherits it.
    pub async fn lockout(&self, scope: &Scope, cancel: &CancellationToken) -> Result<Lockout, ZitadelError> {
        let path = match scope {
            Scope::Instance => "/admin/v1/policies/lockout",
            Scope::Org(_) => "/management/v1/policies/lockout",
        };
        let r = self.api.call(http::Method::GET, path, scope.org(), None, true, cancel).await?;
        let policy = r.get("policy").cloned().unwrap_or(json!({}));
        let inherits = scope.org().is_some()
            && (r.get("isDefault").and_then(Json::as_bool).unwrap_or(false)
                || policy.get("isDefault").and_then(Json::as_bool).unwrap_or(false));
        let limits = Limits {
            max_password_attempts: count(&policy, "maxPasswordAttempts"),
            max_otp_attempts: count(&policy, "maxOtpAttempts"),
        };
        Ok(Lockout { limits, inherits })
    }

    /// `PUT /admin/v1/policies/password/lockout` (the instance's path differs from its read) or
    /// `PUT /management/v1/policies/lockout`. Idempotent: a repeat is at worst "not changed".
    pub async fn update_lockout(
        &self,
        scope: &Scope,
        l: Limits,
        cancel: &CancellationToken,
    ) -> Result<(), ZitadelError> {
        let path = match scope {
            Scope::Instance => "/admin/v1/policies/password/lockout",
            Scope::Org(_) => "/management/v1/policies/lockout",
        };
        self.api.call(http::Method::PUT, path, scope.org(), Some(body(l)), true, cancel).await.map(|_| ())
    }

    /// `POST /management/v1/policies/lockout`: the organization's own policy. Not idempotent (a
    /// second one answers AlreadyExists).
    pub async fn add_org_lockout(&self, org: &str, l: Limits, cancel: &CancellationToken) -> Result<(), ZitadelError> {
        self.api
            .call(http::Method::POST, "/management/v1/policies/lockout", Some(org), Some(body(l)), false, cancel)
            .await
            .map(|_| ())
    }

    /// `DELETE /management/v1/policies/lockout`: the organization inherits again. ZITADEL's
    /// NotFound (`ORG-D4zuz`) means it already does.
    pub async fn reset_org_lockout(&self, org: &str, cancel: &CancellationToken) -> Result<(), ZitadelError> {
        match self
            .api
            .call(http::Method::DELETE, "/management/v1/policies/lockout", Some(org), None, true, cancel)
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.has_id(code::NOT_FOUND, &["ORG-D4zuz"]) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_read_as_protojson_writes_them() {
        let p = json!({"maxPasswordAttempts": "10", "maxOtpAttempts": 3});
        assert_eq!(count(&p, "maxPasswordAttempts"), 10);
        assert_eq!(count(&p, "maxOtpAttempts"), 3);
        // Zero is left out of the answer; a server before v2.50 has no maxOtpAttempts at all.
        assert_eq!(count(&json!({}), "maxOtpAttempts"), 0);
        assert_eq!(count(&json!({"maxPasswordAttempts": "99999999999"}), "maxPasswordAttempts"), u32::MAX);
    }
}
