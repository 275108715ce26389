//! The one HTTP layer every vendor client uses: reqwest over rustls, a User-Agent naming the
//! provider, per-request timeout, bounded retries with exponential backoff and jitter that honour
//! `Retry-After`, cancellation by Terraform's Stop, an optional extra CA, and refusal of plain
//! `http://` to anything but loopback.
//!
//! Retrying is careful about calls that change things: a call marked non-idempotent is retried
//! only when it certainly did not land (connection refused, 429). After a 5xx, a timeout or a
//! lost answer such a call goes through [`HttpClient::write_verified`]: the vendor's read-back
//! decides whether it took effect, and it is sent again only if it certainly did not — within the
//! same `max_retries` budget. When even reading back cannot tell, the error says the outcome is
//! unknown, and the next `terraform apply` finds out by reading.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use backon::{ExponentialBuilder, Retryable};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use thiserror::Error;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::plugin::diag::{AttrPath, Diagnostics, ToDiagnostic};
use crate::plugin::schema::{Attribute, Validator};
use crate::plugin::value::{Type, Value};

/// Longest `Retry-After` we wait for; a longer one (e.g. a daily quota) fails at once, clearly.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// The provider settings every provider type has (issue: timeout_seconds, max_retries,
/// ca_cert_pem, insecure_skip_verify).
#[derive(Debug, Clone)]
pub struct HttpSettings {
    pub timeout: Duration,
    pub max_retries: u32,
    pub ca_cert_pem: Option<String>,
    pub insecure_skip_verify: bool,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            timeout: Duration::from_secs(30),
            max_retries: 3,
            ca_cert_pem: None,
            insecure_skip_verify: false,
        }
    }
}

impl HttpSettings {
    /// Schema attributes for the common settings, appended to each provider's own.
    /// `env_prefix` names their environment variables, e.g. `RHOMBUS` -> `RHOMBUS_TIMEOUT_SECONDS`.
    pub fn attributes(env_prefix: &str) -> Vec<Attribute> {
        vec![
            Attribute::optional("timeout_seconds", Type::Number, "Timeout of each HTTP request, in seconds. Defaults to `30`.")
                .default_int(30)
                .env(format!("{env_prefix}_TIMEOUT_SECONDS"))
                .validate(Validator::IntRange(1, 3600)),
            Attribute::optional(
                "max_retries",
                Type::Number,
                "How many times a request is retried after a rate limit (429), a 502/503/504 or a connection failure, with exponential backoff honouring `Retry-After`. Defaults to `3`.",
            )
            .default_int(3)
            .env(format!("{env_prefix}_MAX_RETRIES"))
            .validate(Validator::IntRange(0, 20)),
            Attribute::optional("ca_cert_pem", Type::String, "Extra PEM-encoded CA certificate(s) to trust, e.g. for a TLS-inspecting proxy or a private CA.")
                .env(format!("{env_prefix}_CA_CERT_PEM")),
            Attribute::optional(
                "insecure_skip_verify",
                Type::Bool,
                "Skip TLS certificate verification. For sandboxes only: it exposes the credentials to anyone on the network path. Defaults to `false`.",
            )
            .default_bool(false)
            .env(format!("{env_prefix}_INSECURE_SKIP_VERIFY")),
        ]
    }

    /// Reads the common settings from a provider configuration (defaults already applied).
    pub fn from_config(raw: &Value, diags: &mut Diagnostics) -> Option<HttpSettings> {
        let mut s = HttpSettings::default();
        if let Value::Number(n) = raw.attr("timeout_seconds") {
            s.timeout = Duration::from_secs(n.as_i64().unwrap_or(30).max(1) as u64);
        }
        if let Value::Number(n) = raw.attr("max_retries") {
            s.max_retries = n.as_i64().unwrap_or(3).clamp(0, 20) as u32;
        }
        if let Some(pem) = raw.attr("ca_cert_pem").as_str().filter(|p| !p.trim().is_empty()) {
            if reqwest::Certificate::from_pem_bundle(pem.as_bytes()).map(|c| c.is_empty()).unwrap_or(true) {
                diags.attr_error(
                    AttrPath::attr("ca_cert_pem"),
                    "Invalid CA certificate",
                    "ca_cert_pem must contain at least one PEM block starting with -----BEGIN CERTIFICATE-----.",
                );
                return None;
            }
            s.ca_cert_pem = Some(pem.to_string());
        }
        s.insecure_skip_verify = raw.attr("insecure_skip_verify").as_bool().unwrap_or(false);
        if s.insecure_skip_verify {
            diags.attr_warning(
                AttrPath::attr("insecure_skip_verify"),
                "TLS certificate verification is off",
                "insecure_skip_verify = true accepts any certificate, so anyone on the network path can read the credentials this provider sends. Use it only against a sandbox.",
            );
        }
        Some(s)
    }
}

