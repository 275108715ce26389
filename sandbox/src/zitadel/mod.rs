//! A stateful emulator of ZITADEL's login-policy APIs, behaving as ZITADEL's own code does
//! (zitadel/zitadel; the files are named where each behaviour lives):
//!
//! - Admin API (`/admin/v1/...`) for the instance defaults, management API (`/management/v1/...`)
//!   with `x-zitadel-orgid`. The authorization interceptor checks the token, then that the
//!   organization exists (403 `AUTH-Bs7Ds` "Organisation doesn't exist"), then permissions
//!   (`internal/api/authz/context.go`, `authorization.go`).
//! - Commands and reads are separate, as in ZITADEL: each factor has a write model on the command
//!   side (`internal/command/org_policy_login_factors_model.go`) and reads come from a projection
//!   (`internal/query/projection/login_policy.go`) that may lag behind. A factor added while the
//!   organization inherits the instance defaults is recorded by the command side but updates no
//!   projection row: a "ghost" (zitadel/zitadel#9047). Creating the organization's own policy does
//!   not clear it (only a policy reset does); adding it again answers AlreadyExists while no read
//!   lists it; removing it works.
//! - `GET /management/v1/policies/login` returns the instance defaults flagged `isDefault` while
//!   the organization inherits them.
//! - Error ids as `internal/command/{org,instance}_policy_login.go` raise them; the gateway's own
//!   routing 404 and validation 400 carry no details (`internal/api/grpc/server/gateway.go`).
//! - Request bodies are read as protojson reads them (see [`gateway`]); the login-policy updates
//!   replace every field and refuse a write that changes nothing (NotChanged).
//! - Auth: personal access tokens, and the JWT-bearer grant (see [`auth`]); issued tokens expire.

mod auth;
mod gateway;
mod lockout;
mod login;
mod orgs;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde_json::{Map, Value as J, json};

use crate::server::{EmulatorApp, RequestOrigin};
use gateway::zitadel_error;

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
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FactorList {
    /// `multiFactors`: passwordless methods.
    Multi,
    /// `secondFactors`: methods asked for after a password.
    Second,
}

const MULTI_FACTOR_TYPES: &[&str] = &["MULTI_FACTOR_TYPE_UNSPECIFIED", "MULTI_FACTOR_TYPE_U2F_WITH_VERIFICATION"];
/// `SECOND_FACTOR_TYPE_RECOVERY_CODES = 5` exists in the v1 proto from ZITADEL v4.9 (PR #9954).
const SECOND_FACTOR_TYPES: &[&str] = &[
    "SECOND_FACTOR_TYPE_UNSPECIFIED",
    "SECOND_FACTOR_TYPE_OTP",
    "SECOND_FACTOR_TYPE_U2F",
    "SECOND_FACTOR_TYPE_OTP_EMAIL",
    "SECOND_FACTOR_TYPE_OTP_SMS",
    "SECOND_FACTOR_TYPE_RECOVERY_CODES",
];
const PASSWORDLESS_TYPES: &[&str] = &["PASSWORDLESS_TYPE_NOT_ALLOWED", "PASSWORDLESS_TYPE_ALLOWED"];
const IDP_OWNER_TYPES: &[&str] = &["IDP_OWNER_TYPE_UNSPECIFIED", "IDP_OWNER_TYPE_SYSTEM", "IDP_OWNER_TYPE_ORG"];

impl FactorList {
    fn field(self) -> &'static str {
        match self {
            FactorList::Multi => "multiFactors",
            FactorList::Second => "secondFactors",
        }
    }

    fn from_path(seg: &str) -> Option<FactorList> {
        match seg {
            "multi_factors" => Some(FactorList::Multi),
            "second_factors" => Some(FactorList::Second),
            _ => None,
        }
    }

    /// The enum as this server's proto defines it.
    fn names(self, recovery_codes: bool) -> &'static [&'static str] {
        match self {
            FactorList::Multi => MULTI_FACTOR_TYPES,
            FactorList::Second if recovery_codes => SECOND_FACTOR_TYPES,
            FactorList::Second => &SECOND_FACTOR_TYPES[..5],
        }
    }

    fn request_message(self, add: bool) -> &'static str {
        match (self, add) {
            (FactorList::Multi, true) => "AddMultiFactorToLoginPolicyRequest",
            (FactorList::Multi, false) => "RemoveMultiFactorFromLoginPolicyRequest",
            (FactorList::Second, true) => "AddSecondFactorToLoginPolicyRequest",
            (FactorList::Second, false) => "RemoveSecondFactorFromLoginPolicyRequest",
        }
    }
}

