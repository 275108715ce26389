//! ZITADEL REST (gRPC-gateway) client for login-policy factors (vendor notes §3). Instance defaults
//! use the admin API; an organization's own settings use the management API with the
//! `x-zitadel-orgid` header. Errors are `google.rpc.Status` JSON (`{code, message, details}`) and are
//! matched on the numeric code and the detail ID, never on the localized message.

use serde::Deserialize;
use serde_json::{Value as J, json};
use thiserror::Error;
use tokio_util::sync::CancellationToken;
use url::Url;

use super::auth::TokenSource;
use crate::http::{Call, HttpClient, HttpError, Uncertain};
use crate::plugin::diag::ToDiagnostic;

/// gRPC status codes ZITADEL uses (google.rpc.Code).
pub mod code {
    pub const INVALID_ARGUMENT: i64 = 3;
    pub const NOT_FOUND: i64 = 5;
    pub const ALREADY_EXISTS: i64 = 6;
    pub const PERMISSION_DENIED: i64 = 7;
    pub const RESOURCE_EXHAUSTED: i64 = 8;
    pub const FAILED_PRECONDITION: i64 = 9;
    pub const UNAUTHENTICATED: i64 = 16;
}

/// Which factor list of a login policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FactorKind {
    /// Passwordless / passkeys (`multiFactors`).
    Multi,
    /// Second factors after a password (`secondFactors`).
    Second,
}

impl FactorKind {
    pub fn path(self) -> &'static str {
        match self {
            FactorKind::Multi => "multi_factors",
            FactorKind::Second => "second_factors",
        }
    }
    pub fn policy_field(self) -> &'static str {
        match self {
            FactorKind::Multi => "multiFactors",
            FactorKind::Second => "secondFactors",
        }
    }
    /// The values ZITADEL accepts (its `UNSPECIFIED` zero value is rejected by the API).
    pub fn allowed(self) -> &'static [&'static str] {
        match self {
            FactorKind::Multi => &["MULTI_FACTOR_TYPE_U2F_WITH_VERIFICATION"],
            FactorKind::Second => &[
                "SECOND_FACTOR_TYPE_OTP",
                "SECOND_FACTOR_TYPE_U2F",
                "SECOND_FACTOR_TYPE_OTP_EMAIL",
                "SECOND_FACTOR_TYPE_OTP_SMS",
            ],
        }
    }
    /// Enum numbers as the gateway may render them, for reading lists leniently.
    fn name_of(self, n: i64) -> Option<&'static str> {
        match (self, n) {
            (FactorKind::Multi, 1) => Some("MULTI_FACTOR_TYPE_U2F_WITH_VERIFICATION"),
            (FactorKind::Second, 1) => Some("SECOND_FACTOR_TYPE_OTP"),
            (FactorKind::Second, 2) => Some("SECOND_FACTOR_TYPE_U2F"),
            (FactorKind::Second, 3) => Some("SECOND_FACTOR_TYPE_OTP_EMAIL"),
            (FactorKind::Second, 4) => Some("SECOND_FACTOR_TYPE_OTP_SMS"),
            _ => None,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            FactorKind::Multi => "multi-factor",
            FactorKind::Second => "second factor",
        }
    }
}

/// Instance default login settings, or one organization's own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    Instance,
    Org(String),
}

impl Scope {
    pub fn describe(&self) -> String {
        match self {
            Scope::Instance => "the instance's default login settings".into(),
            Scope::Org(o) => format!("the login settings of organization {o}"),
        }
    }
}

