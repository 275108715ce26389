//! The proxy over real sockets: HTTP CONNECT and forwarding, SOCKS5, credentials, refusals and
//! the loopback-only rule, spoken byte by byte as the RFCs have it, plus one client library
//! (reqwest) going through it to an HTTPS emulator under a corporate name.

use super::*;

/// A TCP server that sends back whatever it receives.
async fn echo_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            tokio::spawn(async move {
                let (mut r, mut w) = s.split();
                let _ = tokio::io::copy(&mut r, &mut w).await;
            });
        }
    });
    addr
}

/// Sends `ping` through an open tunnel and expects it back.
async fn assert_echoes(s: &mut TcpStream) {
    s.write_all(b"ping").await.unwrap();
    let mut back = [0u8; 4];
    s.read_exact(&mut back).await.unwrap();
    assert_eq!(&back, b"ping");
}

/// Sends an HTTP request head and reads the proxy's answer head (and a short body, if any).
async fn http_exchange(proxy: SocketAddr, request: &str) -> (TcpStream, String) {
    let mut s = TcpStream::connect(proxy).await.unwrap();
    s.write_all(request.as_bytes()).await.unwrap();
    let (head, body) = read_head(&mut s).await.unwrap();
    let mut answer = String::from_utf8(head).unwrap();
    answer.push_str(&String::from_utf8_lossy(&body));
    (s, answer)
}

