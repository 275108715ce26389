//! ONLYOFFICE DocSpace client for the TFA settings: `GET`/`PUT
//! /api/2.0/settings/tfaapp`, answers wrapped in `{response, count, status, statusCode}`.
//!
//! What DocSpace's server code makes this client do (ONLYOFFICE/DocSpace-server,
//! `web/ASC.Web.Api/Api/Settings/TfaappController.cs` unless named otherwise):
//! - `type` is sent in lower case (`app`, `sms`, `none`): v2.x servers compare the string with
//!   `"sms"` / `"app"` and disable TFA for anything else, v3+ read the enum case-insensitively;
//! - `id` is not sent, as the DocSpace web client does not send it: it only serves the owner
//!   rule, which a caller's own id would pass for anyone;
//! - every `App`/`Sms` write logs out every session of the portal, an identical resend too, so a
//!   write is never repeated blindly (see [`crate::http::HttpClient::write_verified`]);
//! - errors come as the exception envelope `{error: {message}}`, as a model-binding
//!   ValidationProblemDetails in `response.errors` (no `error` field), or as a bare 401/403
//!   without a body (authentication, API-key scope); the HTTP status decides, not the envelope.
//!
//! Authentication: an API key (`Authorization: Bearer sk-…`, recommended), a session token sent as
//! the `asc_auth_key` cookie, or a user name and password exchanged for such a token.

mod login;

pub use login::LoginLimits;

use std::collections::BTreeSet;

use serde::Deserialize;
use serde_json::{Value as Json, json};
use thiserror::Error;
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::http::{
    Call, HttpClient, HttpError, HttpResponse, LoginGate, OutcomeUnknown, Uncertain, api_url, status_is_transient,
    status_may_have_landed,
};
use crate::plugin::diag::{AttrPath, ToDiagnostic};

/// How the provider authenticates.
pub enum Auth {
    ApiKey(String),
    Token(String),
    Password { username: String, password: String },
}

impl Auth {
    fn method(&self) -> AuthMethod {
        match self {
            Auth::ApiKey(_) => AuthMethod::ApiKey,
            Auth::Token(_) => AuthMethod::Token,
            Auth::Password { .. } => AuthMethod::Password,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    ApiKey,
    Token,
    Password,
}

/// TFA type as the resource spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TfaType {
    None,
    Sms,
    App,
}

impl TfaType {
    pub fn from_attr(s: &str) -> Option<TfaType> {
        match s {
            "none" => Some(TfaType::None),
            "sms" => Some(TfaType::Sms),
            "app" => Some(TfaType::App),
            _ => None,
        }
    }
    /// The attribute value, which is also what the API is sent: the one spelling every server
    /// version reads (v2.x compares lower-case strings; v3+ reads names case-insensitively).
    pub fn attr(self) -> &'static str {
        match self {
            TfaType::None => "none",
            TfaType::Sms => "sms",
            TfaType::App => "app",
        }
    }
}

/// The portal's TFA settings as far as the resource is concerned.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TfaSettings {
    pub tfa_type: Option<TfaType>,
    pub trusted_ips: BTreeSet<String>,
    pub mandatory_users: BTreeSet<String>,
    pub mandatory_groups: BTreeSet<String>,
}

impl TfaSettings {
    /// `type = "app", trusted_ips = [..], mandatory_users = [..], mandatory_groups = [..]`, for messages.
    pub fn describe(&self) -> String {
        let list = |s: &BTreeSet<String>| format!("[{}]", s.iter().cloned().collect::<Vec<_>>().join(", "));
        format!(
            "type = {:?}, trusted_ips = {}, mandatory_users = {}, mandatory_groups = {}",
            self.tfa_type.unwrap_or(TfaType::None).attr(),
            list(&self.trusted_ips),
            list(&self.mandatory_users),
            list(&self.mandatory_groups)
        )
    }
}

/// What `GET /api/2.0/settings/tfaapp` says, including availability of each type.
#[derive(Debug, Clone, Default)]
pub struct TfaRead {
    pub settings: TfaSettings,
    /// Present (the portal shows SMS settings) and usable (an SMS provider is enabled). Says
    /// nothing about the tariff, which DocSpace checks only when SMS is written.
    pub sms_available: bool,
    pub app_available: bool,
}

