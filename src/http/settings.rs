//! The HTTP settings every provider type has, the checks on a vendor's base URL, and building a
//! vendor's client from both in Configure.

use std::net::IpAddr;
use std::time::Duration;

use url::Url;

use super::client::HttpClient;
use super::proxy::ProxySetting;
use super::tls;
use crate::plugin::diag::{AttrPath, Diagnostics};
use crate::plugin::schema::{Attribute, Validator};
use crate::plugin::value::{Type, Value};

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

/// A request rate above zero.
fn positive_rate(v: &Value) -> Result<(), String> {
    match v {
        Value::Number(n) if n.as_f64() > 0.0 && n.as_f64() <= 10_000.0 => Ok(()),
        _ => Err("must be more than 0 and at most 10000 requests per second".into()),
    }
}

impl HttpSettings {
    /// Schema attributes for the common settings, appended to each provider's own.
    /// `env_prefix` names their environment variables, e.g. `RHOMBUS` -> `RHOMBUS_TIMEOUT_SECONDS`.
    pub fn attributes(env_prefix: &str) -> Vec<Attribute> {
        let mut attrs = vec![
            Attribute::optional(
                "timeout_seconds",
                Type::Number,
                "How long one HTTP request may take, in seconds: connecting (through the proxy, if any) and the TLS \
                 handshake included. Defaults to `30`.",
            )
            .default_int(30)
            .env(format!("{env_prefix}_TIMEOUT_SECONDS"))
            .validate(Validator::IntRange(1, 3600)),
            Attribute::optional(
                "max_retries",
                Type::Number,
                "How many times a request is repeated after a rate limit (429), a 502/503/504 or a connection failure, with \
                 exponential backoff honouring `Retry-After`. It bounds every repeat: `0` means exactly one attempt, and a change \
                 shares the budget with the reads that verify it. Defaults to `3`.",
            )
            .default_int(3)
            .env(format!("{env_prefix}_MAX_RETRIES"))
            .validate(Validator::IntRange(0, 20)),
            Attribute::optional(
                "requests_per_second",
                Type::Number,
                "A cap on this provider's request rate (fractions allowed: `0.5` is one request every two seconds), so that \
                 parallel workspaces or CI jobs can share one tenant's rate limit by splitting it. Unset: no cap of its own; \
                 the provider still slows down when the vendor answers 429.",
            )
            .env(format!("{env_prefix}_REQUESTS_PER_SECOND"))
            .validate(Validator::Custom("More than 0, at most 10000.", positive_rate)),
        ];
        attrs.extend(Self::network_attributes(env_prefix));
        attrs
    }

    /// The attributes of the network path: trust, client certificate, proxy.
    fn network_attributes(env_prefix: &str) -> Vec<Attribute> {
        vec![
            Attribute::optional(
                "ca_cert_pem",
                Type::String,
                "Extra PEM-encoded CA certificate(s) to trust besides the system's (which on Linux include `SSL_CERT_FILE` and \
                 `SSL_CERT_DIR`), e.g. for a TLS-inspecting proxy or a private CA. `file(\"ca.pem\")` reads a file.",
            )
            .env(format!("{env_prefix}_CA_CERT_PEM")),
            Attribute::optional(
                "insecure_skip_verify",
                Type::Bool,
                "Skip TLS certificate verification. For sandboxes only: it exposes the credentials to anyone on the network path. Defaults to `false`.",
            )
            .default_bool(false)
            .env(format!("{env_prefix}_INSECURE_SKIP_VERIFY")),
            Attribute::optional(
                "client_cert_pem",
                Type::String,
                "A PEM client certificate (and any intermediates after it) for gateways that demand mutual TLS; needs \
                 `client_key_pem`. `file(\"client.pem\")` reads a file.",
            )
            .sensitive()
            .env(format!("{env_prefix}_CLIENT_CERT_PEM")),
            Attribute::optional(
                "client_key_pem",
                Type::String,
                "The PEM private key of `client_cert_pem` (PKCS#8, RSA or EC); it must belong to that certificate.",
            )
            .sensitive()
            .env(format!("{env_prefix}_CLIENT_KEY_PEM")),
            Attribute::optional(
                "proxy_url",
                Type::String,
                "The proxy for this provider alone: `http://`, `https://`, `socks5://` or `socks5h://` (names resolved by the \
                 proxy), with `user:password@` for proxy authentication. `\"\"` turns proxies off for this provider. Unset: \
                 `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY` (or their lower-case forms), read as Go providers read them. \
                 `NO_PROXY` applies to `proxy_url` too, and `localhost` and loopback addresses are never proxied.",
            )
            .sensitive()
            .env(format!("{env_prefix}_PROXY_URL")),
        ]
    }