async fn connect(proxy: SocketAddr, target: &str, extra_headers: &str) -> (TcpStream, String) {
    http_exchange(proxy, &format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n{extra_headers}\r\n")).await
}

fn basic(user: &str, pass: &str) -> String {
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
    format!("Proxy-Authorization: Basic {token}\r\n")
}

#[tokio::test]
async fn connect_tunnels_names_and_addresses_to_loopback() {
    let echo = echo_server().await;
    let opts = ProxyOptions::default()
        .route("zitadel.corp.test:443", echo)
        .route("[2001:DB8::10]:443", echo)
        .route("192.0.2.10:443", echo);
    let proxy = start_proxy(opts).await.unwrap();
    for target in ["zitadel.corp.test:443", "[2001:db8::10]:443", "192.0.2.10:443", &echo.to_string()] {
        let (mut s, answer) = connect(proxy.addr, target, "").await;
        assert!(answer.starts_with("HTTP/1.1 200 "), "{target}: {answer}");
        assert_echoes(&mut s).await;
    }
    let log = proxy.requests();
    assert_eq!(proxy.count(), 4);
    assert_eq!(log[1].target, "[2001:db8::10]:443");
    assert!(log.iter().all(|r| r.protocol == ProxyProtocol::Connect && !r.had_auth));
    assert_eq!(log[0].header_names, ["host"]);
    assert_eq!(proxy.url(), format!("http://127.0.0.1:{}", proxy.addr.port()));
    assert_eq!(proxy.socks_url(true), format!("socks5h://127.0.0.1:{}", proxy.addr.port()));
    assert_eq!(proxy.socks_url(false), format!("socks5://127.0.0.1:{}", proxy.addr.port()));
}

#[tokio::test]
async fn http_proxy_demands_basic_credentials() {
    let echo = echo_server().await;
    let opts = ProxyOptions::default().route("zitadel.corp.test:443", echo).basic_auth("alice", "s3cret");
    let proxy = start_proxy(opts).await.unwrap();
    let (_, missing) = connect(proxy.addr, "zitadel.corp.test:443", "").await;
    assert!(missing.starts_with("HTTP/1.1 407 Proxy Authentication Required\r\n"), "{missing}");
    assert!(missing.contains("Proxy-Authenticate: Basic realm=\"corp\"\r\n"), "{missing}");
    let (_, wrong) = connect(proxy.addr, "zitadel.corp.test:443", &basic("alice", "guess")).await;
    assert!(wrong.starts_with("HTTP/1.1 407 "), "{wrong}");
    let (mut s, right) = connect(proxy.addr, "zitadel.corp.test:443", &basic("alice", "s3cret")).await;
    assert!(right.starts_with("HTTP/1.1 200 "), "{right}");
    assert_echoes(&mut s).await;
    let had: Vec<bool> = proxy.requests().iter().map(|r| r.had_auth).collect();
    assert_eq!(had, [false, true, true]);
}

#[tokio::test]
async fn refusing_proxies_answer_with_their_status() {
    let echo = echo_server().await;
    let proxy = start_proxy(ProxyOptions::default().route("zitadel.corp.test:443", echo).refuse(403)).await.unwrap();
    let (_, answer) = connect(proxy.addr, "zitadel.corp.test:443", "").await;
    assert!(answer.starts_with("HTTP/1.1 403 Forbidden\r\n"), "{answer}");
    assert!(answer.contains("Content-Type: text/html") && answer.contains("<h1>403 Forbidden</h1>"), "{answer}");
    let mut s = TcpStream::connect(proxy.addr).await.unwrap();
    assert_eq!(socks5_connect(&mut s, &[0x03, 17], b"zitadel.corp.test", 443).await, NOT_ALLOWED);
    let bad_gateway = start_proxy(ProxyOptions::default().refuse(502)).await.unwrap();
    let (_, answer) = connect(bad_gateway.addr, "zitadel.corp.test:443", "").await;
    assert!(answer.starts_with("HTTP/1.1 502 Bad Gateway\r\n"), "{answer}");
    assert!(start_proxy(ProxyOptions::default().refuse(42)).await.is_err());
}

/// The proxy never becomes a way off the machine: not through a route, not by a literal.
#[tokio::test]
async fn targets_outside_loopback_are_refused() {
    let outside: SocketAddr = "10.1.2.3:443".parse().unwrap();
    let opts = ProxyOptions::default()
        .route("zitadel.corp.test:443", outside)
        .resolve_with(|t| (t == "akana.corp.test:443").then(|| "[2001:db8::1]:443".parse().unwrap()));
    let proxy = start_proxy(opts).await.unwrap();
    for target in ["zitadel.corp.test:443", "akana.corp.test:443", "192.0.2.10:443", "[2001:db8::10]:443"] {
        let (_, answer) = connect(proxy.addr, target, "").await;
        assert!(answer.starts_with("HTTP/1.1 403 "), "{target}: {answer}");
    }
    // A name nothing maps: the proxy resolves no names.
    let (_, answer) = connect(proxy.addr, "example.com:443", "").await;
    assert!(answer.starts_with("HTTP/1.1 502 "), "{answer}");
    let (_, answer) = connect(proxy.addr, "no-port", "").await;
    assert!(answer.starts_with("HTTP/1.1 400 "), "{answer}");
    let mut s = TcpStream::connect(proxy.addr).await.unwrap();
    assert_eq!(socks5_connect(&mut s, &[0x01], &[192, 0, 2, 10], 443).await, NOT_ALLOWED);
}

#[tokio::test]
async fn absolute_form_requests_are_forwarded_in_origin_form() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream = listener.local_addr().unwrap();
    let seen = tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        let (head, _) = read_head(&mut s).await.unwrap();
        s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok").await.unwrap();
        String::from_utf8(head).unwrap()
    });
    let proxy =
        start_proxy(ProxyOptions::default().route("docs.corp.test:80", upstream).basic_auth("u", "p")).await.unwrap();
    let request = format!(
        "GET http://docs.corp.test/api/2.0/settings?x=1 HTTP/1.1\r\nHost: docs.corp.test\r\n{}Accept: */*\r\nProxy-Connection: keep-alive\r\n\r\n",
        basic("u", "p")
    );
    let (_, answer) = http_exchange(proxy.addr, &request).await;
    assert!(answer.starts_with("HTTP/1.1 200 OK") && answer.ends_with("ok"), "{answer}");
    let head = seen.await.unwrap();
    assert!(head.starts_with("GET /api/2.0/settings?x=1 HTTP/1.1\r\n"), "{head}");
    assert!(head.contains("Host: docs.corp.test\r\n") && head.contains("Accept: */*\r\n"), "{head}");
    assert!(head.contains("Connection: close\r\n"), "{head}");
    assert!(!head.to_ascii_lowercase().contains("proxy-"), "proxy headers must not travel on: {head}");
    let log = proxy.requests();
    assert_eq!(
        (log[0].protocol, log[0].target.as_str(), log[0].had_auth),
        (ProxyProtocol::Http, "docs.corp.test:80", true)
    );
    assert_eq!(log[0].header_names, ["host", "proxy-authorization", "accept", "proxy-connection"]);
}