/// Why DocSpace answered 403, told apart by the body (the message is localized: the English
/// texts are recognised, anything else is shown as DocSpace wrote it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No body: an API key without `*:write`, or a portal being transferred or restored.
    NoBody,
    /// A plain-text body (the portal's IP restriction).
    Text(String),
    /// The exception envelope's message.
    Message(String),
}

#[derive(Debug, Clone, Error)]
pub enum OnlyofficeError {
    #[error(transparent)]
    Http(#[from] HttpError),
    #[error("DocSpace answered {call} with HTTP {status}: {message}")]
    Api { call: String, status: u16, message: String },
    #[error("DocSpace refused {call} (HTTP 403){}", refusal_text(.refusal))]
    Refused {
        call: String,
        refusal: Refusal,
        method: AuthMethod,
        /// The refused request asked for SMS TFA.
        sms: bool,
    },
    #[error("DocSpace could not read the request {call} (HTTP 400): {}", fields.iter().map(|(f, m)| format!("{f}: {}", m.join("; "))).collect::<Vec<_>>().join(", "))]
    Binding { call: String, fields: Vec<(String, Vec<String>)> },
    #[error("DocSpace rejected the {} on {call} (HTTP 401)", method_name(*method))]
    Unauthorized { call: String, method: AuthMethod, after_logout: bool },
    #[error("DocSpace login for {username} did not return a token: {why}")]
    LoginBlocked { username: String, why: String },
    #[error(transparent)]
    Unknown(#[from] OutcomeUnknown),
}

fn refusal_text(r: &Refusal) -> String {
    match r {
        Refusal::NoBody => " without a body".into(),
        Refusal::Text(t) | Refusal::Message(t) => format!(": {t}"),
    }
}

fn method_name(m: AuthMethod) -> &'static str {
    match m {
        AuthMethod::ApiKey => "API key",
        AuthMethod::Token => "session token",
        AuthMethod::Password => "user name and password",
    }
}

impl OnlyofficeError {
    /// The session was logged out under the provider: what a portal-wide logout after an
    /// enabling write looks like to a session token.
    pub fn is_session_rejected(&self) -> bool {
        matches!(self, OnlyofficeError::Unauthorized { method: AuthMethod::Token | AuthMethod::Password, .. })
    }

    fn message(&self) -> Option<&str> {
        match self {
            OnlyofficeError::Refused { refusal: Refusal::Message(m) | Refusal::Text(m), .. } => Some(m),
            _ => None,
        }
    }

    /// The owner rule (v3.7.1+, bug 79262): the portal owner may not be made a mandatory user.
    fn is_owner_rule(&self) -> bool {
        self.message() == Some("No permissions to perform this action")
    }

