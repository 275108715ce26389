//! Akana API Platform (Community Manager) client for a business's 2FA settings
//! (https://help.akana.com/content/current/cm/api/businesses/m_businesses_getTwoFASettings.htm).
//!
//! Session as the platform documents it: `POST /api/login` with e-mail and password sets the
//! `AtmoAuthToken_<tenant>` cookie (platforms before 8.0 answered the token in the body instead,
//! which is then sent as that cookie), and `Csrf-Token_<tenant>` when CSRF prevention is on. Every
//! call sends the auth cookie and, once the CSRF cookie is known, `X-Csrf-Token_<tenant>` with its
//! value byte for byte — GETs included, because with `ReadRequestCSRFSupport` the platform refuses
//! reads without it ("CSRF Prevention on the Platform"). The provider logs in lazily, once per
//! provider process, shares the session between all resources, and logs in again once when the
//! session expires (401).

mod login_policy;
mod wire;

pub use login_policy::{LoginPolicy, PolicyObject};
pub use wire::overlay;
use wire::{Field, Fields, Object};

use serde_json::Value as Json;
use thiserror::Error;
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::http::{
    Call, HttpClient, HttpError, HttpResponse, LoginGate, Uncertain, api_url, status_is_transient,
    status_may_have_landed,
};
use crate::plugin::diag::ToDiagnostic;

/// The managed fields of the platform's TwoFASettings object, typed. Also kept in private state
/// (what was adopted, what was written).
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct TwoFa {
    pub enabled: Option<bool>,
    pub code_valid_seconds: Option<i64>,
    pub max_attempts: Option<i64>,
    pub recurrence_mode: Option<String>,
    pub recurrence_interval_minutes: Option<i64>,
    pub device_cookie_name: Option<String>,
}

/// A TwoFASettings object as read.
pub type TwoFaObject = Object<TwoFa>;

impl Fields for TwoFa {
    const WIRE: &'static [Field<TwoFa>] = &[
        Field::Bool("TwoFAEnabled", |f| &mut f.enabled),
        Field::Int("CodeValidSeconds", |f| &mut f.code_valid_seconds),
        Field::Int("MaxAttempts", |f| &mut f.max_attempts),
        Field::Text("RecurrenceMode", |f| &mut f.recurrence_mode),
        Field::Int("RecurrenceIntervalMinutes", |f| &mut f.recurrence_interval_minutes),
        Field::Text("DeviceCookieName", |f| &mut f.device_cookie_name),
    ];
    const DROP_ABSENT: bool = true;
}