/// A SOCKS5 session without credentials asking to CONNECT: the reply code.
async fn socks5_connect(s: &mut TcpStream, atyp_and_len: &[u8], addr: &[u8], port: u16) -> u8 {
    s.write_all(&[SOCKS_VERSION, 1, NO_AUTH]).await.unwrap();
    let mut choice = [0u8; 2];
    s.read_exact(&mut choice).await.unwrap();
    assert_eq!(choice, [SOCKS_VERSION, NO_AUTH]);
    socks5_request_only(s, atyp_and_len, addr, port).await
}

/// A SOCKS5 CONNECT request after method selection: the reply code.
async fn socks5_request_only(s: &mut TcpStream, atyp_and_len: &[u8], addr: &[u8], port: u16) -> u8 {
    let mut req = vec![SOCKS_VERSION, 0x01, 0x00];
    req.extend_from_slice(atyp_and_len);
    req.extend_from_slice(addr);
    req.extend_from_slice(&port.to_be_bytes());
    s.write_all(&req).await.unwrap();
    let mut reply = [0u8; 4];
    s.read_exact(&mut reply).await.unwrap();
    let bound_len = if reply[3] == 0x04 { 16 } else { 4 };
    let mut bound = vec![0u8; bound_len + 2];
    s.read_exact(&mut bound).await.unwrap();
    reply[1]
}

#[tokio::test]
async fn socks5_with_a_domain_name_and_credentials() {
    let echo = echo_server().await;
    let opts = ProxyOptions::default().route("zitadel.corp.test:443", echo).basic_auth("alice", "s3cret");
    let proxy = start_proxy(opts).await.unwrap();
    let login = |user: &'static str, pass: &'static str| async move {
        let mut s = TcpStream::connect(proxy.addr).await.unwrap();
        s.write_all(&[SOCKS_VERSION, 2, NO_AUTH, USER_PASS]).await.unwrap();
        let mut choice = [0u8; 2];
        s.read_exact(&mut choice).await.unwrap();
        assert_eq!(choice, [SOCKS_VERSION, USER_PASS], "credentials are required");
        let mut auth = vec![0x01, user.len() as u8];
        auth.extend_from_slice(user.as_bytes());
        auth.push(pass.len() as u8);
        auth.extend_from_slice(pass.as_bytes());
        s.write_all(&auth).await.unwrap();
        let mut status = [0u8; 2];
        s.read_exact(&mut status).await.unwrap();
        (s, status)
    };
    let (mut s, status) = login("alice", "wrong").await;
    assert_eq!(status, [0x01, 0x01], "RFC 1929 failure status");
    assert_eq!(s.read(&mut [0u8; 1]).await.unwrap(), 0, "closed after a failure");
    let (mut s, status) = login("alice", "s3cret").await;
    assert_eq!(status, [0x01, 0x00]);
    assert_eq!(socks5_request_only(&mut s, &[0x03, 17], b"zitadel.corp.test", 443).await, SUCCEEDED);
    assert_echoes(&mut s).await;
    // Offering no-auth only is turned away.
    let mut s = TcpStream::connect(proxy.addr).await.unwrap();
    s.write_all(&[SOCKS_VERSION, 1, NO_AUTH]).await.unwrap();
    let mut choice = [0u8; 2];
    s.read_exact(&mut choice).await.unwrap();
    assert_eq!(choice, [SOCKS_VERSION, NO_ACCEPTABLE]);
    let log = proxy.requests();
    assert_eq!(log.len(), 1, "only the authenticated session got to a request: {log:?}");
    assert_eq!(
        (log[0].protocol, log[0].target.as_str(), log[0].had_auth),
        (ProxyProtocol::Socks5, "zitadel.corp.test:443", true)
    );
}

#[tokio::test]
async fn socks5_connects_to_ipv4_and_ipv6_addresses() {
    let echo = echo_server().await;
    let opts = ProxyOptions::default().route("[2001:db8::10]:443", echo).route("192.0.2.10:443", echo);
    let proxy = start_proxy(opts).await.unwrap();
    let v6: Ipv6Addr = "2001:db8::10".parse().unwrap();
    let mut s = TcpStream::connect(proxy.addr).await.unwrap();
    assert_eq!(socks5_connect(&mut s, &[0x04], &v6.octets(), 443).await, SUCCEEDED);
    assert_echoes(&mut s).await;
    let mut s = TcpStream::connect(proxy.addr).await.unwrap();
    assert_eq!(socks5_connect(&mut s, &[0x01], &[192, 0, 2, 10], 443).await, SUCCEEDED);
    assert_echoes(&mut s).await;
    // A loopback address needs no route; an unknown address type is refused as RFC 1928 says.
    let mut s = TcpStream::connect(proxy.addr).await.unwrap();
    assert_eq!(socks5_connect(&mut s, &[0x01], &[127, 0, 0, 1], echo.port()).await, SUCCEEDED);
    assert_echoes(&mut s).await;
    let mut s = TcpStream::connect(proxy.addr).await.unwrap();
    assert_eq!(socks5_connect(&mut s, &[0x09], &[], 443).await, ADDRESS_NOT_SUPPORTED);
    let targets: Vec<String> = proxy.requests().into_iter().map(|r| r.target).collect();
    assert_eq!(targets, ["[2001:db8::10]:443", "192.0.2.10:443", format!("127.0.0.1:{}", echo.port()).as_str()]);
}

