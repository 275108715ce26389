//! A stateful emulator of the ZITADEL login-policy APIs, following the vendor notes (§3):
//!
//! - Admin API (`/admin/v1/...`) for the instance defaults, management API (`/management/v1/...`)
//!   with `x-zitadel-orgid` for an organization's own settings; `GET /management/v1/policies/login`
//!   returns the instance defaults flagged `isDefault` while an organization inherits them.
//! - Upstream bug zitadel/zitadel#9047, reproduced: adding a factor to an inheriting organization
//!   answers 200 but the factor never shows, and adding it again fails with AlreadyExists.
//! - Auth: personal access tokens, and the JWT-bearer grant at `/oauth/v2/token`, verifying the
//!   RS256 signature with the service user's public key; issued tokens expire.
//! - gRPC-gateway JSON: enums by name, 64-bit numbers as strings, zero values omitted; errors as
//!   `google.rpc.Status` with the HTTP status the gateway maps each code to.
//! - Reads come from projections that may lag behind writes (configurable).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use base64::Engine;
use serde_json::{Value as J, json};

use crate::server::{EmulatorApp, parse_json};

pub const INSTANCE_ID: &str = "100000000000000000";
/// The instance's first organization; the demo service users live here.
pub const HOME_ORG: &str = "100000000000000001";
/// An organization that already has login settings of its own.
pub const CUSTOM_ORG: &str = "200000000000000002";
/// Organizations that inherit the instance defaults.
pub const INHERITING_ORG: &str = "300000000000000003";
pub const INHERITING_ORG_2: &str = "400000000000000004";
/// Personal access token of a service user with IAM_OWNER (instance and every organization).
pub const ADMIN_PAT: &str = "zitadelDemoIamOwnerPersonalAccessToken0001";
/// Personal access token of a service user that is ORG_OWNER of [`CUSTOM_ORG`] only.
pub const ORG_OWNER_PAT: &str = "zitadelDemoOrgOwnerPersonalAccessToken0002";
pub const ADMIN_USER: &str = "500000000000000005";
pub const ORG_OWNER_USER: &str = "500000000000000006";
/// Key ID of the IAM_OWNER service user's JWT-profile key.
pub const ADMIN_KEY_ID: &str = "700000000000000007";
/// An identity provider configured on the instance and linked in its default login policy.
pub const INSTANCE_IDP: &str = "600000000000000006";

/// The two factor lists of a login policy. Enum names are indexed by their number in
/// `proto/zitadel/policy.proto` (`MultiFactorType`, `SecondFactorType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FactorList {
    /// `multiFactors`: passwordless methods.
    Multi,
    /// `secondFactors`: methods asked for after a password.
    Second,
}

impl FactorList {
    fn field(self) -> &'static str {
        match self {
            FactorList::Multi => "multiFactors",
            FactorList::Second => "secondFactors",
        }
    }

    fn enum_names(self) -> &'static [&'static str] {
        match self {
            FactorList::Multi => &["MULTI_FACTOR_TYPE_UNSPECIFIED", "MULTI_FACTOR_TYPE_U2F_WITH_VERIFICATION"],
            FactorList::Second => &[
                "SECOND_FACTOR_TYPE_UNSPECIFIED",
                "SECOND_FACTOR_TYPE_OTP",
                "SECOND_FACTOR_TYPE_U2F",
                "SECOND_FACTOR_TYPE_OTP_EMAIL",
                "SECOND_FACTOR_TYPE_OTP_SMS",
            ],
        }
    }
}

/// One RSA key for every emulator in the process: generating it takes a moment.
fn demo_key() -> &'static (String, String) {
    static KEY: OnceLock<(String, String)> = OnceLock::new();
    KEY.get_or_init(|| {
        let kp = rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
            .expect("RSA key generation");
        let pkcs1 = pkcs8_rsa_to_pkcs1(&kp.serialize_der()).expect("rcgen writes PKCS#8 RSA keys");
        (pem("RSA PRIVATE KEY", &pkcs1), kp.public_key_pem())
    })
}

/// Unwraps the PKCS#1 `RSAPrivateKey` from a PKCS#8 `PrivateKeyInfo`, because ZITADEL's key
/// files carry `-----BEGIN RSA PRIVATE KEY-----` and the emulator hands out the same shape.
fn pkcs8_rsa_to_pkcs1(der: &[u8]) -> Option<Vec<u8>> {
    fn tlv(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
        let tag = *b.first()?;
        let first = *b.get(1)? as usize;
        let (len, hdr) = if first < 0x80 {
            (first, 2)
        } else {
            let n = first & 0x7f;
            let mut len = 0usize;
            for i in 0..n {
                len = (len << 8) | *b.get(2 + i)? as usize;
            }
            (len, 2 + n)
        };
        Some((tag, b.get(hdr..hdr + len)?, b.get(hdr + len..)?))
    }
    let (_, info, _) = tlv(der)?;
    let (_, _, rest) = tlv(info)?; // version
    let (_, _, rest) = tlv(rest)?; // algorithm
    let (tag, key, _) = tlv(rest)?;
    (tag == 0x04).then(|| key.to_vec())
}

