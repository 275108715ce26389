//! Which proxy a request goes through, by the rules every Go provider follows: Go's
//! `net/http.ProxyFromEnvironment`, which is `golang.org/x/net/http/httpproxy`
//! (<https://cs.opensource.google/go/x/net/+/master:http/httpproxy/proxy.go>).
//!
//! - `HTTPS_PROXY` serves `https://` URLs and `HTTP_PROXY` `http://` ones; each upper-case name
//!   wins over its lower-case form (`getEnvAny`), and an empty value is no value.
//! - `localhost` and loopback addresses are never proxied (`useProxy`): credentials for a local
//!   endpoint never leave the machine.
//! - `NO_PROXY` is a comma-separated list of `*` (nothing is proxied), IP addresses, CIDR blocks,
//!   and host names; an IP address or a host name may carry `:port`. A name matches itself and
//!   its subdomains; with a leading `.` (or `*.`) only its subdomains (`config.init`).
//! - A proxy given as `host:port` means `http://host:port` (`parseProxy`); `https://` proxies are
//!   reached over TLS, `socks5://` ones resolve names here and `socks5h://` ones at the proxy.
//!
//! Unlike Go, a proxy variable that is not a proxy URL is an error naming the variable, not
//! silently ignored: a proxy that is quietly skipped sends traffic straight out instead.

use std::net::IpAddr;

use ipnet::IpNet;
use url::Url;

/// Where the proxies of one provider come from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ProxySetting {
    /// `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY`, as Go reads them.
    #[default]
    Environment,
    /// The provider's `proxy_url`: every request but those `NO_PROXY` or the loopback rule
    /// exempt goes through it.
    Url(String),
    /// `proxy_url = ""`: no proxy for this provider.
    Off,
}

/// The proxies of one provider and the hosts they do not apply to.
#[derive(Debug, Clone, Default)]
pub struct Proxies {
    http: Option<Url>,
    https: Option<Url>,
    no_proxy: NoProxy,
}

impl Proxies {
    /// Reads the setting; `env` looks up an environment variable. `Err` names what is wrong.
    pub fn new(setting: &ProxySetting, env: impl Fn(&str) -> Option<String>) -> Result<Proxies, String> {
        let any =
            |names: [&'static str; 2]| names.into_iter().find_map(|n| env(n).filter(|v| !v.is_empty()).map(|v| (n, v)));
        let no_proxy = NoProxy::parse(&any(["NO_PROXY", "no_proxy"]).map(|(_, v)| v).unwrap_or_default());
        let read = |names: [&'static str; 2]| match any(names) {
            Some((name, v)) => parse_proxy(&v).map(Some).map_err(|why| format!("{name} {why}")),
            None => Ok(None),
        };
        Ok(match setting {
            ProxySetting::Environment => Proxies {
                http: read(["HTTP_PROXY", "http_proxy"])?,
                https: read(["HTTPS_PROXY", "https_proxy"])?,
                no_proxy,
            },
            ProxySetting::Url(u) => {
                let p = parse_proxy(u).map_err(|why| format!("proxy_url {why}"))?;
                Proxies { http: Some(p.clone()), https: Some(p), no_proxy }
            }
            ProxySetting::Off => Proxies::default(),
        })
    }

    /// The proxy for a request to `url`, if any (`proxyForURL`).
    pub fn for_url(&self, url: &Url) -> Option<&Url> {
        let proxy = match url.scheme() {
            "https" => self.https.as_ref(),
            "http" => self.http.as_ref(),
            _ => None,
        }?;
        let host = url.host_str()?;
        let port = url.port_or_known_default().map(|p| p.to_string()).unwrap_or_default();
        self.no_proxy.use_proxy(host, &port).then_some(proxy)
    }
}

/// A proxy URL as Go's `parseProxy` reads it: `host:port` is `http://host:port`. The error
/// never repeats the value, which may hold the proxy's password.
pub fn parse_proxy(raw: &str) -> Result<Url, String> {
    const SCHEMES: [&str; 4] = ["http", "https", "socks5", "socks5h"];
    let raw = raw.trim();
    let parsed = Url::parse(raw).ok().filter(|u| SCHEMES.contains(&u.scheme()) && u.host_str().is_some());
    let url = match parsed {
        Some(u) => u,
        None => match Url::parse(&format!("http://{raw}")) {
            Ok(u) if u.host_str().is_some_and(|h| !h.is_empty()) && !raw.contains("://") => u,
            _ => {
                return Err(
                    "is not a proxy URL: give http://host:port, https://host:port, socks5://host:port or \
                     socks5h://host:port (a user name and password may precede the host: http://user:password@host:port)"
                        .into(),
                );
            }
        },
    };
    if url.path().trim_matches('/').is_empty() && url.query().is_none() {
        Ok(url)
    } else {
        Err("must be a proxy address only, without a path or query".into())
    }
}

/// One entry of `NO_PROXY`.
#[derive(Debug, Clone, PartialEq)]
enum Rule {
    All,
    Cidr(IpNet),
    Ip {
        ip: IpAddr,
        port: Option<String>,
    },
    /// `suffix` starts with `.`; `exact` also matches the name itself.
    Domain {
        suffix: String,
        port: Option<String>,
        exact: bool,
    },
}

/// `NO_PROXY`, parsed once.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NoProxy(Vec<Rule>);

impl NoProxy {
    /// Parses a `NO_PROXY` value; entries that mean nothing are ignored, as Go ignores them.
    pub fn parse(list: &str) -> NoProxy {
        let mut rules = Vec::new();
        for p in list.split(',').map(|p| p.trim().to_ascii_lowercase()).filter(|p| !p.is_empty()) {
            if p == "*" {
                return NoProxy(vec![Rule::All]);
            }
            if p.contains('/') {
                if let Ok(net) = p.parse::<IpNet>() {
                    rules.push(Rule::Cidr(net.trunc()));
                }
                continue;
            }
            let (host, port) = match split_host_port(&p) {
                Some(("", _)) => continue,
                Some((h, port)) => (h.to_string(), Some(port.to_string())),
                None => (p.clone(), None),
            };
            if let Ok(ip) = host.parse::<IpAddr>() {
                rules.push(Rule::Ip { ip, port });
                continue;
            }
            let host = host.strip_prefix('*').filter(|h| h.starts_with('.')).unwrap_or(&host);
            let (suffix, exact) = match host.strip_prefix('.') {
                Some(_) => (host.to_string(), false),
                None => (format!(".{host}"), true),
            };
            let suffix = ascii_domain(&suffix);
            rules.push(Rule::Domain { suffix, port, exact });
        }
        NoProxy(rules)
    }

