//! ONLYOFFICE DocSpace client for the TFA settings (vendor notes §4): `GET`/`PUT
//! /api/2.0/settings/tfaapp`, answers wrapped in `{response, count, status, statusCode}` (status 0 =
//! success, 1 = error with `error.message`).
//!
//! Authentication: an API key (`Authorization: Bearer sk-…`, recommended), a session token sent as
//! the `asc_auth_key` cookie, or a user name and password exchanged for such a token. Every
//! successful write that enables TFA logs out **every** session of the portal, including the
//! provider's own token; with an API key nothing breaks, with a password the provider logs in
//! again where DocSpace still allows it, and with a bare token it says what happened.

use std::collections::BTreeSet;

use serde::Deserialize;
use serde_json::{Value as J, json};
use thiserror::Error;
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::http::{Call, HttpClient, HttpError};
use crate::plugin::diag::ToDiagnostic;

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

/// TFA type as the API spells it.
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
    pub fn attr(self) -> &'static str {
        match self {
            TfaType::None => "none",
            TfaType::Sms => "sms",
            TfaType::App => "app",
        }
    }
    fn api(self) -> &'static str {
        match self {
            TfaType::None => "None",
            TfaType::Sms => "Sms",
            TfaType::App => "App",
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

/// What `GET /api/2.0/settings/tfaapp` says, including availability of each type.
#[derive(Debug, Clone, Default)]
pub struct TfaRead {
    pub settings: TfaSettings,
    /// Present (the portal shows SMS settings) and usable (an SMS provider is enabled).
    pub sms_available: bool,
    pub app_available: bool,
}

#[derive(Debug, Error)]
pub enum OnlyofficeError {
    #[error(transparent)]
    Http(#[from] HttpError),
    #[error("DocSpace answered {call} with HTTP {status}: {message}")]
    Api { call: String, status: u16, message: String },
    #[error("DocSpace rejected the {} on {call} (HTTP 401)", method_name(*method))]
    Unauthorized { call: String, method: AuthMethod, after_logout: bool },
    #[error("DocSpace login for {username} did not return a token: {why}")]
    LoginBlocked { username: String, why: String },
}

fn method_name(m: AuthMethod) -> &'static str {
    match m {
        AuthMethod::ApiKey => "API key",
        AuthMethod::Token => "session token",
        AuthMethod::Password => "user name and password",
    }
}

impl ToDiagnostic for OnlyofficeError {
    fn summary(&self) -> String {
        match self {
            OnlyofficeError::Http(e) => e.summary(),
            OnlyofficeError::Api { status: 403, .. } => "DocSpace refused the change".into(),
            OnlyofficeError::Api { status: 429, .. } => "DocSpace rate limit exceeded".into(),
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
            OnlyofficeError::Api { status: 403, .. } => format!(
                "{self}. Changing TFA settings needs a portal administrator (and an API key with write permission); making the \
                 portal owner mandatory is only allowed to the owner."
            ),
            OnlyofficeError::Api { status: 429, .. } => {
                format!("{self}. Retries honouring Retry-After were exhausted; apply again later.")
            }
            OnlyofficeError::Unauthorized { method: AuthMethod::ApiKey, .. } => format!(
                "{self}. Check api_key / ONLYOFFICE_API_KEY: the key may be expired, revoked or from another portal."
            ),
            OnlyofficeError::Unauthorized { after_logout: true, .. } => format!(
                "{self}. The TFA change itself was applied. DocSpace logs out every session of the portal whenever TFA is enabled or \
                 changed, including the token this provider used, so further calls need a new token. Use an API key (api_key / \
                 ONLYOFFICE_API_KEY), which is not affected."
            ),
            OnlyofficeError::Unauthorized { .. } => format!(
                "{self}. Session tokens stop working when they expire and whenever someone enables or changes TFA on the portal (DocSpace \
                 then logs out every session). Get a new token, or better use an API key (api_key / ONLYOFFICE_API_KEY), which is not affected."
            ),
            OnlyofficeError::Api { .. } => format!("{self}."),
            OnlyofficeError::LoginBlocked { .. } => format!(
                "{self}. Once TFA applies to a user, DocSpace's login returns no token until a second factor is entered, which a provider \
                 cannot do. Use an API key (api_key / ONLYOFFICE_API_KEY), or add the provider's IP to trusted_ips."
            ),
        }
    }
}

/// DocSpace's response envelope.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope {
    response: Option<J>,
    status: Option<i64>,
    status_code: Option<i64>,
    error: Option<J>,
}

pub struct OnlyofficeClient {
    http: HttpClient,
    base: Url,
    auth: Auth,
    /// Session token for password auth, shared by all calls of this provider instance.
    session: Mutex<Option<String>>,
    /// Set once this process made a change that logs out every session of the portal.
    logged_out: std::sync::atomic::AtomicBool,
}