#[derive(Debug, Error)]
pub enum ZitadelError {
    #[error(transparent)]
    Http(#[from] HttpError),
    #[error("ZITADEL answered {call} with HTTP {status}, code {code}{}: {message}", id.as_deref().map(|i| format!(" ({i})")).unwrap_or_default())]
    Api { call: String, status: u16, code: i64, id: Option<String>, message: String },
    #[error("ZITADEL token exchange failed: {message}")]
    Token { message: String },
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
    /// A failure after which a write may or may not have been applied.
    pub fn outcome_unknown(&self) -> bool {
        match self {
            ZitadelError::Http(e) => e.may_have_landed(),
            ZitadelError::Api { status, .. } => matches!(status, 502..=504),
            ZitadelError::Token { .. } => false,
        }
    }
}

impl ToDiagnostic for ZitadelError {
    fn summary(&self) -> String {
        match self {
            ZitadelError::Http(e) => e.summary(),
            ZitadelError::Token { .. } => "ZITADEL rejected the JWT profile".into(),
            ZitadelError::Api { code, .. } => match *code {
                code::ALREADY_EXISTS => "Already exists in ZITADEL".into(),
                code::NOT_FOUND => "Not found in ZITADEL".into(),
                code::PERMISSION_DENIED => "ZITADEL denied permission".into(),
                code::UNAUTHENTICATED => "ZITADEL rejected the credentials".into(),
                code::RESOURCE_EXHAUSTED => "ZITADEL rate limit exceeded".into(),
                code::INVALID_ARGUMENT | code::FAILED_PRECONDITION => "ZITADEL rejected the request".into(),
                _ => "ZITADEL error".into(),
            },
        }
    }
    fn detail(&self) -> String {
        let hint = match self {
            ZitadelError::Http(e) => return e.detail(),
            ZitadelError::Token { .. } => {
                "Check the key file (jwt_profile_json / jwt_profile_file / ZITADEL_JWT_PROFILE_FILE): it must belong to a service user \
                 of this instance, its key must not be expired or deleted, and url must be the instance's own domain (the JWT audience)."
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
                code::RESOURCE_EXHAUSTED => {
                    "Requests were retried with backoff and still limited; wait a minute and apply again, or lower -parallelism."
                }
                _ => "",
            },
        };
        format!("{self}. {hint}").trim_end().to_string()
    }
}

/// google.rpc.Status as the gateway writes it.
#[derive(Deserialize)]
struct RpcStatus {
    code: Option<i64>,
    message: Option<String>,
    #[serde(default)]
    details: Vec<J>,
}

pub struct ZitadelClient {
    http: HttpClient,
    base: Url,
    tokens: TokenSource,
    /// One lock per scope: resources of one apply change the same login settings one at a time.
    locks: std::sync::Mutex<std::collections::HashMap<String, std::sync::Arc<tokio::sync::Mutex<()>>>>,
    /// Factors this provider process copied into an organization when giving it settings of its
    /// own; a resource for one of them adopts it instead of reporting "already exists".
    copied: std::sync::Mutex<std::collections::HashSet<(String, String)>>,
}

/// An organization's login policy as `GET /management/v1/policies/login` returns it.
pub struct OrgPolicy {
    pub policy: J,
    /// True while the organization still inherits the instance defaults.
    pub is_default: bool,
}

impl ZitadelClient {
    pub fn new(http: HttpClient, base: Url, tokens: TokenSource) -> Self {
        ZitadelClient { http, base, tokens, locks: Default::default(), copied: Default::default() }
    }

    /// The lock serialising changes to one scope's login settings.
    pub fn lock_for(&self, scope: &Scope) -> std::sync::Arc<tokio::sync::Mutex<()>> {
        let key = match scope {
            Scope::Instance => String::from("instance"),
            Scope::Org(o) => o.clone(),
        };
        self.locks.lock().expect("locks").entry(key).or_default().clone()
    }

    pub fn remember_copied(&self, org: &str, factors: impl IntoIterator<Item = String>) {
        let mut c = self.copied.lock().expect("copied");
        for f in factors {
            c.insert((org.to_string(), f));
        }
    }

