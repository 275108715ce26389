//! What can go wrong talking to a vendor before any vendor-specific reading of the answer, whether
//! it may have taken effect, and how it reads to a Terraform user.

use std::time::Duration;

use thiserror::Error;

use super::tls::TlsProblem;
use crate::plugin::diag::ToDiagnostic;

/// What went wrong talking to a vendor, before any vendor-specific reading of the response.
#[derive(Debug, Clone, Error)]
pub enum HttpError {
    /// The request went out (or may have), and no usable answer came: it timed out, or the
    /// connection broke.
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
    /// No connection could be opened, so nothing was sent: the host or the proxy refused it,
    /// its name did not resolve, or a phase outlasted `timeout_seconds`.
    #[error("{vendor}: {call} failed after {attempts} attempt(s): {}: {}", .failure.phase, .failure.cause)]
    Connect { vendor: &'static str, call: String, attempts: u32, failure: Box<ConnectFailure> },
    /// The proxy refused to open a tunnel. Never retried: it would refuse again.
    #[error(
        "{vendor}: {call} failed: the proxy {} refused to open a tunnel to {}: {}",
        .refusal.proxy, .refusal.target, .refusal.why
    )]
    Proxy { vendor: &'static str, call: String, refusal: Box<ProxyRefusal> },
    /// The TLS handshake failed (see [`TlsProblem`]). Never retried: asking again gets the same
    /// certificate.
    #[error("{vendor}: {call} failed: TLS handshake with {} failed: {}", .failure.host, tls_cause(&.failure.problem))]
    Tls { vendor: &'static str, call: String, failure: Box<TlsFailure> },
    /// Every attempt the budget allowed was answered 429, or the vendor asked for a longer wait
    /// than the provider makes.
    #[error(
        "{vendor}: {call} was refused with HTTP 429 (rate limit) {}{}",
        if *.attempts == 1 { "on its only attempt".to_string() } else { format!("on all {} attempts", .attempts) },
        .retry_after.map(|d| format!("; the last answer asked to wait {} s (Retry-After)", d.as_secs())).unwrap_or_default()
    )]
    RateLimited {
        vendor: &'static str,
        call: String,
        attempts: u32,
        retry_after: Option<Duration>,
        max_retries: u32,
        env_prefix: String,
    },
    #[error("{vendor}: {call} was cancelled because Terraform is stopping")]
    Cancelled { vendor: &'static str, call: String },
    #[error("{vendor}: {call} answered HTTP {status} with {what}")]
    BadBody { vendor: &'static str, call: String, status: u16, what: String },
    /// An HTML page where the API answers JSON: something in front of the API answered.
    #[error(
        "{vendor}: {call}: an HTML page answered (a proxy or single-sign-on gateway in front of the API?): HTTP {status}{}",
        .title.as_ref().map(|t| format!(", page title {t:?}")).unwrap_or_default()
    )]
    Html { vendor: &'static str, call: String, status: u16, title: Option<String> },
    /// A redirect, which the vendors' APIs never send: it is not followed, since it could carry
    /// the credentials to another host.
    #[error(
        "{vendor}: {call} was redirected (HTTP {status}) to {}",
        .location.as_deref().unwrap_or("no Location given")
    )]
    Redirect { vendor: &'static str, call: String, status: u16, location: Option<String> },
    /// The answer is larger than any settings object; reading stopped at the limit.
    #[error("{vendor}: {call} answered with more than {} MiB, far more than any settings object; reading stopped there", .limit / (1024 * 1024))]
    TooLarge { vendor: &'static str, call: String, limit: usize },
}

/// Why no connection could be opened.
#[derive(Debug, Clone)]
pub struct ConnectFailure {
    /// `connecting to host:port`, `opening a tunnel … through the proxy …`, `the TLS handshake with …`.
    pub phase: String,
    pub cause: String,
    /// The phase outlasted this limit (`timeout_seconds`).
    pub timed_out: Option<u64>,
    /// The proxy the connection went through, if any.
    pub proxy: Option<String>,
    pub env_prefix: String,
}

/// A failed TLS handshake.
#[derive(Debug, Clone)]
pub struct TlsFailure {
    pub host: String,
    pub problem: TlsProblem,
    /// A client certificate was configured.
    pub client_cert: bool,
    pub env_prefix: String,
}

/// A proxy's refusal to open a tunnel.
#[derive(Debug, Clone)]
pub struct ProxyRefusal {
    pub proxy: String,
    pub target: String,
    pub why: String,
    /// The HTTP proxy's status (none for SOCKS).
    pub status: Option<u16>,
    pub env_prefix: String,
}

fn tls_cause(p: &TlsProblem) -> String {
    match p {
        TlsProblem::UntrustedIssuer => {
            "its certificate is not signed by a certificate authority this provider trusts".into()
        }
        TlsProblem::WrongHost => "its certificate is issued for other host names".into(),
        TlsProblem::Expired => "its certificate has expired".into(),
        TlsProblem::NotYetValid => "its certificate is not valid yet".into(),
        TlsProblem::Revoked => "its certificate has been revoked".into(),
        TlsProblem::ClientCertificateWanted => "the server asks for a client certificate (mutual TLS)".into(),
        TlsProblem::ClientCertificateRefused(alert) => {
            format!("the server did not accept the client certificate ({alert})")
        }
        TlsProblem::ProtocolVersion => {
            "the server offers no TLS version this provider speaks (it needs TLS 1.2 or 1.3)".into()
        }
        TlsProblem::NotTls => "what answered does not speak TLS".into(),
        TlsProblem::Other(e) => e.clone(),
    }
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

/// An answer worth asking again for: a rate limit, or a gateway failure. [`super::HttpClient::send`]
/// retries these; an error that still carries one after the retries is transient.
pub fn status_is_transient(status: u16) -> bool {
    status == 429 || status_may_have_landed(status)
}

impl Uncertain for HttpError {
    fn may_have_landed(&self) -> bool {
        matches!(self, HttpError::Transport { sent: true, .. } | HttpError::Cancelled { .. })
    }
    fn is_transient(&self) -> bool {
        matches!(self, HttpError::Transport { .. } | HttpError::Connect { .. } | HttpError::RateLimited { .. })
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
            HttpError::Connect { vendor, failure, .. } if failure.timed_out.is_some() => {
                format!("Connecting to the {vendor} API timed out")
            }
            HttpError::Transport { vendor, .. } | HttpError::Connect { vendor, .. } => {
                format!("Cannot reach the {vendor} API")
            }
            HttpError::Proxy { vendor, .. } => format!("The proxy refused to connect to the {vendor} API"),
            HttpError::Tls { vendor, failure, .. } => match &failure.problem {
                TlsProblem::ClientCertificateWanted | TlsProblem::ClientCertificateRefused(_) => {
                    format!("The {vendor} API wants a client certificate")
                }
                TlsProblem::ProtocolVersion | TlsProblem::NotTls | TlsProblem::Other(_) => {
                    format!("TLS handshake with the {vendor} API failed")
                }
                _ => format!("TLS certificate of the {vendor} API not accepted"),
            },
            HttpError::RateLimited { vendor, .. } => format!("{vendor} API rate limit"),
            HttpError::Cancelled { .. } => "Operation cancelled".into(),
            HttpError::BadBody { vendor, .. } | HttpError::TooLarge { vendor, .. } => {
                format!("Unexpected answer from the {vendor} API")
            }
            HttpError::Html { vendor, .. } => format!("An HTML page answered instead of the {vendor} API"),
            HttpError::Redirect { vendor, .. } => format!("The {vendor} API redirected the request"),
        }
    }
    fn detail(&self) -> String {
        format!("{self}.{}", self.hint())
    }
}

impl HttpError {
    /// What to do about it: the setting that fixes it, or what to check.
    fn hint(&self) -> String {
        match self {
            HttpError::Transport { timed_out: true, .. } => {
                " Raise timeout_seconds if the service is slow; if this was a change, check its current state before applying again."
                    .to_string()
            }
            HttpError::Transport { sent: true, .. } => {
                " The connection broke after the request was sent; if this was a change, check its current state before applying again."
                    .to_string()
            }
            HttpError::Transport { .. } => " Check the endpoint URL, DNS and proxy settings.".to_string(),
            HttpError::Connect { failure, .. } => connect_hint(failure),
            HttpError::Proxy { refusal, .. } => proxy_hint(refusal.status, &refusal.env_prefix),
            HttpError::Tls { failure, .. } => tls_hint(&failure.problem, failure.client_cert, &failure.env_prefix),
            HttpError::RateLimited { retry_after: Some(d), .. } if *d > super::MAX_RETRY_AFTER => format!(
                " The provider waits at most {} s for a rate limit; a longer wait is a quota: run again once it has passed.",
                super::MAX_RETRY_AFTER.as_secs()
            ),
            HttpError::RateLimited { max_retries, env_prefix, .. } => format!(
                " max_retries = {max_retries} bounds every repeat, waits asked for by Retry-After included. Raise max_retries \
                 (or {env_prefix}_MAX_RETRIES), lower terraform -parallelism or set requests_per_second, or run again later. \
                 The limit is shared with every other client of the same account."
            ),
            HttpError::BadBody { .. } => " A proxy or gateway may have answered instead of the service.".to_string(),
            HttpError::Html { .. } => " Check that the URL is the API's and not a web page's, and that no gateway in front of \
                                       the API asks for an interactive login; a gateway that needs a client certificate takes \
                                       client_cert_pem and client_key_pem."
                .to_string(),
            HttpError::Redirect { .. } => " The provider does not follow redirects, which could carry its credentials to \
                                           another host: set the provider's URL to where the redirect points, if that is the API."
                .to_string(),
            HttpError::TooLarge { .. } => " Something other than the vendor's API may have answered (a download, a \
                                           misconfigured gateway)."
                .to_string(),
            HttpError::Cancelled { .. } => String::new(),
        }
    }
}

fn connect_hint(f: &ConnectFailure) -> String {
    let env_prefix = &f.env_prefix;
    match (f.timed_out, &f.proxy) {
        (Some(limit), _) => format!(
            " timeout_seconds = {limit} bounds connecting, the proxy and the TLS handshake too: raise it (or \
             {env_prefix}_TIMEOUT_SECONDS) if the network is slow, or check that the host (and the proxy) can be reached \
             from here. Nothing was sent."
        ),
        (None, Some(_)) => format!(
            " Check the proxy's address (proxy_url / {env_prefix}_PROXY_URL, HTTPS_PROXY) and that it runs; NO_PROXY \
             lists hosts reached without it. Nothing was sent."
        ),
        (None, None) => " Check the endpoint URL and DNS; behind a corporate proxy, set HTTPS_PROXY or proxy_url. \
                         Nothing was sent."
            .to_string(),
    }
}

fn proxy_hint(status: Option<u16>, env_prefix: &str) -> String {
    let why = match status {
        Some(407) => "The proxy wants credentials: put them in the proxy URL (http://user:password@proxy:port).",
        Some(403) => {
            "The proxy's rules do not allow this host: ask its operators to allow it, or list the host in NO_PROXY \
                      if it is reachable without the proxy."
        }
        Some(502..=504) => "The proxy could not reach the host: check the host name, and that the proxy can reach it.",
        _ => "Check the proxy's rules and credentials.",
    };
    format!(
        " {why} The proxy comes from proxy_url ({env_prefix}_PROXY_URL) or HTTPS_PROXY; proxy_url = \"\" turns it off \
         for this provider. This is not retried: the proxy would answer the same."
    )
}

fn tls_hint(p: &TlsProblem, client_cert: bool, env_prefix: &str) -> String {
    match p {
        TlsProblem::UntrustedIssuer => format!(
            " If a private or TLS-inspecting CA signs it, give that CA's certificate in ca_cert_pem (or \
             {env_prefix}_CA_CERT_PEM); the system's trust store, SSL_CERT_FILE and SSL_CERT_DIR are read too. Not retried: \
             the same certificate would come back."
        ),
        TlsProblem::WrongHost => {
            " Check that the URL's host is the one the certificate names (a load balancer or a proxy \
                                   may present its own certificate). Not retried."
                .into()
        }
        TlsProblem::Expired | TlsProblem::NotYetValid | TlsProblem::Revoked => {
            " The server's operators must renew its certificate (or check this machine's clock). Not retried.".into()
        }
        TlsProblem::ClientCertificateWanted if !client_cert => format!(
            " A gateway in front of the API demands mutual TLS: set client_cert_pem and client_key_pem (or \
             {env_prefix}_CLIENT_CERT_PEM and {env_prefix}_CLIENT_KEY_PEM) to a certificate it trusts."
        ),
        TlsProblem::ClientCertificateWanted | TlsProblem::ClientCertificateRefused(_) => format!(
            " The certificate in client_cert_pem ({env_prefix}_CLIENT_CERT_PEM) is not one the server trusts, or has expired: \
             ask the gateway's operators which CA it must be issued by."
        ),
        TlsProblem::ProtocolVersion => {
            " The server speaks only TLS 1.0 or 1.1, which are broken and refused here; its \
                                         operators must enable TLS 1.2 or 1.3."
                .into()
        }
        TlsProblem::NotTls => {
            " An https:// URL reached a server that answers plain HTTP (or another protocol) on this \
                               port: check the URL's scheme and port."
                .into()
        }
        TlsProblem::Other(_) => " Not retried.".into(),
    }
}