    /// The one-line hint for a 403, from DocSpace's (English) message.
    fn refusal_hint(&self) -> String {
        let OnlyofficeError::Refused { refusal, method, sms, call } = self else { return String::new() };
        let login = call.contains("/authentication");
        match (refusal, self.message()) {
            (Refusal::NoBody, _) if *method == AuthMethod::ApiKey && call.starts_with("GET ") => {
                "Permission denied. Reading the portal's security settings (TFA, login limits) needs an API key with *:read, \
                 *:write or all permissions; keys limited to files, rooms or accounts cannot. (An empty 403 also comes while the portal is being transferred or restored.)"
                    .into()
            }
            (Refusal::NoBody, _) if *method == AuthMethod::ApiKey && !login => {
                "Permission denied. Changing the portal's security settings (TFA, login limits) needs an API key with all \
                 permissions (or *:write) created by a portal administrator; a key limited to *:read can only read them. (An empty 403 also comes while the portal is being \
                 transferred or restored.)"
                    .into()
            }
            (Refusal::NoBody, _) => "Permission denied: the portal refused the request without saying why (it may be being \
                                     transferred or restored)."
                .into(),
            (Refusal::Text(_), _) => "The portal's IP restriction does not allow requests from this address.".into(),
            (_, Some("Access denied")) => {
                "Reading or changing the portal's security settings (TFA, login limits) needs a portal administrator \
                 (EditPortalSettings; an API key acts as the user who created it)."
                    .into()
            }
            (_, Some("No permissions to perform this action")) => {
                "DocSpace (3.7.1 and later) does not let the portal owner be made a mandatory user through its API: remove the \
                 owner's ID from mandatory_users (the owner can still be covered by a group in mandatory_groups)."
                    .into()
            }
            (_, Some("SMS settings are not available")) => {
                "SMS TFA can be enabled only on a standalone (self-hosted) portal or a paid one: not on a trial, free or \
                 non-profit tariff. Use type = \"app\"."
                    .into()
            }
            (_, Some("Operation is not valid due to the current state of the object.")) if *sms => {
                "No SMS provider is enabled on the portal: enable one (Twilio, Smsc, Clickatell) first, or use type = \"app\"."
                    .into()
            }
            (_, Some("TFA application settings are not available")) => {
                "Authenticator-app TFA is hidden on this portal (web:hide-settings); ask the portal's operator.".into()
            }
            (_, Some("Too many login attempts. Please try again later")) => {
                "DocSpace locked the user out after too many failed logins; wait a few minutes before the next run, and check the \
                 password."
                    .into()
            }
            (_, Some("Invalid Recaptcha")) => {
                "The portal wants a CAPTCHA for this login, which a provider cannot solve: use an API key (api_key).".into()
            }
            (_, Some("User disabled")) => "The user's account is disabled on the portal: enable it, or use another account.".into(),
            _ if *sms => "SMS TFA needs an enabled SMS provider and a standalone or paid portal.".into(),
            _ => "DocSpace refused the request; its own message above says why.".into(),
        }
    }
}

impl Uncertain for OnlyofficeError {
    fn may_have_landed(&self) -> bool {
        match self {
            OnlyofficeError::Http(e) => e.may_have_landed(),
            OnlyofficeError::Api { status, .. } => status_may_have_landed(*status),
            _ => false,
        }
    }
    fn is_transient(&self) -> bool {
        match self {
            OnlyofficeError::Http(e) => e.is_transient(),
            OnlyofficeError::Api { status, .. } => status_is_transient(*status),
            _ => false,
        }
    }
}

impl ToDiagnostic for OnlyofficeError {
    fn summary(&self) -> String {
        match self {
            OnlyofficeError::Http(e) => e.summary(),
            OnlyofficeError::Unknown(e) => e.summary(),
            e if e.is_owner_rule() => "DocSpace refuses to make the portal owner a mandatory user".into(),
            OnlyofficeError::Refused { refusal: Refusal::NoBody, .. } => "DocSpace denied permission".into(),
            OnlyofficeError::Refused { call, .. } if call.contains("/authentication") => {
                "DocSpace refused the login".into()
            }
            OnlyofficeError::Refused { .. } => "DocSpace refused the change".into(),
            OnlyofficeError::Binding { .. } => "DocSpace could not read the request".into(),
            OnlyofficeError::Api { .. } => "DocSpace reported an error".into(),
            OnlyofficeError::Unauthorized { after_logout: true, .. } => {
                "DocSpace logged out the provider's session (portal-wide logout after enabling TFA)".into()
            }
            OnlyofficeError::Unauthorized { .. } => "DocSpace rejected the credentials".into(),
            OnlyofficeError::LoginBlocked { .. } => {
                "DocSpace now requires two-factor authentication for the provider's user".into()
            }
        }
    }
    fn detail(&self) -> String {
        match self {
            OnlyofficeError::Http(e) => e.detail(),
            OnlyofficeError::Unknown(e) => e.detail(),
            OnlyofficeError::Refused { .. } => format!("{self}. {}", self.refusal_hint()),
            OnlyofficeError::Binding { call, .. } if call.contains("/tfaapp") => format!(
                "{self}. DocSpace's model binding refused these fields; user and group IDs must be GUIDs in the hyphenated form."
            ),
            OnlyofficeError::Binding { .. } => format!("{self}. DocSpace's model binding refused these fields."),
            OnlyofficeError::Unauthorized { method: AuthMethod::ApiKey, .. } => format!(
                "{self}. Check api_key / ONLYOFFICE_API_KEY: the key may be expired, revoked or from another portal."
            ),
            OnlyofficeError::Unauthorized { after_logout: true, .. } => format!(
                "{self}. The TFA change itself was applied. DocSpace logs out every session of the portal whenever TFA is enabled or \
                 changed, including the token this provider used, so further calls need a new token. Use an API key (api_key / \
                 ONLYOFFICE_API_KEY), which is not affected."
            ),
            OnlyofficeError::Unauthorized { method: AuthMethod::Password, .. } => {
                format!("{self}. Check username / ONLYOFFICE_USERNAME and password / ONLYOFFICE_PASSWORD.")
            }
            OnlyofficeError::Unauthorized { .. } => format!(
                "{self}. Session tokens stop working when they expire and whenever someone enables or changes TFA on the portal (DocSpace \
                 then logs out every session). Get a new token, or better use an API key (api_key / ONLYOFFICE_API_KEY), which is not affected."
            ),
            OnlyofficeError::Api { .. } => format!("{self}."),
            OnlyofficeError::LoginBlocked { .. } => format!(
                "{self}. Once TFA applies to a user, DocSpace's login returns no token until a second factor is entered, which a \
                 provider cannot do: use an API key (api_key / ONLYOFFICE_API_KEY). For the account itself: trusted_ips lets a \
                 user skip the second factor only if the user is in neither mandatory_users nor a group of mandatory_groups \
                 (DocSpace checks those first). A locked-out user can sign in once with a backup code, or set up the \
                 authenticator app when the login offers it; the portal owner can reset a user's app (Settings, or PUT \
                 /api/2.0/settings/tfaappnewapp); removing the user from the mandatory lists and trusting the user's address \
                 also helps. To remove the resource from Terraform state without logging in, run terraform destroy \
                 -refresh=false: with restore_on_destroy = false, forgetting it makes no call."
            ),
        }
    }
    fn path(&self) -> Option<AttrPath> {
        match self {
            e if e.is_owner_rule() => Some(AttrPath::attr("mandatory_users")),
            OnlyofficeError::Refused { sms: true, .. } => Some(AttrPath::attr("type")),
            _ => None,
        }
    }
}

/// DocSpace's response envelope.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope {
    response: Option<Json>,
    status: Option<i64>,
    status_code: Option<i64>,
    error: Option<Json>,
}