#[derive(Debug, Clone, Error)]
pub enum AkanaError {
    #[error(transparent)]
    Http(#[from] HttpError),
    #[error("Akana refused the login of {email} (HTTP {status})")]
    LoginRejected { email: String, status: u16 },
    #[error("Akana's login for {email} has pending tasks: {tasks}")]
    PendingTasks { email: String, tasks: String },
    #[error("Akana's login answer set no {expected} cookie (cookies set: {found})")]
    NoAuthCookie { expected: String, found: String },
    #[error("business {business:?} does not exist on this Akana platform")]
    NotFound { business: String },
    #[error("Akana answered {call} with HTTP {status}: {message}")]
    Status { call: String, status: u16, message: String },
    #[error("Akana still rejects the session on {call} after logging in again (HTTP 401)")]
    SessionRejected { call: String },
}

impl ToDiagnostic for AkanaError {
    fn summary(&self) -> String {
        match self {
            AkanaError::Http(e) => e.summary(),
            AkanaError::LoginRejected { .. } => "Akana login failed".into(),
            AkanaError::PendingTasks { .. } => "Akana login is not complete".into(),
            AkanaError::NoAuthCookie { .. } => "Akana login returned no session for this tenant".into(),
            AkanaError::NotFound { .. } => "Akana business not found".into(),
            AkanaError::Status { status: 403, .. } => "Akana denied permission".into(),
            AkanaError::Status { .. } => "Akana reported an error".into(),
            AkanaError::SessionRejected { .. } => "Akana rejected the session".into(),
        }
    }
    fn detail(&self) -> String {
        let hint = match self {
            AkanaError::Http(e) => return e.detail(),
            AkanaError::LoginRejected { .. } => {
                "Check email / AKANA_EMAIL and password / AKANA_PASSWORD, and that the account is not locked."
            }
            AkanaError::PendingTasks { tasks, .. } => {
                if tasks.contains("2fa.verification.code") {
                    "The account itself must enter a 2FA code to log in, which a provider cannot do. Use a dedicated Site Admin account \
                     that is exempt from 2FA."
                } else {
                    "Log in to the developer portal once with this account and complete the pending tasks (e.g. change the password, \
                     accept agreements), then apply again."
                }
            }
            AkanaError::NoAuthCookie { .. } => {
                "Check fed_member_id / AKANA_FED_MEMBER_ID: it is the tenant ID that suffixes the platform's cookie names \
                 (AtmoAuthToken_<tenant>), e.g. acmepaymentscorp."
            }
            AkanaError::NotFound { .. } => {
                "Check business_id: the tenant's root business is tenantbusiness.<fed_member_id>, e.g. tenantbusiness.acmepaymentscorp."
            }
            AkanaError::Status { status: 403, .. } => {
                "Managing a business's 2FA settings and login policy needs the Site Admin role."
            }
            AkanaError::Status { .. } => "",
            AkanaError::SessionRejected { .. } => {
                "The session cookie or the X-Csrf-Token header was refused even after a fresh login. Check fed_member_id and any proxy \
                 that might strip cookies or custom headers."
            }
        };
        format!("{self}. {hint}").trim_end().to_string()
    }
}

impl Uncertain for AkanaError {
    fn may_have_landed(&self) -> bool {
        match self {
            AkanaError::Http(e) => e.may_have_landed(),
            AkanaError::Status { status, .. } => status_may_have_landed(*status),
            _ => false,
        }
    }
    fn is_transient(&self) -> bool {
        match self {
            AkanaError::Http(e) => e.is_transient(),
            AkanaError::Status { status, .. } => status_is_transient(*status),
            _ => false,
        }
    }
}

/// An established session: the cookies as the login set them.
#[derive(Clone)]
struct Session {
    auth_cookie: String,
    csrf: Option<String>,
    /// Increments with each login, so concurrent calls that saw the same expiry log in once.
    generation: u64,
}

pub struct AkanaClient {
    http: HttpClient,
    base: Url,
    tenant: String,
    email: String,
    password: String,
    session: Mutex<Option<Session>>,
    logins: std::sync::atomic::AtomicU64,
    /// A refused login is not tried again by this process.
    gate: LoginGate<AkanaError>,
}

/// The value of cookie `name` among the response's `Set-Cookie` headers, byte for byte.
fn cookie(resp: &HttpResponse, name: &str) -> Option<String> {
    resp.headers.get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).find_map(|c| {
        let first = c.split(';').next()?.trim();
        let (k, v) = first.split_once('=')?;
        (k == name).then(|| v.to_string())
    })
}

fn cookie_names(resp: &HttpResponse) -> String {
    let names: Vec<String> = resp
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|c| c.split('=').next().map(|n| n.trim().to_string()))
        .collect();
    if names.is_empty() { "none".into() } else { names.join(", ") }
}

impl AkanaClient {
    pub fn new(http: HttpClient, base: Url, tenant: String, email: String, password: String) -> Self {
        AkanaClient {
            http,
            base,
            tenant,
            email,
            password,
            session: Mutex::new(None),
            logins: Default::default(),
            gate: LoginGate::default(),
        }
    }

