//! What can go wrong talking to a vendor before any vendor-specific reading of the answer, whether
//! it may have taken effect, and how it reads to a Terraform user.

use std::time::Duration;

use thiserror::Error;

use crate::plugin::diag::ToDiagnostic;

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
    /// The TLS handshake failed: a certificate the client does not trust, or no TLS at all on the
    /// other side. Never retried: asking again gets the same certificate.
    #[error("{vendor}: {call} failed: TLS handshake with {host} failed: {cause}")]
    Tls { vendor: &'static str, call: String, host: String, cause: String, env_prefix: String },
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
        matches!(self, HttpError::Transport { .. } | HttpError::RateLimited { .. })
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
            HttpError::Tls { vendor, .. } => format!("TLS certificate of the {vendor} API not accepted"),
            HttpError::RateLimited { vendor, .. } => format!("{vendor} API rate limit"),
            HttpError::Cancelled { .. } => "Operation cancelled".into(),
            HttpError::BadBody { vendor, .. } => format!("Unexpected answer from the {vendor} API"),
        }
    }
    fn detail(&self) -> String {
        let hint = match self {
            HttpError::Transport { timed_out: true, .. } => {
                " Raise timeout_seconds if the service is slow; if this was a change, check its current state before applying again."
                    .to_string()
            }
            HttpError::Transport { sent: true, .. } => {
                " The connection broke after the request was sent; if this was a change, check its current state before applying again."
                    .to_string()
            }
            HttpError::Transport { .. } => " Check the endpoint URL, DNS and proxy settings.".to_string(),
            HttpError::Tls { env_prefix, .. } => format!(
                " The certificate is not trusted (an unknown issuer, expired, or issued for another host name), or the server \
                 does not speak TLS on this port (an http:// server behind an https:// URL). If a private or TLS-inspecting CA \
                 signs it, give that CA's certificate in ca_cert_pem (or {env_prefix}_CA_CERT_PEM); check that the URL's host is \
                 the one the certificate names. This is not retried: the same certificate would come back."
            ),
            HttpError::RateLimited { retry_after: Some(d), .. } if *d > super::MAX_RETRY_AFTER => format!(
                " The provider waits at most {} s for a rate limit; a longer wait is a quota: run again once it has passed.",
                super::MAX_RETRY_AFTER.as_secs()
            ),
            HttpError::RateLimited { max_retries, env_prefix, .. } => format!(
                " max_retries = {max_retries} bounds every repeat, waits asked for by Retry-After included. Raise max_retries \
                 (or {env_prefix}_MAX_RETRIES), lower terraform -parallelism, or run again later. The limit is shared with \
                 every other client of the same account."
            ),
            HttpError::BadBody { .. } => " A proxy or gateway may have answered instead of the service.".to_string(),
            HttpError::Cancelled { .. } => String::new(),
        };
        format!("{self}.{hint}")
    }
}
