//! The HTTP settings of one provider: what the vendor clients are built with. Reading them from a
//! provider configuration is the providers' business (`crate::vendors::common::provider_settings`).

use std::time::Duration;

use super::proxy::ProxySetting;

/// Longest `Retry-After` we wait for; a longer one (e.g. a daily quota) fails at once, clearly.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// The provider settings every provider type has: timeouts and retries, TLS trust and the
/// client certificate, the proxy, the request rate.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    pub timeout: Duration,
    pub max_retries: u32,
    pub ca_cert_pem: Option<String>,
    pub insecure_skip_verify: bool,
    pub client_cert_pem: Option<String>,
    pub client_key_pem: Option<String>,
    pub proxy: ProxySetting,
    /// The provider process's own cap on its request rate.
    pub requests_per_second: Option<f64>,
    /// Prefix of the settings' environment variables (`RHOMBUS`), for hints in messages.
    pub env_prefix: String,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            timeout: Duration::from_secs(30),
            max_retries: 3,
            ca_cert_pem: None,
            insecure_skip_verify: false,
            client_cert_pem: None,
            client_key_pem: None,
            proxy: ProxySetting::Environment,
            requests_per_second: None,
            env_prefix: String::new(),
        }
    }
}