    pub fn was_copied(&self, org: &str, ty: &str) -> bool {
        self.copied.lock().expect("copied").contains(&(org.to_string(), ty.to_string()))
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        org: Option<&str>,
        body: Option<J>,
        idempotent: bool,
        cancel: &CancellationToken,
    ) -> Result<J, ZitadelError> {
        let url = self.base.join(path).expect("API paths are valid");
        let mut refreshed = false;
        loop {
            let token = self.tokens.token(&self.http, cancel).await?;
            let mut call = Call::new(method.clone(), url.clone())
                .header("authorization", &format!("Bearer {token}"))
                .header("accept", "application/json")
                .idempotent(idempotent);
            if let Some(o) = org {
                call = call.header("x-zitadel-orgid", o);
            }
            if let Some(b) = &body {
                call = call.json(b);
            }
            let resp = self.http.send(&call, cancel).await?;
            if resp.status.is_success() {
                return if resp.body.is_empty() { Ok(json!({})) } else { Ok(resp.json("ZITADEL", &call)?) };
            }
            // Not a google.rpc.Status (e.g. a proxy's page): describe what came instead.
            let status: RpcStatus = resp.json("ZITADEL", &call).unwrap_or_else(|_| RpcStatus {
                code: None,
                message: Some(resp.error_message(&["message"])),
                details: vec![],
            });
            let code = status.code.unwrap_or_else(|| code_from_http(resp.status.as_u16()));
            // An exchanged token expired: get a fresh one once and repeat the call.
            if code == code::UNAUTHENTICATED && self.tokens.refreshable() && !refreshed {
                log::info!("ZITADEL: access token rejected on {}; exchanging the JWT profile again", call.name());
                self.tokens.invalidate(&token).await;
                refreshed = true;
                continue;
            }
            let id = status.details.iter().find_map(|d| d.get("id").and_then(J::as_str)).map(str::to_string);
            return Err(ZitadelError::Api {
                call: call.name(),
                status: resp.status.as_u16(),
                code,
                id,
                message: status.message.unwrap_or_else(|| "no message".into()),
            });
        }
    }

    /// An organization's login policy (the instance default, flagged, while it inherits).
    pub async fn org_policy(&self, org: &str, cancel: &CancellationToken) -> Result<OrgPolicy, ZitadelError> {
        let r = self.call(reqwest::Method::GET, "/management/v1/policies/login", Some(org), None, true, cancel).await?;
        let is_default = r.get("isDefault").and_then(J::as_bool).unwrap_or(false)
            || r.pointer("/policy/isDefault").and_then(J::as_bool).unwrap_or(false);
        Ok(OrgPolicy { policy: r.get("policy").cloned().unwrap_or(json!({})), is_default })
    }

    /// The factors set in `scope`; `None` when the organization has no settings of its own.
    pub async fn factors(
        &self,
        scope: &Scope,
        kind: FactorKind,
        cancel: &CancellationToken,
    ) -> Result<Option<Vec<String>>, ZitadelError> {
        match scope {
            Scope::Instance => {
                let path = format!("/admin/v1/policies/login/{}/_search", kind.path());
                let r = self.call(reqwest::Method::POST, &path, None, Some(json!({})), true, cancel).await?;
                Ok(Some(enum_list(kind, r.get("result"))))
            }
            Scope::Org(org) => {
                let p = self.org_policy(org, cancel).await?;
                Ok((!p.is_default).then(|| enum_list(kind, p.policy.get(kind.policy_field()))))
            }
        }
    }

    pub async fn add_factor(
        &self,
        scope: &Scope,
        kind: FactorKind,
        ty: &str,
        cancel: &CancellationToken,
    ) -> Result<(), ZitadelError> {
        let (path, org) = self.factor_path(scope, kind, None);
        self.call(reqwest::Method::POST, &path, org, Some(json!({ "type": ty })), false, cancel).await.map(|_| ())
    }

    /// Removes a factor; one that is already gone counts as removed.
    pub async fn remove_factor(
        &self,
        scope: &Scope,
        kind: FactorKind,
        ty: &str,
        cancel: &CancellationToken,
    ) -> Result<(), ZitadelError> {
        let (path, org) = self.factor_path(scope, kind, Some(ty));
        match self.call(reqwest::Method::DELETE, &path, org, None, true, cancel).await {
            Err(e) if e.is(code::NOT_FOUND) => Ok(()),
            other => other.map(|_| ()),
        }
    }

    /// `POST /management/v1/policies/login`: gives an organization login settings of its own.
    pub async fn add_custom_policy(&self, org: &str, body: J, cancel: &CancellationToken) -> Result<(), ZitadelError> {
        self.call(reqwest::Method::POST, "/management/v1/policies/login", Some(org), Some(body), false, cancel)
            .await
            .map(|_| ())
    }

