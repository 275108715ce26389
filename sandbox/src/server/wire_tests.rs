//! The server as a client meets it: TLS with a given certificate and with client certificates,
//! the origin handlers see over HTTP/1.1 and HTTP/2, and the faults that shape an answer's body
//! (endless, huge, gzip, redirect, verbatim body).

use super::*;
use crate::tls::{Issued, Leaf, TestCa};

/// `GET /origin` answers the [`RequestOrigin`] the handler saw; `GET /hello` a small JSON document.
struct Echo;

const HELLO: &str = r#"{"hello":"world","factors":["otp","u2f","otp","u2f","otp","u2f"]}"#;

impl EmulatorApp for Echo {
    fn vendor(&self) -> &'static str {
        "Echo"
    }
    fn router(self: Arc<Self>) -> axum::Router {
        use axum::routing::get;
        axum::Router::new()
            .route("/origin", get(|o: axum::Extension<RequestOrigin>| async move { o.0.0 }))
            .route("/hello", get(|| async { ([("content-type", "application/json")], HELLO) }))
    }
    fn error_envelope(&self) -> (u16, String) {
        (500, "{}".into())
    }
    fn summary(&self) -> serde_json::Value {
        serde_json::Value::Null
    }
    fn sandbox_env(&self, _: &str) -> Vec<(String, String)> {
        vec![]
    }
}

async fn echo(opts: ServerOptions) -> RunningEmulator {
    start(Arc::new(Echo), opts).await.unwrap()
}

fn trusting(pem: &str) -> reqwest::ClientBuilder {
    reqwest::Client::builder().tls_certs_only([reqwest::Certificate::from_pem(pem.as_bytes()).unwrap()])
}

fn identity(issued: &Issued) -> reqwest::Identity {
    reqwest::Identity::from_pem(format!("{}{}", issued.key_pem, issued.cert_pem).as_bytes()).unwrap()
}

/// HTTP/2 has no `Host` header, only `:authority`: the origin must come from it, or ZITADEL's
/// issuer (and so every key-file login's audience) would be `https://`.
#[tokio::test]
async fn the_origin_is_the_authority_over_http2_and_http1() {
    let emu = echo(ServerOptions { tls: true, ..Default::default() }).await;
    let pem = emu.tls_cert_pem.clone().unwrap();
    let expected = format!("https://localhost:{}", emu.addr.port());
    let h2 = trusting(&pem).build().unwrap().get(format!("{}/origin", emu.url())).send().await.unwrap();
    assert_eq!(h2.version(), reqwest::Version::HTTP_2, "ALPN should pick HTTP/2");
    assert_eq!(h2.text().await.unwrap(), expected);
    let h1 = trusting(&pem).http1_only().build().unwrap().get(format!("{}/origin", emu.url())).send().await.unwrap();
    assert_eq!(h1.version(), reqwest::Version::HTTP_11);
    assert_eq!(h1.text().await.unwrap(), expected);
    // Cleartext HTTP/2 (prior knowledge) too.
    let plain = echo(ServerOptions::default()).await;
    let c = reqwest::Client::builder().http2_prior_knowledge().build().unwrap();
    let r = c.get(format!("{}/origin", plain.url())).send().await.unwrap();
    assert_eq!(r.version(), reqwest::Version::HTTP_2);
    assert_eq!(r.text().await.unwrap(), plain.url());
}

/// An absolute-form target (what a client sends to a forward proxy) names the origin, not `Host`.
#[tokio::test]
async fn an_absolute_form_target_names_the_origin() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let emu = echo(ServerOptions::default()).await;
    let mut s = tokio::net::TcpStream::connect(emu.addr).await.unwrap();
    let req = "GET http://docs.corp.test:8080/origin HTTP/1.1\r\nHost: stale.corp.test\r\nConnection: close\r\n\r\n";
    s.write_all(req.as_bytes()).await.unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).await.unwrap();
    assert!(answer.ends_with("\r\n\r\nhttp://docs.corp.test:8080"), "{answer}");
}