    /// Whether a request to `host` (as a URL gives it: IPv6 in brackets) and `port` goes
    /// through the proxy (`useProxy`).
    pub fn use_proxy(&self, host: &str, port: &str) -> bool {
        let host = host.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
        if host == "localhost" {
            return false;
        }
        let ip = host.parse::<IpAddr>().ok();
        if ip.is_some_and(|ip| ip.is_loopback()) {
            return false;
        }
        let port_is = |want: &Option<String>| want.as_deref().is_none_or(|w| w == port);
        let exempt = self.0.iter().any(|r| match (r, ip) {
            (Rule::All, _) => true,
            (Rule::Cidr(net), Some(ip)) => net.contains(&ip),
            (Rule::Ip { ip: want, port: p }, Some(ip)) => *want == ip && port_is(p),
            (Rule::Domain { suffix, port: p, exact }, _) => {
                (host.ends_with(suffix.as_str()) || (*exact && host == suffix[1..])) && port_is(p)
            }
            _ => false,
        });
        !exempt
    }
}

/// Go's `net.SplitHostPort` for `host:port` and `[v6]:port`; `None` when there is no port.
fn split_host_port(s: &str) -> Option<(&str, &str)> {
    if let Some(rest) = s.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        return Some((host, after.strip_prefix(':')?));
    }
    let (host, port) = s.rsplit_once(':')?;
    (!host.contains(':')).then_some((host, port))
}