/// What a client library does with the proxy: HTTPS to an emulator under a corporate name, the
/// certificate issued for that name by a private CA, through CONNECT with credentials.
#[tokio::test]
async fn a_client_reaches_an_https_emulator_under_its_corporate_name() {
    use crate::tls::{Leaf, TestCa};
    let ca = TestCa::new("Corp Root CA");
    let issued = ca.issue(&["zitadel.corp.test"], Leaf::server());
    let opts = crate::ServerOptions { tls_identity: Some((issued.cert_pem, issued.key_pem)), ..Default::default() };
    let emu = crate::start(Arc::new(crate::zitadel::ZitadelEmulator::new()), opts).await.unwrap();
    let url = emu.url_with_host("zitadel.corp.test");
    let target = format!("zitadel.corp.test:{}", emu.addr.port());
    let proxy = start_proxy(ProxyOptions::default().route(&target, emu.addr).basic_auth("u", "p")).await.unwrap();
    let client = reqwest::Client::builder()
        .proxy(reqwest::Proxy::all(proxy.url()).unwrap().basic_auth("u", "p"))
        .tls_certs_only([reqwest::Certificate::from_pem(ca.cert_pem().as_bytes()).unwrap()])
        .build()
        .unwrap();
    let r = client.get(format!("{url}/_emulator/state")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let log = proxy.requests();
    assert_eq!(
        (log[0].protocol, log[0].target.as_str(), log[0].had_auth),
        (ProxyProtocol::Connect, target.as_str(), true)
    );
}

/// Plain HTTP through the proxy: the client sends the absolute URL, the emulator gets origin-form
/// with the corporate name in `Host`, and the proxy logs header names only.
#[tokio::test]
async fn a_client_sends_plain_http_through_the_proxy() {
    let emu = crate::start(Arc::new(crate::rhombus::RhombusEmulator::new()), Default::default()).await.unwrap();
    let url = emu.url_with_host("rhombus.corp.test");
    let target = format!("rhombus.corp.test:{}", emu.addr.port());
    let proxy = start_proxy(ProxyOptions::default().route(&target, emu.addr)).await.unwrap();
    let client = reqwest::Client::builder().proxy(reqwest::Proxy::http(proxy.url()).unwrap()).build().unwrap();
    let r = client.get(format!("{url}/_emulator/state")).header("x-auth-apikey", "secret").send().await.unwrap();
    assert_eq!(r.status(), 200);
    let log = proxy.requests();
    assert_eq!(
        (log[0].protocol, log[0].target.as_str(), log[0].had_auth),
        (ProxyProtocol::Http, target.as_str(), false)
    );
    assert!(log[0].header_names.contains(&"x-auth-apikey".to_string()), "{:?}", log[0].header_names);
    assert!(!format!("{log:?}").contains("secret"), "a header value reached the log: {log:?}");
}

#[test]
fn targets_are_compared_in_one_spelling() {
    assert_eq!(normalise("Zitadel.Corp.Test:443").as_deref(), Some("zitadel.corp.test:443"));
    assert_eq!(normalise("[2001:0db8:0::10]:443").as_deref(), Some("[2001:db8::10]:443"));
    for bad in ["2001:db8::10:443", "[2001:db8::10]", "host", "host:0", ":443", "[nope]:443"] {
        assert_eq!(normalise(bad), None, "{bad}");
    }
    assert_eq!(absolute_form("http://docs.corp.test"), Some(("docs.corp.test:80".into(), "/".into())));
    assert_eq!(absolute_form("HTTP://u:p@[::1]:8080?q"), Some(("[::1]:8080".into(), "/?q".into())));
    assert_eq!(absolute_form("https://docs.corp.test/"), None);
    assert_eq!(absolute_form("/relative"), None);
}
