//! The provider settings every provider type has — timeouts and retries, TLS trust and the client
//! certificate, the proxy, the request rate — as schema attributes with their environment
//! variables, their checks, and building a vendor's HTTP client from them in Configure. The
//! Terraform side of `crate::http`, which knows nothing of schemas or configure requests.

use std::time::Duration;

use url::Url;

use crate::http::base_url::{PathPrefix, check_base_url};
use crate::http::proxy::ProxySetting;
use crate::http::{HttpClient, HttpSettings, tls};
use crate::plugin::diag::{AttrPath, Diagnostics};
use crate::plugin::provider::ConfigureRequest;
use crate::plugin::schema::{Attribute, Schema, Validator};
use crate::plugin::value::{Type, Value};

/// A provider's schema: its own attributes, then the common ones (environment variables
/// `<env_prefix>_…`), and the checks that span them.
pub fn schema(description: &str, mut own: Vec<Attribute>, env_prefix: &str) -> Schema {
    own.extend(attributes(env_prefix));
    Schema::new(description, own).with_check(check)
}

/// A request rate above zero.
fn positive_rate(v: &Value) -> Result<(), String> {
    match v {
        Value::Number(n) if n.as_f64() > 0.0 && n.as_f64() <= 10_000.0 => Ok(()),
        _ => Err("must be more than 0 and at most 10000 requests per second".into()),
    }
}

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
    attrs.extend(network_attributes(env_prefix));
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
        && let Err(e) = crate::http::proxy::parse_proxy(p)
    {
        diags.attr_error(AttrPath::attr("proxy_url"), "Invalid proxy_url", format!("proxy_url {e}."));
    }
}

/// Reads the common settings from a provider configuration (defaults already applied, every
/// value type-checked by the protocol layer and checked by [`check`]).
pub fn read(raw: &Value, env_prefix: &str, diags: &mut Diagnostics) -> Option<HttpSettings> {
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

/// What every vendor's Configure does with its base URL and the common settings: checks the URL
/// (an error on `url_attr` when it is unusable), reads the HTTP settings, builds the client.
pub fn vendor_client(
    vendor: &'static str,
    provider_type: &str,
    url_attr: &str,
    url: &str,
    prefix: PathPrefix,
    req: &ConfigureRequest,
    diags: &mut Diagnostics,
) -> Option<(HttpClient, Url)> {
    let base = match check_base_url(url, prefix) {
        Ok(u) => u,
        Err(why) => {
            diags.attr_error(AttrPath::attr(url_attr), format!("Invalid {vendor} {url_attr}"), why);
            return None;
        }
    };
    let settings = read(&req.raw, &provider_type.to_ascii_uppercase(), diags)?;
    match HttpClient::new(vendor, provider_type, &req.terraform_version, settings) {
        Ok(h) => Some((h, base)),
        Err(e) => {
            diags.error("Cannot set up the HTTP client", format!("{e}."));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::diag::AttrPath;
    use std::time::Duration;

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
        check(&cfg("not a certificate"), &mut d);
        assert_eq!(d.0[0].path, Some(AttrPath::attr("ca_cert_pem")));
        let (der, _) = crate::plugin::tls::self_signed_localhost().unwrap();
        use base64::Engine;
        let pem = format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            base64::engine::general_purpose::STANDARD.encode(der)
        );
        let mut d = Diagnostics::new();
        let s = read(&cfg(&pem), "X", &mut d).unwrap();
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
            check(&c, &mut d);
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
