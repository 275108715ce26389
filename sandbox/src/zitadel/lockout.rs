//! ZITADEL's lock-out policy: how many wrong passwords and wrong one-time codes lock a user
//! (zitadel/zitadel `proto/zitadel/policy.proto` `LockoutPolicy`, `admin.proto`,
//! `management.proto`; commands in `internal/command/org_policy_lockout.go` and
//! `instance_policy_password_lockout.go`).
//!
//! - Instance: `GET /admin/v1/policies/lockout`, `PUT /admin/v1/policies/password/lockout` (the
//!   paths differ). Organization (`x-zitadel-orgid`): `GET`, `POST`, `PUT`, `DELETE
//!   /management/v1/policies/lockout` and `GET /management/v1/policies/default/lockout`.
//! - Requests carry `maxPasswordAttempts` and `maxOtpAttempts` as uint32 (a number, or a string;
//!   negative or too large is the gateway's 400); answers render them as uint64, that is as JSON
//!   strings, and omit zero values. 0 means never lock (`user_human_password.go`,
//!   `user_human_otp.go`). An update replaces the whole policy: an omitted field becomes 0.
//! - Errors: org add twice AlreadyExists `ORG-0olDf`; org update or reset without its own policy
//!   NotFound `ORG-ADfs1` / `ORG-D4zuz`; an update that changes nothing FailedPrecondition
//!   `ORG-0JFSr` / `INSTANCE-0psjF`. en.yaml translates none of these keys, so the message is the
//!   key. The write models compare `showLockOutFailures` too, which the API always sets to false
//!   while a new instance starts with true: the first instance update is never "not changed".
//! - `maxOtpAttempts` came with v2.50.0 (PR #7693, the fix for CVE-2024-32868); an older server
//!   drops it from requests (the gateway discards unknown fields) and never shows it.
//! - A fresh instance never locks anyone out (`cmd/defaults.yaml`: 0 and 0).

use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Value as J, json};

use super::gateway::{Body, ok, zitadel_error};
use super::{INSTANCE_ID, Rejected, ZitadelEmulator};

/// One lock-out policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lockout {
    pub max_password_attempts: u32,
    pub max_otp_attempts: u32,
    pub show_lockout_failures: bool,
}

impl Default for Lockout {
    /// The instance's as `cmd/defaults.yaml` sets it up.
    fn default() -> Self {
        Lockout { max_password_attempts: 0, max_otp_attempts: 0, show_lockout_failures: true }
    }
}

/// For `/_emulator/state` and the quickstart's summary.
pub fn summary(l: &Lockout) -> J {
    json!({"maxPasswordAttempts": l.max_password_attempts, "maxOtpAttempts": l.max_otp_attempts})
}

impl ZitadelEmulator {
    fn render_lockout(&self, l: &Lockout, is_default: bool, owner: &str, otp: bool) -> J {
        // uint64 renders as a JSON string; `ok` drops the zero values (and a false isDefault).
        let count = |n: u32| if n == 0 { J::Null } else { J::String(n.to_string()) };
        let mut p = json!({
            "details": {"sequence": "1", "resourceOwner": owner},
            "maxPasswordAttempts": count(l.max_password_attempts),
            "isDefault": is_default,
        });
        if otp {
            p["maxOtpAttempts"] = count(l.max_otp_attempts);
        }
        p
    }

    /// The two limits of a create or update request, read as protojson reads them.
    fn lockout_request(&self, body: &Bytes, message: &'static str) -> Result<(u32, u32), Rejected> {
        let b = Body::parse(body, message)?;
        let otp_known = self.state.lock().expect("state").max_otp_attempts;
        let password = b.uint32("maxPasswordAttempts")?;
        // A server before v2.50 does not know the field: discarded, so 0.
        let otp = if otp_known { b.uint32("maxOtpAttempts")? } else { 0 };
        Ok((password, otp))
    }

    pub(super) fn get_default_lockout(&self, h: HeaderMap) -> Response {
        if let Err(r) = self.authorize(&h, false) {
            return *r;
        }
        let s = self.state.lock().expect("state");
        let p = self.render_lockout(&s.lockout, true, INSTANCE_ID, s.max_otp_attempts);
        ok(json!({ "policy": p }))
    }

    pub(super) fn update_default_lockout(&self, h: HeaderMap, body: Bytes) -> Response {
        if let Err(r) = self.authorize(&h, false) {
            return *r;
        }
        let (password, otp) = match self.lockout_request(&body, "UpdateLockoutPolicyRequest") {
            Ok(v) => v,
            Err(r) => return *r,
        };
        let mut s = self.state.lock().expect("state");
        let want = Lockout { max_password_attempts: password, max_otp_attempts: otp, show_lockout_failures: false };
        if s.lockout == want {
            return zitadel_error(9, "Errors.IAM.LockoutPolicy.NotChanged", "INSTANCE-0psjF");
        }
        s.lockout = want;
        let d = s.details(INSTANCE_ID);
        ok(d)
    }

