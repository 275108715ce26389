//! ZITADEL REST (gRPC-gateway) client for login policies and their factors
//! (https://zitadel.com/docs/apis/resources/mgmt, `proto/zitadel/management.proto` and `admin.proto`).
//! Instance defaults use the admin API; an organization's own settings use the management API
//! with the `x-zitadel-orgid` header. Errors are `google.rpc.Status` JSON and are matched on the
//! gRPC code together with ZITADEL's error id (ids repeat across codes: `Org-3M9od` is both "multi
//! factor already exists" and "second factor not existing"), never on the translated message.
//!
//! Reads of one scope's login policy are shared within the provider process until it writes to
//! that scope ([`reads`]): factors of one organization refreshed together cost one call.

mod lockout;
mod reads;

pub use super::error::{ZitadelError, code};
pub use lockout::{Limits, Lockout};
pub use reads::Creating;

use super::error::{RpcStatus, code_from_http};

use std::sync::Arc;

use serde_json::{Value as Json, json};
use tokio_util::sync::CancellationToken;
use url::Url;

use super::auth::TokenSource;
use crate::http::{Call, HttpClient, api_url};

/// Which factor list of a login policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
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
    pub fn other(self) -> FactorKind {
        match self {
            FactorKind::Multi => FactorKind::Second,
            FactorKind::Second => FactorKind::Multi,
        }
    }
    /// The values ZITADEL accepts, in `policy.proto` order (its `UNSPECIFIED` zero value is
    /// rejected by the API). `RECOVERY_CODES` exists from ZITADEL v4.9 on.
    pub fn allowed(self) -> &'static [&'static str] {
        match self {
            FactorKind::Multi => &["MULTI_FACTOR_TYPE_U2F_WITH_VERIFICATION"],
            FactorKind::Second => &[
                "SECOND_FACTOR_TYPE_OTP",
                "SECOND_FACTOR_TYPE_U2F",
                "SECOND_FACTOR_TYPE_OTP_EMAIL",
                "SECOND_FACTOR_TYPE_OTP_SMS",
                "SECOND_FACTOR_TYPE_RECOVERY_CODES",
            ],
        }
    }
    /// Enum numbers as the gateway may render them, for reading lists leniently.
    fn name_of(self, n: i64) -> Option<&'static str> {
        usize::try_from(n).ok().and_then(|n| n.checked_sub(1)).and_then(|i| self.allowed().get(i)).copied()
    }
    pub fn label(self) -> &'static str {
        match self {
            FactorKind::Multi => "multi-factor",
            FactorKind::Second => "second factor",
        }
    }
    /// The id ZITADEL's own NotFound carries when this factor is not set in the scope
    /// (`org_policy_login.go`, `instance_policy_login.go`); nothing else means "already removed".
    fn not_existing_id(self, scope: &Scope) -> &'static str {
        match (self, scope) {
            (FactorKind::Multi, Scope::Org(_)) => "Org-3M9df",
            (FactorKind::Second, Scope::Org(_)) => "Org-3M9od",
            (FactorKind::Multi, Scope::Instance) => "INSTANCE-3M9df",
            (FactorKind::Second, Scope::Instance) => "INSTANCE-3M9od",
        }
    }
}

/// Instance default login settings, or one organization's own.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
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
    pub fn key(&self) -> String {
        match self {
            Scope::Instance => "instance".into(),
            Scope::Org(o) => format!("org/{o}"),
        }
    }
    fn org(&self) -> Option<&str> {
        match self {
            Scope::Instance => None,
            Scope::Org(o) => Some(o),
        }
    }
}

/// The scope part of an import ID: `instance` or an organization ID. `Err` says what is wrong,
/// with the corrected value where there is one.
pub fn parse_scope(part: &str) -> Result<Scope, String> {
    match part {
        "" => Err("the scope is empty: use \"instance\" or an organization ID".into()),
        "instance" => Ok(Scope::Instance),
        p if p.eq_ignore_ascii_case("instance") => Err(format!("{p:?} is spelt \"instance\" (lower case)")),
        p if p.contains('/') => Err(format!("{p:?} holds a \"/\"; an organization ID never does")),
        p if p.trim() != p => Err(format!("{p:?} has spaces around it (did you mean {:?}?)", p.trim())),
        p => Ok(Scope::Org(p.to_string())),
    }
}

/// A login policy as read: instance defaults, an organization's own, or (`inherits`) the
/// defaults an organization follows.
#[derive(Debug, Clone)]
pub struct Policy {
    pub json: Json,
    pub inherits: bool,
}