    fn factor_path<'a>(&self, scope: &'a Scope, kind: FactorKind, ty: Option<&str>) -> (String, Option<&'a str>) {
        let api = match scope {
            Scope::Instance => "admin",
            Scope::Org(_) => "management",
        };
        let mut path = format!("/{api}/v1/policies/login/{}", kind.path());
        if let Some(t) = ty {
            path.push('/');
            path.push_str(&percent_encoding::utf8_percent_encode(t, percent_encoding::NON_ALPHANUMERIC).to_string());
        }
        let org = match scope {
            Scope::Instance => None,
            Scope::Org(o) => Some(o.as_str()),
        };
        (path, org)
    }
}

/// Reads a repeated enum field: names, or numbers from a gateway configured differently.
fn enum_list(kind: FactorKind, v: Option<&J>) -> Vec<String> {
    v.and_then(J::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| {
                    x.as_str()
                        .map(str::to_string)
                        .or_else(|| x.as_i64().and_then(|n| kind.name_of(n)).map(str::to_string))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The gateway's HTTP mapping, backwards, for error bodies without a code.
fn code_from_http(status: u16) -> i64 {
    match status {
        400 => code::INVALID_ARGUMENT,
        401 => code::UNAUTHENTICATED,
        403 => code::PERMISSION_DENIED,
        404 => code::NOT_FOUND,
        409 => code::ALREADY_EXISTS,
        429 => code::RESOURCE_EXHAUSTED,
        _ => 2,
    }
}

/// The body of `AddCustomLoginPolicy` that reproduces the policy an organization inherits, with
/// `kind`'s list replaced by `factors`. Absent fields stay absent (the gateway omits zero values).
pub fn custom_policy_from_inherited(inherited: &J, kind: FactorKind, factors: &[String]) -> J {
    const COPIED: &[&str] = &[
        "allowUsernamePassword",
        "allowRegister",
        "allowExternalIdp",
        "forceMfa",
        "passwordlessType",
        "hidePasswordReset",
        "ignoreUnknownUsernames",
        "defaultRedirectUri",
        "passwordCheckLifetime",
        "externalLoginCheckLifetime",
        "mfaInitSkipLifetime",
        "secondFactorCheckLifetime",
        "multiFactorCheckLifetime",
        "secondFactors",
        "multiFactors",
        "allowDomainDiscovery",
        "disableLoginWithEmail",
        "disableLoginWithPhone",
        "forceMfaLocalOnly",
    ];
    let mut body = serde_json::Map::new();
    for k in COPIED {
        if let Some(v) = inherited.get(*k) {
            body.insert((*k).to_string(), v.clone());
        }
    }
    // The inherited links are the instance's identity providers; the request names their owner.
    if let Some(idps) = inherited.get("idps").and_then(J::as_array) {
        let links: Vec<J> = idps
            .iter()
            .filter_map(|l| l.get("idpId").cloned())
            .map(|id| json!({"idpId": id, "ownerType": "IDP_OWNER_TYPE_SYSTEM"}))
            .collect();
        body.insert("idps".into(), J::Array(links));
    }
    body.insert(kind.policy_field().into(), json!(factors));
    J::Object(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inherited_policy_is_copied_with_the_new_factor() {
        let inherited = json!({
            "allowUsernamePassword": true, "passwordlessType": "PASSWORDLESS_TYPE_ALLOWED",
            "passwordCheckLifetime": "864000s", "secondFactors": ["SECOND_FACTOR_TYPE_OTP"],
            "idps": [{"idpId": "42", "idpName": "Google", "idpType": "IDP_TYPE_OIDC"}],
            "isDefault": true, "details": {"sequence": "1"}
        });
        let body = custom_policy_from_inherited(
            &inherited,
            FactorKind::Multi,
            &["MULTI_FACTOR_TYPE_U2F_WITH_VERIFICATION".into()],
        );
        assert_eq!(body["allowUsernamePassword"], true);
        assert_eq!(body["secondFactors"], json!(["SECOND_FACTOR_TYPE_OTP"]));
        assert_eq!(body["multiFactors"], json!(["MULTI_FACTOR_TYPE_U2F_WITH_VERIFICATION"]));
        assert_eq!(body["idps"], json!([{"idpId": "42", "ownerType": "IDP_OWNER_TYPE_SYSTEM"}]));
        assert!(body.get("isDefault").is_none() && body.get("details").is_none() && body.get("forceMfa").is_none());
    }

    #[test]
    fn lists_accept_names_and_numbers() {
        assert_eq!(
            enum_list(FactorKind::Second, Some(&json!(["SECOND_FACTOR_TYPE_U2F", 1]))),
            ["SECOND_FACTOR_TYPE_U2F", "SECOND_FACTOR_TYPE_OTP"]
        );
        assert!(enum_list(FactorKind::Multi, None).is_empty());
    }
}

#[cfg(test)]
mod emulated {
    use std::sync::Arc;

    use super::*;
    use crate::http::HttpSettings;
    use crate::vendors::zitadel::auth::{Credentials, KeyFile};
    use mfa_sandbox::zitadel::{ADMIN_PAT, INHERITING_ORG, ZitadelEmulator};
    use mfa_sandbox::{RunningEmulator, ServerOptions};

    async fn setup(jwt: bool) -> (Arc<ZitadelEmulator>, RunningEmulator, ZitadelClient) {
        let app = Arc::new(ZitadelEmulator::new());
        let emu = mfa_sandbox::start(app.clone(), ServerOptions::default()).await.unwrap();
        let base = Url::parse(&emu.url()).unwrap();
        let creds = if jwt {
            let (key_file, key) = KeyFile::parse(&app.key_file_json()).unwrap();
            Credentials::JwtProfile { key_file, key }
        } else {
            Credentials::Pat(ADMIN_PAT.into())
        };
        let http = HttpClient::new("ZITADEL", "zitadel", "", HttpSettings::default()).unwrap();
        let c = ZitadelClient::new(http, base.clone(), TokenSource::new(creds, base));
        (app, emu, c)
    }

    #[tokio::test]
    async fn jwt_profile_tokens_are_cached_and_refreshed_once_when_expired() {
        let (app, emu, c) = setup(true).await;
        let cancel = CancellationToken::new();
        c.factors(&Scope::Instance, FactorKind::Multi, &cancel).await.unwrap();
        c.factors(&Scope::Instance, FactorKind::Second, &cancel).await.unwrap();
        assert_eq!(emu.control.count("POST", "/oauth/v2/token"), 1, "token must be cached");
        app.expire_access_tokens();
        c.factors(&Scope::Instance, FactorKind::Multi, &cancel).await.unwrap();
        assert_eq!(emu.control.count("POST", "/oauth/v2/token"), 2, "expired token must be replaced once");
        let statuses: Vec<u16> = emu.control.requests().iter().map(|r| r.status).collect();
        assert_eq!(statuses.iter().filter(|s| **s == 401).count(), 1, "{statuses:?}");
    }

    #[tokio::test]
    async fn emulator_reproduces_the_inheriting_org_trap() {
        let (_app, _emu, c) = setup(false).await;
        let cancel = CancellationToken::new();
        let org = Scope::Org(INHERITING_ORG.into());
        let ty = "SECOND_FACTOR_TYPE_OTP_EMAIL";
        c.add_factor(&org, FactorKind::Second, ty, &cancel).await.unwrap();
        // Accepted, yet the organization still inherits and the factor is nowhere to be seen...
        assert_eq!(c.factors(&org, FactorKind::Second, &cancel).await.unwrap(), None);
        // ...and adding it again fails with AlreadyExists.
        let e = c.add_factor(&org, FactorKind::Second, ty, &cancel).await.unwrap_err();
        assert!(e.is(code::ALREADY_EXISTS), "{e}");
        assert!(matches!(&e, ZitadelError::Api { id: Some(id), .. } if id.starts_with("Org-")), "{e:?}");
    }
}