pub struct OnlyofficeClient {
    http: HttpClient,
    base: Url,
    auth: Auth,
    /// Session token for password auth, shared by all calls of this provider instance.
    session: Mutex<Option<String>>,
    /// Set once this process made a change that logs out every session of the portal.
    logged_out: std::sync::atomic::AtomicBool,
    /// The portal's tenant ID, read once per process.
    tenant: tokio::sync::OnceCell<i64>,
    /// A refused login is not tried again by this process.
    gate: LoginGate<OnlyofficeError>,
}

impl OnlyofficeClient {
    pub fn new(http: HttpClient, base: Url, auth: Auth) -> Self {
        OnlyofficeClient {
            http,
            base,
            auth,
            session: Mutex::new(None),
            logged_out: Default::default(),
            tenant: Default::default(),
            gate: LoginGate::default(),
        }
    }

    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    pub fn auth_method(&self) -> AuthMethod {
        self.auth.method()
    }

    /// `host[:port]` of the portal: the resource's ID.
    pub fn portal_host(&self) -> String {
        let host = self.base.host_str().unwrap_or_default();
        match self.base.port() {
            Some(p) => format!("{host}:{p}"),
            None => host.to_string(),
        }
    }

    async fn credentials(
        &self,
        call: Call,
        cancel: &CancellationToken,
    ) -> Result<(Call, Option<String>), OnlyofficeError> {
        Ok(match &self.auth {
            Auth::ApiKey(k) => (call.header("authorization", &format!("Bearer {k}")), None),
            Auth::Token(t) => (call.header("cookie", &format!("asc_auth_key={t}")), None),
            Auth::Password { .. } => {
                // One login at a time per provider process: the lock is held while logging in.
                let mut s = self.session.lock().await;
                let token = match s.as_ref() {
                    Some(t) => t.clone(),
                    None => {
                        let t = self.gate.login(self.login(cancel), |e| !e.is_transient()).await?;
                        *s = Some(t.clone());
                        t
                    }
                };
                (call.header("cookie", &format!("asc_auth_key={token}")), Some(token))
            }
        })
    }