fn pem(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> =
        b64.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).expect("base64 is ASCII")).collect();
    format!("-----BEGIN {label}-----\n{}\n-----END {label}-----\n", lines.join("\n"))
}

#[derive(Clone)]
struct Principal {
    iam_owner: bool,
    home_org: &'static str,
    owner_of: Vec<String>,
}

#[derive(Clone)]
struct Org {
    name: String,
    /// The organization's own login policy; `None` while it inherits the instance defaults.
    policy: Option<J>,
    /// Factors "added" while inheriting: recorded by the command side, never projected (#9047).
    ghosts: BTreeSet<String>,
}

/// What reads see: the projections.
#[derive(Clone)]
struct ReadModel {
    default_policy: J,
    orgs: BTreeMap<String, Org>,
}

struct EmuState {
    live: ReadModel,
    /// A stale copy reads keep seeing until the projections catch up.
    stale: Option<(Instant, ReadModel)>,
    lag: Duration,
    users: BTreeMap<&'static str, Principal>,
    pats: BTreeMap<String, &'static str>,
    access_tokens: BTreeMap<String, (&'static str, Instant)>,
    token_ttl: Duration,
    /// Expire every issued access token once, after this many more authenticated calls.
    expire_tokens_after: Option<u32>,
    sequence: u64,
}

impl EmuState {
    fn read(&mut self) -> &ReadModel {
        if self.stale.as_ref().is_some_and(|(until, _)| Instant::now() >= *until) {
            self.stale = None;
        }
        match &self.stale {
            Some((_, snapshot)) => snapshot,
            None => &self.live,
        }
    }

    /// Called before every write so reads lag by `lag` after it.
    fn before_write(&mut self) {
        if self.lag.is_zero() {
            return;
        }
        let until = Instant::now() + self.lag;
        match &mut self.stale {
            Some((u, _)) if Instant::now() < *u => *u = until,
            _ => self.stale = Some((until, self.live.clone())),
        }
    }

