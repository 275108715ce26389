//! The one HTTP layer every vendor client uses: hyper over rustls with a connector of its own
//! (proxies as Go reads them, client certificates, a timeout and an error per connection phase),
//! a User-Agent naming the provider, bounded retries with exponential backoff and jitter that
//! honour `Retry-After`, a per-host pace that slows every request after a rate limit, an optional
//! cap on the request rate, answers bounded in size and redacted in excerpts, cancellation by
//! Terraform's Stop, and refusal of plain `http://` to anything but loopback.
//!
//! Every request ends within its budget: `max_retries` bounds every repeat, `Retry-After`
//! included, and a change together with the read-backs that verify it shares one budget
//! ([`budget`]). Retrying is careful about calls that change things: a call marked non-idempotent
//! is retried only when it certainly did not land (connection refused, 429). After a 5xx, a
//! timeout or a lost answer such a call goes through [`HttpClient::write_verified`]: the vendor's
//! read-back decides whether it took effect, and it is sent again only if it certainly did not.
//! When even reading back cannot tell, the error says the outcome is unknown, and the next
//! `terraform apply` finds out by reading.
//!
//! - [`settings`], [`base_url`]: what a vendor client is built with, and its base URL's checks;
//! - [`proxy`], [`connect`], [`tls`]: which proxy, opening a connection, trusting and being trusted;
//! - [`call`], [`redact`]: a request described once, what came back, and excerpts of it that
//!   never carry a secret;
//! - [`error`]: what can go wrong before a vendor reads the answer, and whether it may have landed;
//! - [`client`]: sending with retries; [`verified`]: changes that must not be repeated blindly;
//! - [`budget`], [`pace`]: the retry budget of one logical call, the shared pace of one host;
//! - [`login_gate`]: one failed login per provider process;
//! - [`sunset`]: answers that say their API is deprecated or going away.

pub mod base_url;
pub mod budget;
pub mod call;
pub mod client;
pub mod connect;
pub mod error;
pub mod login_gate;
pub mod pace;
pub mod proxy;
pub mod redact;
pub mod settings;
pub mod sunset;
pub mod tls;
pub mod verified;

pub use base_url::{PathPrefix, api_url, check_base_url};
pub use call::{Call, HttpResponse, describe_body, retry_after};
pub use client::HttpClient;
pub use error::{HttpError, OutcomeUnknown, Uncertain, Wrote, status_is_transient, status_may_have_landed};
pub use login_gate::LoginGate;
pub use settings::{HttpSettings, MAX_RETRY_AFTER};

#[cfg(test)]
mod network_tests;
#[cfg(test)]
mod tests;