impl Policy {
    /// The factors of `kind` in effect: an inheriting organization's are the instance's.
    pub fn effective_factors(&self, kind: FactorKind) -> Vec<String> {
        enum_list(kind, self.json.get(kind.policy_field()))
    }
    /// The factors of `kind` the scope has of its own (`None` while an organization inherits).
    pub fn factors(&self, kind: FactorKind) -> Option<Vec<String>> {
        (!self.inherits).then(|| self.effective_factors(kind))
    }
    pub fn has(&self, kind: FactorKind, ty: &str) -> bool {
        self.factors(kind).is_some_and(|l| l.iter().any(|f| f == ty))
    }
}

/// An organization as the search lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organization {
    pub id: String,
    pub name: String,
}

/// A page of the organization search: the organizations and `details.totalResult`. `None`
/// when the answer is not of that shape (no `details`, a `result` that is not a list of objects
/// with an `id`, or no `result` while the total says there are some): the listing then says so
/// instead of listing nothing as if there were nothing. An empty page may leave `result` out, as
/// protobuf's JSON does with an empty list.
fn parse_organizations(r: &Json) -> Option<(Vec<Organization>, u64)> {
    let total =
        r.pointer("/details/totalResult").and_then(|t| t.as_str().and_then(|s| s.parse().ok()).or(t.as_u64()))?;
    let orgs = match r.get("result") {
        None if total == 0 => Vec::new(),
        None => return None,
        Some(list) => list
            .as_array()?
            .iter()
            .map(|o| {
                Some(Organization {
                    id: o.get("id")?.as_str()?.to_string(),
                    name: o.get("name").and_then(Json::as_str).unwrap_or_default().to_string(),
                })
            })
            .collect::<Option<Vec<_>>>()?,
    };
    Some((orgs, total))
}

/// What a removal found.
#[derive(Debug, PartialEq, Eq)]
pub enum Removed {
    Now,
    /// ZITADEL's own NotFound for this factor.
    AlreadyGone,
    /// The organization no longer exists.
    OrgGone,
}

/// The HTTP side: cheap to clone into a shared read.
#[derive(Clone)]
struct Api {
    http: HttpClient,
    base: Url,
    tokens: Arc<TokenSource>,
}

impl Api {
    async fn call(
        &self,
        method: http::Method,
        path: &str,
        org: Option<&str>,
        body: Option<Json>,
        idempotent: bool,
        cancel: &CancellationToken,
    ) -> Result<Json, ZitadelError> {
        let url = api_url(&self.base, path);
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
            let id = status.details.iter().find_map(|d| d.get("id").and_then(Json::as_str)).map(str::to_string);
            return Err(ZitadelError::Api {
                call: call.name(),
                status: resp.status.as_u16(),
                code,
                id,
                message: status.message.unwrap_or_else(|| "no message".into()),
                org: org.map(str::to_string),
            });
        }
    }

    /// `GET /admin/v1/policies/login` or `GET /management/v1/policies/login` (which answers the
    /// instance defaults, flagged `isDefault`, while the organization inherits them).
    async fn policy(&self, scope: &Scope, cancel: &CancellationToken) -> Result<Policy, ZitadelError> {
        let api = match scope {
            Scope::Instance => "/admin/v1/policies/login",
            Scope::Org(_) => "/management/v1/policies/login",
        };
        let r = self.call(http::Method::GET, api, scope.org(), None, true, cancel).await?;
        let inherits = scope.org().is_some()
            && (r.get("isDefault").and_then(Json::as_bool).unwrap_or(false)
                || r.pointer("/policy/isDefault").and_then(Json::as_bool).unwrap_or(false));
        Ok(Policy { json: r.get("policy").cloned().unwrap_or(json!({})), inherits })
    }
}

/// The ZITADEL API of one provider process: calls, tokens, and reads shared between resources.
/// What the plans of the process intend, and the order their changes go in, is not the
/// client's: [`super::coordination`].
pub struct ZitadelClient {
    api: Api,
    reads: reads::Reads,
}

impl ZitadelClient {
    pub fn new(http: HttpClient, base: Url, tokens: TokenSource) -> Self {
        ZitadelClient { api: Api { http, base, tokens: Arc::new(tokens) }, reads: Default::default() }
    }