    fn details(&mut self, owner: &str) -> J {
        self.sequence += 1;
        let now =
            time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
        json!({"details": {"sequence": self.sequence.to_string(), "changeDate": now, "resourceOwner": owner}})
    }
}

/// A refused request, already rendered (boxed: responses are large).
type Rejected = Box<Response>;

pub struct ZitadelEmulator {
    state: Mutex<EmuState>,
}

fn default_policy() -> J {
    json!({
        "allowUsernamePassword": true,
        "allowRegister": true,
        "allowExternalIdp": true,
        "forceMfa": false,
        "passwordlessType": "PASSWORDLESS_TYPE_ALLOWED",
        "hidePasswordReset": false,
        "ignoreUnknownUsernames": false,
        "defaultRedirectUri": "",
        "passwordCheckLifetime": "864000s",
        "externalLoginCheckLifetime": "864000s",
        "mfaInitSkipLifetime": "2592000s",
        "secondFactorCheckLifetime": "64800s",
        "multiFactorCheckLifetime": "43200s",
        // New instances get OTP + U2F as second factors and passkeys as multi-factor.
        "secondFactors": ["SECOND_FACTOR_TYPE_OTP", "SECOND_FACTOR_TYPE_U2F"],
        "multiFactors": ["MULTI_FACTOR_TYPE_U2F_WITH_VERIFICATION"],
        "idps": [{"idpId": INSTANCE_IDP, "idpName": "Google", "idpType": "IDP_TYPE_OIDC"}],
        "allowDomainDiscovery": true,
        "disableLoginWithEmail": false,
        "disableLoginWithPhone": false,
        "forceMfaLocalOnly": false
    })
}

/// The gateway omits zero values: false, 0, "", empty lists, and enum zero names.
fn gateway(v: J) -> J {
    match v {
        J::Object(m) => J::Object(
            m.into_iter()
                .map(|(k, v)| (k, gateway(v)))
                .filter(|(_, v)| match v {
                    J::Bool(false) | J::Null => false,
                    J::String(s) => {
                        !s.is_empty() && !s.ends_with("_UNSPECIFIED") && s != "PASSWORDLESS_TYPE_NOT_ALLOWED"
                    }
                    J::Array(a) => !a.is_empty(),
                    J::Number(n) => n.as_f64() != Some(0.0),
                    _ => true,
                })
                .collect(),
        ),
        J::Array(a) => J::Array(a.into_iter().map(gateway).collect()),
        other => other,
    }
}

/// google.rpc.Status with the HTTP status grpc-gateway maps the code to.
fn rpc_error(code: i64, key: &str, id: &str) -> Response {
    let status = match code {
        3 | 9 => StatusCode::BAD_REQUEST,
        5 => StatusCode::NOT_FOUND,
        6 => StatusCode::CONFLICT,
        7 => StatusCode::FORBIDDEN,
        8 => StatusCode::TOO_MANY_REQUESTS,
        16 => StatusCode::UNAUTHORIZED,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let body = json!({
        "code": code,
        "message": format!("{key} ({id})"),
        "details": [{"@type": "type.googleapis.com/zitadel.v1.ErrorDetail", "id": id, "message": key}]
    });
    (status, [("content-type", "application/json")], body.to_string()).into_response()
}

fn ok(body: J) -> Response {
    (StatusCode::OK, [("content-type", "application/json")], gateway(body).to_string()).into_response()
}

fn kind_of(seg: &str) -> Option<FactorList> {
    match seg {
        "multi_factors" => Some(FactorList::Multi),
        "second_factors" => Some(FactorList::Second),
        _ => None,
    }
}

/// An enum value as the gateway accepts it: the name, or its number; the zero value
/// (`*_UNSPECIFIED`) is refused by the request validation (`defined_only`, `not_in: [0]`).
fn parse_factor(kind: FactorList, v: &J) -> Option<String> {
    let names = kind.enum_names();
    let index = match v {
        J::String(s) => names.iter().position(|n| n == s).or_else(|| s.parse::<usize>().ok()),
        J::Number(n) => n.as_u64().map(|n| n as usize),
        _ => None,
    }?;
    (index > 0).then(|| names.get(index).map(|n| n.to_string())).flatten()
}

fn list_of(policy: &J, kind: FactorList) -> Vec<String> {
    policy[kind.field()]
        .as_array()
        .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

fn error_ids(kind: FactorList, scope_is_org: bool) -> (&'static str, &'static str, &'static str, &'static str) {
    // (already-exists key, id, not-existing key, id)
    match (kind, scope_is_org) {
        (FactorList::Multi, true) => (
            "Errors.Org.LoginPolicy.MFA.AlreadyExists",
            "Org-3M9od",
            "Errors.Org.LoginPolicy.MFA.NotExisting",
            "Org-3M9df",
        ),
        (FactorList::Second, true) => (
            "Errors.Org.LoginPolicy.MFA.AlreadyExists",
            "Org-2B0ps",
            "Errors.Org.LoginPolicy.MFA.NotExisting",
            "Org-3M9od2",
        ),
        (FactorList::Multi, false) => (
            "Errors.IAM.LoginPolicy.MFA.AlreadyExists",
            "IAM-3M9od",
            "Errors.IAM.LoginPolicy.MFA.NotExisting",
            "IAM-3M9df",
        ),
        (FactorList::Second, false) => (
            "Errors.IAM.LoginPolicy.MFA.AlreadyExists",
            "IAM-2B0ps",
            "Errors.IAM.LoginPolicy.MFA.NotExisting",
            "IAM-3M9od2",
        ),
    }
}

impl Default for ZitadelEmulator {
    fn default() -> Self {
        Self::new()
    }
}

impl ZitadelEmulator {
    pub fn new() -> Self {
        let mut orgs = BTreeMap::new();
        let org = |name: &str, policy: Option<J>| Org { name: name.into(), policy, ghosts: BTreeSet::new() };
        orgs.insert(HOME_ORG.to_string(), org("Acme", None));
        let mut custom = default_policy();
        custom["secondFactors"] = json!(["SECOND_FACTOR_TYPE_OTP"]);
        custom["multiFactors"] = json!([]);
        custom["forceMfa"] = json!(true);
        orgs.insert(CUSTOM_ORG.to_string(), org("Acme Payments", Some(custom)));
        orgs.insert(INHERITING_ORG.to_string(), org("Acme Labs", None));
        orgs.insert(INHERITING_ORG_2.to_string(), org("Acme Retail", None));
        let mut users = BTreeMap::new();
        users.insert(ADMIN_USER, Principal { iam_owner: true, home_org: HOME_ORG, owner_of: vec![] });
        users.insert(
            ORG_OWNER_USER,
            Principal { iam_owner: false, home_org: HOME_ORG, owner_of: vec![CUSTOM_ORG.to_string()] },
        );
        let mut pats = BTreeMap::new();
        pats.insert(ADMIN_PAT.to_string(), ADMIN_USER);
        pats.insert(ORG_OWNER_PAT.to_string(), ORG_OWNER_USER);
        ZitadelEmulator {
            state: Mutex::new(EmuState {
                live: ReadModel { default_policy: default_policy(), orgs },
                stale: None,
                lag: Duration::ZERO,
                users,
                pats,
                access_tokens: BTreeMap::new(),
                token_ttl: Duration::from_secs(43_200),
                expire_tokens_after: None,
                sequence: 100,
            }),
        }
    }

    /// Adds an organization, inheriting the instance defaults or with settings of its own
    /// (a copy of the defaults without any factor).
    pub fn add_org(&self, id: &str, name: &str, own_settings: bool) {
        let policy = own_settings.then(|| {
            let mut p = default_policy();
            p["multiFactors"] = json!([]);
            p["secondFactors"] = json!([]);
            p
        });
        let mut s = self.state.lock().expect("state");
        s.live.orgs.insert(id.to_string(), Org { name: name.into(), policy, ghosts: BTreeSet::new() });
    }

    /// The IAM_OWNER service user's key file, as ZITADEL lets you download it.
    pub fn key_file_json(&self) -> String {
        json!({"type": "serviceaccount", "keyId": ADMIN_KEY_ID, "key": demo_key().0, "userId": ADMIN_USER}).to_string()
    }

    /// Reads lag this long behind writes (ZITADEL's eventual projections).
    pub fn set_projection_lag(&self, lag: Duration) {
        self.state.lock().expect("state").lag = lag;
    }

    pub fn set_token_ttl(&self, ttl: Duration) {
        self.state.lock().expect("state").token_ttl = ttl;
    }

    /// Expires every access token issued so far (personal access tokens are unaffected).
    pub fn expire_access_tokens(&self) {
        let mut s = self.state.lock().expect("state");
        let past = Instant::now() - Duration::from_secs(1);
        for (_, exp) in s.access_tokens.values_mut() {
            *exp = past;
        }
    }

    /// Access tokens issued by the token endpoint (for tests that look for leaked secrets).
    pub fn issued_tokens(&self) -> Vec<String> {
        self.state.lock().expect("state").access_tokens.keys().cloned().collect()
    }

    /// Expires every issued access token once, after `n` more authenticated API calls (an
    /// expiry in the middle of a run).
    pub fn expire_access_tokens_after(&self, n: u32) {
        self.state.lock().expect("state").expire_tokens_after = Some(n);
    }

    /// Factors of an organization's own settings (live, not lagged); `None` while it inherits.
    pub fn org_factors(&self, org: &str, kind: FactorList) -> Option<Vec<String>> {
        let s = self.state.lock().expect("state");
        s.live.orgs[org].policy.as_ref().map(|p| list_of(p, kind))
    }

    pub fn instance_factors(&self, kind: FactorList) -> Vec<String> {
        list_of(&self.state.lock().expect("state").live.default_policy, kind)
    }

    /// An organization's own login policy (live), for checking what was copied.
    pub fn org_policy(&self, org: &str) -> Option<J> {
        self.state.lock().expect("state").live.orgs[org].policy.clone()
    }

    /// Removes a factor the way an administrator would in the console.
    pub fn remove_out_of_band(&self, org: Option<&str>, kind: FactorList, ty: &str) {
        let mut s = self.state.lock().expect("state");
        s.before_write();
        let policy = match org {
            Some(o) => s.live.orgs.get_mut(o).and_then(|x| x.policy.as_mut()).expect("org with own policy"),
            None => &mut s.live.default_policy,
        };
        if let Some(a) = policy[kind.field()].as_array_mut() {
            a.retain(|x| x != ty);
        }
    }

    /// "Reset to default" in the console: the organization inherits again.
    pub fn reset_org_to_default(&self, org: &str) {
        let mut s = self.state.lock().expect("state");
        s.before_write();
        if let Some(o) = s.live.orgs.get_mut(org) {
            o.policy = None;
        }
    }

    fn principal(&self, h: &HeaderMap) -> Result<Principal, Rejected> {
        let token = h
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim);
        let mut s = self.state.lock().expect("state");
        if let Some(n) = s.expire_tokens_after.as_mut() {
            if *n == 0 {
                s.expire_tokens_after = None;
                let past = Instant::now() - Duration::from_secs(1);
                for (_, exp) in s.access_tokens.values_mut() {
                    *exp = past;
                }
            } else {
                *n -= 1;
            }
        }
        let Some(token) = token else {
            return Err(Box::new(rpc_error(16, "auth header missing", "AUTH-7fs1e")));
        };
        let user = if let Some(u) = s.pats.get(token) {
            *u
        } else {
            match s.access_tokens.get(token) {
                Some((u, exp)) if *exp > Instant::now() => *u,
                _ => return Err(Box::new(rpc_error(16, "Errors.Token.Invalid", "AUTH-7fs1e"))),
            }
        };
        Ok(s.users[user].clone())
    }

    /// The organization a management call acts on, checked against the caller's rights.
    fn target_org(&self, h: &HeaderMap, p: &Principal) -> Result<String, Rejected> {
        let org = h
            .get("x-zitadel-orgid")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
            .unwrap_or_else(|| p.home_org.to_string());
        let exists = self.state.lock().expect("state").live.orgs.contains_key(&org);
        if !(p.iam_owner || p.owner_of.contains(&org)) {
            return Err(Box::new(rpc_error(7, "No matching permissions found", "AUTH-5mWD2")));
        }
        if !exists {
            return Err(Box::new(rpc_error(5, "Errors.Org.NotFound", "QUERY-iTTGJ")));
        }
        Ok(org)
    }

    fn admin(&self, h: &HeaderMap) -> Result<(), Rejected> {
        let p = self.principal(h)?;
        if p.iam_owner { Ok(()) } else { Err(Box::new(rpc_error(7, "No matching permissions found", "AUTH-5mWD2"))) }
    }

    /// The organization a management call acts on (`Some`), or `None` for an admin call, after
    /// checking the caller may make it.
    fn scope(&self, h: &HeaderMap, org_scope: bool) -> Result<Option<String>, Rejected> {
        if org_scope {
            let p = self.principal(h)?;
            self.target_org(h, &p).map(Some)
        } else {
            self.admin(h).map(|_| None)
        }
    }

    fn get_org_policy(&self, h: HeaderMap) -> Response {
        let org = match self.principal(&h).and_then(|p| self.target_org(&h, &p)) {
            Ok(o) => o,
            Err(r) => return *r,
        };
        let mut s = self.state.lock().expect("state");
        let rm = s.read();
        let (mut policy, is_default) = match &rm.orgs[&org].policy {
            Some(p) => (p.clone(), false),
            None => (rm.default_policy.clone(), true),
        };
        policy["isDefault"] = json!(is_default);
        ok(json!({"policy": policy, "isDefault": is_default}))
    }

    fn add_custom_policy(&self, h: HeaderMap, body: Bytes) -> Response {
        let org = match self.principal(&h).and_then(|p| self.target_org(&h, &p)) {
            Ok(o) => o,
            Err(r) => return *r,
        };
        let Some(req) = parse_json(&body).filter(J::is_object) else {
            return rpc_error(3, "invalid JSON body", "GATEWAY-1");
        };
        let mut policy = default_policy();
        for (k, _) in default_policy().as_object().expect("object").iter() {
            policy[k] = match k.as_str() {
                "passwordlessType" => json!("PASSWORDLESS_TYPE_NOT_ALLOWED"),
                "secondFactors" | "multiFactors" | "idps" => json!([]),
                _ if policy[k].is_boolean() => json!(false),
                _ => json!(""),
            };
        }
        for (k, v) in req.as_object().expect("checked object") {
            if policy.get(k).is_some() && k != "idps" {
                policy[k] = v.clone();
            }
        }
        for kind in [FactorList::Multi, FactorList::Second] {
            let items = req.get(kind.field()).and_then(J::as_array).cloned().unwrap_or_default();
            let mut parsed = Vec::new();
            for it in &items {
                match parse_factor(kind, it) {
                    Some(f) => parsed.push(J::String(f)),
                    None => {
                        return rpc_error(
                            3,
                            "invalid AddCustomLoginPolicyRequest: value must be one of the defined enum values",
                            "GATEWAY-2",
                        );
                    }
                }
            }
            policy[kind.field()] = J::Array(parsed);
        }
        let mut links = Vec::new();
        for idp in req.get("idps").and_then(J::as_array).cloned().unwrap_or_default() {
            let id = idp["idpId"].as_str().unwrap_or_default();
            // Only the instance's identity provider exists in this emulator.
            if id != INSTANCE_IDP || idp["ownerType"] != "IDP_OWNER_TYPE_SYSTEM" {
                return rpc_error(5, "Errors.IDPConfig.NotExisting", "Org-Fs3g2");
            }
            links.push(json!({"idpId": INSTANCE_IDP, "idpName": "Google", "idpType": "IDP_TYPE_OIDC"}));
        }
        policy["idps"] = J::Array(links);
        let mut s = self.state.lock().expect("state");
        if s.live.orgs[&org].policy.is_some() {
            return rpc_error(6, "Errors.Org.LoginPolicy.AlreadyExists", "Org-Dgfb2");
        }
        s.before_write();
        let o = s.live.orgs.get_mut(&org).expect("checked");
        o.policy = Some(policy);
        o.ghosts.clear();
        let d = s.details(&org);
        ok(d)
    }

    fn reset_org_policy(&self, h: HeaderMap) -> Response {
        let org = match self.principal(&h).and_then(|p| self.target_org(&h, &p)) {
            Ok(o) => o,
            Err(r) => return *r,
        };
        let mut s = self.state.lock().expect("state");
        if s.live.orgs[&org].policy.is_none() {
            return rpc_error(5, "Errors.Org.LoginPolicy.NotFound", "Org-GHB37");
        }
        s.before_write();
        s.live.orgs.get_mut(&org).expect("checked").policy = None;
        let d = s.details(&org);
        ok(d)
    }

    fn list(&self, h: HeaderMap, kind: FactorList, org_scope: bool) -> Response {
        let org = match self.scope(&h, org_scope) {
            Ok(o) => o,
            Err(r) => return *r,
        };
        let mut s = self.state.lock().expect("state");
        let rm = s.read();
        // The management list answers with the defaults' factors for an inheriting organization,
        // without saying so (vendor notes §3.5).
        let policy = org.as_ref().and_then(|o| rm.orgs[o].policy.as_ref()).unwrap_or(&rm.default_policy);
        let result = list_of(policy, kind);
        ok(json!({"details": {"totalResult": result.len().to_string()}, "result": result}))
    }

    fn add(&self, h: HeaderMap, body: Bytes, kind: FactorList, org_scope: bool) -> Response {
        let org = match self.scope(&h, org_scope) {
            Ok(o) => o,
            Err(r) => return *r,
        };
        let Some(ty) = parse_json(&body).and_then(|b| b.get("type").and_then(|t| parse_factor(kind, t))) else {
            return rpc_error(3, "Errors.Org.LoginPolicy.MFA.Unspecified", "LoginPolicy-Unspec");
        };
        let (exists_key, exists_id, _, _) = error_ids(kind, org_scope);
        let mut s = self.state.lock().expect("state");
        let owner = org.clone().unwrap_or_else(|| INSTANCE_ID.to_string());
        match &org {
            Some(o) => {
                let entry = s.live.orgs.get(o).expect("checked");
                let already = match &entry.policy {
                    Some(p) => list_of(p, kind).contains(&ty),
                    None => entry.ghosts.contains(&ty),
                };
                if already {
                    return rpc_error(6, exists_key, exists_id);
                }
                s.before_write();
                let entry = s.live.orgs.get_mut(o).expect("checked");
                match entry.policy.as_mut() {
                    Some(p) => p[kind.field()].as_array_mut().expect("list").push(J::String(ty)),
                    // zitadel/zitadel#9047: the event is written, the projection updates no row.
                    None => {
                        entry.ghosts.insert(ty);
                    }
                }
            }
            None => {
                if list_of(&s.live.default_policy, kind).contains(&ty) {
                    return rpc_error(6, exists_key, exists_id);
                }
                s.before_write();
                s.live.default_policy[kind.field()].as_array_mut().expect("list").push(J::String(ty));
            }
        }
        let d = s.details(&owner);
        ok(d)
    }

    fn remove(&self, h: HeaderMap, ty: String, kind: FactorList, org_scope: bool) -> Response {
        let org = match self.scope(&h, org_scope) {
            Ok(o) => o,
            Err(r) => return *r,
        };
        let Some(ty) = parse_factor(kind, &J::String(ty)) else {
            return rpc_error(3, "Errors.Org.LoginPolicy.MFA.Unspecified", "LoginPolicy-Unspec");
        };
        let (_, _, missing_key, missing_id) = error_ids(kind, org_scope);
        let mut s = self.state.lock().expect("state");
        let owner = org.clone().unwrap_or_else(|| INSTANCE_ID.to_string());
        let present = match &org {
            Some(o) => {
                let e = &s.live.orgs[o];
                e.policy.as_ref().map_or(e.ghosts.contains(&ty), |p| list_of(p, kind).contains(&ty))
            }
            None => list_of(&s.live.default_policy, kind).contains(&ty),
        };
        if !present {
            return rpc_error(5, missing_key, missing_id);
        }
        s.before_write();
        match &org {
            Some(o) => {
                let e = s.live.orgs.get_mut(o).expect("checked");
                match e.policy.as_mut() {
                    Some(p) => p[kind.field()].as_array_mut().expect("list").retain(|x| x != ty.as_str()),
                    None => {
                        e.ghosts.remove(&ty);
                    }
                }
            }
            None => s.live.default_policy[kind.field()].as_array_mut().expect("list").retain(|x| x != ty.as_str()),
        }
        let d = s.details(&owner);
        ok(d)
    }

    fn get_default_policy(&self, h: HeaderMap) -> Response {
        if let Err(r) = self.admin(&h) {
            return *r;
        }
        let mut s = self.state.lock().expect("state");
        let mut p = s.read().default_policy.clone();
        p["isDefault"] = json!(true);
        ok(json!({"policy": p}))
    }

    /// `POST /oauth/v2/token` with the JWT-bearer grant (RFC 7523).
    fn token(&self, h: HeaderMap, body: Bytes) -> Response {
        let form: BTreeMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
        let oauth_err = |e: &str, d: &str| {
            (
                StatusCode::BAD_REQUEST,
                [("content-type", "application/json")],
                json!({"error": e, "error_description": d}).to_string(),
            )
                .into_response()
        };
        if form.get("grant_type").map(String::as_str) != Some("urn:ietf:params:oauth:grant-type:jwt-bearer") {
            return oauth_err("unsupported_grant_type", "only the JWT bearer grant is enabled for service users here");
        }
        let Some(assertion) = form.get("assertion") else {
            return oauth_err("invalid_request", "assertion missing");
        };
        let Ok(header) = jsonwebtoken::decode_header(assertion) else {
            return oauth_err("invalid_grant", "assertion is not a JWT");
        };
        if header.kid.as_deref() != Some(ADMIN_KEY_ID) {
            return oauth_err("invalid_grant", "key not found");
        }
        let host = h.get("host").and_then(|v| v.to_str().ok()).unwrap_or_default();
        let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
        v.set_audience(&[format!("http://{host}"), format!("https://{host}")]);
        v.set_issuer(&[ADMIN_USER]);
        v.set_required_spec_claims(&["exp", "iat", "aud", "iss", "sub"]);
        let Ok(key) = jsonwebtoken::DecodingKey::from_rsa_pem(demo_key().1.as_bytes()) else {
            return oauth_err("server_error", "key unreadable");
        };
        let data = match jsonwebtoken::decode::<J>(assertion, &key, &v) {
            Ok(d) => d,
            Err(e) => {
                return oauth_err("invalid_grant", &format!("assertion invalid: {:?}", e.kind()));
            }
        };
        if data.claims["sub"] != ADMIN_USER {
            return oauth_err("invalid_grant", "subject does not match the key's user");
        }
        let scopes = form.get("scope").cloned().unwrap_or_default();
        if !scopes.split(' ').any(|s| s == "urn:zitadel:iam:org:project:id:zitadel:aud") {
            return oauth_err("invalid_scope", "the token would not be valid for ZITADEL's APIs");
        }
        let token = format!("zat_{}", uuid::Uuid::new_v4().simple());
        let mut s = self.state.lock().expect("state");
        let ttl = s.token_ttl;
        s.access_tokens.insert(token.clone(), (ADMIN_USER, Instant::now() + ttl));
        (
            StatusCode::OK,
            [("content-type", "application/json")],
            json!({"access_token": token, "token_type": "Bearer", "expires_in": ttl.as_secs()}).to_string(),
        )
            .into_response()
    }
}

impl EmulatorApp for ZitadelEmulator {
    fn vendor(&self) -> &'static str {
        "ZITADEL"
    }

    fn router(self: Arc<Self>) -> axum::Router {
        let e = self;
        // Clones the emulator into each handler closure.
        macro_rules! with {
            ($e:ident, || $body:expr) => {{
                let $e = $e.clone();
                move || { let $e = $e.clone(); async move { $body } }
            }};
            ($e:ident, |$($a:ident: $t:ty),*| $body:expr) => {{
                let $e = $e.clone();
                move |$($a: $t),*| { let $e = $e.clone(); async move { $body } }
            }};
        }
        axum::Router::new()
            .route("/oauth/v2/token", post(with!(e, |h: HeaderMap, b: Bytes| e.token(h, b))))
            .route(
                "/management/v1/policies/login",
                get(with!(e, |h: HeaderMap| e.get_org_policy(h)))
                    .post(with!(e, |h: HeaderMap, b: Bytes| e.add_custom_policy(h, b)))
                    .delete(with!(e, |h: HeaderMap| e.reset_org_policy(h))),
            )
            .route(
                "/management/v1/policies/login/auth_factors/_search",
                post(with!(e, |h: HeaderMap| e.list(h, FactorList::Multi, true))),
            )
            .route(
                "/management/v1/policies/login/second_factors/_search",
                post(with!(e, |h: HeaderMap| e.list(h, FactorList::Second, true))),
            )
            .route(
                "/management/v1/policies/login/{kind}",
                post(with!(e, |h: HeaderMap, k: Path<String>, b: Bytes| match kind_of(&k) {
                    Some(kind) => e.add(h, b, kind, true),
                    None => StatusCode::NOT_FOUND.into_response(),
                })),
            )
            .route(
                "/management/v1/policies/login/{kind}/{ty}",
                delete(with!(e, |h: HeaderMap, p: Path<(String, String)>| match kind_of(&p.0.0) {
                    Some(kind) => e.remove(h, p.0.1.clone(), kind, true),
                    None => StatusCode::NOT_FOUND.into_response(),
                })),
            )
            .route("/admin/v1/policies/login", get(with!(e, |h: HeaderMap| e.get_default_policy(h))))
            .route(
                "/admin/v1/policies/login/{kind}/_search",
                post(with!(e, |h: HeaderMap, k: Path<String>| match kind_of(&k) {
                    Some(kind) => e.list(h, kind, false),
                    None => StatusCode::NOT_FOUND.into_response(),
                })),
            )
            .route(
                "/admin/v1/policies/login/{kind}",
                post(with!(e, |h: HeaderMap, k: Path<String>, b: Bytes| match kind_of(&k) {
                    Some(kind) => e.add(h, b, kind, false),
                    None => StatusCode::NOT_FOUND.into_response(),
                })),
            )
            .route(
                "/admin/v1/policies/login/{kind}/{ty}",
                delete(with!(e, |h: HeaderMap, p: Path<(String, String)>| match kind_of(&p.0.0) {
                    Some(kind) => e.remove(h, p.0.1.clone(), kind, false),
                    None => StatusCode::NOT_FOUND.into_response(),
                })),
            )
            .route(
                "/_emulator/zitadel/key-file",
                get(with!(e, || (StatusCode::OK, [("content-type", "application/json")], e.key_file_json())
                    .into_response())),
            )
            .route(
                "/_emulator/zitadel/expire-tokens",
                post(with!(e, || {
                    e.expire_access_tokens();
                    StatusCode::NO_CONTENT.into_response()
                })),
            )
    }

    fn error_envelope(&self) -> (u16, String) {
        (500, json!({"code": 13, "message": "Errors.Internal (EMU-1)", "details": [{"@type": "type.googleapis.com/zitadel.v1.ErrorDetail", "id": "EMU-1", "message": "Errors.Internal"}]}).to_string())
    }

    fn summary(&self) -> J {
        let s = self.state.lock().expect("state");
        let orgs: Vec<J> = s
            .live
            .orgs
            .iter()
            .map(|(id, o)| match &o.policy {
                Some(p) => json!({"org": id, "name": o.name, "inherits": false, "multiFactors": p["multiFactors"], "secondFactors": p["secondFactors"], "forceMfa": p["forceMfa"]}),
                None => json!({"org": id, "name": o.name, "inherits": true}),
            })
            .collect();
        json!({
            "instance": {"multiFactors": s.live.default_policy["multiFactors"], "secondFactors": s.live.default_policy["secondFactors"], "forceMfa": s.live.default_policy["forceMfa"]},
            "orgs": orgs
        })
    }

    fn sandbox_env(&self, base_url: &str) -> Vec<(String, String)> {
        vec![("ZITADEL_URL".into(), base_url.into()), ("ZITADEL_ACCESS_TOKEN".into(), ADMIN_PAT.into())]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_files_carry_a_pkcs1_key_that_signs() {
        let kf = ZitadelEmulator::new().key_file_json();
        let v: J = serde_json::from_str(&kf).unwrap();
        assert!(v["key"].as_str().unwrap().starts_with("-----BEGIN RSA PRIVATE KEY-----"));
        assert!(v["keyId"] == ADMIN_KEY_ID && v["userId"] == ADMIN_USER && v["type"] == "serviceaccount");
        // The PKCS#1 key signs, and the emulator's own public key verifies the signature.
        let key = jsonwebtoken::EncodingKey::from_rsa_pem(v["key"].as_str().unwrap().as_bytes()).unwrap();
        let jwt = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256),
            &json!({"sub": "x"}),
            &key,
        )
        .unwrap();
        let public = jsonwebtoken::DecodingKey::from_rsa_pem(demo_key().1.as_bytes()).unwrap();
        let mut check = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
        check.required_spec_claims.clear();
        check.validate_exp = false;
        assert!(jsonwebtoken::decode::<J>(&jwt, &public, &check).is_ok());
    }

    #[test]
    fn gateway_omits_zero_values() {
        let v = gateway(
            json!({"a": false, "b": "", "c": [], "d": "PASSWORDLESS_TYPE_NOT_ALLOWED", "e": true, "f": {"g": 0, "h": "x"}}),
        );
        assert_eq!(v, json!({"e": true, "f": {"h": "x"}}));
    }
}