impl OnlyofficeClient {
    pub fn new(http: HttpClient, base: Url, auth: Auth) -> Self {
        OnlyofficeClient { http, base, auth, session: Mutex::new(None), logged_out: Default::default() }
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
                let mut s = self.session.lock().await;
                let token = match s.as_ref() {
                    Some(t) => t.clone(),
                    None => {
                        let t = self.login(cancel).await?;
                        *s = Some(t.clone());
                        t
                    }
                };
                (call.header("cookie", &format!("asc_auth_key={token}")), Some(token))
            }
        })
    }

    /// `POST /api/2.0/authentication`: a token, or why DocSpace would not give one.
    async fn login(&self, cancel: &CancellationToken) -> Result<String, OnlyofficeError> {
        let Auth::Password { username, password } = &self.auth else { unreachable!("login only for password auth") };
        let call = Call::new(reqwest::Method::POST, self.base.join("/api/2.0/authentication").expect("static path"))
            .json(&json!({"userName": username, "password": password}))
            .header("accept", "application/json")
            // A login creates a session but changes nothing: safe to repeat.
            .idempotent(true);
        let resp = self.http.send(&call, cancel).await?;
        let env: Envelope = resp.json("DocSpace", &call)?;
        if !resp.status.is_success() || env.status.unwrap_or(0) != 0 {
            if resp.status.as_u16() == 401 || resp.status.as_u16() == 404 {
                return Err(OnlyofficeError::Unauthorized {
                    call: call.name(),
                    method: AuthMethod::Password,
                    after_logout: false,
                });
            }
            return Err(api_error(&call, resp.status.as_u16(), &env));
        }
        let r = env.response.unwrap_or(J::Null);
        if let Some(t) = r.get("token").and_then(J::as_str).filter(|t| !t.is_empty()) {
            return Ok(t.to_string());
        }
        let why = if r.get("tfa").and_then(J::as_bool) == Some(true) {
            "TFA by authenticator app is required for this user"
        } else if r.get("sms").and_then(J::as_bool) == Some(true) {
            "a code sent by SMS is required for this user"
        } else {
            "no token in the answer"
        };
        Err(OnlyofficeError::LoginBlocked { username: username.clone(), why: why.into() })
    }

    /// Sends a call with credentials; with password auth a rejected session is renewed once.
    async fn call(&self, make: impl Fn() -> Call, cancel: &CancellationToken) -> Result<J, OnlyofficeError> {
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
            let env: Envelope = resp.json("DocSpace", &call)?;
            if !resp.status.is_success() || env.status.unwrap_or(0) != 0 || env.error.is_some() {
                return Err(api_error(&call, status, &env));
            }
            return Ok(env.response.unwrap_or(J::Null));
        }
    }

    pub async fn read(&self, cancel: &CancellationToken) -> Result<TfaRead, OnlyofficeError> {
        let url = self.base.join("/api/2.0/settings/tfaapp").expect("static path");
        let r = self.call(|| Call::get(url.clone()).header("accept", "application/json"), cancel).await?;
        Ok(parse_tfa(&r))
    }

    /// `PUT /api/2.0/settings/tfaapp`. `owner_check_id` is the caller's user ID, sent when
    /// mandatory users are listed (DocSpace then checks the portal owner is not made mandatory by
    /// someone else).
    pub async fn write(
        &self,
        s: &TfaSettings,
        owner_check_id: Option<&str>,
        cancel: &CancellationToken,
    ) -> Result<(), OnlyofficeError> {
        let ty = s.tfa_type.unwrap_or(TfaType::None);
        let mut body = json!({
            "type": ty.api(),
            "trustedIps": s.trusted_ips,
            "mandatoryUsers": s.mandatory_users,
            "mandatoryGroups": s.mandatory_groups,
        });
        if let Some(id) = owner_check_id {
            body["id"] = json!(id);
        }
        let url = self.base.join("/api/2.0/settings/tfaapp").expect("static path");
        // The same whole settings object written twice is the same result: safe to retry.
        let r = self
            .call(
                || Call::new(reqwest::Method::PUT, url.clone()).json(&body).header("accept", "application/json"),
                cancel,
            )
            .await?;
        // `true` after enabling (DocSpace also logged everyone out), `false` after `None`: both success.
        if r == J::Bool(true) {
            self.logged_out.store(true, std::sync::atomic::Ordering::Relaxed);
        }
        Ok(())
    }

    /// `GET /api/2.0/people/@self`: the ID of the user the provider acts as.
    pub async fn self_id(&self, cancel: &CancellationToken) -> Result<String, OnlyofficeError> {
        let url = self.base.join("/api/2.0/people/@self").expect("static path");
        let r = self.call(|| Call::get(url.clone()).header("accept", "application/json"), cancel).await?;
        Ok(r.get("id").and_then(J::as_str).unwrap_or_default().to_string())
    }
}

fn api_error(call: &Call, status: u16, env: &Envelope) -> OnlyofficeError {
    let message = env
        .error
        .as_ref()
        .and_then(|e| e.get("message"))
        .and_then(J::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| format!("status {}", env.status.unwrap_or(-1)));
    let status = if status == 200 { env.status_code.map_or(status, |c| c as u16) } else { status };
    OnlyofficeError::Api { call: call.name(), status, message }
}

fn strings(v: Option<&J>) -> BTreeSet<String> {
    v.and_then(J::as_array)
        .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

/// Reads the list of entries; `available` is spelled `avaliable` on servers before v3.7.1.
pub fn parse_tfa(r: &J) -> TfaRead {
    let mut out = TfaRead::default();
    for entry in r.as_array().map(Vec::as_slice).unwrap_or_default() {
        let available = entry.get("available").or_else(|| entry.get("avaliable")).and_then(J::as_bool).unwrap_or(false);
        let ty = match entry.get("id").and_then(J::as_str) {
            Some("sms") => TfaType::Sms,
            Some("app") => TfaType::App,
            _ => continue,
        };
        match ty {
            TfaType::Sms => out.sms_available = available,
            _ => out.app_available = available,
        }
        if entry.get("enabled").and_then(J::as_bool) == Some(true) {
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