/// What every vendor's Configure does with its base URL and the common settings: checks the URL
/// (an error on `url_attr` when it is unusable), reads the HTTP settings, builds the client.
pub fn vendor_client(
    vendor: &'static str,
    provider_type: &str,
    url_attr: &str,
    url: &str,
    req: &crate::plugin::provider::ConfigureRequest,
    diags: &mut Diagnostics,
) -> Option<(HttpClient, Url)> {
    let base = match check_base_url(url) {
        Ok(u) => u,
        Err(why) => {
            diags.attr_error(AttrPath::attr(url_attr), format!("Invalid {vendor} {url_attr}"), why);
            return None;
        }
    };
    let settings = HttpSettings::from_config(&req.raw, diags)?;
    match HttpClient::new(vendor, provider_type, &req.terraform_version, settings) {
        Ok(h) => Some((h, base)),
        Err(e) => {
            diags.error("Cannot set up the HTTP client", e);
            None
        }
    }
}

/// Checks a vendor base URL: https anywhere, plain http only to loopback.
pub fn check_base_url(raw: &str) -> Result<Url, String> {
    let url = Url::parse(raw.trim()).map_err(|e| format!("{raw:?} is not a valid URL: {e}"))?;
    match url.scheme() {
        "https" => {}
        "http" => {
            if !is_loopback(&url) {
                return Err(format!(
                    "{raw:?} uses plain http://, which would send credentials unencrypted. Plain http is allowed only to loopback \
                     addresses (127.0.0.0/8, ::1, localhost), e.g. the sandbox; use https:// for {}.",
                    url.host_str().unwrap_or("this host")
                ));
            }
        }
        other => return Err(format!("{raw:?} has scheme {other:?}; use https://")),
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("{raw:?} has no host"));
    }
    Ok(url)
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// What went wrong talking to a vendor, before any vendor-specific reading of the response.
#[derive(Debug, Clone, Error)]
pub enum HttpError {
    #[error("{vendor}: {call} failed after {attempts} attempt(s): {cause}")]
    Transport {
        vendor: &'static str,
        call: String,
        attempts: u32,
        cause: String,
        /// No answer within the timeout.
        timed_out: bool,
        /// The request went out (timeout, or the connection broke afterwards): a write may have landed.
        sent: bool,
    },
    #[error("{vendor}: {call} was cancelled because Terraform is stopping")]
    Cancelled { vendor: &'static str, call: String },
    #[error("{vendor}: {call} answered HTTP {status} with {what}")]
    BadBody { vendor: &'static str, call: String, status: u16, what: String },
}

/// An error that may or may not mean the call took effect.
pub trait Uncertain {
    /// The request may have reached the server and been applied (timeout, broken connection,
    /// lost answer, 502/503/504, or cancelled in flight): the outcome is unknown.
    fn may_have_landed(&self) -> bool;
    /// Asking again later could succeed: the above (but a cancellation), a refused connection, or
    /// a rate limit that outlasted the retries.
    fn is_transient(&self) -> bool;
}

/// A gateway's 502/503/504 answer: the request may have been applied behind it.
pub fn status_may_have_landed(status: u16) -> bool {
    matches!(status, 502..=504)
}

/// An answer worth asking again for: a rate limit, or a gateway failure. [`HttpClient::send`]
/// retries these; an error that still carries one after the retries is transient.
pub fn status_is_transient(status: u16) -> bool {
    status == 429 || status_may_have_landed(status)
}

impl Uncertain for HttpError {
    fn may_have_landed(&self) -> bool {
        matches!(self, HttpError::Transport { sent: true, .. } | HttpError::Cancelled { .. })
    }
    fn is_transient(&self) -> bool {
        matches!(self, HttpError::Transport { .. })
    }
}

/// A change whose effect could not be established: every attempt ended without a usable answer
/// and reading back could not tell either.
#[derive(Debug, Clone, Error)]
#[error("{vendor}: the outcome of {call} is unknown after {attempts} attempt(s): {cause}")]
pub struct OutcomeUnknown {
    pub vendor: &'static str,
    pub call: String,
    pub attempts: u32,
    pub cause: String,
}

impl ToDiagnostic for OutcomeUnknown {
    fn summary(&self) -> String {
        format!("Outcome of {} is unknown", self.call)
    }
    fn detail(&self) -> String {
        format!(
            "{self}. Reading the settings back did not tell whether the change took effect, so it was not sent again \
             blindly. Run terraform apply again: it reads the current settings first and completes or repeats the change \
             as needed (no terraform import or state rm is needed)."
        )
    }
}

/// How a write that is not safe to repeat came out.
#[derive(Debug, PartialEq)]
pub enum Wrote<T> {
    /// The server answered the write.
    Answered(T),
    /// An attempt's answer never arrived, but reading back showed that it took effect.
    Confirmed,
}

impl ToDiagnostic for HttpError {
    fn summary(&self) -> String {
        match self {
            HttpError::Transport { vendor, timed_out: true, .. } => format!("{vendor} API did not answer in time"),
            HttpError::Transport { vendor, sent: true, .. } => format!("Connection to the {vendor} API broke"),
            HttpError::Transport { vendor, .. } => format!("Cannot reach the {vendor} API"),
            HttpError::Cancelled { .. } => "Operation cancelled".into(),
            HttpError::BadBody { vendor, .. } => format!("Unexpected answer from the {vendor} API"),
        }
    }
    fn detail(&self) -> String {
        let hint = match self {
            HttpError::Transport { timed_out: true, .. } => {
                " Raise timeout_seconds if the service is slow; if this was a change, check its current state before applying again."
            }
            HttpError::Transport { sent: true, .. } => {
                " The connection broke after the request was sent; if this was a change, check its current state before applying again."
            }
            HttpError::Transport { .. } => " Check the endpoint URL, DNS, proxy and TLS settings (ca_cert_pem).",
            HttpError::BadBody { .. } => " A proxy or gateway may have answered instead of the service.",
            HttpError::Cancelled { .. } => "",
        };
        format!("{self}.{hint}")
    }
}

/// A request, described once and replayable for retries.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: Method,
    pub url: Url,
    pub headers: HeaderMap,
    pub body: Option<Vec<u8>>,
    pub content_type: Option<&'static str>,
    /// Safe to repeat even if it may have reached the server (reads, PUT of a whole object, ...).
    pub idempotent: bool,
}

impl Call {
    pub fn new(method: Method, url: Url) -> Self {
        let idempotent = matches!(method, Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS);
        Call { method, url, headers: HeaderMap::new(), body: None, content_type: None, idempotent }
    }
    pub fn get(url: Url) -> Self {
        Self::new(Method::GET, url)
    }
    pub fn json(mut self, body: &serde_json::Value) -> Self {
        self.body = Some(serde_json::to_vec(body).expect("JSON values serialise"));
        self.content_type = Some("application/json");
        self
    }
    pub fn form(mut self, pairs: &[(&str, &str)]) -> Self {
        let mut ser = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in pairs {
            ser.append_pair(k, v);
        }
        self.body = Some(ser.finish().into_bytes());
        self.content_type = Some("application/x-www-form-urlencoded");
        self
    }
    /// Replaces the content type (e.g. a vendor's versioned media type).
    pub fn content_type(mut self, ct: &'static str) -> Self {
        self.content_type = Some(ct);
        self
    }
    pub fn header(mut self, name: &str, value: &str) -> Self {
        if let (Ok(n), Ok(mut v)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            // Marked sensitive so nothing that prints headers (reqwest's Debug) shows the value.
            v.set_sensitive(true);
            self.headers.insert(n, v);
        }
        self
    }
    /// Overrides the method-based default, e.g. a read done with POST.
    pub fn idempotent(mut self, yes: bool) -> Self {
        self.idempotent = yes;
        self
    }
    /// `POST /api/org/getOrgV2`, for messages. No query string: it never belongs in a diagnostic.
    pub fn name(&self) -> String {
        format!("{} {}", self.method, self.url.path())
    }
}

#[derive(Debug, Clone)]
pub struct HttpResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// Parses the body as JSON; a proxy's HTML page or truncated JSON becomes a clear error.
    pub fn json<T: serde::de::DeserializeOwned>(&self, vendor: &'static str, call: &Call) -> Result<T, HttpError> {
        serde_json::from_slice(&self.body).map_err(|e| HttpError::BadBody {
            vendor,
            call: call.name(),
            status: self.status.as_u16(),
            what: describe_body(&self.headers, &self.body, &e.to_string()),
        })
    }