    /// The checks that span these settings, at validate time and again at configure with values
    /// from the environment: a certificate needs its key and the key its certificate, and
    /// everything must be usable.
    pub fn check(config: &Value, diags: &mut Diagnostics) {
        let known = |name: &str| config.attr(name).as_str().filter(|s| !s.trim().is_empty()).map(str::to_string);
        let unknown = |name: &str| config.attr(name).is_unknown();
        if let Some(pem) = known("ca_cert_pem")
            && let Err(e) = tls::ca_certificates(&pem)
        {
            diags.attr_error(AttrPath::attr("ca_cert_pem"), "Invalid CA certificate", format!("ca_cert_pem {e}."));
        }
        match (known("client_cert_pem"), known("client_key_pem")) {
            (Some(cert), Some(key)) => {
                if let Err(e) = tls::client_identity(&cert, &key) {
                    diags.attr_error(AttrPath::attr(e.attribute()), "Unusable client certificate", format!("{e}."));
                }
            }
            (Some(_), None) if !unknown("client_key_pem") => diags.attr_error(
                AttrPath::attr("client_key_pem"),
                "Missing client_key_pem",
                "client_cert_pem is set without its private key: set client_key_pem too.",
            ),
            (None, Some(_)) if !unknown("client_cert_pem") => diags.attr_error(
                AttrPath::attr("client_cert_pem"),
                "Missing client_cert_pem",
                "client_key_pem is set without its certificate: set client_cert_pem too.",
            ),
            _ => {}
        }
        if let Some(p) = config.attr("proxy_url").as_str().filter(|p| !p.is_empty())
            && let Err(e) = super::proxy::parse_proxy(p)
        {
            diags.attr_error(AttrPath::attr("proxy_url"), "Invalid proxy_url", format!("proxy_url {e}."));
        }
    }

