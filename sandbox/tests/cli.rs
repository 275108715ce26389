//! The `mfa-sandbox` command behaves as its `--help` says: every vendor on loopback, the
//! environment for the providers, latency and faults, and a clean stop on Ctrl-C.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mfa_sandbox::EMULATORS;

#[test]
fn sandbox_serves_every_vendor_with_faults_and_stops_on_ctrl_c() {
    let dir = tempfile::tempdir().unwrap();
    let env_file = dir.path().join("sandbox.env");
    let mut child = Command::new(env!("CARGO_BIN_EXE_mfa-sandbox"))
        .args([
            "--env-file",
            env_file.to_str().unwrap(),
            "--latency",
            "30",
            "--fault",
            "rhombus=status=503,times=1,retry_after=2",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut urls = Vec::new();
    let mut line = String::new();
    while stdout.read_line(&mut line).unwrap() > 0 {
        if line.contains("Press Ctrl-C") {
            break;
        }
        if let Some(url) = line.split_whitespace().find(|w| w.starts_with("http://")) {
            urls.push(url.to_string());
        }
        line.clear();
    }
    assert_eq!(urls.len(), EMULATORS.len(), "one emulator per provider type");
    let env = std::fs::read_to_string(&env_file).unwrap();
    for var in [
        "RHOMBUS_API_KEY",
        "ZITADEL_URL",
        "ZITADEL_ACCESS_TOKEN",
        "ONLYOFFICE_PORTAL_URL",
        "ONLYOFFICE_API_KEY",
        "AKANA_BASE_URL",
        "AKANA_PASSWORD",
    ] {
        assert!(env.contains(&format!("export {var}=")), "{var} missing from {env}");
    }
    let rhombus = env
        .lines()
        .find_map(|l| l.strip_prefix("export RHOMBUS_ENDPOINT='"))
        .unwrap()
        .trim_end_matches('\'')
        .to_string();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let c = reqwest::Client::new();
        let started = Instant::now();
        let r = c.post(format!("{rhombus}/api/org/getOrgV2")).body("{}").send().await.unwrap();
        assert_eq!(r.status(), 503);
        assert_eq!(r.headers()["retry-after"], "2");
        assert!(started.elapsed() >= Duration::from_millis(30), "latency not applied");
        for u in &urls {
            assert_eq!(c.get(format!("{u}/_emulator/state")).send().await.unwrap().status(), 200);
        }
    });
    // SAFETY: plain syscall on the child this test started.
    assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) }, 0);
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(start.elapsed() < Duration::from_secs(3), "sandbox did not stop on Ctrl-C");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success());
}

#[test]
fn sandbox_rejects_bad_options() {
    let out = Command::new(env!("CARGO_BIN_EXE_mfa-sandbox")).args(["--fault", "nosuch=drop"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown provider type"));
}

#[test]
fn help_documents_every_fault_kind() {
    let out = Command::new(env!("CARGO_BIN_EXE_mfa-sandbox")).arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for kind in [
        "status=CODE",
        "drop",
        "lost",
        "mix",
        "delay=MS",
        "html=CODE",
        "malformed",
        "envelope",
        "endless",
        "huge=BYTES",
        "gzip",
        "redirect=[CODE:]URL",
        "body=CODE:TEXT",
        "seed=N",
        "p=PROB",
        "--client-ca FILE",
    ] {
        assert!(help.contains(kind), "--help does not mention {kind}:\n{help}");
    }
    // Every kind the help names parses.
    let ok = Command::new(env!("CARGO_BIN_EXE_mfa-sandbox"))
        .args([
            "--fault",
            "*=mix,p=0.2,seed=1",
            "--fault",
            "zitadel=lost,times=1",
            "--fault",
            "akana=huge=1000",
            "--fault",
            r#"rhombus=times=1,body=401:{"error":"a","b":"c"}"#,
            "--help",
        ])
        .output()
        .unwrap();
    assert!(ok.status.success());
}

/// `--client-ca FILE`: the sandbox says it demands client certificates, and does: a client
/// without one is refused in the handshake, one with a certificate from that CA gets through.
#[test]
fn client_ca_demands_client_certificates() {
    use mfa_sandbox::tls::{Leaf, TestCa};
    let out = Command::new(env!("CARGO_BIN_EXE_mfa-sandbox")).args(["--client-ca", "ca.pem"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "--client-ca without --tls");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--client-ca needs --tls"));

    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new("Corp Root CA");
    let (ca_file, env_file) = (dir.path().join("ca.pem"), dir.path().join("sandbox.env"));
    std::fs::write(&ca_file, ca.cert_pem()).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_mfa-sandbox"))
        .args(["--tls", "--only", "rhombus", "--client-ca", ca_file.to_str().unwrap()])
        .args(["--env-file", env_file.to_str().unwrap()])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let (mut url, mut announced, mut line) = (None, false, String::new());
    while stdout.read_line(&mut line).unwrap() > 0 && !line.contains("Press Ctrl-C") {
        announced |= line.contains("Client certificates: demanded") && line.contains(ca_file.to_str().unwrap());
        url = url.or_else(|| line.split_whitespace().find(|w| w.starts_with("https://")).map(String::from));
        line.clear();
    }
    assert!(announced, "the sandbox does not say it demands client certificates");
    let env = std::fs::read_to_string(&env_file).unwrap();
    let server_pem = env.split("export RHOMBUS_CA_CERT_PEM='").nth(1).unwrap().split('\'').next().unwrap();
    let state = format!("{}/_emulator/state", url.unwrap());
    let client = |identity: Option<reqwest::Identity>| {
        let b =
            reqwest::Client::builder().tls_certs_only([reqwest::Certificate::from_pem(server_pem.as_bytes()).unwrap()]);
        match identity {
            Some(id) => b.identity(id).build().unwrap(),
            None => b.build().unwrap(),
        }
    };
    let runner = ca.issue(&["terraform-runner"], Leaf::client());
    let identity = reqwest::Identity::from_pem(format!("{}{}", runner.key_pem, runner.cert_pem).as_bytes()).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        assert!(client(None).get(&state).send().await.is_err(), "no client certificate, yet answered");
        assert_eq!(client(Some(identity)).get(&state).send().await.unwrap().status(), 200);
    });
    child.kill().unwrap();
    child.wait().unwrap();
}
