//! Sending a call: one connection pool per configured provider, retries within the budget
//! ([`super::budget`]), the host's shared pace ([`super::pace`]), the provider's own request
//! rate (`requests_per_second`), cancellation by Terraform's Stop, and answers read up to
//! [`MAX_BODY`].

use std::io::Read;
use std::sync::Arc;
use std::time::{Duration, Instant};

use backon::{BackoffBuilder, ExponentialBuilder};
use bytes::Bytes;
use http::StatusCode;
use http::header::{
    ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, HeaderValue, LOCATION, USER_AGENT,
};
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use tokio_util::sync::CancellationToken;

use super::budget::Budget;
use super::call::{Call, HttpResponse};
use super::connect::{Cause, ConnectError, Connector, Phase, describe};
use super::error::{ConnectFailure, HttpError, ProxyRefusal, TlsFailure, status_is_transient};
use super::pace::{Pace, Throttle};
use super::proxy::Proxies;
use super::settings::{HttpSettings, MAX_RETRY_AFTER};
use super::tls::{self, TlsOptions, TlsProblem};

/// The largest answer read: settings objects and their lists are a few KiB, so anything near
/// this is not the vendor's API answering (a download, a gateway streaming without end).
pub const MAX_BODY: usize = 4 * 1024 * 1024;

/// Past `timeout_seconds`, how long the whole exchange may still take, so that a connection
/// phase cut short by its own deadline reports which phase it was.
const GRACE: Duration = Duration::from_millis(250);

/// An attempt's outcome when it did not produce a final answer.
enum Attempt {
    /// Retryable status; kept so it can be returned as-is once retries are exhausted.
    Status(HttpResponse),
    /// The request went out (or may have) and no usable answer came.
    Transport { cause: String, timed_out: bool },
    /// No connection: nothing was sent, so any call may be repeated.
    Connect { phase: String, cause: String, timed_out: Option<u64>, proxy: Option<String> },
    /// Asking again would get the same (a proxy's refusal, a certificate, an oversized answer).
    Final(HttpError),
}

/// A vendor's HTTP client: one connection pool per configured provider.
#[derive(Clone)]
pub struct HttpClient {
    client: Client<Connector, Full<Bytes>>,
    connector: Connector,
    user_agent: HeaderValue,
    vendor: &'static str,
    settings: HttpSettings,
    /// Shortest backoff step; tests and the sandbox shorten it.
    pub(super) min_backoff: Duration,
    pace: Arc<Pace>,
    throttle: Option<Arc<Throttle>>,
}