    /// `POST /api/2.0/authentication`: a token, or why DocSpace would not give one. Repeated
    /// only when no answer came (within `max_retries`), never after DocSpace answered — a login
    /// it refused, or one that needs a second factor, is not tried again by this process
    /// ([`LoginGate`]): DocSpace's brute-force limit counts every failed login.
    async fn login(&self, cancel: &CancellationToken) -> Result<String, OnlyofficeError> {
        let Auth::Password { username, password } = &self.auth else { unreachable!("login only for password auth") };
        let call = Call::new(http::Method::POST, api_url(&self.base, "/api/2.0/authentication"))
            .json(&json!({"userName": username, "password": password}))
            .header("accept", "application/json")
            .idempotent(true);
        let resp = self.http.send(&call, cancel).await?;
        match resp.status.as_u16() {
            401 | 404 => {
                return Err(OnlyofficeError::Unauthorized {
                    call: call.name(),
                    method: AuthMethod::Password,
                    after_logout: false,
                });
            }
            s if !resp.status.is_success() => return Err(error_from(&call, s, &resp, self.auth.method(), false)),
            _ => {}
        }
        // The answer holds the session token: never quoted, even when it cannot be read.
        let env: Envelope = resp.json_secret("DocSpace", &call)?;
        let r = env.response.unwrap_or(Json::Null);
        if let Some(t) = r.get("token").and_then(Json::as_str).filter(|t| !t.is_empty()) {
            return Ok(t.to_string());
        }
        let why = if r.get("tfa").and_then(Json::as_bool) == Some(true) {
            "TFA by authenticator app is required for this user"
        } else if r.get("sms").and_then(Json::as_bool) == Some(true) {
            "a code sent by SMS is required for this user"
        } else {
            "no token in the answer"
        };
        Err(OnlyofficeError::LoginBlocked { username: username.clone(), why: why.into() })
    }

    /// Sends a call with credentials; with password auth a rejected session is renewed once.
    async fn call(
        &self,
        make: impl Fn() -> Call,
        sms: bool,
        cancel: &CancellationToken,
    ) -> Result<Json, OnlyofficeError> {
        let mut relogged = false;
        loop {
            let (call, session) = self.credentials(make(), cancel).await?;
            let resp = self.http.send(&call, cancel).await?;
            let status = resp.status.as_u16();
            if status == 401 {
                if let (Some(used), false) = (session, relogged) {
                    log::info!("DocSpace: session rejected on {}; logging in again", call.name());
                    let mut s = self.session.lock().await;
                    if s.as_deref() == Some(used.as_str()) {
                        *s = None;
                    }
                    relogged = true;
                    continue;
                }
                return Err(OnlyofficeError::Unauthorized {
                    call: call.name(),
                    method: self.auth.method(),
                    after_logout: self.logged_out.load(std::sync::atomic::Ordering::Relaxed),
                });
            }
            if !resp.status.is_success() {
                return Err(error_from(&call, status, &resp, self.auth.method(), sms));
            }
            let env: Envelope = resp.json("DocSpace", &call)?;
            if env.status.unwrap_or(0) != 0 || env.error.is_some() {
                return Err(api_error(&call, status, &env));
            }
            return Ok(env.response.unwrap_or(Json::Null));
        }
    }

