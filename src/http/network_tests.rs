//! The client on the networks security teams work behind, against real parts on loopback: a
//! corporate proxy (CONNECT and SOCKS5, with credentials, refusing), a private CA, a gateway that
//! demands client certificates, servers that stall, and answers that are too large, compressed,
//! HTML or a redirect.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mfa_sandbox::proxy::{ProxyOptions, ProxyProtocol, RunningProxy, start_proxy};
use mfa_sandbox::{Fault, FaultKind, Leaf, RunningEmulator, ServerOptions, TestCa};
use tokio_util::sync::CancellationToken;
use url::Url;

use super::proxy::ProxySetting;
use super::tests::Echo;
use super::tls::TlsProblem;
use super::*;
use crate::plugin::diag::ToDiagnostic;

/// An emulator serving a certificate of `ca` for these names (and `localhost`).
async fn served(ca: &TestCa, names: &[&str], leaf: Leaf, client_ca: Option<String>) -> RunningEmulator {
    let mut all = vec!["localhost", "127.0.0.1"];
    all.extend_from_slice(names);
    let id = ca.issue(&all, leaf);
    let opts =
        ServerOptions { tls_identity: Some((id.cert_pem, id.key_pem)), client_ca_pem: client_ca, ..Default::default() };
    mfa_sandbox::start(Arc::new(Echo), opts).await.unwrap()
}

fn client(s: HttpSettings) -> HttpClient {
    let mut c = HttpClient::new("Echo", "echo", "1.0.3", HttpSettings { env_prefix: "ECHO".into(), ..s }).unwrap();
    c.min_backoff = Duration::from_millis(10);
    c
}

fn trusting(ca: &TestCa) -> HttpSettings {
    HttpSettings { ca_cert_pem: Some(ca.cert_pem()), max_retries: 2, ..Default::default() }
}

async fn get(c: &HttpClient, url: &str) -> Result<HttpResponse, HttpError> {
    c.send(&Call::get(Url::parse(url).unwrap()), &CancellationToken::new()).await
}

async fn proxy_to(emu: &RunningEmulator, targets: &[&str], opts: ProxyOptions) -> RunningProxy {
    let to: SocketAddr = emu.addr;
    let opts = targets.iter().fold(opts, |o, t| o.route(t, to));
    start_proxy(opts).await.unwrap()
}

#[tokio::test]
async fn a_connect_proxy_with_credentials_reaches_a_host_by_name_and_by_ipv6_literal() {
    let ca = TestCa::new("corp CA");
    let emu = served(&ca, &["api.corp.test", "2001:db8::10"], Leaf::server(), None).await;
    let port = emu.addr.port();
    let (name, v6) = (format!("api.corp.test:{port}"), format!("[2001:db8::10]:{port}"));
    let proxy = proxy_to(&emu, &[&name, &v6], ProxyOptions::default().basic_auth("svc", "p@ss:w")).await;
    // The password is percent-encoded in the URL and sent decoded, as Go and curl do.
    let via = format!("http://svc:p%40ss%3Aw@{}", proxy.addr);
    let c = client(HttpSettings { proxy: ProxySetting::Url(via), ..trusting(&ca) });
    assert_eq!(get(&c, &format!("https://api.corp.test:{port}/ok")).await.unwrap().status, 200);
    assert_eq!(get(&c, &format!("https://[2001:db8::10]:{port}/ok")).await.unwrap().status, 200);
    let seen = proxy.requests();
    assert!(seen.iter().all(|r| r.protocol == ProxyProtocol::Connect && r.had_auth), "{seen:?}");
    assert_eq!(seen.iter().map(|r| r.target.as_str()).collect::<Vec<_>>(), [name.as_str(), v6.as_str()]);
}