    /// One page of the instance's organizations, sorted by name (`POST /v2/organizations/_search`,
    /// `zitadel.org.v2.OrganizationService.ListOrganizations`; `internal/api/grpc/org/v2/query.go`).
    /// Without a sorting column the order is undefined and offset paging may skip or repeat, so
    /// one is always sent. ZITADEL counts every organization in `totalResult` but returns only the
    /// ones the caller may read (`internal/query/org.go`), so a short page is the end only when
    /// the offset has reached the total.
    pub async fn organizations(
        &self,
        offset: u64,
        limit: u32,
        cancel: &CancellationToken,
    ) -> Result<Option<(Vec<Organization>, u64)>, ZitadelError> {
        let body = json!({
            "query": {"offset": offset.to_string(), "limit": limit, "asc": true},
            "sortingColumn": "ORGANIZATION_FIELD_NAME_NAME",
        });
        // A search changes nothing: safe to repeat.
        let r = self.api.call(http::Method::POST, "/v2/organizations/_search", None, Some(body), true, cancel).await?;
        Ok(parse_organizations(&r))
    }

    pub fn http(&self) -> &HttpClient {
        &self.api.http
    }

    /// The factors set in `scope` as the server shows them now; `None` when the organization has
    /// no settings of its own.
    pub async fn factors(
        &self,
        scope: &Scope,
        kind: FactorKind,
        cancel: &CancellationToken,
    ) -> Result<Option<Vec<String>>, ZitadelError> {
        Ok(self.policy_fresh(scope, cancel).await?.factors(kind))
    }

    /// One attempt at adding a factor: not idempotent (a second add fails), so it is never
    /// resent blindly — see [`crate::http::HttpClient::write_verified`].
    pub async fn add_factor(
        &self,
        scope: &Scope,
        kind: FactorKind,
        ty: &str,
        cancel: &CancellationToken,
    ) -> Result<(), ZitadelError> {
        self.forget_reads(scope);
        let path = format!("{}/{}", Self::factors_path(scope), kind.path());
        let r = self.api.call(http::Method::POST, &path, scope.org(), Some(json!({ "type": ty })), false, cancel).await;
        self.forget_reads(scope);
        r.map(|_| ())
    }

    /// Removes a factor. Only ZITADEL's own NotFound for this factor means it is already gone
    /// (a bare 404 from a proxy or a misrouted path is an error), and a deleted organization has
    /// no factors left.
    pub async fn remove_factor(
        &self,
        scope: &Scope,
        kind: FactorKind,
        ty: &str,
        cancel: &CancellationToken,
    ) -> Result<Removed, ZitadelError> {
        // The type is one of `FactorKind::allowed`: unreserved characters only, sent as is.
        debug_assert!(ty.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
        let path = format!("{}/{}/{ty}", Self::factors_path(scope), kind.path());
        self.forget_reads(scope);
        let r = self.api.call(http::Method::DELETE, &path, scope.org(), None, true, cancel).await;
        self.forget_reads(scope);
        match r {
            Ok(_) => Ok(Removed::Now),
            Err(e) if e.has_id(code::NOT_FOUND, &[kind.not_existing_id(scope)]) => Ok(Removed::AlreadyGone),
            Err(e) if e.is_org_missing() => Ok(Removed::OrgGone),
            Err(e) => Err(e),
        }
    }

    /// `POST /management/v1/policies/login`: gives an organization login settings of its own.
    /// Not idempotent (a second one answers AlreadyExists).
    pub async fn add_custom_policy(
        &self,
        org: &str,
        body: Json,
        cancel: &CancellationToken,
    ) -> Result<(), ZitadelError> {
        let scope = Scope::Org(org.to_string());
        self.forget_reads(&scope);
        let r = self
            .api
            .call(http::Method::POST, "/management/v1/policies/login", Some(org), Some(body), false, cancel)
            .await;
        self.forget_reads(&scope);
        r.map(|_| ())
    }

    /// `PUT /admin/v1/policies/login` or `PUT /management/v1/policies/login`: replaces every
    /// settings field of the scope's policy (factors and IdPs are not part of it).
    pub async fn update_policy(
        &self,
        scope: &Scope,
        body: Json,
        cancel: &CancellationToken,
    ) -> Result<(), ZitadelError> {
        let path = match scope {
            Scope::Instance => "/admin/v1/policies/login",
            Scope::Org(_) => "/management/v1/policies/login",
        };
        self.forget_reads(scope);
        let r = self.api.call(http::Method::PUT, path, scope.org(), Some(body), true, cancel).await;
        self.forget_reads(scope);
        r.map(|_| ())
    }

    pub fn factors_path(scope: &Scope) -> &'static str {
        match scope {
            Scope::Instance => "/admin/v1/policies/login",
            Scope::Org(_) => "/management/v1/policies/login",
        }
    }
}