    /// The message of an error answer: the first of `json_keys` (a `/`-separated pointer such
    /// as `error/message`) found in a JSON body, else a description of the body (an HTML page's
    /// title, a short text excerpt).
    pub fn error_message(&self, json_keys: &[&str]) -> String {
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&self.body) {
            for k in json_keys {
                if let Some(m) = v.pointer(&format!("/{k}")).and_then(|m| m.as_str()).filter(|m| !m.trim().is_empty()) {
                    return m.to_string();
                }
            }
        }
        let text = String::from_utf8_lossy(&self.body);
        let t = text.trim();
        if t.is_empty() {
            "an empty body".into()
        } else if t.starts_with('<') || self.header_str("content-type").is_some_and(|c| c.contains("html")) {
            describe_body(&self.headers, &self.body, "")
        } else {
            t.chars().take(300).collect()
        }
    }

    pub fn header_str(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// `Retry-After` as a duration (seconds or HTTP date).
    pub fn retry_after(&self) -> Option<Duration> {
        retry_after(&self.headers)
    }
}

/// A short description of a body that is not the JSON we expected, without dumping it.
pub fn describe_body(headers: &HeaderMap, body: &[u8], parse_error: &str) -> String {
    let ct = headers.get(reqwest::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("no content type");
    let text = String::from_utf8_lossy(body);
    if ct.contains("html") || text.trim_start().starts_with('<') {
        let title = text
            .split_once("<title>")
            .and_then(|(_, rest)| rest.split_once("</title>"))
            .map(|(t, _)| t.trim().to_string())
            .unwrap_or_default();
        return if title.is_empty() {
            format!("an HTML page ({ct}) instead of JSON")
        } else {
            format!("an HTML page titled {title:?} ({ct}) instead of JSON")
        };
    }
    if body.is_empty() {
        return format!("an empty body ({ct}) instead of JSON");
    }
    let excerpt: String = text.chars().take(120).collect();
    format!("malformed JSON ({ct}: {parse_error}); body starts with {excerpt:?}")
}

pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(v).ok()?;
    Some(when.duration_since(std::time::SystemTime::now()).unwrap_or(Duration::ZERO))
}