    /// The portal's tenant ID (`GET /api/2.0/portal`, `PortalController.GetPortalInformation`,
    /// `TenantDto.TenantId`): DocSpace's own, stable name for the portal, which any signed-in user
    /// may read. Read once per provider process.
    pub async fn tenant_id(&self, cancel: &CancellationToken) -> Result<i64, OnlyofficeError> {
        self.tenant
            .get_or_try_init(|| async {
                let url = api_url(&self.base, "/api/2.0/portal");
                let r =
                    self.call(|| Call::get(url.clone()).header("accept", "application/json"), false, cancel).await?;
                r.get("tenantId").and_then(Json::as_i64).ok_or_else(|| OnlyofficeError::Api {
                    call: "GET /api/2.0/portal".into(),
                    status: 200,
                    message: "the answer has no tenantId".into(),
                })
            })
            .await
            .copied()
    }

    pub async fn read(&self, cancel: &CancellationToken) -> Result<TfaRead, OnlyofficeError> {
        let url = api_url(&self.base, "/api/2.0/settings/tfaapp");
        let r = self.call(|| Call::get(url.clone()).header("accept", "application/json"), false, cancel).await?;
        Ok(parse_tfa(&r))
    }

    /// One `PUT /api/2.0/settings/tfaapp`. Not idempotent in effect: an enabling write logs out
    /// every session of the portal each time it lands, so it is never resent blindly. Answers
    /// DocSpace's `true` (TFA on: everyone was logged out) or `false` (TFA off).
    pub async fn write(&self, s: &TfaSettings, cancel: &CancellationToken) -> Result<bool, OnlyofficeError> {
        let ty = s.tfa_type.unwrap_or(TfaType::None);
        let body = json!({
            "type": ty.attr(),
            "trustedIps": s.trusted_ips,
            "mandatoryUsers": s.mandatory_users,
            "mandatoryGroups": s.mandatory_groups,
        });
        let url = api_url(&self.base, "/api/2.0/settings/tfaapp");
        let make = || {
            Call::new(http::Method::PUT, url.clone()).json(&body).header("accept", "application/json").idempotent(false)
        };
        let r = self.call(make, ty == TfaType::Sms, cancel).await?;
        let enabled = r == Json::Bool(true);
        if enabled {
            self.logged_out.store(true, std::sync::atomic::Ordering::Relaxed);
        }
        Ok(enabled)
    }
}

/// A non-2xx answer as DocSpace writes them: a model-binding 400, a 403 with or without a body,
/// or the exception envelope.
fn error_from(call: &Call, status: u16, resp: &HttpResponse, method: AuthMethod, sms: bool) -> OnlyofficeError {
    let json: Option<Json> = serde_json::from_slice(&resp.body).ok();
    if status == 400
        && let Some(errors) = json.as_ref().and_then(|j| j.pointer("/response/errors")).and_then(Json::as_object)
    {
        let fields = errors
            .iter()
            .map(|(f, m)| {
                let msgs = m
                    .as_array()
                    .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
                    .unwrap_or_default();
                (if f.is_empty() { "(body)".to_string() } else { f.clone() }, msgs)
            })
            .collect();
        return OnlyofficeError::Binding { call: call.name(), fields };
    }
    if status == 403 {
        let text = String::from_utf8_lossy(&resp.body).trim().to_string();
        let refusal = match json.as_ref().and_then(|j| j.pointer("/error/message")).and_then(Json::as_str) {
            Some(m) => Refusal::Message(m.to_string()),
            None if text.is_empty() => Refusal::NoBody,
            None => Refusal::Text(text.chars().take(200).collect()),
        };
        return OnlyofficeError::Refused { call: call.name(), refusal, method, sms };
    }
    match json.and_then(|j| serde_json::from_value::<Envelope>(j).ok()) {
        Some(env) => api_error(call, status, &env),
        None => OnlyofficeError::Api { call: call.name(), status, message: resp.error_message(&[]) },
    }
}

fn api_error(call: &Call, status: u16, env: &Envelope) -> OnlyofficeError {
    let message = env
        .error
        .as_ref()
        .and_then(|e| e.get("message"))
        .and_then(Json::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| format!("status {}", env.status.unwrap_or(-1)));
    let status = if status == 200 { env.status_code.map_or(status, |c| c as u16) } else { status };
    OnlyofficeError::Api { call: call.name(), status, message }
}

