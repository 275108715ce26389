//! The providers behind a corporate network, under real Terraform: proxies read as Go providers
//! read them, a private CA, a gateway that demands client certificates, servers that stall or
//! speak only old TLS — all on loopback, started by the scenario.

use mfa_sandbox::proxy::{ProxyOptions, ProxyProtocol, start_proxy};
use mfa_sandbox::{EmulatorApp, Leaf, ServerOptions, TestCa, rhombus};

use crate::fixtures::{self, Examples, pairs};
use crate::harness::{self, Provider, Ws, heredoc};

/// Every variable a proxy can come from, set to `url`; `NO_PROXY` empty.
fn proxy_env(url: &str) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> =
        ["HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"]
            .iter()
            .map(|k| (k.to_string(), url.to_string()))
            .collect();
    env.extend([("NO_PROXY".to_string(), String::new()), ("no_proxy".to_string(), String::new())]);
    env
}

/// Credentials for a `localhost` endpoint (the sandbox, a local gateway) never leave the
/// machine: a proxy in the environment sees nothing of any vendor's calls.
#[test]
fn loopback_endpoints_are_never_proxied() {
    let proxy = harness::rt().block_on(start_proxy(ProxyOptions::default())).unwrap();
    let vendors = fixtures::every_vendor(|_| ServerOptions::default());
    let types: Vec<&str> = vendors.iter().map(|v| v.type_name).collect();
    let mut env = proxy_env(&proxy.url());
    for v in &vendors {
        env.extend(v.env(&v.emu.url()));
    }
    let ws = Ws::with(harness::terraform(), &fixtures::examples_config(&types, Examples::Resources), &pairs(&env));
    ws.apply().ok();
    ws.assert_no_changes();
    assert_eq!(proxy.requests(), vec![], "nothing may go to the proxy");
    for v in &vendors {
        assert!(!v.emu.control.requests().is_empty(), "{} was not called", v.type_name);
    }
}

/// Every vendor reached by name through an authenticating CONNECT proxy, its certificate issued by
/// a private CA; one provider set to its own SOCKS5 proxy with `<VENDOR>_PROXY_URL`.
#[test]
fn a_corporate_proxy_carries_every_vendor_by_name_and_proxy_url_overrides_it() {
    let ca = TestCa::new("Corp Issuing CA");
    let vendors = fixtures::every_vendor(|t| {
        let id = ca.issue(&[&format!("{t}.corp.test")], Leaf::server());
        ServerOptions { tls_identity: Some((id.cert_pem, id.key_pem)), ..Default::default() }
    });
    let name = |t: &str, port: u16| format!("{t}.corp.test:{port}");
    let opts = vendors.iter().fold(ProxyOptions::default().basic_auth("svc-terraform", "pr0xy pass"), |o, v| {
        o.route(&name(v.type_name, v.emu.addr.port()), v.emu.addr)
    });
    let proxy = harness::rt().block_on(start_proxy(opts)).unwrap();
    let authed = |u: &str| u.replacen("://", "://svc-terraform:pr0xy%20pass@", 1);
    let mut env = proxy_env(&authed(&proxy.url()));
    env.push(("AKANA_PROXY_URL".into(), authed(&proxy.socks_url(true))));
    for v in &vendors {
        env.extend(v.env(&v.emu.url_with_host(&format!("{}.corp.test", v.type_name))));
        env.push((format!("{}_CA_CERT_PEM", v.type_name.to_ascii_uppercase()), ca.cert_pem()));
    }
    let types: Vec<&str> = vendors.iter().map(|v| v.type_name).collect();
    let ws = Ws::with(harness::terraform(), &fixtures::examples_config(&types, Examples::Resources), &pairs(&env));
    ws.apply().ok();
    ws.assert_no_changes();
    let seen = proxy.requests();
    assert!(seen.iter().all(|r| r.had_auth), "every request carries the proxy credentials: {seen:?}");
    for v in &vendors {
        let target = name(v.type_name, v.emu.addr.port());
        let protocols: Vec<ProxyProtocol> = seen.iter().filter(|r| r.target == target).map(|r| r.protocol).collect();
        let want = if v.type_name == "akana" { ProxyProtocol::Socks5 } else { ProxyProtocol::Connect };
        assert!(!protocols.is_empty() && protocols.iter().all(|p| *p == want), "{target}: {protocols:?}");
    }
}

/// The Rhombus provider at `url` (an emulator or not) and a data source reading through it.
fn rhombus_via(url: &str) -> Provider {
    Provider::of_type("rhombus", url)
}