/// An attempt's outcome when it did not produce a final answer.
enum Attempt {
    /// Retryable status; kept so it can be returned as-is once retries are exhausted.
    Status(HttpResponse),
    Transport {
        cause: String,
        connect: bool,
        timed_out: bool,
        sent: bool,
    },
}

/// A vendor's HTTP client: one connection pool per configured provider.
#[derive(Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    vendor: &'static str,
    settings: HttpSettings,
    /// Shortest backoff step; tests and the sandbox shorten it.
    min_backoff: Duration,
}

impl HttpClient {
    /// `provider_type` and `version` form the User-Agent (`terraform-provider-rhombus/0.1.0`).
    pub fn new(
        vendor: &'static str,
        provider_type: &str,
        terraform_version: &str,
        settings: HttpSettings,
    ) -> Result<Self, String> {
        let mut ua = format!("terraform-provider-{provider_type}/{}", env!("CARGO_PKG_VERSION"));
        if !terraform_version.is_empty() {
            ua.push_str(&format!(" Terraform/{terraform_version}"));
        }
        let mut b = reqwest::Client::builder()
            .user_agent(ua)
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout.min(Duration::from_secs(10)))
            // Redirects could carry credentials to another host; vendors' APIs never redirect.
            .redirect(reqwest::redirect::Policy::none())
            .pool_idle_timeout(Duration::from_secs(30));
        if let Some(pem) = &settings.ca_cert_pem {
            let certs =
                reqwest::Certificate::from_pem_bundle(pem.as_bytes()).map_err(|e| format!("ca_cert_pem: {e}"))?;
            b = b.tls_certs_merge(certs);
        }
        if settings.insecure_skip_verify {
            b = b.tls_danger_accept_invalid_certs(true);
        }
        let client = b.build().map_err(|e| format!("cannot set up the HTTP client: {e}"))?;
        let min_backoff = std::env::var("MFA_PROVIDER_MIN_BACKOFF_MS")
            .ok()
            .and_then(|s| s.parse().ok())
            .map(Duration::from_millis)
            .unwrap_or(Duration::from_millis(500));
        Ok(HttpClient { client, vendor, settings, min_backoff })
    }

    pub fn vendor(&self) -> &'static str {
        self.vendor
    }

    pub fn max_retries(&self) -> u32 {
        self.settings.max_retries
    }

    /// Waits before try number `n` (1 = the first retry): exponential backoff with jitter, the
    /// same curve as [`HttpClient::send`]'s retries. False when Terraform is stopping.
    pub async fn pause(&self, n: u32, cancel: &CancellationToken) -> bool {
        let base = self.min_backoff.saturating_mul(1 << n.saturating_sub(1).min(16)).min(Duration::from_secs(20));
        let wait = base.mul_f64(0.5 + rand::random::<f64>() * 0.5);
        tokio::select! {
            _ = cancel.cancelled() => false,
            _ = tokio::time::sleep(wait) => true,
        }
    }

    /// Makes a change that must not be repeated blindly (an add that fails the second time, a
    /// write with side effects). `send` makes one attempt; when its outcome is unknown,
    /// `took_effect` reads the remote state, and the change is sent again only if it certainly did
    /// not take effect — up to `max_retries` more times. A read-back that keeps failing ends in
    /// [`OutcomeUnknown`]; a read-back showing the change ends the loop as [`Wrote::Confirmed`].
    ///
    /// (Closures returning futures rather than async closures: the latter cannot yet be proven
    /// `Send` inside the async-trait methods that call this.)
    pub async fn write_verified<T, E, S, SF, C, CF>(
        &self,
        call: &str,
        cancel: &CancellationToken,
        mut send: S,
        mut took_effect: C,
    ) -> Result<Wrote<T>, E>
    where
        E: Uncertain + std::fmt::Display + From<OutcomeUnknown>,
        S: FnMut() -> SF,
        SF: std::future::Future<Output = Result<T, E>>,
        C: FnMut() -> CF,
        CF: std::future::Future<Output = Result<bool, E>>,
    {
        let unknown = |attempts: u32, cause: String| OutcomeUnknown {
            vendor: self.vendor,
            call: call.to_string(),
            attempts,
            cause,
        };
        let mut sends = 0;
        loop {
            sends += 1;
            let uncertain = match send().await {
                Ok(answer) => return Ok(Wrote::Answered(answer)),
                Err(e) if e.may_have_landed() => e,
                Err(e) => return Err(e),
            };
            log::info!("{}: outcome of {call} unknown ({uncertain}); reading back before anything else", self.vendor);
            let mut checks = 0;
            loop {
                if cancel.is_cancelled() {
                    return Err(unknown(sends, format!("{uncertain}; then Terraform asked to stop")).into());
                }
                match took_effect().await {
                    Ok(true) => return Ok(Wrote::Confirmed),
                    Ok(false) => break,
                    Err(e) if e.is_transient() && checks < self.settings.max_retries => {
                        checks += 1;
                        self.pause(checks, cancel).await;
                    }
                    Err(e) if e.is_transient() || e.may_have_landed() => {
                        return Err(unknown(sends, format!("{uncertain}; reading back failed too: {e}")).into());
                    }
                    Err(e) => return Err(e),
                }
            }
            // It certainly did not take effect: try again while the budget lasts.
            if sends > self.settings.max_retries {
                return Err(uncertain);
            }
            log::info!("{}: {call} did not take effect; sending it again (attempt {})", self.vendor, sends + 1);
            if !self.pause(sends, cancel).await {
                return Err(uncertain);
            }
        }
    }

    /// Sends a call, retrying what is safe to retry. Any HTTP status is returned as a response
    /// for the vendor code to interpret; `Err` means no usable response arrived.
    pub async fn send(&self, call: &Call, cancel: &CancellationToken) -> Result<HttpResponse, HttpError> {
        let attempts = std::sync::atomic::AtomicU32::new(0);
        let idempotent = call.idempotent;
        let op = || async {
            let n = attempts.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            self.attempt(call, n).await
        };
        let backoff = ExponentialBuilder::default()
            .with_min_delay(self.min_backoff)
            .with_max_delay(Duration::from_secs(20))
            .with_max_times(self.settings.max_retries as usize)
            .with_jitter();
        let retrying = op
            .retry(backoff)
            .sleep(tokio::time::sleep)
            .when(|a: &Attempt| match a {
                Attempt::Status(r) => idempotent || r.status == StatusCode::TOO_MANY_REQUESTS,
                Attempt::Transport { connect, .. } => idempotent || *connect,
            })
            .adjust(|a: &Attempt, planned: Option<Duration>| match a {
                Attempt::Status(r) => match r.retry_after() {
                    Some(d) if d > MAX_RETRY_AFTER => None,
                    Some(d) => Some(d),
                    None => planned,
                },
                _ => planned,
            })
            .notify(|a: &Attempt, wait: Duration| {
                let why = match a {
                    Attempt::Status(r) => format!("HTTP {}", r.status.as_u16()),
                    Attempt::Transport { cause, .. } => cause.clone(),
                };
                log::info!("{}: {} got {why}; retrying in {} ms", self.vendor, call.name(), wait.as_millis());
            });
        let outcome = tokio::select! {
            _ = cancel.cancelled() => return Err(HttpError::Cancelled { vendor: self.vendor, call: call.name() }),
            r = retrying => r,
        };
        match outcome {
            Ok(resp) => Ok(resp),
            Err(Attempt::Status(resp)) => Ok(resp),
            Err(Attempt::Transport { cause, timed_out, sent, .. }) => Err(HttpError::Transport {
                vendor: self.vendor,
                call: call.name(),
                attempts: attempts.load(std::sync::atomic::Ordering::Relaxed),
                cause,
                timed_out,
                sent,
            }),
        }
    }

    async fn attempt(&self, call: &Call, n: u32) -> Result<HttpResponse, Attempt> {
        let started = Instant::now();
        let mut req = self.client.request(call.method.clone(), call.url.clone()).headers(call.headers.clone());
        if let Some(ct) = call.content_type {
            req = req.header(reqwest::header::CONTENT_TYPE, ct);
        }
        if let Some(body) = &call.body {
            req = req.body(body.clone());
        }
        let sent = req.send().await;
        let resp = match sent {
            Ok(r) => r,
            Err(e) => return Err(transport(&e, self.settings.timeout)),
        };
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = match resp.bytes().await {
            Ok(b) => b.to_vec(),
            Err(e) => return Err(transport(&e, self.settings.timeout)),
        };
        log::debug!(
            "{}: {} -> {} in {} ms (attempt {n})",
            self.vendor,
            call.name(),
            status.as_u16(),
            started.elapsed().as_millis()
        );
        let r = HttpResponse { status, headers, body };
        if status_is_transient(status.as_u16()) { Err(Attempt::Status(r)) } else { Ok(r) }
    }
}