#[tokio::test]
async fn a_ca_issued_certificate_is_served_for_its_names() {
    let ca = TestCa::new("Corp Root CA");
    let issued = ca.issue(&["zitadel.corp.test", "127.0.0.1", "::1"], Leaf::server());
    let emu =
        echo(ServerOptions { tls_identity: Some((issued.cert_pem.clone(), issued.key_pem)), ..Default::default() })
            .await;
    assert_eq!(emu.tls_cert_pem.as_deref(), Some(issued.cert_pem.as_str()));
    let url = emu.url_with_host("zitadel.corp.test");
    assert_eq!(url, format!("https://zitadel.corp.test:{}", emu.addr.port()));
    let c = trusting(&ca.cert_pem()).resolve("zitadel.corp.test", emu.addr).build().unwrap();
    assert_eq!(c.get(format!("{url}/origin")).send().await.unwrap().text().await.unwrap(), url);
    let by_ip = format!("{}/origin", emu.url_with_host("127.0.0.1"));
    assert_eq!(trusting(&ca.cert_pem()).build().unwrap().get(&by_ip).send().await.unwrap().status(), 200);
    // `localhost` is not among its names; another CA is not trusted.
    assert!(trusting(&ca.cert_pem()).build().unwrap().get(emu.url()).send().await.is_err());
    assert!(trusting(&TestCa::new("other").cert_pem()).build().unwrap().get(&by_ip).send().await.is_err());
}

#[tokio::test]
async fn an_expired_certificate_is_refused_by_clients() {
    let ca = TestCa::new("Corp Root CA");
    let issued = ca.issue(&["localhost"], Leaf::server().expired());
    let emu = echo(ServerOptions { tls_identity: Some((issued.cert_pem, issued.key_pem)), ..Default::default() }).await;
    let err = trusting(&ca.cert_pem()).build().unwrap().get(emu.url()).send().await.unwrap_err();
    assert!(format!("{err:?}").contains("Expired"), "{err:?}");
}

#[tokio::test]
async fn client_certificates_are_demanded_when_a_client_ca_is_set() {
    let ca = TestCa::new("Corp Root CA");
    let server = ca.issue(&["localhost"], Leaf::server());
    let opts = ServerOptions {
        tls_identity: Some((server.cert_pem, server.key_pem)),
        client_ca_pem: Some(ca.cert_pem()),
        ..Default::default()
    };
    let emu = echo(opts).await;
    let url = format!("{}/origin", emu.url());
    let with = |id: Option<&Issued>| {
        let b = trusting(&ca.cert_pem());
        match id {
            Some(i) => b.identity(identity(i)).build().unwrap(),
            None => b.build().unwrap(),
        }
    };
    assert!(with(None).get(&url).send().await.is_err(), "no client certificate");
    let good = ca.issue(&["terraform-runner"], Leaf::client());
    assert_eq!(with(Some(&good)).get(&url).send().await.unwrap().status(), 200);
    let untrusted = TestCa::new("other").issue(&["terraform-runner"], Leaf::client());
    assert!(with(Some(&untrusted)).get(&url).send().await.is_err(), "a certificate from another CA");
    let expired = ca.issue(&["terraform-runner"], Leaf::client().expired());
    assert!(with(Some(&expired)).get(&url).send().await.is_err(), "an expired client certificate");
    // Client certificates need TLS.
    let no_tls = ServerOptions { client_ca_pem: Some(ca.cert_pem()), ..Default::default() };
    assert_eq!(start(Arc::new(Echo), no_tls).await.err().unwrap().kind(), std::io::ErrorKind::InvalidInput);
}

#[tokio::test]
async fn urls_under_other_hosts_bracket_ipv6() {
    let emu = echo(ServerOptions::default()).await;
    let port = emu.addr.port();
    assert_eq!(emu.url(), format!("http://127.0.0.1:{port}"));
    assert_eq!(emu.url_with_host("2001:db8::10"), format!("http://[2001:db8::10]:{port}"));
    assert_eq!(emu.url_with_host("[::1]"), format!("http://[::1]:{port}"));
    assert_eq!(emu.url_with_host("192.0.2.10"), format!("http://192.0.2.10:{port}"));
}