    pub(super) fn get_org_lockout(&self, h: HeaderMap) -> Response {
        let org = match self.authorize(&h, true) {
            Ok(o) => o.expect("org scope"),
            Err(r) => return *r,
        };
        let s = self.state.lock().expect("state");
        let (l, is_default, owner) = match s.org_lockout.get(&org) {
            Some(l) => (*l, false, org.clone()),
            None => (s.lockout, true, INSTANCE_ID.to_string()),
        };
        let p = self.render_lockout(&l, is_default, &owner, s.max_otp_attempts);
        ok(json!({ "policy": p, "isDefault": is_default }))
    }

    pub(super) fn get_org_default_lockout(&self, h: HeaderMap) -> Response {
        if let Err(r) = self.authorize(&h, true) {
            return *r;
        }
        let s = self.state.lock().expect("state");
        let p = self.render_lockout(&s.lockout, true, INSTANCE_ID, s.max_otp_attempts);
        ok(json!({ "policy": p }))
    }

    pub(super) fn add_org_lockout(&self, h: HeaderMap, body: Bytes) -> Response {
        let org = match self.authorize(&h, true) {
            Ok(o) => o.expect("org scope"),
            Err(r) => return *r,
        };
        let (password, otp) = match self.lockout_request(&body, "AddCustomLockoutPolicyRequest") {
            Ok(v) => v,
            Err(r) => return *r,
        };
        let mut s = self.state.lock().expect("state");
        if s.org_lockout.contains_key(&org) {
            return zitadel_error(6, "Errors.ORG.LockoutPolicy.AlreadyExists", "ORG-0olDf");
        }
        let l = Lockout { max_password_attempts: password, max_otp_attempts: otp, show_lockout_failures: false };
        s.org_lockout.insert(org.clone(), l);
        let d = s.details(&org);
        ok(d)
    }

    pub(super) fn update_org_lockout(&self, h: HeaderMap, body: Bytes) -> Response {
        let org = match self.authorize(&h, true) {
            Ok(o) => o.expect("org scope"),
            Err(r) => return *r,
        };
        let (password, otp) = match self.lockout_request(&body, "UpdateCustomLockoutPolicyRequest") {
            Ok(v) => v,
            Err(r) => return *r,
        };
        let mut s = self.state.lock().expect("state");
        let want = Lockout { max_password_attempts: password, max_otp_attempts: otp, show_lockout_failures: false };
        match s.org_lockout.get_mut(&org) {
            None => return zitadel_error(5, "Errors.Org.LockoutPolicy.NotFound", "ORG-ADfs1"),
            Some(l) if *l == want => return zitadel_error(9, "Errors.Org.LockoutPolicy.NotChanged", "ORG-0JFSr"),
            Some(l) => *l = want,
        }
        let d = s.details(&org);
        ok(d)
    }

    pub(super) fn reset_org_lockout(&self, h: HeaderMap) -> Response {
        let org = match self.authorize(&h, true) {
            Ok(o) => o.expect("org scope"),
            Err(r) => return *r,
        };
        let mut s = self.state.lock().expect("state");
        if s.org_lockout.remove(&org).is_none() {
            return zitadel_error(5, "Errors.Org.LockoutPolicy.NotFound", "ORG-D4zuz");
        }
        let d = s.details(&org);
        ok(d)
    }

    /// The instance's lock-out policy as ZITADEL holds it.
    pub fn instance_lockout(&self) -> Lockout {
        self.state.lock().expect("state").lockout
    }

    /// An organization's own lock-out policy; `None` while it inherits.
    pub fn org_lockout(&self, org: &str) -> Option<Lockout> {
        self.state.lock().expect("state").org_lockout.get(org).copied()
    }

    /// A change made in the console: the instance's limits.
    pub fn set_instance_lockout(&self, password: u32, otp: u32) {
        let mut s = self.state.lock().expect("state");
        s.lockout = Lockout { max_password_attempts: password, max_otp_attempts: otp, show_lockout_failures: false };
    }

    /// A change made in the console: an organization's own limits (`None`: back to inheriting).
    pub fn set_org_lockout(&self, org: &str, limits: Option<(u32, u32)>) {
        let mut s = self.state.lock().expect("state");
        match limits {
            Some((p, o)) => {
                s.org_lockout.insert(
                    org.to_string(),
                    Lockout { max_password_attempts: p, max_otp_attempts: o, show_lockout_failures: false },
                );
            }
            None => {
                s.org_lockout.remove(org);
            }
        }
    }

    /// A server before v2.50: no `maxOtpAttempts` in its protos.
    pub fn without_max_otp_attempts(&self) {
        self.state.lock().expect("state").max_otp_attempts = false;
    }
}