fn transport(e: &reqwest::Error, timeout: Duration) -> Attempt {
    let timed_out = e.is_timeout();
    let connect = e.is_connect() && !timed_out;
    let mut cause = if timed_out {
        format!("no answer within {} s", timeout.as_secs())
    } else if connect {
        "connection failed".to_string()
    } else {
        "connection broken".to_string()
    };
    // The innermost source says what actually happened (refused, TLS, reset...). reqwest errors
    // never include headers, so no credential can appear here.
    let mut src: Option<&dyn std::error::Error> = std::error::Error::source(e);
    let mut innermost = None;
    while let Some(s) = src {
        innermost = Some(s.to_string());
        src = s.source();
    }
    if let Some(i) = innermost {
        cause.push_str(&format!(" ({i})"));
    }
    // Anything but a failed connect means the request went out: a write may have landed.
    Attempt::Transport { cause, connect, timed_out, sent: !connect }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_to_loopback() {
        for ok in [
            "http://127.0.0.1:8080",
            "http://127.5.0.1",
            "http://[::1]:9",
            "http://localhost:1",
            "https://api2.rhombussystems.com",
        ] {
            assert!(check_base_url(ok).is_ok(), "{ok}");
        }
        for bad in ["http://example.com", "http://10.0.0.1", "http://localhost.evil.com", "ftp://x", "nonsense"] {
            assert!(check_base_url(bad).is_err(), "{bad}");
        }
        assert!(check_base_url("http://example.com").unwrap_err().contains("loopback"));
    }

    #[test]
    fn settings_are_read_and_a_bad_ca_is_an_attribute_error() {
        use crate::plugin::value::Number;
        let cfg = |pem: &str| {
            Value::Object(std::collections::BTreeMap::from([
                ("timeout_seconds".to_string(), Value::Number(Number::Int(7))),
                ("max_retries".to_string(), Value::Number(Number::Int(0))),
                ("ca_cert_pem".to_string(), Value::String(pem.to_string())),
                ("insecure_skip_verify".to_string(), Value::Bool(true)),
            ]))
        };
        let mut d = Diagnostics::new();
        assert!(HttpSettings::from_config(&cfg("not a certificate"), &mut d).is_none());
        assert_eq!(d.0[0].path, Some(AttrPath::attr("ca_cert_pem")));
        let (der, _) = crate::plugin::tls::self_signed_localhost().unwrap();
        use base64::Engine;
        let pem = format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            base64::engine::general_purpose::STANDARD.encode(der)
        );
        let mut d = Diagnostics::new();
        let s = HttpSettings::from_config(&cfg(&pem), &mut d).unwrap();
        assert_eq!((s.timeout, s.max_retries, s.insecure_skip_verify), (Duration::from_secs(7), 0, true));
        // Turning verification off is allowed, with a warning on the attribute.
        assert_eq!(d.0.len(), 1);
        assert_eq!(d.0[0].path, Some(AttrPath::attr("insecure_skip_verify")));
    }

    #[test]
    fn retry_after_accepts_seconds_and_dates() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        let later = std::time::SystemTime::now() + Duration::from_secs(120);
        h.insert(RETRY_AFTER, HeaderValue::from_str(&httpdate::fmt_http_date(later)).unwrap());
        let d = retry_after(&h).unwrap();
        assert!(d > Duration::from_secs(100) && d <= Duration::from_secs(120), "{d:?}");
        h.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn html_pages_are_described_not_dumped() {
        let mut h = HeaderMap::new();
        h.insert(reqwest::header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
        let d = describe_body(&h, b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>", "x");
        assert!(d.contains("\"502 Bad Gateway\""), "{d}");
        assert!(!d.contains("nginx"));
    }

    /// A tiny API for exercising the client: `GET /ok` and `POST /write` answer `{"ok":true}`.
    struct Echo;

    impl mfa_sandbox::EmulatorApp for Echo {
        fn vendor(&self) -> &'static str {
            "Echo"
        }
        fn router(self: std::sync::Arc<Self>) -> mfa_sandbox::axum::Router {
            use mfa_sandbox::axum;
            let ok = || async { axum::Json(serde_json::json!({"ok": true})) };
            axum::Router::new().route("/ok", axum::routing::get(ok)).route("/write", axum::routing::post(ok))
        }
        fn error_envelope(&self) -> (u16, String) {
            (200, "{}".into())
        }
        fn summary(&self) -> serde_json::Value {
            serde_json::Value::Null
        }
        fn sandbox_env(&self, _: &str) -> Vec<(String, String)> {
            vec![]
        }
    }

    async fn echo(tls: bool) -> mfa_sandbox::RunningEmulator {
        let opts = mfa_sandbox::ServerOptions { tls, ..Default::default() };
        mfa_sandbox::start(std::sync::Arc::new(Echo), opts).await.unwrap()
    }

    fn client(settings: HttpSettings) -> HttpClient {
        let mut c = HttpClient::new("Echo", "echo", "1.0.3", settings).unwrap();
        c.min_backoff = Duration::from_millis(10);
        c
    }

    fn url(e: &mfa_sandbox::RunningEmulator, path: &str) -> Url {
        Url::parse(&e.url()).unwrap().join(path).unwrap()
    }

    #[tokio::test]
    async fn honours_retry_after_and_gives_up_on_long_waits() {
        let e = echo(false).await;
        e.control.push_fault(mfa_sandbox::Fault::status(429).times(1).retry_after("1"));
        let c = client(HttpSettings::default());
        let started = Instant::now();
        let r = c.send(&Call::get(url(&e, "/ok")), &CancellationToken::new()).await.unwrap();
        assert_eq!(r.status, 200);
        assert!(started.elapsed() >= Duration::from_millis(950), "waited only {:?}", started.elapsed());
        assert!(e.control.requests()[0].user_agent.starts_with("terraform-provider-echo/"));

        // A Retry-After beyond the cap (a daily quota) is returned at once for a clear error.
        e.control.push_fault(mfa_sandbox::Fault::status(429).times(1).retry_after("86400"));
        let started = Instant::now();
        let r = c.send(&Call::get(url(&e, "/ok")), &CancellationToken::new()).await.unwrap();
        assert_eq!(r.status, 429);
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[tokio::test]
    async fn writes_that_may_have_landed_are_not_retried_blindly() {
        let e = echo(false).await;
        let c = client(HttpSettings::default());
        let write = || Call::new(Method::POST, url(&e, "/write"));
        e.control.push_fault(mfa_sandbox::Fault::status(503).times(1));
        assert_eq!(c.send(&write(), &CancellationToken::new()).await.unwrap().status, 503);
        assert_eq!(e.control.count("POST", "/write"), 1, "a non-idempotent 503 must not be resent");
        // A 429 was rejected before processing: safe to retry even for a write.
        e.control.push_fault(mfa_sandbox::Fault::status(429).times(1));
        assert_eq!(c.send(&write(), &CancellationToken::new()).await.unwrap().status, 200);
        // A dropped connection after sending: the write may have landed, so no retry...
        e.control.push_fault(mfa_sandbox::Fault::new(mfa_sandbox::FaultKind::Drop).times(1));
        let err = c.send(&write(), &CancellationToken::new()).await.unwrap_err();
        assert!(err.may_have_landed(), "{err}");
        assert_eq!(err.summary(), "Connection to the Echo API broke");
        // ...while an idempotent read is retried through the same fault.
        e.control.push_fault(mfa_sandbox::Fault::new(mfa_sandbox::FaultKind::Drop).times(2));
        assert_eq!(c.send(&Call::get(url(&e, "/ok")), &CancellationToken::new()).await.unwrap().status, 200);
    }

    /// What a scripted remote answers to one attempt.
    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Step {
        Ok,
        /// Applied, answer lost.
        Lost,
        /// Not applied, connection dropped.
        Dropped,
        /// A definite refusal (4xx).
        Refused,
    }

    #[derive(Debug)]
    enum TestErr {
        Uncertain,
        Refused,
        Unknown(OutcomeUnknown),
    }

    impl std::fmt::Display for TestErr {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "{self:?}")
        }
    }
    impl Uncertain for TestErr {
        fn may_have_landed(&self) -> bool {
            matches!(self, TestErr::Uncertain)
        }
        fn is_transient(&self) -> bool {
            matches!(self, TestErr::Uncertain)
        }
    }
    impl From<OutcomeUnknown> for TestErr {
        fn from(e: OutcomeUnknown) -> Self {
            TestErr::Unknown(e)
        }
    }

    /// Runs `write_verified` against a remote that answers writes by `writes` and read-backs by
    /// `reads` (true = the read itself fails); returns the outcome, how often the change was
    /// applied, and how many writes were sent.
    async fn scripted(max_retries: u32, writes: &[Step], reads: &[bool]) -> (Result<Wrote<()>, TestErr>, u32, usize) {
        let c = client(HttpSettings { max_retries, ..Default::default() });
        let (applied, w, r) = (std::cell::Cell::new(0u32), std::cell::Cell::new(0usize), std::cell::Cell::new(0usize));
        let (applied_ref, w, r) = (&applied, &w, &r);
        let out = c
            .write_verified(
                "POST /things",
                &CancellationToken::new(),
                move || async move {
                    let applied = applied_ref;
                    let step = writes.get(w.get()).copied().unwrap_or(Step::Ok);
                    w.set(w.get() + 1);
                    match step {
                        Step::Ok => {
                            applied.set(applied.get() + 1);
                            Ok(())
                        }
                        Step::Lost => {
                            applied.set(applied.get() + 1);
                            Err(TestErr::Uncertain)
                        }
                        Step::Dropped => Err(TestErr::Uncertain),
                        Step::Refused => Err(TestErr::Refused),
                    }
                },
                move || async move {
                    let fails = reads.get(r.get()).copied().unwrap_or(false);
                    r.set(r.get() + 1);
                    if fails { Err(TestErr::Uncertain) } else { Ok(applied_ref.get() > 0) }
                },
            )
            .await;
        (out, applied.get(), w.get())
    }

    #[tokio::test]
    async fn uncertain_writes_are_read_back_and_never_resent_blindly() {
        // A lost answer: the read-back finds the change, nothing is sent again.
        let (out, applied, sent) = scripted(3, &[Step::Lost], &[]).await;
        assert_eq!((out.unwrap(), applied, sent), (Wrote::Confirmed, 1, 1));
        // Dropped twice (not applied), then answered: sent three times, applied once.
        let (out, applied, sent) = scripted(3, &[Step::Dropped, Step::Dropped, Step::Ok], &[]).await;
        assert_eq!((out.unwrap(), applied, sent), (Wrote::Answered(()), 1, 3));
        // Dropped, a failing read-back retried, then a lost answer confirmed by reading.
        let (out, applied, sent) = scripted(3, &[Step::Dropped, Step::Lost], &[true, false, false]).await;
        assert_eq!((out.unwrap(), applied, sent), (Wrote::Confirmed, 1, 2));
        // A definite refusal ends at once.
        let (out, _, sent) = scripted(3, &[Step::Refused], &[]).await;
        assert!(matches!(out, Err(TestErr::Refused)) && sent == 1);
    }

    #[tokio::test]
    async fn the_budget_bounds_writes_and_read_backs() {
        // Never applied: 1 + max_retries sends, then the (now certain) failure.
        let (out, applied, sent) = scripted(2, &[Step::Dropped; 5], &[]).await;
        assert!(matches!(out, Err(TestErr::Uncertain)) && applied == 0 && sent == 3, "{out:?} {sent}");
        // The read-back keeps failing: the outcome is unknown, and said so with the call.
        let (out, applied, sent) = scripted(2, &[Step::Lost], &[true; 5]).await;
        let Err(TestErr::Unknown(e)) = out else { panic!("{out:?}") };
        assert_eq!((applied, sent), (1, 1));
        assert!(e.to_string().contains("POST /things") && e.summary().contains("unknown"), "{e}");
        assert!(e.detail().contains("terraform apply"), "{}", e.detail());
        // max_retries = 0 still reads back once after a lost answer.
        let (out, _, sent) = scripted(0, &[Step::Lost], &[]).await;
        assert_eq!((out.unwrap(), sent), (Wrote::Confirmed, 1));
    }

    #[tokio::test]
    async fn connection_refused_is_retried_then_reported_with_the_call() {
        let e = echo(false).await;
        let dead = url(&e, "/ok");
        drop(e);
        tokio::time::sleep(Duration::from_millis(50)).await;
        let c = client(HttpSettings { max_retries: 2, ..Default::default() });
        let err = c.send(&Call::new(Method::POST, dead), &CancellationToken::new()).await.unwrap_err();
        let text = err.to_string();
        assert!(text.contains("POST /ok") && text.contains("3 attempt(s)"), "{text}");
        assert!(!err.may_have_landed());
    }

    #[tokio::test]
    async fn timeouts_and_cancellation() {
        let e = echo(false).await;
        e.control.push_fault(mfa_sandbox::Fault::parse("delay=3000").unwrap());
        let c = client(HttpSettings { timeout: Duration::from_secs(1), max_retries: 0, ..Default::default() });
        let err = c.send(&Call::get(url(&e, "/ok")), &CancellationToken::new()).await.unwrap_err();
        assert!(matches!(err, HttpError::Transport { timed_out: true, .. }), "{err}");
        let cancel = CancellationToken::new();
        let c2 = client(HttpSettings::default());
        let call = Call::get(url(&e, "/ok"));
        let started = Instant::now();
        let (r, _) = tokio::join!(c2.send(&call, &cancel), async {
            tokio::time::sleep(Duration::from_millis(100)).await;
            cancel.cancel();
        });
        assert!(matches!(r, Err(HttpError::Cancelled { .. })));
        assert!(started.elapsed() < Duration::from_secs(1));
    }

    #[tokio::test]
    async fn extra_ca_is_trusted_and_insecure_mode_skips_verification() {
        let e = echo(true).await;
        let u = url(&e, "/ok");
        let plain = client(HttpSettings { max_retries: 0, ..Default::default() });
        let err = plain.send(&Call::get(u.clone()), &CancellationToken::new()).await.unwrap_err();
        assert!(err.to_string().to_lowercase().contains("certificate"), "{err}");
        let with_ca = client(HttpSettings { ca_cert_pem: e.tls_cert_pem.clone(), ..Default::default() });
        assert_eq!(with_ca.send(&Call::get(u.clone()), &CancellationToken::new()).await.unwrap().status, 200);
        let insecure = client(HttpSettings { insecure_skip_verify: true, ..Default::default() });
        assert_eq!(insecure.send(&Call::get(u), &CancellationToken::new()).await.unwrap().status, 200);
    }
}