/// Reads a repeated enum field: names, or numbers from a gateway configured differently.
fn enum_list(kind: FactorKind, v: Option<&Json>) -> Vec<String> {
    v.and_then(Json::as_array)
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

/// The settings fields of a login policy that `AddCustomLoginPolicy` takes
/// (`AddCustomLoginPolicyRequest` fields 1–13 and 17–20 in `proto/zitadel/management.proto`).
pub const SETTINGS_FIELDS: &[&str] = &[
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
    "allowDomainDiscovery",
    "disableLoginWithEmail",
    "disableLoginWithPhone",
    "forceMfaLocalOnly",
];

/// Field 21 of `AddCustomLoginPolicyRequest` (18 of the updates, 23 of `LoginPolicy`), on servers
/// that know it. Sent only when the policy read showed it true: a server that does not know the
/// field never shows it and discards it when sent.
pub const NOTIFICATION_LINKS: &str = "useDefaultUriForNotificationLinks";

/// The settings fields of a read policy, as a create or update request carries them back: what
/// the gateway showed, and the notification-links flag only where it showed it set (a server that
/// does not know the field discards it).
pub fn settings_as_read(policy: &Json) -> serde_json::Map<String, Json> {
    let mut body = serde_json::Map::new();
    for k in SETTINGS_FIELDS {
        if let Some(v) = policy.get(*k) {
            body.insert((*k).to_string(), v.clone());
        }
    }
    if policy.get(NOTIFICATION_LINKS).and_then(Json::as_bool) == Some(true) {
        body.insert(NOTIFICATION_LINKS.into(), Json::Bool(true));
    }
    body
}

/// The body of `AddCustomLoginPolicy` that reproduces the policy an organization inherits, with
/// `kind`'s list replaced by `factors`. Absent fields stay absent (the gateway omits zero values).
pub fn custom_policy_from_inherited(inherited: &Json, kind: FactorKind, factors: &[String]) -> Json {
    let mut body = settings_as_read(inherited);
    for k in ["secondFactors", "multiFactors"] {
        if let Some(v) = inherited.get(k) {
            body.insert(k.to_string(), v.clone());
        }
    }
    // The inherited links are the instance's identity providers; the request names their owner.
    if let Some(idps) = inherited.get("idps").and_then(Json::as_array) {
        let links: Vec<Json> = idps
            .iter()
            .filter_map(|l| l.get("idpId").cloned())
            .map(|id| json!({"idpId": id, "ownerType": "IDP_OWNER_TYPE_SYSTEM"}))
            .collect();
        body.insert("idps".into(), Json::Array(links));
    }
    body.insert(kind.policy_field().into(), json!(factors));
    Json::Object(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::diag::{AttrPath, ToDiagnostic};

    #[test]
    fn inherited_policy_is_copied_with_the_new_factor() {
        let inherited = json!({
            "allowUsernamePassword": true, "passwordlessType": "PASSWORDLESS_TYPE_ALLOWED",
            "passwordCheckLifetime": "864000s", "secondFactors": ["SECOND_FACTOR_TYPE_OTP"],
            "idps": [{"idpId": "42", "idpName": "Google", "idpType": "IDP_TYPE_OIDC"}],
            "isDefault": true, "details": {"sequence": "1"}, "defaultRedirectUri": "https://acme.example",
            "useDefaultUriForNotificationLinks": true
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
        assert_eq!(body[NOTIFICATION_LINKS], true);
        assert!(body.get("isDefault").is_none() && body.get("details").is_none() && body.get("forceMfa").is_none());
        // A server that never showed the flag gets no flag.
        let plain = custom_policy_from_inherited(&json!({}), FactorKind::Second, &[]);
        assert!(plain.get(NOTIFICATION_LINKS).is_none());
    }

    #[test]
    fn lists_accept_names_and_numbers() {
        assert_eq!(
            enum_list(FactorKind::Second, Some(&json!(["SECOND_FACTOR_TYPE_U2F", 1, 5]))),
            ["SECOND_FACTOR_TYPE_U2F", "SECOND_FACTOR_TYPE_OTP", "SECOND_FACTOR_TYPE_RECOVERY_CODES"]
        );
        assert!(enum_list(FactorKind::Multi, None).is_empty());
    }

    #[test]
    fn errors_are_told_apart_by_code_and_id_together() {
        let api = |code: i64, id: Option<&str>| ZitadelError::Api {
            call: "x".into(),
            status: 404,
            code,
            id: id.map(str::to_string),
            message: "m".into(),
            org: Some("42".into()),
        };
        assert!(api(7, Some("AUTH-Bs7Ds")).is_org_missing());
        assert_eq!(api(7, Some("AUTH-Bs7Ds")).path(), Some(AttrPath::attr("org_id")));
        assert!(!api(7, Some("AUTH-5mWD2")).is_org_missing());
        // Org-3M9od is "second factor not existing" only with NotFound; with AlreadyExists it is
        // "multi factor already exists".
        let scope = Scope::Org("42".into());
        assert!(api(5, Some("Org-3M9od")).has_id(5, &[FactorKind::Second.not_existing_id(&scope)]));
        assert!(!api(6, Some("Org-3M9od")).has_id(5, &[FactorKind::Second.not_existing_id(&scope)]));
        assert!(api(9, Some("INSTANCE-5M9vdd")).is_not_changed());
        assert_eq!(api(5, None).summary(), "Not ZITADEL's answer");
    }
}

#[cfg(test)]
mod emulated {
    use super::*;
    use crate::http::HttpSettings;
    use crate::vendors::zitadel::auth::{Credentials, KeyFile};
    use mfa_sandbox::zitadel::{ADMIN_PAT, INHERITING_ORG, ZitadelEmulator};
    use mfa_sandbox::{RunningEmulator, ServerOptions};

    async fn setup(jwt: bool) -> (Arc<ZitadelEmulator>, RunningEmulator, ZitadelClient) {
        let app = Arc::new(ZitadelEmulator::new());
        let emu = mfa_sandbox::start(
            app.clone(),
            ServerOptions { latency: std::time::Duration::from_millis(50), ..Default::default() },
        )
        .await
        .unwrap();
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

    /// Adds queued behind another create of their scope wait for a read that shows them; once a
    /// read-back has shown that this server's reads follow its writes, they are released at once
    /// (a 50-resource apply spent two seconds in these waits), and a server that needed a second
    /// read keeps them waiting.
    #[tokio::test]
    async fn queued_adds_are_released_once_reads_follow_writes() {
        let client = || {
            let http = HttpClient::new("ZITADEL", "zitadel", "", HttpSettings::default()).unwrap();
            let base = Url::parse("http://127.0.0.1:9").unwrap();
            ZitadelClient::new(http, base.clone(), TokenSource::new(Credentials::Pat("pat".into()), base))
        };
        let scope = Scope::Org("42".into());
        let wait = std::time::Duration::from_millis(200);
        for (reads, released) in [(1, true), (2, false)] {
            let c = client();
            let (mut first, mut second) = (c.creating(&scope), c.creating(&scope));
            let shown =
                c.confirmation(&mut first, FactorKind::Second, "SECOND_FACTOR_TYPE_OTP").expect("one still sending");
            c.read_back_took(reads);
            assert_eq!(c.reads_follow_writes(), released);
            assert_eq!(matches!(tokio::time::timeout(wait, shown).await, Ok(Ok(()))), released, "after {reads} reads");
            assert!(
                c.confirmation(&mut second, FactorKind::Second, "SECOND_FACTOR_TYPE_U2F").is_none(),
                "the last reads back"
            );
        }
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
    async fn concurrent_reads_of_one_scope_share_one_request_and_nothing_is_cached() {
        let (app, emu, c) = setup(false).await;
        let cancel = CancellationToken::new();
        let org = Scope::Org(INHERITING_ORG.into());
        let (a, b, d) = tokio::join!(
            c.factors(&org, FactorKind::Multi, &cancel),
            c.factors(&org, FactorKind::Second, &cancel),
            c.factors(&Scope::Instance, FactorKind::Second, &cancel)
        );
        assert!(a.unwrap().is_none() && b.unwrap().is_none(), "an inheriting organization has no factors of its own");
        assert!(d.unwrap().unwrap().contains(&"SECOND_FACTOR_TYPE_OTP".to_string()));
        assert_eq!(emu.control.count("GET", "/management/v1/policies/login"), 1, "one request for one scope");
        assert_eq!(emu.control.count("GET", "/admin/v1/policies/login"), 1);
        // Once answered, the next read goes to ZITADEL again: a change in between is seen.
        app.create_policy_out_of_band(INHERITING_ORG);
        assert!(c.factors(&org, FactorKind::Multi, &cancel).await.unwrap().is_some());
        assert_eq!(emu.control.count("GET", "/management/v1/policies/login"), 2);
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
        assert!(matches!(&e, ZitadelError::Api { id: Some(id), .. } if id == "Org-2B0ps"), "{e:?}");
        // Removing the ghost works, as ZITADEL's write model still holds it.
        assert_eq!(c.remove_factor(&org, FactorKind::Second, ty, &cancel).await.unwrap(), Removed::Now);
        assert_eq!(c.remove_factor(&org, FactorKind::Second, ty, &cancel).await.unwrap(), Removed::AlreadyGone);
    }
}