/// A `NO_PROXY` name in the form URLs carry (punycode), as Go's `idnaASCII` makes it.
fn ascii_domain(suffix: &str) -> String {
    if suffix.is_ascii() {
        return suffix.to_string();
    }
    match url::Host::parse(&suffix[1..]) {
        Ok(url::Host::Domain(d)) => format!(".{d}"),
        _ => suffix.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |n| vars.iter().find(|(k, _)| *k == n).map(|(_, v)| v.to_string())
    }

    fn via<'a>(p: &'a Proxies, url: &str) -> Option<&'a str> {
        p.for_url(&Url::parse(url).unwrap()).map(|u| u.as_str())
    }

    #[test]
    fn loopback_and_localhost_are_never_proxied() {
        let p = Proxies::new(
            &ProxySetting::Environment,
            env(&[("HTTP_PROXY", "http://proxy:3128"), ("HTTPS_PROXY", "proxy:3128")]),
        )
        .unwrap();
        for local in [
            "http://127.0.0.1:8080/x",
            "http://127.9.9.9",
            "http://[::1]:9/",
            "http://localhost:1",
            "https://LOCALHOST",
        ] {
            assert_eq!(via(&p, local), None, "{local}");
        }
        assert_eq!(via(&p, "http://10.0.0.1/"), Some("http://proxy:3128/"));
        // host:port means http://host:port.
        assert_eq!(via(&p, "https://api.example.com"), Some("http://proxy:3128/"));
        // A fixed proxy keeps the loopback rule too.
        let fixed = Proxies::new(&ProxySetting::Url("socks5h://s:1080".into()), env(&[])).unwrap();
        assert_eq!(via(&fixed, "http://127.0.0.1:1"), None);
        assert_eq!(via(&fixed, "https://x.example"), Some("socks5h://s:1080"));
    }

    #[test]
    fn each_scheme_has_its_variable_and_upper_case_wins() {
        let p = Proxies::new(
            &ProxySetting::Environment,
            env(&[("https_proxy", "http://lower:1"), ("HTTPS_PROXY", "http://upper:1"), ("http_proxy", "http://h:2")]),
        )
        .unwrap();
        assert_eq!(via(&p, "https://a.example"), Some("http://upper:1/"));
        assert_eq!(via(&p, "http://a.example"), Some("http://h:2/"));
        // An empty upper-case value gives way to the lower-case one, as getEnvAny does.
        let p = Proxies::new(&ProxySetting::Environment, env(&[("HTTPS_PROXY", ""), ("https_proxy", "http://l:3")]))
            .unwrap();
        assert_eq!(via(&p, "https://a.example"), Some("http://l:3/"));
        let off = Proxies::new(&ProxySetting::Off, env(&[("HTTPS_PROXY", "http://p:1")])).unwrap();
        assert_eq!(via(&off, "https://a.example"), None);
    }

    #[test]
    fn no_proxy_entries_match_as_go_matches_them() {
        let np = NoProxy::parse(
            " foo.com, .y.com, *.z.com, 10.0.0.0/8, 192.168.1.1, 172.16.0.1:8443, bar.com:8080, ::2, [2001:db8::1]:443 ,, :99",
        );
        let uses = |h: &str, port: &str| np.use_proxy(h, port);
        // A name matches itself and its subdomains; a leading dot or *. only subdomains.
        assert!(!uses("foo.com", "443") && !uses("a.foo.com", "443") && uses("xfoo.com", "443"));
        assert!(!uses("x.y.com", "443") && uses("y.com", "443"));
        assert!(!uses("a.z.com", "443") && uses("z.com", "443"));
        // IPs, CIDR blocks and ports.
        assert!(!uses("10.1.2.3", "443") && uses("11.0.0.1", "443"));
        assert!(!uses("192.168.1.1", "80") && uses("192.168.1.2", "80"));
        assert!(!uses("172.16.0.1", "8443") && uses("172.16.0.1", "443"));
        assert!(!uses("bar.com", "8080") && uses("bar.com", "443"));
        assert!(!uses("[::2]", "443") && !uses("[2001:db8::1]", "443") && uses("[2001:db8::1]", "8443"));
        // Names are compared without case.
        assert!(!uses("API.FOO.COM", "443"));
    }

    #[test]
    fn a_star_exempts_every_host_ip_addresses_included() {
        let np = NoProxy::parse("example.com,*");
        for (h, p) in [("api.example.org", "443"), ("10.0.0.1", "443"), ("[2001:db8::1]", "443")] {
            assert!(!np.use_proxy(h, p), "{h}");
        }
    }

    #[test]
    fn a_proxy_that_is_not_a_proxy_url_is_an_error_naming_the_variable_never_its_value() {
        for bad in ["ftp://proxy:21", "http://proxy:3128/some/path", "http://user:s3cret@proxy:1/x"] {
            let e = Proxies::new(&ProxySetting::Environment, env(&[("HTTPS_PROXY", bad)])).unwrap_err();
            assert!(e.starts_with("HTTPS_PROXY "), "{e}");
            assert!(!e.contains("s3cret"), "{e}");
        }
        let e = Proxies::new(&ProxySetting::Url("::::".into()), env(&[])).unwrap_err();
        assert!(e.starts_with("proxy_url "), "{e}");
        for ok in
            ["socks5://s:1080", "socks5h://u:p@s:1080", "https://p:443", "p.corp:3128", "http://[2001:db8::3]:3128"]
        {
            assert!(parse_proxy(ok).is_ok(), "{ok}");
        }
    }
}