    /// Reads the common settings from a provider configuration (defaults already applied, every
    /// value type-checked by the protocol layer and checked by [`HttpSettings::check`]).
    pub fn from_config(raw: &Value, env_prefix: &str, diags: &mut Diagnostics) -> Option<HttpSettings> {
        let mut s = HttpSettings { env_prefix: env_prefix.to_string(), ..HttpSettings::default() };
        if let Value::Number(n) = raw.attr("timeout_seconds") {
            s.timeout = Duration::from_secs(n.as_i64().unwrap_or(30).max(1) as u64);
        }
        if let Value::Number(n) = raw.attr("max_retries") {
            s.max_retries = n.as_i64().unwrap_or(3).clamp(0, 20) as u32;
        }
        if let Value::Number(n) = raw.attr("requests_per_second") {
            s.requests_per_second = Some(n.as_f64());
        }
        let text = |name: &str| raw.attr(name).as_str().filter(|p| !p.trim().is_empty()).map(str::to_string);
        s.ca_cert_pem = text("ca_cert_pem");
        s.client_cert_pem = text("client_cert_pem");
        s.client_key_pem = text("client_key_pem");
        s.proxy = match raw.attr("proxy_url").as_str() {
            Some("") => ProxySetting::Off,
            Some(u) => ProxySetting::Url(u.to_string()),
            None => ProxySetting::Environment,
        };
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

/// Whether a vendor's base URL may carry a path (a reverse proxy serving the API below a prefix).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathPrefix {
    /// Kept: every API path is appended to it.
    Allowed,
    /// Refused, with the reason: the vendor's API cannot live below a path.
    Refused(&'static str),
}

/// What every vendor's Configure does with its base URL and the common settings: checks the URL
/// (an error on `url_attr` when it is unusable), reads the HTTP settings, builds the client.
pub fn vendor_client(
    vendor: &'static str,
    provider_type: &str,
    url_attr: &str,
    url: &str,
    prefix: PathPrefix,
    req: &crate::plugin::provider::ConfigureRequest,
    diags: &mut Diagnostics,
) -> Option<(HttpClient, Url)> {
    let base = match check_base_url(url, prefix) {
        Ok(u) => u,
        Err(why) => {
            diags.attr_error(AttrPath::attr(url_attr), format!("Invalid {vendor} {url_attr}"), why);
            return None;
        }
    };
    let settings = HttpSettings::from_config(&req.raw, &provider_type.to_ascii_uppercase(), diags)?;
    match HttpClient::new(vendor, provider_type, &req.terraform_version, settings) {
        Ok(h) => Some((h, base)),
        Err(e) => {
            diags.error("Cannot set up the HTTP client", format!("{e}."));
            None
        }
    }
}

/// A URL for messages: without user name, password, query or fragment.
fn shown(url: &Url) -> String {
    let mut u = url.clone();
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u.set_query(None);
    u.set_fragment(None);
    u.to_string()
}

/// Checks a vendor base URL: https anywhere, plain http only to loopback, no credentials in it,
/// a path only where the vendor can have one. Messages never echo a user name or password.
pub fn check_base_url(raw: &str, prefix: PathPrefix) -> Result<Url, String> {
    let url = Url::parse(raw.trim()).map_err(|e| {
        let echo = if raw.contains('@') { String::new() } else { format!("{:?} ", raw.trim()) };
        format!("The URL {echo}is not valid: {e}.")
    })?;
    let at = shown(&url);
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!(
            "{at} carries a user name or password (user:password@host). Credentials in a URL end up in logs and state: remove \
             them and set the provider's credential attributes instead."
        ));
    }
    match url.scheme() {
        "https" => {}
        "http" => {
            if !is_loopback(&url) {
                return Err(format!(
                    "{at} uses plain http://, which would send credentials unencrypted. Plain http is allowed only to loopback \
                     addresses (127.0.0.0/8, ::1, localhost), e.g. the sandbox; use https:// for {}.",
                    url.host_str().unwrap_or("this host")
                ));
            }
        }
        other => return Err(format!("{at} has scheme {other:?}; use https://")),
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("{at} has no host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!("{at} must not have a query (?…) or fragment (#…): give the base URL only."));
    }
    let path = url.path().trim_end_matches('/');
    if let (PathPrefix::Refused(why), false) = (prefix, path.is_empty()) {
        let mut root = url.clone();
        root.set_path("/");
        return Err(format!("{at} has the path {path:?}, but {why} Use {}.", root.as_str().trim_end_matches('/')));
    }
    Ok(url)
}

/// `path` (which may carry `?query`) below the base URL, keeping the base's own path prefix:
/// `https://gw/docspace` + `/api/2.0/x` is `https://gw/docspace/api/2.0/x`. Path segments in
/// `path` must already be percent-encoded.
pub fn api_url(base: &Url, path: &str) -> Url {
    let (p, q) = path.split_once('?').map_or((path, None), |(p, q)| (p, Some(q)));
    let mut u = base.clone();
    let prefix = base.path().trim_end_matches('/');
    u.set_path(&format!("{prefix}/{}", p.trim_start_matches('/')));
    u.set_query(q);
    u
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
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
            assert!(check_base_url(ok, PathPrefix::Allowed).is_ok(), "{ok}");
        }
        for bad in ["http://example.com", "http://10.0.0.1", "http://localhost.evil.com", "ftp://x", "nonsense"] {
            assert!(check_base_url(bad, PathPrefix::Allowed).is_err(), "{bad}");
        }
        assert!(check_base_url("http://example.com", PathPrefix::Allowed).unwrap_err().contains("loopback"));
    }