#[tokio::test]
async fn socks5_resolves_here_and_socks5h_at_the_proxy() {
    let ca = TestCa::new("corp CA");
    let emu = served(&ca, &["api.corp.test", "192.0.2.10"], Leaf::server(), None).await;
    let port = emu.addr.port();
    let proxy =
        proxy_to(&emu, &[&format!("api.corp.test:{port}"), &format!("192.0.2.10:{port}")], ProxyOptions::default())
            .await;
    let h = client(HttpSettings { proxy: ProxySetting::Url(proxy.socks_url(true)), ..trusting(&ca) });
    assert_eq!(get(&h, &format!("https://api.corp.test:{port}/ok")).await.unwrap().status, 200);
    // socks5:// resolves names here: an address literal goes to the proxy as an address.
    let local = client(HttpSettings { proxy: ProxySetting::Url(proxy.socks_url(false)), ..trusting(&ca) });
    assert_eq!(get(&local, &format!("https://192.0.2.10:{port}/ok")).await.unwrap().status, 200);
    let targets: Vec<String> = proxy.requests().into_iter().map(|r| r.target).collect();
    assert_eq!(targets, [format!("api.corp.test:{port}"), format!("192.0.2.10:{port}")]);
}

#[tokio::test]
async fn a_refusing_proxy_is_named_with_its_status_and_never_retried() {
    let ca = TestCa::new("corp CA");
    let emu = served(&ca, &["api.corp.test"], Leaf::server(), None).await;
    let target = format!("api.corp.test:{}", emu.addr.port());
    for (opts, status, hint) in [
        (ProxyOptions::default().refuse(403), 403, "NO_PROXY"),
        (ProxyOptions::default().refuse(502), 502, "could not reach the host"),
        (ProxyOptions::default().basic_auth("svc", "secret"), 407, "http://user:password@proxy:port"),
    ] {
        let proxy = proxy_to(&emu, &[&target], opts).await;
        let c = client(HttpSettings { proxy: ProxySetting::Url(proxy.url()), ..trusting(&ca) });
        let err = get(&c, &format!("https://{target}/ok")).await.unwrap_err();
        let HttpError::Proxy { refusal, .. } = &err else { panic!("{err:?}") };
        assert_eq!(refusal.status, Some(status));
        assert!(
            err.to_string().contains(&format!("the proxy {} refused to open a tunnel to {target}", proxy.url())),
            "{err}"
        );
        assert!(err.detail().contains(hint) && err.detail().contains("not retried"), "{}", err.detail());
        assert_eq!(proxy.count(), 1, "max_retries = 2, but a refusal is final");
    }
}

#[tokio::test]
async fn handshake_failures_are_told_apart() {
    let ca = TestCa::new("corp CA");
    let cases = [
        (
            served(&ca, &[], Leaf::server(), None).await,
            HttpSettings::default(),
            TlsProblem::UntrustedIssuer,
            "ca_cert_pem",
        ),
        (served(&ca, &[], Leaf::server().expired(), None).await, trusting(&ca), TlsProblem::Expired, "renew"),
        (
            served(&ca, &[], Leaf::server(), Some(ca.cert_pem())).await,
            trusting(&ca),
            TlsProblem::ClientCertificateWanted,
            "client_cert_pem",
        ),
    ];
    for (emu, settings, problem, hint) in cases {
        let c = client(HttpSettings { max_retries: 2, ..settings });
        let err = get(&c, &format!("https://localhost:{}/ok", emu.addr.port())).await.unwrap_err();
        let HttpError::Tls { failure, .. } = &err else { panic!("{err:?}") };
        assert_eq!(failure.problem, problem);
        assert!(err.detail().contains(hint), "{}", err.detail());
        assert_eq!(emu.control.requests().len(), 0);
    }
    // A certificate for other names: 127.0.0.1 is not among them.
    let other = ca.issue(&["other.corp.test"], Leaf::server());
    let opts = ServerOptions { tls_identity: Some((other.cert_pem, other.key_pem)), ..Default::default() };
    let emu = mfa_sandbox::start(Arc::new(Echo), opts).await.unwrap();
    let err = get(&client(trusting(&ca)), &format!("https://127.0.0.1:{}/ok", emu.addr.port())).await.unwrap_err();
    assert!(matches!(&err, HttpError::Tls { failure, .. } if failure.problem == TlsProblem::WrongHost), "{err:?}");
}