fn read_through(provider: Provider) -> String {
    provider.config() + "data \"rhombus_mfa_settings\" \"org\" {}\n"
}

/// A proxy whose rules forbid the host is named with its status, once: asking again would get the
/// same answer.
#[test]
fn a_refusing_proxy_fails_the_plan_by_name_without_retrying() {
    let ca = TestCa::new("Corp Issuing CA");
    let id = ca.issue(&["rhombus.corp.test"], Leaf::server());
    let (_, emu) = harness::started_with(
        rhombus::RhombusEmulator::new(),
        ServerOptions { tls_identity: Some((id.cert_pem, id.key_pem)), ..Default::default() },
    );
    let target = format!("rhombus.corp.test:{}", emu.addr.port());
    let proxy =
        harness::rt().block_on(start_proxy(ProxyOptions::default().route(&target, emu.addr).refuse(403))).unwrap();
    let provider = rhombus_via(&format!("https://{target}")).with("ca_cert_pem", heredoc(&ca.cert_pem()));
    let ws = Ws::with(harness::terraform(), &read_through(provider), &pairs(&proxy_env(&proxy.url())));
    ws.plan().fails_with(&[
        "The proxy refused to connect to the Rhombus API",
        &format!(
            "the proxy {} refused to open a tunnel to {target}: the proxy answered HTTP 403 Forbidden",
            proxy.url()
        ),
        "NO_PROXY",
        "This is not retried",
    ]);
    assert_eq!(proxy.count(), 1, "max_retries = 3, but a refusal is final");
    assert_eq!(emu.control.requests().len(), 0);
}

/// A gateway that demands mutual TLS: the configured client certificate gets through; none is
/// named as the missing setting; a key that is not the certificate's is refused at validate.
#[test]
fn a_gateway_demanding_client_certificates() {
    let ca = TestCa::new("Corp Issuing CA");
    let server = ca.issue(&["localhost"], Leaf::server());
    let (_, emu) = harness::started_with(
        rhombus::RhombusEmulator::new(),
        ServerOptions {
            tls_identity: Some((server.cert_pem, server.key_pem)),
            client_ca_pem: Some(ca.cert_pem()),
            ..Default::default()
        },
    );
    let url = format!("https://localhost:{}", emu.addr.port());
    let client = ca.issue(&["terraform.corp.test"], Leaf::client());
    let mut env = vec![("RHOMBUS_CA_CERT_PEM".to_string(), ca.cert_pem())];
    let ws = Ws::with(harness::terraform(), &read_through(rhombus_via(&url)), &pairs(&env));
    ws.plan().fails_with(&[
        "The Rhombus API wants a client certificate",
        "set client_cert_pem and client_key_pem (or RHOMBUS_CLIENT_CERT_PEM and RHOMBUS_CLIENT_KEY_PEM)",
    ]);
    env.push(("RHOMBUS_CLIENT_CERT_PEM".into(), client.cert_pem.clone()));
    env.push(("RHOMBUS_CLIENT_KEY_PEM".into(), client.key_pem.clone()));
    let ws = Ws::with(harness::terraform(), &read_through(rhombus_via(&url)), &pairs(&env));
    ws.plan().ok();

    let other_key = ca.issue(&["x.test"], Leaf::client()).key_pem;
    let mismatched = rhombus_via(&url)
        .with("client_cert_pem", heredoc(&client.cert_pem))
        .with("client_key_pem", heredoc(&other_key));
    let ws = Ws::new(&read_through(mismatched));
    ws.run(&["validate"]).fails_with(&[
        "Unusable client certificate",
        "client_key_pem is not the private key of the certificate in client_cert_pem",
    ]);
    // From the environment it is refused at configure, and never echoed.
    env.pop();
    env.push(("RHOMBUS_CLIENT_KEY_PEM".into(), other_key.clone()));
    let ws = Ws::with(harness::terraform(), &read_through(rhombus_via(&url)), &pairs(&env));
    let run = ws.plan();
    run.fails_with(&[
        "client_key_pem is not the private key",
        "(The value came from the environment variable RHOMBUS_CLIENT_KEY_PEM.)",
    ]);
    assert!(!run.all().contains(other_key.lines().nth(1).unwrap()), "the key is never echoed");
}