    #[test]
    fn credentials_in_a_url_are_refused_and_never_echoed() {
        for raw in ["https://admin:hunter2@acme.example", "https://admin:hunter2@", "http://u:hunter2@127.0.0.1:9/x?y"]
        {
            let e = check_base_url(raw, PathPrefix::Allowed).unwrap_err();
            assert!(!e.contains("hunter2") && !e.contains("admin"), "{e}");
        }
        assert!(
            check_base_url("https://a:b@acme.example", PathPrefix::Allowed)
                .unwrap_err()
                .contains("user name or password")
        );
    }

    #[test]
    fn a_path_prefix_is_kept_or_refused_with_the_root_url() {
        let base = check_base_url("https://gw.example/docspace/", PathPrefix::Allowed).unwrap();
        assert_eq!(
            api_url(&base, "/api/2.0/settings/tfaapp").as_str(),
            "https://gw.example/docspace/api/2.0/settings/tfaapp"
        );
        let root = check_base_url("https://acme.example", PathPrefix::Allowed).unwrap();
        assert_eq!(api_url(&root, "/api/x?limit=5&start=0").as_str(), "https://acme.example/api/x?limit=5&start=0");
        // Already-encoded segments are not encoded twice.
        assert_eq!(api_url(&root, "/api/businesses/a%2Fb/x").path(), "/api/businesses/a%2Fb/x");
        let e =
            check_base_url("https://acme.example/zitadel", PathPrefix::Refused("the API is at the root.")).unwrap_err();
        assert!(e.contains("\"/zitadel\"") && e.contains("Use https://acme.example."), "{e}");
        assert!(check_base_url("https://acme.example/", PathPrefix::Refused("x")).is_ok());
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
        HttpSettings::check(&cfg("not a certificate"), &mut d);
        assert_eq!(d.0[0].path, Some(AttrPath::attr("ca_cert_pem")));
        let (der, _) = crate::plugin::tls::self_signed_localhost().unwrap();
        use base64::Engine;
        let pem = format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            base64::engine::general_purpose::STANDARD.encode(der)
        );
        let mut d = Diagnostics::new();
        let s = HttpSettings::from_config(&cfg(&pem), "X", &mut d).unwrap();
        assert_eq!((s.timeout, s.max_retries, s.insecure_skip_verify), (Duration::from_secs(7), 0, true));
        // Turning verification off is allowed, with a warning on the attribute.
        assert_eq!(d.0.len(), 1);
        assert_eq!(d.0[0].path, Some(AttrPath::attr("insecure_skip_verify")));
    }

    #[test]
    fn a_client_certificate_needs_its_own_key_and_a_proxy_url_must_be_one() {
        let pair = || {
            let key = rcgen::KeyPair::generate().unwrap();
            let cert = rcgen::CertificateParams::new(vec!["c.test".into()]).unwrap().self_signed(&key).unwrap();
            (cert.pem(), key.serialize_pem())
        };
        let ((cert, key), (_, other)) = (pair(), pair());
        let cfg = |pairs: &[(&str, &str)]| {
            Value::Object(pairs.iter().map(|(k, v)| (k.to_string(), Value::String(v.to_string()))).collect())
        };
        let errors_on = |c: Value| {
            let mut d = Diagnostics::new();
            HttpSettings::check(&c, &mut d);
            d.0.iter().map(|d| d.path.clone().unwrap()).collect::<Vec<_>>()
        };
        assert!(errors_on(cfg(&[("client_cert_pem", &cert), ("client_key_pem", &key)])).is_empty());
        assert_eq!(
            errors_on(cfg(&[("client_cert_pem", &cert), ("client_key_pem", &other)])),
            [AttrPath::attr("client_key_pem")]
        );
        assert_eq!(errors_on(cfg(&[("client_cert_pem", &cert)])), [AttrPath::attr("client_key_pem")]);
        assert_eq!(errors_on(cfg(&[("client_key_pem", &key)])), [AttrPath::attr("client_cert_pem")]);
        assert_eq!(errors_on(cfg(&[("proxy_url", "ftp://p:1")])), [AttrPath::attr("proxy_url")]);
        assert!(errors_on(cfg(&[("proxy_url", "")])).is_empty());
    }
}