/// (gRPC code, text, id) of the errors the factor commands raise, per upstream:
/// org ids from `org_policy_login.go`, instance ids from `instance_policy_login.go`. The text is
/// what en.yaml translates the key to, or the raw key where it has no entry.
fn factor_error(kind: FactorList, org: bool, exists: bool) -> (i64, &'static str, &'static str) {
    match (kind, org, exists) {
        (FactorList::Second, true, true) => (6, "Multifactor already exists", "Org-2B0ps"),
        (FactorList::Multi, true, true) => (6, "Multifactor already exists", "Org-3M9od"),
        (FactorList::Second, true, false) => (5, "Multifactor not existing", "Org-3M9od"),
        (FactorList::Multi, true, false) => (5, "Multifactor not existing", "Org-3M9df"),
        (FactorList::Second, false, true) => (6, "Errors.Instance.MFA.AlreadyExists", "INSTANCE-2B0ps"),
        (FactorList::Multi, false, true) => (6, "Errors.Instance.MFA.AlreadyExists", "INSTANCE-3M9od"),
        (FactorList::Second, false, false) => (5, "Errors.IAM.LoginPolicy.MFA.NotExisting", "INSTANCE-3M9od"),
        (FactorList::Multi, false, false) => (5, "Errors.IAM.LoginPolicy.MFA.NotExisting", "INSTANCE-3M9df"),
    }
}

/// The boolean settings fields of a login policy, in the order the update requests number them
/// (`UpdateCustomLoginPolicyRequest`, admin `UpdateLoginPolicyRequest`); the durations follow.
const BOOL_FIELDS: &[&str] = &[
    "allowUsernamePassword",
    "allowRegister",
    "allowExternalIdp",
    "forceMfa",
    "hidePasswordReset",
    "ignoreUnknownUsernames",
    "allowDomainDiscovery",
    "disableLoginWithEmail",
    "disableLoginWithPhone",
    "forceMfaLocalOnly",
];
const DURATION_FIELDS: &[&str] = &[
    "passwordCheckLifetime",
    "externalLoginCheckLifetime",
    "mfaInitSkipLifetime",
    "secondFactorCheckLifetime",
    "multiFactorCheckLifetime",
];
/// Field 21 of AddCustomLoginPolicyRequest, 18 of the updates, 23 of LoginPolicy: on servers that
/// know it.
const NOTIFICATION_LINKS: &str = "useDefaultUriForNotificationLinks";

/// The instance's login policy as a new instance gets it (`cmd/defaults.yaml`, `instance.go`).
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
        "secondFactors": ["SECOND_FACTOR_TYPE_OTP", "SECOND_FACTOR_TYPE_U2F"],
        "multiFactors": ["MULTI_FACTOR_TYPE_U2F_WITH_VERIFICATION"],
        "idps": [{"idpId": INSTANCE_IDP, "idpName": "Google", "idpType": "IDP_TYPE_OIDC"}],
        "allowDomainDiscovery": true,
        "disableLoginWithEmail": false,
        "disableLoginWithPhone": false,
        "forceMfaLocalOnly": false,
        "useDefaultUriForNotificationLinks": false
    })
}