    /// `POST /api/login`. A refusal is not tried again by this process ([`LoginGate`]): the
    /// platform locks an account after a number of failed logins.
    async fn login(&self, cancel: &CancellationToken) -> Result<Session, AkanaError> {
        let call = Call::new(http::Method::POST, api_url(&self.base, "/api/login"))
            .json(&serde_json::json!({"email": self.email, "password": self.password}))
            .header("accept", "application/json")
            // Logging in changes nothing but the session: safe to repeat.
            .idempotent(true);
        let resp = self.http.send(&call, cancel).await?;
        if matches!(resp.status.as_u16(), 400 | 401 | 403) {
            return Err(AkanaError::LoginRejected { email: self.email.clone(), status: resp.status.as_u16() });
        }
        if !resp.status.is_success() {
            return Err(AkanaError::Status {
                call: call.name(),
                status: resp.status.as_u16(),
                message: resp.error_message(&["message"]),
            });
        }
        // A single-sign-on gateway's login page answers 200 too: say so, not "no session".
        if let Some(title) = resp.html_title() {
            return Err(AkanaError::Http(HttpError::Html {
                vendor: "Akana",
                call: call.name(),
                status: resp.status.as_u16(),
                title,
            }));
        }
        let body: Json = serde_json::from_slice(&resp.body).unwrap_or(Json::Null);
        let tasks: Vec<&str> = body
            .get("pendingTasks")
            .and_then(Json::as_array)
            .map(|a| a.iter().filter_map(Json::as_str).collect())
            .unwrap_or_default();
        if !tasks.is_empty() {
            return Err(AkanaError::PendingTasks { email: self.email.clone(), tasks: tasks.join(", ") });
        }
        let auth_name = format!("AtmoAuthToken_{}", self.tenant);
        // Before 8.0 the token came in the body: it is sent back as the same cookie — unless the
        // login did set an auth cookie, for another tenant (then fed_member_id is wrong).
        let other_tenant = resp
            .headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|c| c.trim_start().starts_with("AtmoAuthToken_"))
            || body
                .get("loginDomainID")
                .or_else(|| body.get("loginDomainId"))
                .and_then(Json::as_str)
                .is_some_and(|d| d != format!("siteusers.{}", self.tenant));
        let from_body = || {
            (!other_tenant)
                .then(|| body.get("authToken").and_then(Json::as_str).filter(|t| !t.is_empty()).map(str::to_string))
                .flatten()
        };
        let Some(auth) = cookie(&resp, &auth_name).or_else(from_body) else {
            return Err(AkanaError::NoAuthCookie { expected: auth_name, found: cookie_names(&resp) });
        };
        let csrf = cookie(&resp, &format!("Csrf-Token_{}", self.tenant));
        let generation = self.logins.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        log::debug!("Akana: logged in as {} (login #{generation})", self.email);
        Ok(Session { auth_cookie: format!("{auth_name}={auth}"), csrf, generation })
    }

    /// The current session, logging in first if there is none. `stale` names a generation that
    /// was rejected: a newer session is reused, otherwise this caller logs in again.
    async fn session(&self, stale: Option<u64>, cancel: &CancellationToken) -> Result<Session, AkanaError> {
        let mut s = self.session.lock().await;
        if let Some(cur) = s.as_ref()
            && stale.is_none_or(|g| cur.generation > g)
        {
            return Ok(cur.clone());
        }
        let refused =
            |e: &AkanaError| matches!(e, AkanaError::LoginRejected { .. } | AkanaError::Http(HttpError::Html { .. }));
        let fresh = self.gate.login(self.login(cancel), refused).await?;
        *s = Some(fresh.clone());
        Ok(fresh)
    }

    async fn call(
        &self,
        method: http::Method,
        path: &str,
        body: Option<&Json>,
        cancel: &CancellationToken,
    ) -> Result<HttpResponse, AkanaError> {
        let url = api_url(&self.base, path);
        let mut stale = None;
        loop {
            let s = self.session(stale, cancel).await?;
            let mut call = Call::new(method.clone(), url.clone())
                .header("accept", "application/json")
                .header("cookie", &s.auth_cookie);
            if let Some(csrf) = &s.csrf {
                call = call.header(&format!("X-Csrf-Token_{}", self.tenant), csrf);
            }
            if let Some(b) = body {
                call = call.json(b);
            }
            let resp = self.http.send(&call, cancel).await?;
            if resp.status.as_u16() == 401 {
                if stale.is_none() {
                    log::info!("Akana: session rejected on {}; logging in again", call.name());
                    stale = Some(s.generation);
                    continue;
                }
                return Err(AkanaError::SessionRejected { call: call.name() });
            }
            return Ok(resp);
        }
    }

    fn settings_path(business: &str) -> String {
        Self::business_path(business, "twofasettings")
    }

    /// `/api/businesses/{BusinessID}/{object}`, the ID encoded as one path segment.
    fn business_path(business: &str, object: &str) -> String {
        let enc = percent_encoding::utf8_percent_encode(business, percent_encoding::NON_ALPHANUMERIC).to_string();
        // Dots and dashes are safe in a path segment and read better in logs.
        let enc = enc.replace("%2E", ".").replace("%2D", "-").replace("%5F", "_");
        format!("/api/businesses/{enc}/{object}")
    }

    /// `GET /api/businesses/{id}/twofasettings`; `None` when the business does not exist.
    pub async fn read(&self, business: &str, cancel: &CancellationToken) -> Result<Option<TwoFaObject>, AkanaError> {
        let path = Self::settings_path(business);
        let resp = self.call(http::Method::GET, &path, None, cancel).await?;
        match resp.status.as_u16() {
            200 => {
                let call = Call::get(api_url(&self.base, &path));
                Ok(Some(TwoFaObject::parse(resp.json("Akana", &call)?)))
            }
            404 => Ok(None),
            s => Err(AkanaError::Status {
                call: format!("GET {path}"),
                status: s,
                message: resp.error_message(&["message"]),
            }),
        }
    }

    /// `PUT` of the complete object; returns what the platform echoes.
    pub async fn write(
        &self,
        business: &str,
        object: &Json,
        cancel: &CancellationToken,
    ) -> Result<TwoFaObject, AkanaError> {
        let path = Self::settings_path(business);
        let resp = self.call(http::Method::PUT, &path, Some(object), cancel).await?;
        match resp.status.as_u16() {
            200 => Ok(TwoFaObject::parse(serde_json::from_slice(&resp.body).unwrap_or(Json::Null))),
            404 => Err(AkanaError::NotFound { business: business.to_string() }),
            s => Err(AkanaError::Status {
                call: format!("PUT {path}"),
                status: s,
                message: resp.error_message(&["message"]),
            }),
        }
    }

    /// The businesses the administrator can see: `GET /api/businesses` (Akana's API reference,
    /// m_businesses_getBusinesses: "information about businesses on the platform, as an RSS feed";
    /// no paging is documented). Akana lists come as an RSS channel (Ref_RSSChannelsOnThePlatform);
    /// the item fields are not documented in what we could read, so an item's business ID is read
    /// from `guid` (a string or `{"value": ...}`) or `BusinessID`, its name from `title` or `Name`.
    /// `None` when the answer is not such a channel: the caller says so rather than list nothing
    /// in silence.
    pub async fn businesses(&self, cancel: &CancellationToken) -> Result<Option<Vec<(String, String)>>, AkanaError> {
        let path = "/api/businesses";
        let resp = self.call(http::Method::GET, path, None, cancel).await?;
        if !resp.status.is_success() {
            return Err(AkanaError::Status {
                call: format!("GET {path}"),
                status: resp.status.as_u16(),
                message: resp.error_message(&["message"]),
            });
        }
        let body: Json = resp.json("Akana", &Call::get(api_url(&self.base, path)))?;
        Ok(business_items(&body))
    }

    /// How many logins this process made (for logs and tests).
    pub fn logins(&self) -> u64 {
        self.logins.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// The (ID, name) pairs of an Akana business feed, `None` when it is not an RSS channel.
fn business_items(body: &Json) -> Option<Vec<(String, String)>> {
    let channel = body.get("channel").unwrap_or(body);
    let items: Vec<&Json> = match channel.get("item").or_else(|| channel.get("items")) {
        Some(Json::Array(a)) => a.iter().collect(),
        Some(one @ Json::Object(_)) => vec![one],
        // An empty channel may leave `item` out.
        None if body.get("channel").is_some_and(Json::is_object) => vec![],
        _ => return None,
    };
    let text = |v: Option<&Json>| match v {
        Some(Json::String(s)) => Some(s.clone()),
        Some(Json::Object(o)) => o.get("value").and_then(Json::as_str).map(str::to_string),
        _ => None,
    };
    Some(
        items
            .into_iter()
            .filter_map(|i| {
                let id = text(i.get("guid")).or_else(|| text(i.get("BusinessID")))?;
                let name = text(i.get("title")).or_else(|| text(i.get("Name"))).unwrap_or_else(|| id.clone());
                Some((id, name))
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_business_feed_is_read_as_a_channel_and_another_shape_is_not_guessed() {
        let feed = serde_json::json!({"channel": {"item": [
            {"guid": {"value": "tenantbusiness.acme"}, "title": "Acme"},
            {"guid": "tenantbusiness.beta"}
        ]}});
        assert_eq!(
            business_items(&feed),
            Some(vec![
                ("tenantbusiness.acme".into(), "Acme".into()),
                ("tenantbusiness.beta".into(), "tenantbusiness.beta".into())
            ])
        );
        assert_eq!(business_items(&serde_json::json!({"channel": {"title": "Businesses"}})), Some(vec![]));
        assert_eq!(business_items(&serde_json::json!([{"BusinessID": "x"}])), None);
        assert_eq!(business_items(&serde_json::json!({"businesses": []})), None);
    }

    #[test]
    fn strings_and_native_values_both_read_and_unknown_fields_pass_through() {
        let o = TwoFaObject::parse(serde_json::json!({
            "TwoFAEnabled": "false", "CodeValidSeconds": "300", "MaxAttempts": 4,
            "RecurrenceMode": "twofa.login.new.device", "DeviceCookieName": "2fa_cookie", "DeviceCookieValue": "abc", "Future": {"x": 1}
        }));
        assert_eq!(o.fields.enabled, Some(false));
        assert_eq!(o.fields.code_valid_seconds, Some(300));
        assert_eq!(o.fields.max_attempts, Some(4));
        let mut f = o.fields.clone();
        f.enabled = Some(true);
        f.max_attempts = Some(5);
        let out = o.with(&f);
        assert_eq!(out["TwoFAEnabled"], "true");
        assert_eq!(out["MaxAttempts"], "5");
        assert_eq!(out["DeviceCookieValue"], "abc");
        assert_eq!(out["Future"]["x"], 1);
    }

    #[test]
    fn business_ids_are_encoded_as_one_path_segment() {
        assert_eq!(
            AkanaClient::settings_path("tenantbusiness.acme"),
            "/api/businesses/tenantbusiness.acme/twofasettings"
        );
        assert_eq!(AkanaClient::settings_path("a/b c"), "/api/businesses/a%2Fb%20c/twofasettings");
    }
}

#[cfg(test)]
mod emulated {
    use std::sync::Arc;

    use super::*;
    use crate::http::HttpSettings;
    use mfa_sandbox::ServerOptions;
    use mfa_sandbox::akana::{ADMIN_EMAIL, ADMIN_PASSWORD, AkanaEmulator, ROOT_BUSINESS, TENANT};

    fn client(url: &str, tenant: &str) -> Arc<AkanaClient> {
        let http = HttpClient::new("Akana", "akana", "", HttpSettings::default()).unwrap();
        Arc::new(AkanaClient::new(
            http,
            Url::parse(url).unwrap(),
            tenant.into(),
            ADMIN_EMAIL.into(),
            ADMIN_PASSWORD.into(),
        ))
    }

    #[tokio::test]
    async fn concurrent_calls_share_one_login_and_expiry_relogs_once() {
        let app = Arc::new(AkanaEmulator::new());
        for i in 0..20 {
            app.add_business(&format!("biz{i}"));
        }
        let emu = mfa_sandbox::start(app.clone(), ServerOptions::default()).await.unwrap();
        let c = client(&emu.url(), TENANT);
        let cancel = CancellationToken::new();
        let reads = (0..20).map(|i| {
            let c = c.clone();
            let cancel = cancel.clone();
            tokio::spawn(async move { c.read(&format!("biz{i}"), &cancel).await.unwrap().unwrap() })
        });
        for r in reads {
            r.await.unwrap();
        }
        assert_eq!(emu.control.count("POST", "/api/login"), 1, "one login for 20 concurrent calls");

        app.expire_sessions();
        let writes = (0..20).map(|i| {
            let c = c.clone();
            let cancel = cancel.clone();
            tokio::spawn(async move {
                let b = format!("biz{i}");
                let cur = c.read(&b, &cancel).await.unwrap().unwrap();
                let mut f = cur.fields.clone();
                f.enabled = Some(true);
                c.write(&b, &cur.with(&f), &cancel).await.unwrap();
            })
        });
        for w in writes {
            w.await.unwrap();
        }
        assert_eq!(emu.control.count("POST", "/api/login"), 2, "one re-login after the sessions expired");
        assert_eq!(app.settings("biz7")["TwoFAEnabled"], "true");
    }

    #[tokio::test]
    async fn wrong_tenant_and_missing_csrf_are_explained() {
        let app = Arc::new(AkanaEmulator::new());
        let emu = mfa_sandbox::start(app.clone(), ServerOptions::default()).await.unwrap();
        let cancel = CancellationToken::new();
        let e = client(&emu.url(), "othertenant").read(ROOT_BUSINESS, &cancel).await.unwrap_err();
        assert!(
            matches!(&e, AkanaError::NoAuthCookie { found, .. } if found.contains("AtmoAuthToken_acmepaymentscorp")),
            "{e}"
        );
        // The emulator refuses a write without the CSRF header; our client always sends it.
        let c = client(&emu.url(), TENANT);
        let cur = c.read(ROOT_BUSINESS, &cancel).await.unwrap().unwrap();
        c.write(ROOT_BUSINESS, &cur.with(&cur.fields), &cancel).await.unwrap();
        let login = Url::parse(&emu.url()).unwrap().join("/api/login").unwrap();
        let resp = reqwest::Client::new()
            .post(login)
            .json(&serde_json::json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}))
            .send()
            .await
            .unwrap();
        let auth = resp
            .headers()
            .get_all("set-cookie")
            .iter()
            .find_map(|v| {
                v.to_str()
                    .ok()
                    .filter(|s| s.starts_with("AtmoAuthToken_"))
                    .map(|s| s.split(';').next().unwrap().to_string())
            })
            .unwrap();
        let put = Url::parse(&emu.url()).unwrap().join(&AkanaClient::settings_path(ROOT_BUSINESS)).unwrap();
        let bare =
            reqwest::Client::new().put(put).header("cookie", auth).json(&cur.with(&cur.fields)).send().await.unwrap();
        assert_eq!(bare.status(), 401, "a PUT without X-Csrf-Token must be refused");
    }
}
