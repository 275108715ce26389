//! ZITADEL's errors: `google.rpc.Status` JSON matched on the gRPC code together with ZITADEL's
//! error id, and what each means to the user.

use serde::Deserialize;
use serde_json::Value as Json;
use thiserror::Error;

use crate::http::{HttpError, OutcomeUnknown, Uncertain, status_is_transient, status_may_have_landed};
use crate::plugin::diag::{AttrPath, ToDiagnostic};

/// gRPC status codes ZITADEL uses (google.rpc.Code).
pub mod code {
    pub const INVALID_ARGUMENT: i64 = 3;
    pub const NOT_FOUND: i64 = 5;
    pub const ALREADY_EXISTS: i64 = 6;
    pub const PERMISSION_DENIED: i64 = 7;
    pub const FAILED_PRECONDITION: i64 = 9;
    pub const UNAUTHENTICATED: i64 = 16;
}

/// `internal/api/authz/context.go`: the organization named by `x-zitadel-orgid` does not exist.
const ORG_MISSING: &str = "AUTH-Bs7Ds";

#[derive(Debug, Clone, Error)]
pub enum ZitadelError {
    #[error(transparent)]
    Http(#[from] HttpError),
    #[error("ZITADEL answered {call} with HTTP {status}, code {code}{}: {message}", id.as_deref().map(|i| format!(" ({i})")).unwrap_or_default())]
    Api {
        call: String,
        status: u16,
        code: i64,
        id: Option<String>,
        message: String,
        /// The organization the call was made for (`x-zitadel-orgid`).
        org: Option<String>,
    },
    #[error("ZITADEL token exchange failed: {message}")]
    Token {
        message: String,
        /// ZITADEL refused the key (not a network failure): not tried again by this process.
        refused: bool,
    },
    #[error(transparent)]
    Unknown(#[from] OutcomeUnknown),
}

impl ZitadelError {
    pub fn code(&self) -> Option<i64> {
        match self {
            ZitadelError::Api { code, .. } => Some(*code),
            _ => None,
        }
    }
    pub fn is(&self, c: i64) -> bool {
        self.code() == Some(c)
    }
    pub(super) fn has_id(&self, c: i64, wanted: &[&str]) -> bool {
        matches!(self, ZitadelError::Api { code, id: Some(id), .. } if *code == c && wanted.contains(&id.as_str()))
    }
    /// ZITADEL says the organization named by `org_id` does not exist (deleted, or never was).
    pub fn is_org_missing(&self) -> bool {
        self.has_id(code::PERMISSION_DENIED, &[ORG_MISSING])
    }
    /// A login-policy update that would change nothing (`Org-5M9vdd`, `INSTANCE-5M9vdd`).
    pub fn is_not_changed(&self) -> bool {
        self.has_id(code::FAILED_PRECONDITION, &["Org-5M9vdd", "INSTANCE-5M9vdd"])
    }
    /// The organization already has login settings of its own (`Org-Dgfb2`).
    pub fn is_policy_exists(&self) -> bool {
        self.has_id(code::ALREADY_EXISTS, &["Org-Dgfb2"])
    }
}

impl Uncertain for ZitadelError {
    fn may_have_landed(&self) -> bool {
        match self {
            ZitadelError::Http(e) => e.may_have_landed(),
            ZitadelError::Api { status, .. } => status_may_have_landed(*status),
            ZitadelError::Token { .. } | ZitadelError::Unknown(_) => false,
        }
    }
    fn is_transient(&self) -> bool {
        match self {
            ZitadelError::Http(e) => e.is_transient(),
            ZitadelError::Api { status, .. } => status_is_transient(*status),
            ZitadelError::Token { .. } | ZitadelError::Unknown(_) => false,
        }
    }
}

impl ToDiagnostic for ZitadelError {
    fn summary(&self) -> String {
        match self {
            ZitadelError::Http(e) => e.summary(),
            ZitadelError::Unknown(e) => e.summary(),
            ZitadelError::Token { .. } => "ZITADEL rejected the JWT profile".into(),
            e if e.is_org_missing() => "Organization does not exist".into(),
            ZitadelError::Api { code: code::NOT_FOUND, id: None, .. } => "Not ZITADEL's answer".into(),
            ZitadelError::Api { code, .. } => match *code {
                code::ALREADY_EXISTS => "Already exists in ZITADEL".into(),
                code::NOT_FOUND => "Not found in ZITADEL".into(),
                code::PERMISSION_DENIED => "ZITADEL denied permission".into(),
                code::UNAUTHENTICATED => "ZITADEL rejected the credentials".into(),
                code::INVALID_ARGUMENT | code::FAILED_PRECONDITION => "ZITADEL rejected the request".into(),
                _ => "ZITADEL error".into(),
            },
        }
    }
    fn detail(&self) -> String {
        let hint = match self {
            ZitadelError::Http(e) => return e.detail(),
            ZitadelError::Unknown(e) => return e.detail(),
            ZitadelError::Token { .. } => {
                "Check the key file (jwt_profile_json / jwt_profile_file / ZITADEL_JWT_PROFILE_FILE): it must belong to a service user \
                 of this instance, its key must not be expired or deleted, and url must be the instance's issuer exactly as ZITADEL \
                 states it (scheme and host, e.g. https://acme.zitadel.cloud): it is the JWT audience."
            }
            ZitadelError::Api { org: Some(org), .. } if self.is_org_missing() => {
                return format!(
                    "{self}. Organization {org} does not exist in this ZITADEL instance: it was deleted, or org_id is wrong. \
                     Resources of a deleted organization are removed from state on refresh."
                );
            }
            ZitadelError::Api { code: code::NOT_FOUND, id: None, .. } => {
                "The answer carried none of ZITADEL's error details, so it did not come from ZITADEL's login-policy API: a proxy \
                 in front may rewrite or block the path, or url points at something else. Nothing was treated as done."
            }
            ZitadelError::Api { code, .. } => match *code {
                code::NOT_FOUND => "Check org_id: the organization must exist in this instance.",
                code::PERMISSION_DENIED => {
                    "The service user needs IAM_OWNER (iam.policy.write) for instance login settings, used when org_id is not set, \
                     or ORG_OWNER (policy.write) of the organization named by org_id."
                }
                code::UNAUTHENTICATED => {
                    "The token is invalid or expired: check access_token / ZITADEL_ACCESS_TOKEN (a personal access token of a service user), \
                     or the JWT profile key."
                }
                _ => "",
            },
        };
        format!("{self}. {hint}").trim_end().to_string()
    }
    fn path(&self) -> Option<AttrPath> {
        self.is_org_missing().then(|| AttrPath::attr("org_id"))
    }
}

/// google.rpc.Status as the gateway writes it.
#[derive(Deserialize)]
pub(super) struct RpcStatus {
    pub code: Option<i64>,
    pub message: Option<String>,
    #[serde(default)]
    pub details: Vec<Json>,
}

/// The gateway's HTTP mapping, backwards, for error bodies without a code.
pub(super) fn code_from_http(status: u16) -> i64 {
    match status {
        400 => code::INVALID_ARGUMENT,
        401 => code::UNAUTHENTICATED,
        403 => code::PERMISSION_DENIED,
        404 => code::NOT_FOUND,
        409 => code::ALREADY_EXISTS,
        _ => 2,
    }
}