#[test]
fn body_shaping_fault_specs_parse() {
    assert_eq!(Fault::parse("endless").unwrap().kind, FaultKind::Endless);
    assert_eq!(Fault::parse("huge=1048576,times=1").unwrap().kind, FaultKind::Huge(1_048_576));
    assert_eq!(Fault::parse("gzip,path=/api").unwrap().path.as_deref(), Some("/api"));
    let r = Fault::parse("redirect=307:https://login.corp.test/sso?a=1").unwrap();
    assert_eq!(r.kind, FaultKind::Redirect(307, "https://login.corp.test/sso?a=1".into()));
    assert_eq!(
        Fault::parse("redirect=https://x.test/").unwrap().kind,
        FaultKind::Redirect(302, "https://x.test/".into())
    );
    // The text of body= runs to the end, commas included; options go before it.
    let b = Fault::parse(r#"path=/oauth/v2/token,times=1,body=400:{"error":"invalid_grant","token":"zat_x"}"#).unwrap();
    assert_eq!(b.kind, FaultKind::Body(400, r#"{"error":"invalid_grant","token":"zat_x"}"#.into()));
    assert_eq!((b.path.as_deref(), b.times), (Some("/oauth/v2/token"), Some(1)));
    assert_eq!(Fault::parse("body=500:").unwrap().kind, FaultKind::Body(500, String::new()));
    for bad in [
        "body=oops",
        "body=99:x",
        "redirect=200:https://x.test/",
        "redirect=",
        "huge",
        "huge=x",
        "drop,gzip",
        "status=70000",
        "times=1",
        "status=503,",
    ] {
        assert!(Fault::parse(bad).is_err(), "{bad} parsed");
    }
}

async fn with_fault(kind: FaultKind) -> RunningEmulator {
    let emu = echo(ServerOptions::default()).await;
    emu.control.push_fault(Fault::new(kind).on_path("/hello"));
    emu
}

#[tokio::test]
async fn an_endless_body_streams_until_the_client_leaves() {
    let emu = with_fault(FaultKind::Endless).await;
    let mut r = reqwest::get(format!("{}/hello", emu.url())).await.unwrap();
    assert_eq!((r.status().as_u16(), r.headers()["content-type"].to_str().unwrap()), (200, "application/json"));
    assert!(r.content_length().is_none());
    let mut seen = Vec::new();
    while seen.len() < 4 << 20 {
        seen.extend_from_slice(&r.chunk().await.unwrap().expect("the body never ends"));
    }
    assert!(seen.starts_with(b"[0,0,0,"), "{:?}", &seen[..16]);
    drop(r);
    // The server is none the worse for it.
    emu.control.clear_faults();
    assert_eq!(reqwest::get(format!("{}/hello", emu.url())).await.unwrap().text().await.unwrap(), HELLO);
}

#[tokio::test]
async fn a_huge_body_has_exactly_its_length() {
    let emu = echo(ServerOptions::default()).await;
    for n in [0, 1, 2, 13, 14, 15, 100_000, 3 << 20] {
        emu.control.push_fault(Fault::new(FaultKind::Huge(n)).times(1));
        let r = reqwest::get(format!("{}/hello", emu.url())).await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-length"], n.to_string().as_str(), "{n}");
        let body = r.bytes().await.unwrap();
        assert_eq!(body.len(), n);
        if n > 0 {
            serde_json::from_slice::<serde_json::Value>(&body).unwrap_or_else(|e| panic!("{n} bytes: {e}"));
        }
    }
}

#[tokio::test]
async fn gzip_compresses_the_normal_answer_unasked() {
    use std::io::Read;
    let emu = with_fault(FaultKind::Gzip).await;
    let r = reqwest::get(format!("{}/hello", emu.url())).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-encoding"], "gzip");
    assert_eq!(r.headers()["content-type"], "application/json", "the answer's own headers stay");
    let compressed = r.bytes().await.unwrap();
    assert_eq!(&compressed[..2], &[0x1f, 0x8b], "gzip magic");
    let mut plain = String::new();
    flate2::read::GzDecoder::new(&compressed[..]).read_to_string(&mut plain).unwrap();
    assert_eq!(plain, HELLO);
    assert_eq!(emu.control.requests()[0].fault.as_deref(), Some("Gzip"));
}

#[tokio::test]
async fn redirects_and_verbatim_bodies() {
    let emu = with_fault(FaultKind::Redirect(302, "https://login.corp.test/sso".into())).await;
    let c = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = c.get(format!("{}/hello", emu.url())).send().await.unwrap();
    assert_eq!((r.status().as_u16(), r.headers()["location"].to_str().unwrap()), (302, "https://login.corp.test/sso"));
    assert!(r.bytes().await.unwrap().is_empty());

    let text = r#"{"error":"invalid_grant","error_description":"token zat_0123456789abcdef rejected"}"#;
    let emu = with_fault(FaultKind::Body(401, text.into())).await;
    let r = c.get(format!("{}/hello", emu.url())).send().await.unwrap();
    assert_eq!((r.status().as_u16(), r.headers()["content-type"].to_str().unwrap()), (401, "application/json"));
    assert_eq!(r.text().await.unwrap(), text);

    // A fault built in code with a status no answer can have is a 500 saying so, not a panic.
    let emu = with_fault(FaultKind::Body(1000, "{}".into())).await;
    let r = c.get(format!("{}/hello", emu.url())).send().await.unwrap();
    assert_eq!(r.status(), 500);
}
