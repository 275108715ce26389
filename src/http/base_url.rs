//! A vendor's base URL: https anywhere, plain http only to loopback, no credentials in it, a path
//! only where the vendor can have one; and API paths below it.

use std::net::IpAddr;

use url::Url;

/// Whether a vendor's base URL may carry a path (a reverse proxy serving the API below a prefix).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathPrefix {
    /// Kept: every API path is appended to it.
    Allowed,
    /// Refused, with the reason: the vendor's API cannot live below a path.
    Refused(&'static str),
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
}
