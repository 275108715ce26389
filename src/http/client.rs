//! Sending a call: one connection pool per configured provider, retries within the budget
//! ([`super::budget`]), the host's shared pace ([`super::pace`]), cancellation by Terraform's Stop.

use std::sync::Arc;
use std::time::{Duration, Instant};

use backon::{BackoffBuilder, ExponentialBuilder};
use reqwest::StatusCode;
use tokio_util::sync::CancellationToken;

use super::budget::Budget;
use super::call::{Call, HttpResponse};
use super::error::{HttpError, status_is_transient};
use super::pace::Pace;
use super::settings::{HttpSettings, MAX_RETRY_AFTER};

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
    /// The TLS handshake failed (certificate, or no TLS on the other side).
    Tls(String),
}

/// A vendor's HTTP client: one connection pool per configured provider.
#[derive(Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    vendor: &'static str,
    settings: HttpSettings,
    /// Shortest backoff step; tests and the sandbox shorten it.
    pub(super) min_backoff: Duration,
    pace: Arc<Pace>,
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
        Ok(HttpClient { client, vendor, settings, min_backoff, pace: Arc::default() })
    }

    pub fn vendor(&self) -> &'static str {
        self.vendor
    }

    pub fn max_retries(&self) -> u32 {
        self.settings.max_retries
    }

    pub fn settings(&self) -> &HttpSettings {
        &self.settings
    }

    /// The host's pace (for tests and the benchmark's figures).
    pub fn pace(&self) -> &Pace {
        &self.pace
    }

    /// The delays between repeats: exponential from `min_backoff`, with jitter, at most 20 s.
    pub(super) fn backoff(&self) -> impl Iterator<Item = Duration> + use<> {
        ExponentialBuilder::default()
            .with_min_delay(self.min_backoff)
            .with_max_delay(Duration::from_secs(20))
            .without_max_times()
            .with_jitter()
            .build()
    }

    /// Waits `d`; false when Terraform is stopping.
    pub(super) async fn pause(&self, d: Duration, cancel: &CancellationToken) -> bool {
        tokio::select! {
            _ = cancel.cancelled() => false,
            _ = tokio::time::sleep(d) => true,
        }
    }

    /// Sends a call, retrying what is safe to retry within the budget. Any HTTP status but an
    /// exhausted rate limit is returned as a response for the vendor code to interpret; `Err`
    /// means no usable response arrived.
    pub async fn send(&self, call: &Call, cancel: &CancellationToken) -> Result<HttpResponse, HttpError> {
        tokio::select! {
            _ = cancel.cancelled() => Err(HttpError::Cancelled { vendor: self.vendor, call: call.name() }),
            r = self.send_within_budget(call, cancel) => r,
        }
    }

    async fn send_within_budget(&self, call: &Call, cancel: &CancellationToken) -> Result<HttpResponse, HttpError> {
        let budget = Budget::current_or(self.settings.max_retries);
        let mut delays = self.backoff();
        let mut attempts = 0;
        loop {
            // Waiting for the host's pace is not an attempt.
            self.pace.admit().await;
            attempts += 1;
            let failed = match self.attempt(call, attempts).await {
                Ok(r) => {
                    self.pace.accepted();
                    return Ok(r);
                }
                Err(a) => a,
            };
            let (retryable, asked) = match &failed {
                Attempt::Status(r) if r.status == StatusCode::TOO_MANY_REQUESTS => {
                    let asked = r.retry_after();
                    self.pace.limited(asked);
                    // A wait longer than we make is a quota: say so at once.
                    (asked.is_none_or(|d| d <= MAX_RETRY_AFTER), asked)
                }
                Attempt::Status(r) => {
                    self.pace.accepted();
                    (call.idempotent, r.retry_after().filter(|d| *d <= MAX_RETRY_AFTER))
                }
                Attempt::Transport { connect, .. } => (call.idempotent || *connect, None),
                Attempt::Tls(_) => (false, None),
            };
            if !retryable || !budget.take() {
                return self.give_up(call, attempts, failed);
            }
            // A 429 is never answered after doing the work, and Retry-After says how long to wait.
            let backoff = delays.next().unwrap_or(Duration::from_secs(20));
            let wait = asked.map_or(backoff, |d| d.max(self.min_backoff));
            let why = match &failed {
                Attempt::Status(r) => format!("HTTP {}", r.status.as_u16()),
                Attempt::Transport { cause, .. } => cause.clone(),
                Attempt::Tls(cause) => cause.clone(),
            };
            log::info!(
                "{}: {} got {why}; retrying in {} ms ({} repeat(s) left)",
                self.vendor,
                call.name(),
                wait.as_millis(),
                budget.left()
            );
            if !self.pause(wait, cancel).await {
                return Err(HttpError::Cancelled { vendor: self.vendor, call: call.name() });
            }
        }
    }

    /// The answer once no repeat is allowed: a gateway status for the vendor to read, or the error.
    fn give_up(&self, call: &Call, attempts: u32, failed: Attempt) -> Result<HttpResponse, HttpError> {
        match failed {
            Attempt::Status(r) if r.status == StatusCode::TOO_MANY_REQUESTS => {
                Err(self.rate_limited(call, attempts, r.retry_after()))
            }
            Attempt::Status(r) => Ok(r),
            Attempt::Tls(cause) => Err(HttpError::Tls {
                vendor: self.vendor,
                call: call.name(),
                host: call.url.host_str().unwrap_or_default().to_string(),
                cause,
                env_prefix: self.settings.env_prefix.clone(),
            }),
            Attempt::Transport { cause, timed_out, sent, .. } => {
                Err(HttpError::Transport { vendor: self.vendor, call: call.name(), attempts, cause, timed_out, sent })
            }
        }
    }

    fn rate_limited(&self, call: &Call, attempts: u32, retry_after: Option<Duration>) -> HttpError {
        HttpError::RateLimited {
            vendor: self.vendor,
            call: call.name(),
            attempts,
            retry_after,
            max_retries: self.settings.max_retries,
            env_prefix: self.settings.env_prefix.clone(),
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
        let resp = match req.send().await {
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
        super::sunset::notice(self.vendor, call, &headers);
        let r = HttpResponse { status, headers, body };
        if status_is_transient(status.as_u16()) { Err(Attempt::Status(r)) } else { Ok(r) }
    }
}

/// The TLS problem in an error chain, if the failure was the handshake: a rustls error (a
/// certificate not trusted, expired, for another name; or a plain-http server answering where
/// TLS was expected, which rustls sees as a corrupt record).
fn tls_cause(e: &reqwest::Error) -> Option<String> {
    /// rustls errors arrive wrapped in one or more `io::Error`s, whose `source` skips them.
    fn rustls_in<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
        if let Some(r) = e.downcast_ref::<rustls::Error>() {
            return Some(r);
        }
        let inner = e.downcast_ref::<std::io::Error>()?.get_ref()?;
        rustls_in(inner)
    }
    let mut src: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = src {
        if let Some(r) = rustls_in(s) {
            return Some(r.to_string());
        }
        src = s.source();
    }
    None
}

fn transport(e: &reqwest::Error, timeout: Duration) -> Attempt {
    if let Some(cause) = tls_cause(e) {
        return Attempt::Tls(cause);
    }
    let timed_out = e.is_timeout();
    let connect = e.is_connect() && !timed_out;
    let mut cause = if timed_out {
        format!("no answer within {} s", timeout.as_secs())
    } else if connect {
        "connection failed".to_string()
    } else {
        "connection broken".to_string()
    };
    // The innermost source says what actually happened (refused, reset...). reqwest errors never
    // include headers, so no credential can appear here.
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