fn list_of(policy: &J, kind: FactorList) -> Vec<String> {
    policy[kind.field()]
        .as_array()
        .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

/// An organization on the command side.
struct Org {
    name: String,
    /// Factors whose write model is active: what a new add would conflict with.
    active: BTreeSet<(FactorList, String)>,
}

/// What reads see: the projections.
#[derive(Clone)]
struct Projection {
    default_policy: J,
    /// Each organization's own policy row; `None` while it inherits.
    orgs: BTreeMap<String, Option<J>>,
}

struct EmuState {
    live: Projection,
    /// A stale copy reads keep seeing until the projections catch up.
    stale: Option<(Instant, Projection)>,
    lag: Duration,
    orgs: BTreeMap<String, Org>,
    tokens: auth::Tokens,
    sequence: u64,
    /// A proxy in front rewrites DELETE paths: ZITADEL's gateway never routes them.
    misroute_deletes: bool,
    /// Organizations whose login policy reads fail (an internal error), for listings that must
    /// go on past one organization.
    failing_reads: BTreeSet<String>,
    /// Whether this server's proto knows RECOVERY_CODES and the notification-links flag.
    recovery_codes: bool,
    notification_links: bool,
    /// A server whose request converter drops the notification-links flag on policy creation.
    drops_links_flag_on_create: bool,
    /// The instance's lock-out policy, and each organization's own (absent: it inherits).
    lockout: lockout::Lockout,
    org_lockout: BTreeMap<String, lockout::Lockout>,
    /// Whether this server knows `maxOtpAttempts` (v2.50 and later).
    max_otp_attempts: bool,
    /// The instance this server is: the owner of the default policies.
    instance_id: String,
}

impl EmuState {
    fn read(&mut self) -> &Projection {
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

    /// Renders a stored policy as this server's proto knows it.
    fn render(&self, policy: &J) -> J {
        let mut p = policy.clone();
        if !self.notification_links
            && let Some(m) = p.as_object_mut()
        {
            m.remove(NOTIFICATION_LINKS);
        }
        p
    }
}

/// A refused request, already rendered (boxed: responses are large).
type Rejected = Box<Response>;

pub struct ZitadelEmulator {
    state: Mutex<EmuState>,
}

impl Default for ZitadelEmulator {
    fn default() -> Self {
        Self::new()
    }
}

impl ZitadelEmulator {
    pub fn new() -> Self {
        let mut custom = default_policy();
        custom["secondFactors"] = json!(["SECOND_FACTOR_TYPE_OTP"]);
        custom["multiFactors"] = json!([]);
        custom["forceMfa"] = json!(true);
        let mut users = BTreeMap::new();
        users.insert(ADMIN_USER, auth::Principal { iam_owner: true, home_org: HOME_ORG, owner_of: vec![] });
        users.insert(
            ORG_OWNER_USER,
            auth::Principal { iam_owner: false, home_org: HOME_ORG, owner_of: vec![CUSTOM_ORG.to_string()] },
        );
        let pats = BTreeMap::from([(ADMIN_PAT.to_string(), ADMIN_USER), (ORG_OWNER_PAT.to_string(), ORG_OWNER_USER)]);
        let emu = ZitadelEmulator {
            state: Mutex::new(EmuState {
                live: Projection { default_policy: default_policy(), orgs: BTreeMap::new() },
                stale: None,
                lag: Duration::ZERO,
                orgs: BTreeMap::new(),
                tokens: auth::Tokens {
                    users,
                    pats,
                    access: BTreeMap::new(),
                    ttl: Duration::from_secs(43_200),
                    expire_after: None,
                },
                sequence: 100,
                misroute_deletes: false,
                failing_reads: BTreeSet::new(),
                recovery_codes: true,
                notification_links: true,
                drops_links_flag_on_create: false,
                lockout: lockout::Lockout::default(),
                org_lockout: BTreeMap::new(),
                max_otp_attempts: true,
                instance_id: INSTANCE_ID.to_string(),
            }),
        };
        emu.insert_org(HOME_ORG, "Acme", None);
        emu.insert_org(CUSTOM_ORG, "Acme Payments", Some(custom));
        emu.insert_org(INHERITING_ORG, "Acme Labs", None);
        emu.insert_org(INHERITING_ORG_2, "Acme Retail", None);
        emu
    }

    fn insert_org(&self, id: &str, name: &str, policy: Option<J>) {
        let mut s = self.state.lock().expect("state");
        let active = policy
            .iter()
            .flat_map(|p| [FactorList::Multi, FactorList::Second].map(|k| (k, list_of(p, k))))
            .flat_map(|(k, l)| l.into_iter().map(move |t| (k, t)))
            .collect();
        s.orgs.insert(id.to_string(), Org { name: name.into(), active });
        s.live.orgs.insert(id.to_string(), policy);
    }

    /// Adds an organization, inheriting the instance defaults or with settings of its own (a
    /// copy of the defaults without any factor).
    pub fn add_org(&self, id: &str, name: &str, own_settings: bool) {
        let policy = own_settings.then(|| {
            let mut p = default_policy();
            p["multiFactors"] = json!([]);
            p["secondFactors"] = json!([]);
            p
        });
        self.insert_org(id, name, policy);
    }

    /// The organization is deleted (console or API): its id no longer exists.
    pub fn remove_org(&self, id: &str) {
        let mut s = self.state.lock().expect("state");
        s.before_write();
        s.orgs.remove(id);
        s.live.orgs.remove(id);
    }

    /// The IAM_OWNER service user's key file, as ZITADEL lets you download it.
    pub fn key_file_json(&self) -> String {
        json!({"type": "serviceaccount", "keyId": ADMIN_KEY_ID, "key": auth::demo_key().0, "userId": ADMIN_USER})
            .to_string()
    }

    /// Reads lag this long behind writes (ZITADEL's eventual projections).
    pub fn set_projection_lag(&self, lag: Duration) {
        self.state.lock().expect("state").lag = lag;
    }

    pub fn set_token_ttl(&self, ttl: Duration) {
        self.state.lock().expect("state").tokens.ttl = ttl;
    }

    /// Expires every access token issued so far (personal access tokens are unaffected).
    pub fn expire_access_tokens(&self) {
        self.state.lock().expect("state").tokens.expire_all();
    }

    /// Access tokens issued by the token endpoint (for tests that look for leaked secrets).
    pub fn issued_tokens(&self) -> Vec<String> {
        self.state.lock().expect("state").tokens.access.keys().cloned().collect()
    }

    /// Expires every issued access token once, after `n` more authenticated API calls (an
    /// expiry in the middle of a run).
    pub fn expire_access_tokens_after(&self, n: u32) {
        self.state.lock().expect("state").tokens.expire_after = Some(n);
    }

    /// Makes this server another instance (a URL that now reaches another ZITADEL): its default
    /// policies answer another owner.
    pub fn set_instance_id(&self, id: &str) {
        self.state.lock().expect("state").instance_id = id.to_string();
    }

    /// A reverse proxy rewrites DELETE paths so that ZITADEL's gateway routes none of them.
    pub fn misroute_deletes(&self, yes: bool) {
        self.state.lock().expect("state").misroute_deletes = yes;
    }

    /// A server from before `SECOND_FACTOR_TYPE_RECOVERY_CODES` (the v1 proto gained it in v4.9).
    pub fn without_recovery_codes(&self) {
        self.state.lock().expect("state").recovery_codes = false;
    }

    /// A server that keeps `useDefaultUriForNotificationLinks` but loses it when an organization's
    /// policy is created.
    pub fn drop_notification_links_flag_on_create(&self) {
        self.state.lock().expect("state").drops_links_flag_on_create = true;
    }

    /// Factors of an organization's own settings (live, not lagged); `None` while it inherits.
    pub fn org_factors(&self, org: &str, kind: FactorList) -> Option<Vec<String>> {
        let s = self.state.lock().expect("state");
        s.live.orgs.get(org).and_then(|p| p.as_ref()).map(|p| list_of(p, kind))
    }

    pub fn instance_factors(&self, kind: FactorList) -> Vec<String> {
        list_of(&self.state.lock().expect("state").live.default_policy, kind)
    }

    /// Factors the command side holds active but no read lists (zitadel/zitadel#9047).
    pub fn ghosts(&self, org: &str) -> Vec<(FactorList, String)> {
        let s = self.state.lock().expect("state");
        let listed = |k: FactorList, t: &str| {
            s.live.orgs.get(org).and_then(|p| p.as_ref()).is_some_and(|p| list_of(p, k).iter().any(|x| x == t))
        };
        s.orgs.get(org).map(|o| o.active.iter().filter(|(k, t)| !listed(*k, t)).cloned().collect()).unwrap_or_default()
    }

    /// An organization's own login policy (live), for checking what was copied.
    pub fn org_policy(&self, org: &str) -> Option<J> {
        self.state.lock().expect("state").live.orgs.get(org).cloned().flatten()
    }

    /// The instance's default login policy (live).
    pub fn instance_policy(&self) -> J {
        self.state.lock().expect("state").live.default_policy.clone()
    }

    /// Sets a field of the instance's default policy, as an administrator would in the console.
    pub fn set_instance_policy_field(&self, field: &str, value: J) {
        let mut s = self.state.lock().expect("state");
        s.before_write();
        s.live.default_policy[field] = value;
    }

    /// Sets a field of an organization's own policy, as an administrator would in the console.
    pub fn set_org_policy_field(&self, org: &str, field: &str, value: J) {
        let mut s = self.state.lock().expect("state");
        s.before_write();
        if let Some(Some(p)) = s.live.orgs.get_mut(org) {
            p[field] = value;
        }
    }

    /// Reads of `org`'s login policy answer an internal error from now on.
    pub fn fail_reads_of(&self, org: &str) {
        self.state.lock().expect("state").failing_reads.insert(org.to_string());
    }

    /// Removes a factor the way an administrator would in the console.
    pub fn remove_out_of_band(&self, org: Option<&str>, kind: FactorList, ty: &str) {
        let mut s = self.state.lock().expect("state");
        s.before_write();
        match org {
            Some(o) => {
                if let Some(e) = s.orgs.get_mut(o) {
                    e.active.remove(&(kind, ty.to_string()));
                }
                if let Some(Some(p)) = s.live.orgs.get_mut(o)
                    && let Some(a) = p[kind.field()].as_array_mut()
                {
                    a.retain(|x| x != ty);
                }
            }
            None => {
                if let Some(a) = s.live.default_policy[kind.field()].as_array_mut() {
                    a.retain(|x| x != ty);
                }
            }
        }
    }

    /// Adds a factor the way the console did before its fix for #9047: on an inheriting
    /// organization this leaves a ghost.
    pub fn add_out_of_band(&self, org: &str, kind: FactorList, ty: &str) {
        let mut s = self.state.lock().expect("state");
        s.before_write();
        if let Some(e) = s.orgs.get_mut(org) {
            e.active.insert((kind, ty.to_string()));
        }
        if let Some(Some(p)) = s.live.orgs.get_mut(org)
            && let Some(a) = p[kind.field()].as_array_mut()
            && !a.iter().any(|x| x == ty)
        {
            a.push(J::String(ty.into()));
        }
    }

    /// "Save" in the console on an inheriting organization: its own policy, a copy of the
    /// defaults' values and factors. Ghosts not among them stay ghosts.
    pub fn create_policy_out_of_band(&self, org: &str) {
        let mut s = self.state.lock().expect("state");
        s.before_write();
        let policy = s.live.default_policy.clone();
        if let Some(e) = s.orgs.get_mut(org) {
            for k in [FactorList::Multi, FactorList::Second] {
                e.active.extend(list_of(&policy, k).into_iter().map(|t| (k, t)));
            }
        }
        s.live.orgs.insert(org.to_string(), Some(policy));
    }

    /// "Reset to default" in the console: the organization inherits again, and every factor's
    /// write model is reset (`LoginPolicyRemoved`).
    pub fn reset_org_to_default(&self, org: &str) {
        let mut s = self.state.lock().expect("state");
        s.before_write();
        if let Some(e) = s.orgs.get_mut(org) {
            e.active.clear();
        }
        if s.live.orgs.contains_key(org) {
            s.live.orgs.insert(org.to_string(), None);
        }
    }

    /// The authorization interceptor: token, then the organization, then permissions. Returns
    /// the organization a management call acts on (`None` for an admin call).
    fn authorize(&self, h: &HeaderMap, org_scope: bool) -> Result<Option<String>, Rejected> {
        let mut s = self.state.lock().expect("state");
        let p = match s.tokens.principal(h) {
            Ok(p) => p,
            Err(auth::Refusal::Missing) => {
                return Err(Box::new(zitadel_error(16, "auth header missing", "AUTH-7fs1e")));
            }
            Err(auth::Refusal::Invalid) => {
                return Err(Box::new(zitadel_error(16, "Errors.Token.Invalid", "AUTH-7fs1e")));
            }
        };
        let header = h.get("x-zitadel-orgid").and_then(|v| v.to_str().ok()).map(str::to_string);
        // The organization is checked on admin calls too, whenever the header is sent.
        if let Some(o) = &header
            && !s.orgs.contains_key(o)
        {
            return Err(Box::new(zitadel_error(7, "Organisation doesn't exist", "AUTH-Bs7Ds")));
        }
        let denied = || Box::new(zitadel_error(7, "No matching permissions found", "AUTH-5mWD2"));
        if !org_scope {
            return if p.iam_owner { Ok(None) } else { Err(denied()) };
        }
        let org = header.unwrap_or_else(|| p.home_org.to_string());
        if p.iam_owner || p.owner_of.contains(&org) { Ok(Some(org)) } else { Err(denied()) }
    }

    fn token(&self, origin: &str, body: Bytes) -> Response {
        self.state.lock().expect("state").tokens.grant(origin, &body)
    }
}

/// Clones the emulator into each handler closure.
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

/// The login policy and its factors: the organization's (`/management/v1`) and the instance
/// defaults (`/admin/v1`).
fn login_routes(e: &Arc<ZitadelEmulator>) -> axum::Router {
    let kind = |seg: &str| FactorList::from_path(seg).ok_or_else(|| Box::new(gateway::not_found_route()));
    axum::Router::new()
        .route(
            "/management/v1/policies/login",
            get(with!(e, |h: HeaderMap| e.get_org_policy(h)))
                .post(with!(e, |h: HeaderMap, b: Bytes| e.add_custom_policy(h, b)))
                .put(with!(e, |h: HeaderMap, b: Bytes| e.update_policy(h, b, true)))
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
            post(with!(e, |h: HeaderMap, k: Path<String>, b: Bytes| match kind(&k) {
                Ok(kind) => e.add(h, b, kind, true),
                Err(r) => *r,
            })),
        )
        .route(
            "/management/v1/policies/login/{kind}/{ty}",
            delete(with!(e, |h: HeaderMap, p: Path<(String, String)>| match kind(&p.0.0) {
                Ok(kind) => e.remove(h, p.0.1.clone(), kind, true),
                Err(r) => *r,
            })),
        )
        .route(
            "/admin/v1/policies/login",
            get(with!(e, |h: HeaderMap| e.get_default_policy(h)))
                .put(with!(e, |h: HeaderMap, b: Bytes| e.update_policy(h, b, false))),
        )
        .route(
            "/admin/v1/policies/login/{kind}/_search",
            post(with!(e, |h: HeaderMap, k: Path<String>| match kind(&k) {
                Ok(kind) => e.list(h, kind, false),
                Err(r) => *r,
            })),
        )
        .route(
            "/admin/v1/policies/login/{kind}",
            post(with!(e, |h: HeaderMap, k: Path<String>, b: Bytes| match kind(&k) {
                Ok(kind) => e.add(h, b, kind, false),
                Err(r) => *r,
            })),
        )
        .route(
            "/admin/v1/policies/login/{kind}/{ty}",
            delete(with!(e, |h: HeaderMap, p: Path<(String, String)>| match kind(&p.0.0) {
                Ok(kind) => e.remove(h, p.0.1.clone(), kind, false),
                Err(r) => *r,
            })),
        )
}

/// The lock-out policy: the instance's and the organization's.
fn lockout_routes(e: &Arc<ZitadelEmulator>) -> axum::Router {
    axum::Router::new()
        .route("/admin/v1/policies/lockout", get(with!(e, |h: HeaderMap| e.get_default_lockout(h))))
        .route(
            "/admin/v1/policies/password/lockout",
            axum::routing::put(with!(e, |h: HeaderMap, b: Bytes| e.update_default_lockout(h, b))),
        )
        .route(
            "/management/v1/policies/lockout",
            get(with!(e, |h: HeaderMap| e.get_org_lockout(h)))
                .post(with!(e, |h: HeaderMap, b: Bytes| e.add_org_lockout(h, b)))
                .put(with!(e, |h: HeaderMap, b: Bytes| e.update_org_lockout(h, b)))
                .delete(with!(e, |h: HeaderMap| e.reset_org_lockout(h))),
        )
        .route("/management/v1/policies/default/lockout", get(with!(e, |h: HeaderMap| e.get_org_default_lockout(h))))
}

impl EmulatorApp for ZitadelEmulator {
    fn vendor(&self) -> &'static str {
        "ZITADEL"
    }

    fn router(self: Arc<Self>) -> axum::Router {
        let e = self;
        axum::Router::new()
            .route("/oauth/v2/token", post(with!(e, |o: axum::Extension<RequestOrigin>, b: Bytes| e.token(&o.0.0, b))))
            .merge(login_routes(&e))
            .merge(lockout_routes(&e))
            .route("/v2/organizations/_search", post(with!(e, |h: HeaderMap, b: Bytes| e.search_orgs(h, b))))
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
            .method_not_allowed_fallback(|| async { gateway::method_not_allowed() })
            .fallback(|| async { gateway::not_found_route() })
    }

    fn error_envelope(&self) -> (u16, String) {
        (
            500,
            json!({"code": 13, "message": "Errors.Internal (EMU-1)", "details": [{"@type": "type.googleapis.com/zitadel.v1.ErrorDetail", "id": "EMU-1", "message": "Errors.Internal"}]})
                .to_string(),
        )
    }

    fn seed(&self, n: usize) -> Result<String, String> {
        self.seed_orgs(n);
        Ok(format!("{n} organizations (every other one with settings of its own)"))
    }

    fn summary(&self) -> J {
        let s = self.state.lock().expect("state");
        let settings = |p: &J| {
            let mut m = Map::new();
            for f in ["forceMfa", "forceMfaLocalOnly", "multiFactors", "secondFactors"]
                .iter()
                .chain(DURATION_FIELDS.iter().skip(2))
            {
                m.insert((*f).into(), p.get(*f).cloned().unwrap_or(J::Null));
            }
            m
        };
        let orgs: Vec<J> = s
            .orgs
            .iter()
            .map(|(id, o)| {
                let mut entry = json!({"org": id, "name": o.name});
                match s.live.orgs.get(id).cloned().flatten() {
                    Some(p) => {
                        entry["inherits"] = json!(false);
                        entry.as_object_mut().expect("object").extend(settings(&p));
                        let ghosts: Vec<&String> =
                            o.active.iter().filter(|(k, t)| !list_of(&p, *k).contains(t)).map(|(_, t)| t).collect();
                        if !ghosts.is_empty() {
                            entry["ghostFactors"] = json!(ghosts);
                        }
                    }
                    None => entry["inherits"] = json!(true),
                }
                if let Some(l) = s.org_lockout.get(id) {
                    entry["lockout"] = lockout::summary(l);
                }
                entry
            })
            .collect();
        let mut instance = settings(&s.live.default_policy);
        instance.insert("lockout".into(), lockout::summary(&s.lockout));
        json!({"instance": instance, "orgs": orgs})
    }

    fn sandbox_env(&self, base_url: &str) -> Vec<(String, String)> {
        vec![("ZITADEL_URL".into(), base_url.into()), ("ZITADEL_ACCESS_TOKEN".into(), ADMIN_PAT.into())]
    }

    /// Calls to different organizations are different objects.
    fn request_key(&self, headers: &HeaderMap) -> Option<String> {
        headers.get("x-zitadel-orgid").and_then(|v| v.to_str().ok()).map(str::to_string)
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
        let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
        let jwt = jsonwebtoken::encode(&header, &json!({"sub": "x"}), &key).unwrap();
        let public = jsonwebtoken::DecodingKey::from_rsa_pem(auth::demo_key().1.as_bytes()).unwrap();
        let mut check = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
        check.required_spec_claims.clear();
        check.validate_exp = false;
        assert!(jsonwebtoken::decode::<J>(&jwt, &public, &check).is_ok());
    }

    /// zitadel/oidc `CheckAudience`: the assertion's audience must contain the issuer exactly.
    #[test]
    fn jwt_profile_audience_must_be_the_exact_issuer() {
        let emu = ZitadelEmulator::new();
        let kf: J = serde_json::from_str(&emu.key_file_json()).unwrap();
        let key = jsonwebtoken::EncodingKey::from_rsa_pem(kf["key"].as_str().unwrap().as_bytes()).unwrap();
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
        header.kid = Some(ADMIN_KEY_ID.into());
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        let grant = |aud: &str| {
            let claims = json!({"iss": ADMIN_USER, "sub": ADMIN_USER, "aud": aud, "iat": now, "exp": now + 60});
            let jwt = jsonwebtoken::encode(&header, &claims, &key).unwrap();
            let body = format!(
                "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&scope=openid%20urn%3Azitadel%3Aiam%3Aorg%3Aproject%3Aid%3Azitadel%3Aaud&assertion={jwt}"
            );
            emu.state.lock().unwrap().tokens.grant("https://acme.zitadel.cloud", body.as_bytes()).status()
        };
        assert_eq!(grant("https://acme.zitadel.cloud"), StatusCode::OK);
        for wrong in [
            "http://acme.zitadel.cloud",
            "https://acme.zitadel.cloud/",
            "https://acme.zitadel.cloud:443",
            "acme.zitadel.cloud",
        ] {
            assert_eq!(grant(wrong), StatusCode::BAD_REQUEST, "{wrong}");
        }
    }
}