/// `timeout_seconds` bounds the TLS handshake too, and the error names the phase and the limit.
#[test]
fn a_stalled_handshake_ends_at_timeout_seconds_and_says_so() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // Accepts connections and never speaks.
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming() {
            held.push(s);
        }
    });
    let stalled = rhombus_via(&format!("https://localhost:{port}")).with("timeout_seconds", 2).with("max_retries", 0);
    let ws = Ws::new(&read_through(stalled));
    let started = std::time::Instant::now();
    ws.plan().fails_with(&[
        "Connecting to the Rhombus API timed out",
        "the TLS handshake with localhost: no progress within 2 s (timeout_seconds)",
        "timeout_seconds = 2 bounds connecting, the proxy and the TLS handshake too",
    ]);
    assert!(started.elapsed() < std::time::Duration::from_secs(30), "{:?}", started.elapsed());
}

/// An untrusted CA names `ca_cert_pem`; a server that speaks only TLS 1.1 (OpenSSL's own
/// `s_server`) is named as such, not as a certificate problem.
#[test]
fn handshake_failures_say_what_failed() {
    let ca = TestCa::new("Corp Issuing CA");
    let id = ca.issue(&["localhost"], Leaf::server());
    let (_, emu) = harness::started_with(
        rhombus::RhombusEmulator::new(),
        ServerOptions { tls_identity: Some((id.cert_pem.clone(), id.key_pem.clone())), ..Default::default() },
    );
    let ws = Ws::new(&read_through(rhombus_via(&format!("https://localhost:{}", emu.addr.port()))));
    ws.plan().fails_with(&[
        "TLS certificate of the Rhombus API not accepted",
        "its certificate is not signed by a certificate authority this provider trusts",
        "ca_cert_pem (or RHOMBUS_CA_CERT_PEM)",
    ]);
    let Some(old) = OldTls::start(&id.cert_pem, &id.key_pem) else {
        harness::skip("network::handshake_failures_say_what_failed (TLS 1.1)", "needs the openssl command");
        return;
    };
    let old_tls = rhombus_via(&format!("https://localhost:{}", old.port))
        .with("ca_cert_pem", heredoc(&ca.cert_pem()))
        .with("max_retries", 0);
    let ws = Ws::new(&read_through(old_tls));
    ws.plan().fails_with(&["offers no TLS version this provider speaks (it needs TLS 1.2 or 1.3)", "TLS 1.0 or 1.1"]);
}

/// `openssl s_server` offering TLS 1.1 only, as an old appliance would.
struct OldTls {
    child: std::process::Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl OldTls {
    fn start(cert: &str, key: &str) -> Option<OldTls> {
        let dir = tempfile::tempdir().ok()?;
        std::fs::write(dir.path().join("c.pem"), cert).ok()?;
        std::fs::write(dir.path().join("k.pem"), key).ok()?;
        let port = std::net::TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok()?.port();
        let child = std::process::Command::new("openssl")
            .args(["s_server", "-quiet", "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0", "-accept"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-cert", "c.pem", "-key", "k.pem"])
            .current_dir(dir.path())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .ok()?;
        let up = (0..50).any(|_| {
            std::thread::sleep(std::time::Duration::from_millis(100));
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        up.then_some(OldTls { child, port, _dir: dir })
    }
}

impl Drop for OldTls {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Two CI shards share one tenant's rate limit by splitting it with `requests_per_second`: run
/// side by side, they never meet the vendor's 429.
#[test]
fn shards_split_a_rate_limit_with_requests_per_second() {
    use mfa_sandbox::akana;
    let (app, emu) = harness::started(akana::AkanaEmulator::new());
    app.seed_businesses(24);
    emu.control.set_rate_limit(Some(mfa_sandbox::rate_limit::RateLimit { per_second: 10.0, burst: 2.0 }));
    let shard = |range: std::ops::Range<usize>| {
        let ids: Vec<String> =
            range.map(|i| format!("\"00000000-0000-4000-8000-{i:012}.{}\"", akana::TENANT)).collect();
        format!(
            "{}data \"akana_twofa_settings\" \"b\" {{\n  for_each = toset([{}])\n  business_id = each.key\n}}\n",
            Provider::from_env("akana").with("requests_per_second", 4).config(),
            ids.join(", ")
        )
    };
    let env: Vec<(String, String)> = app.sandbox_env(&emu.url());
    let (a, b) = (shard(1..13), shard(13..25));
    let runs: Vec<_> = [a, b]
        .into_iter()
        .map(|cfg| {
            let env = env.clone();
            std::thread::spawn(move || {
                let ws = Ws::with(harness::terraform(), &cfg, &pairs(&env));
                ws.plan().code
            })
        })
        .collect();
    for r in runs {
        assert_eq!(r.join().unwrap(), 0, "each shard reads its businesses");
    }
    assert_eq!(emu.control.rate_limited(), 0, "requests_per_second kept both shards under the vendor's limit");
}