#[tokio::test]
async fn a_gateway_demanding_client_certificates_takes_the_configured_one() {
    let ca = TestCa::new("corp CA");
    let emu = served(&ca, &[], Leaf::server(), Some(ca.cert_pem())).await;
    let url = format!("https://localhost:{}/ok", emu.addr.port());
    let id = ca.issue(&["terraform.corp.test"], Leaf::client());
    let with =
        client(HttpSettings { client_cert_pem: Some(id.cert_pem), client_key_pem: Some(id.key_pem), ..trusting(&ca) });
    assert_eq!(get(&with, &url).await.unwrap().status, 200);
    // A certificate of another CA is refused by the gateway, and said so.
    let stranger = TestCa::new("other CA").issue(&["x.test"], Leaf::client());
    let wrong = client(HttpSettings {
        client_cert_pem: Some(stranger.cert_pem),
        client_key_pem: Some(stranger.key_pem),
        ..trusting(&ca)
    });
    let err = get(&wrong, &url).await.unwrap_err();
    let HttpError::Tls { failure, .. } = &err else { panic!("{err:?}") };
    assert!(matches!(failure.problem, TlsProblem::ClientCertificateRefused(_)), "{err:?}");
}

/// A server that takes the connection and never says a word.
async fn silent() -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = l.accept().await {
            held.push(s);
        }
    });
    (addr, task)
}

#[tokio::test]
async fn timeout_seconds_bounds_the_handshake_and_the_answer_and_says_which() {
    let (addr, _task) = silent().await;
    let c = client(HttpSettings { timeout: Duration::from_secs(1), max_retries: 0, ..Default::default() });
    let started = Instant::now();
    let err = get(&c, &format!("https://localhost:{}/ok", addr.port())).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_millis(1900), "{:?}", started.elapsed());
    assert!(
        err.to_string().contains("the TLS handshake with localhost: no progress within 1 s (timeout_seconds)"),
        "{err}"
    );
    assert!(err.detail().contains("timeout_seconds = 1 bounds connecting"), "{}", err.detail());
    // A server that takes the request and never answers: the answer's timeout, the same limit.
    let emu = mfa_sandbox::start(Arc::new(Echo), ServerOptions::default()).await.unwrap();
    emu.control.push_fault(Fault::new(FaultKind::Delay(Duration::from_secs(5))));
    let err = get(&c, &format!("{}/ok", emu.url())).await.unwrap_err();
    assert!(matches!(err, HttpError::Transport { timed_out: true, .. }), "{err:?}");
    assert!(err.to_string().contains("no answer within 1 s (timeout_seconds)"), "{err}");
}

#[tokio::test]
async fn answers_are_bounded_decompressed_and_never_followed() {
    let emu = mfa_sandbox::start(Arc::new(Echo), ServerOptions::default()).await.unwrap();
    let c = client(HttpSettings { max_retries: 0, ..Default::default() });
    let ok = format!("{}/ok", emu.url());
    for kind in [FaultKind::Endless, FaultKind::Huge(5 * 1024 * 1024)] {
        emu.control.push_fault(Fault::new(kind).times(1));
        let err = get(&c, &ok).await.unwrap_err();
        assert!(matches!(err, HttpError::TooLarge { .. }) && err.to_string().contains("more than 4 MiB"), "{err:?}");
    }
    emu.control.push_fault(Fault::new(FaultKind::Gzip).times(1));
    let r = get(&c, &ok).await.unwrap();
    assert_eq!(r.json::<serde_json::Value>("Echo", &Call::get(Url::parse(&ok).unwrap())).unwrap()["ok"], true);
    emu.control.push_fault(
        Fault::new(FaultKind::Redirect(302, "https://sso.corp.test/login?SAMLRequest=abc123".into())).times(1),
    );
    let err = get(&c, &ok).await.unwrap_err();
    assert!(err.to_string().ends_with("redirected (HTTP 302) to https://sso.corp.test/login"), "{err}");
    assert_eq!(emu.control.requests().len(), 4, "the redirect was not followed");
    emu.control.push_fault(Fault::new(FaultKind::Html(200)).times(1));
    let r = get(&c, &ok).await.unwrap();
    let err = r.json::<serde_json::Value>("Echo", &Call::get(Url::parse(&ok).unwrap())).unwrap_err();
    assert!(err.to_string().contains("an HTML page answered (a proxy or single-sign-on gateway"), "{err}");
}