fn strings(v: Option<&Json>) -> BTreeSet<String> {
    v.and_then(Json::as_array)
        .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

/// Reads the list of entries; `available` is spelled `avaliable` on servers before v3.7.1.
pub fn parse_tfa(r: &Json) -> TfaRead {
    let mut out = TfaRead::default();
    for entry in r.as_array().map(Vec::as_slice).unwrap_or_default() {
        let available =
            entry.get("available").or_else(|| entry.get("avaliable")).and_then(Json::as_bool).unwrap_or(false);
        let ty = match entry.get("id").and_then(Json::as_str) {
            Some("sms") => TfaType::Sms,
            Some("app") => TfaType::App,
            _ => continue,
        };
        match ty {
            TfaType::Sms => out.sms_available = available,
            _ => out.app_available = available,
        }
        if entry.get("enabled").and_then(Json::as_bool) == Some(true) {
            out.settings = TfaSettings {
                tfa_type: Some(ty),
                trusted_ips: strings(entry.get("trustedIps")),
                mandatory_users: strings(entry.get("mandatoryUsers")),
                mandatory_groups: strings(entry.get("mandatoryGroups")),
            };
        }
    }
    if out.settings.tfa_type.is_none() {
        out.settings.tfa_type = Some(TfaType::None);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_spellings_and_omitted_lists() {
        let old = json!([
            {"id": "sms", "title": "SMS", "enabled": false, "avaliable": false},
            {"id": "app", "title": "App", "enabled": true, "avaliable": true, "trustedIps": ["10.0.0.0/8"]}
        ]);
        let r = parse_tfa(&old);
        assert_eq!(r.settings.tfa_type, Some(TfaType::App));
        assert!(r.app_available && !r.sms_available);
        assert_eq!(r.settings.trusted_ips, BTreeSet::from(["10.0.0.0/8".to_string()]));
        assert!(r.settings.mandatory_users.is_empty());
        let new = json!([{"id": "sms", "enabled": true, "available": true}]);
        assert!(parse_tfa(&new).sms_available);
        assert_eq!(parse_tfa(&json!([])).settings.tfa_type, Some(TfaType::None));
    }
}

#[cfg(test)]
mod emulated {
    use super::*;
    use crate::http::HttpSettings;
    use mfa_sandbox::onlyoffice::{API_KEY, OnlyofficeEmulator};
    use mfa_sandbox::{RunningEmulator, ServerOptions};
    use std::sync::Arc;

    async fn client(app: Arc<OnlyofficeEmulator>, key: &str) -> (RunningEmulator, OnlyofficeClient) {
        let emu = mfa_sandbox::start(app, ServerOptions::default()).await.unwrap();
        let http = HttpClient::new("DocSpace", "onlyoffice", "", HttpSettings::default()).unwrap();
        let c = OnlyofficeClient::new(http, Url::parse(&emu.url()).unwrap(), Auth::ApiKey(key.into()));
        (emu, c)
    }

    /// A model-binding failure is a 400 whose details sit in `response.errors`, with no `error`
    /// field; before v3.7.1 its envelope even says status 0 / 200. The field messages come through.
    #[tokio::test]
    async fn binding_errors_show_the_field_messages_whatever_the_envelope_says() {
        for old in [false, true] {
            let app = Arc::new(OnlyofficeEmulator::new());
            app.use_old_spelling(old);
            let (emu, c) = client(app, API_KEY).await;
            let url = api_url(&c.base, "/api/2.0/settings/tfaapp");
            let call = Call::new(http::Method::PUT, url)
                .json(&json!({"type": "app", "mandatoryUsers": ["{75a5f745-f697-4418-b38d-0fe0d277e258}"]}))
                .idempotent(false);
            let e = c.call(|| call.clone(), false, &CancellationToken::new()).await.unwrap_err();
            let OnlyofficeError::Binding { fields, .. } = &e else { panic!("{e:?}") };
            assert_eq!(fields[0].0, "$.mandatoryUsers[0]");
            assert!(e.detail().contains("could not be converted"), "{}", e.detail());
            drop(emu);
        }
    }
}