impl HttpClient {
    /// `provider_type`, this crate's version and `terraform_version` (when known) form the
    /// User-Agent (`terraform-provider-rhombus/0.1.0 Terraform/1.9.0`).
    /// `Err` says which setting cannot be used.
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
        let client_identity = settings.client_cert_pem.as_deref().zip(settings.client_key_pem.as_deref());
        let tls = tls::client_config(&TlsOptions {
            ca_cert_pem: settings.ca_cert_pem.as_deref(),
            insecure_skip_verify: settings.insecure_skip_verify,
            client: client_identity,
        })?;
        let proxies = Proxies::new(&settings.proxy, |n| std::env::var(n).ok())?;
        let connector = Connector::new(proxies, tls, settings.timeout, ua.clone());
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .pool_timer(TokioTimer::new())
            .timer(TokioTimer::new())
            .build(connector.clone());
        let min_backoff = std::env::var("MFA_PROVIDER_MIN_BACKOFF_MS")
            .ok()
            .and_then(|s| s.parse().ok())
            .map(Duration::from_millis)
            .unwrap_or(Duration::from_millis(500));
        let throttle = settings.requests_per_second.map(|r| Arc::new(Throttle::new(r)));
        let user_agent = HeaderValue::from_str(&ua).map_err(|e| format!("User-Agent: {e}"))?;
        Ok(HttpClient { client, connector, user_agent, vendor, settings, min_backoff, pace: Arc::default(), throttle })
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
            // Waiting for the provider's own rate and the host's pace is not an attempt.
            if let Some(t) = &self.throttle {
                t.admit().await;
            }
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
                Attempt::Transport { .. } => (call.idempotent, None),
                Attempt::Connect { .. } => (true, None),
                Attempt::Final(_) => (false, None),
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
                Attempt::Connect { phase, cause, .. } => format!("{phase}: {cause}"),
                Attempt::Final(e) => e.to_string(),
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
        let (vendor, env_prefix) = (self.vendor, self.settings.env_prefix.clone());
        match failed {
            Attempt::Status(r) if r.status == StatusCode::TOO_MANY_REQUESTS => {
                Err(self.rate_limited(call, attempts, r.retry_after()))
            }
            Attempt::Status(r) => Ok(r),
            Attempt::Final(e) => Err(e),
            Attempt::Connect { phase, cause, timed_out, proxy } => Err(HttpError::Connect {
                vendor,
                call: call.name(),
                attempts,
                failure: Box::new(ConnectFailure { phase, cause, timed_out, proxy, env_prefix }),
            }),
            // The server asked for a client certificate and then broke the connection: in TLS 1.3
            // its refusal can arrive after the request was written, as a broken pipe.
            Attempt::Transport { timed_out: false, .. } if self.connector.asked_for_certificate(&call.url) => {
                let configured = self.settings.client_cert_pem.is_some();
                let problem = if configured {
                    TlsProblem::ClientCertificateRefused("it closed the connection after the handshake".into())
                } else {
                    TlsProblem::ClientCertificateWanted
                };
                Err(self.tls_failure(call, problem))
            }
            Attempt::Transport { cause, timed_out } => {
                Err(HttpError::Transport { vendor, call: call.name(), attempts, cause, timed_out, sent: true })
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

    fn request(&self, call: &Call) -> http::Request<Full<Bytes>> {
        let mut req = http::Request::builder().method(call.method.clone()).uri(call.url.as_str());
        if let Some(h) = req.headers_mut() {
            h.extend(call.headers.clone());
            h.insert(USER_AGENT, self.user_agent.clone());
            h.insert(ACCEPT_ENCODING, HeaderValue::from_static("gzip"));
            if let Some(ct) = call.content_type {
                h.insert(CONTENT_TYPE, HeaderValue::from_static(ct));
            }
        }
        let body = call.body.clone().map(Bytes::from).unwrap_or_default();
        req.body(Full::new(body)).expect("a URL that parsed and a valid method make a request")
    }

    async fn attempt(&self, call: &Call, n: u32) -> Result<HttpResponse, Attempt> {
        let started = Instant::now();
        let limit = self.settings.timeout;
        let exchange = async {
            let resp = self.client.request(self.request(call)).await.map_err(|e| self.failed(call, &e))?;
            let (parts, body) = resp.into_parts();
            let body = self.read_body(call, &parts.headers, body).await?;
            Ok::<_, Attempt>((parts.status, parts.headers, body))
        };
        let (status, headers, body) = match tokio::time::timeout(limit + GRACE, exchange).await {
            Ok(r) => r?,
            Err(_) => {
                let cause = format!("no answer within {} s (timeout_seconds)", limit.as_secs());
                return Err(Attempt::Transport { cause, timed_out: true });
            }
        };
        log::debug!(
            "{}: {} -> {} in {} ms (attempt {n})",
            self.vendor,
            call.name(),
            status.as_u16(),
            started.elapsed().as_millis()
        );
        super::sunset::notice(self.vendor, call, &headers);
        if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
            let location = headers.get(LOCATION).and_then(|l| l.to_str().ok()).map(|l| shown_location(call, l));
            return Err(Attempt::Final(HttpError::Redirect {
                vendor: self.vendor,
                call: call.name(),
                status: status.as_u16(),
                location,
            }));
        }
        let r = HttpResponse { status, headers, body };
        if status_is_transient(status.as_u16()) { Err(Attempt::Status(r)) } else { Ok(r) }
    }

    /// The body, decompressed, at most [`MAX_BODY`] bytes.
    async fn read_body(
        &self,
        call: &Call,
        headers: &http::HeaderMap,
        body: hyper::body::Incoming,
    ) -> Result<Vec<u8>, Attempt> {
        let too_large =
            || Attempt::Final(HttpError::TooLarge { vendor: self.vendor, call: call.name(), limit: MAX_BODY });
        let announced = headers.get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
        if announced.is_some_and(|n| n > MAX_BODY as u64) {
            return Err(too_large());
        }
        let raw = match Limited::new(body, MAX_BODY).collect().await {
            Ok(c) => c.to_bytes(),
            Err(e) if e.is::<http_body_util::LengthLimitError>() => return Err(too_large()),
            Err(e) => {
                let cause = format!("the connection broke while the answer was read ({})", innermost(e.as_ref()));
                return Err(Attempt::Transport { cause, timed_out: false });
            }
        };
        let gzip =
            headers.get(CONTENT_ENCODING).and_then(|v| v.to_str().ok()).is_some_and(|v| v.eq_ignore_ascii_case("gzip"));
        if !gzip {
            return Ok(raw.to_vec());
        }
        let mut out = Vec::new();
        let read = flate2::read::GzDecoder::new(&raw[..]).take(MAX_BODY as u64 + 1).read_to_end(&mut out);
        match read {
            Ok(n) if n > MAX_BODY => Err(too_large()),
            Ok(_) => Ok(out),
            Err(e) => Err(Attempt::Final(HttpError::BadBody {
                vendor: self.vendor,
                call: call.name(),
                status: 0,
                what: format!("a gzip-compressed body that does not decompress ({e})"),
            })),
        }
    }

    /// What a failed exchange means: which connection phase failed, or that the request was
    /// sent and no answer came.
    fn failed(&self, call: &Call, e: &hyper_util::client::legacy::Error) -> Attempt {
        let connect = std::error::Error::source(e).and_then(|s| s.downcast_ref::<ConnectError>());
        if let Some(ce) = connect {
            return self.connect_failed(call, ce);
        }
        if let Some(r) = tls::rustls_error(e) {
            // After the handshake: TLS 1.3 servers refuse a client certificate on the first read.
            return Attempt::Final(self.tls_error(call, &r));
        }
        let cause = if e.is_connect() { "connection failed" } else { "connection broken" };
        let inner = innermost(e);
        let cause = if inner.is_empty() { cause.to_string() } else { format!("{cause} ({inner})") };
        if e.is_connect() {
            let phase = format!("connecting to {}", call.url.host_str().unwrap_or_default());
            return Attempt::Connect { phase, cause, timed_out: None, proxy: self.connector.proxy_for(&call.url) };
        }
        Attempt::Transport { cause, timed_out: false }
    }

    fn connect_failed(&self, call: &Call, ce: &ConnectError) -> Attempt {
        let env_prefix = self.settings.env_prefix.clone();
        let refused = |status| match &ce.phase {
            Phase::Proxy { proxy, target } => Some(HttpError::Proxy {
                vendor: self.vendor,
                call: call.name(),
                refusal: Box::new(ProxyRefusal {
                    proxy: proxy.clone(),
                    target: target.clone(),
                    why: describe(&ce.cause),
                    status,
                    env_prefix: env_prefix.clone(),
                }),
            }),
            _ => None,
        };
        let final_error = match &ce.cause {
            Cause::ProxyRefused { status, .. } => refused(Some(*status)),
            Cause::Socks(_) => refused(None),
            Cause::Tls(r) => Some(self.tls_error(call, r)),
            Cause::TimedOut(_) | Cause::Io(_) => None,
        };
        match final_error {
            Some(e) => Attempt::Final(e),
            None => Attempt::Connect {
                phase: ce.phase.to_string(),
                cause: describe(&ce.cause),
                timed_out: match ce.cause {
                    Cause::TimedOut(d) => Some(d.as_secs()),
                    _ => None,
                },
                proxy: self.connector.proxy_for(&call.url),
            },
        }
    }

    fn tls_error(&self, call: &Call, r: &rustls::Error) -> HttpError {
        self.tls_failure(call, tls::classify(r, self.settings.client_cert_pem.is_some()))
    }

    fn tls_failure(&self, call: &Call, problem: TlsProblem) -> HttpError {
        HttpError::Tls {
            vendor: self.vendor,
            call: call.name(),
            failure: Box::new(TlsFailure {
                host: call.url.host_str().unwrap_or_default().to_string(),
                problem,
                client_cert: self.settings.client_cert_pem.is_some(),
                env_prefix: self.settings.env_prefix.clone(),
            }),
        }
    }
}

/// The innermost cause in an error chain (refused, reset…); transport errors never carry
/// headers, so no credential can appear in it.
fn innermost(e: &(dyn std::error::Error + 'static)) -> String {
    let mut src = e.source();
    let mut last = None;
    while let Some(s) = src {
        last = Some(s.to_string());
        src = s.source();
    }
    last.unwrap_or_default()
}

/// A redirect's target for messages: scheme, host and path, without credentials or query (a
/// single-sign-on redirect carries its request in the query).
fn shown_location(call: &Call, location: &str) -> String {
    match call.url.join(location) {
        Ok(mut u) => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.set_query(None);
            u.set_fragment(None);
            u.to_string()
        }
        Err(_) => "an unreadable Location".to_string(),
    }
}
