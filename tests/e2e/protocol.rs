//! The go-plugin contract, checked against the real binary without Terraform in between: magic
//! cookie, handshake line, AutoMTLS that refuses foreign clients, ALPN, SIGINT, Shutdown, Stop,
//! reattach mode, message limits, logging and malformed input.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use mfa_providers::plugin::codec;
use mfa_providers::plugin::serve::MAGIC_COOKIE_VALUE;
use mfa_providers::plugin::value::{Number, Value};
use mfa_providers::proto::plugin::grpc_controller_client::GrpcControllerClient;
use mfa_providers::proto::tfplugin5 as pb;
use mfa_providers::proto::tfplugin5::provider_client::ProviderClient;
use mfa_providers::vendors;
use mfa_sandbox::Fault;
use mfa_sandbox::rhombus::{DEMO_API_KEY, RhombusEmulator};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use tonic::transport::Channel;

use crate::harness;

/// A client identity shaped like go-plugin's: ECDSA P-521, CA flag, SAN localhost.
pub(crate) struct Identity {
    cert_der: Vec<u8>,
    key_der: Vec<u8>,
    pem: String,
}

fn identity() -> Identity {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).unwrap();
    let mut p = CertificateParams::new(vec!["localhost".into()]).unwrap();
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let cert = p.self_signed(&key).unwrap();
    Identity { cert_der: cert.der().to_vec(), key_der: key.serialize_der(), pem: cert.pem() }
}

/// A plugin process started the way Terraform starts it.
pub(crate) struct Plugin {
    child: Child,
    /// `unix` or `tcp`, and the socket path or `127.0.0.1:PORT`, from the handshake line.
    network: String,
    socket: PathBuf,
    server_cert: Option<Vec<u8>>,
    line: String,
}

impl Drop for Plugin {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn exe_named(ty: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mfa-proto-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(format!("terraform-provider-{ty}_v{}", harness::VERSION));
    if !p.exists() {
        let _ = std::fs::hard_link(harness::plugin_binary(), &p)
            .or_else(|_| std::fs::copy(harness::plugin_binary(), &p).map(|_| ()));
    }
    p
}

pub(crate) fn launch(client_cert_pem: Option<&str>, extra_env: &[(&str, &str)]) -> Plugin {
    launch_as("rhombus", client_cert_pem, extra_env)
}

/// The plugin started as provider type `ty`.
pub(crate) fn launch_as(ty: &str, client_cert_pem: Option<&str>, extra_env: &[(&str, &str)]) -> Plugin {
    let mut cmd = Command::new(exe_named(ty));
    harness::scrub(&mut cmd)
        .env("TF_PLUGIN_MAGIC_COOKIE", MAGIC_COOKIE_VALUE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "6,5")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    match client_cert_pem {
        Some(pem) => cmd.env("PLUGIN_CLIENT_CERT", pem),
        None => cmd.env_remove("PLUGIN_CLIENT_CERT"),
    };
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let line = line.trim_end().to_string();
    let fields: Vec<&str> = line.split('|').collect();
    assert_eq!(fields.len(), 6, "handshake line {line:?}");
    assert_eq!(&fields[..2], ["1", "5"], "{line}");
    assert!(["unix", "tcp"].contains(&fields[2]), "{line}");
    assert_eq!(fields[4], "grpc");
    let server_cert = (!fields[5].is_empty()).then(|| {
        assert!(!fields[5].contains('='), "certificate must be unpadded base64");
        base64::engine::general_purpose::STANDARD_NO_PAD.decode(fields[5]).expect("raw std base64")
    });
    Plugin { child, network: fields[2].to_string(), socket: PathBuf::from(fields[3]), server_cert, line }
}

/// Trusts exactly the certificate from the handshake line, as go-plugin's client does.
#[derive(Debug)]
struct PinServer(Vec<u8>);

impl rustls::client::danger::ServerCertVerifier for PinServer {
    fn verify_server_cert(
        &self,
        ee: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        name: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        assert_eq!(name, &ServerName::try_from("localhost").unwrap());
        if ee.as_ref() == self.0.as_slice() {
            Ok(rustls::client::danger::ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General("not the announced certificate".into()))
        }
    }
    fn verify_tls12_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            m,
            c,
            d,
            &mfa_providers::plugin::tls::provider().signature_verification_algorithms,
        )
    }
    fn verify_tls13_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            m,
            c,
            d,
            &mfa_providers::plugin::tls::provider().signature_verification_algorithms,
        )
    }
    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        mfa_providers::plugin::tls::provider().signature_verification_algorithms.supported_schemes()
    }
}

/// Connects like Terraform: over the unix socket, with TLS when the plugin announced a cert.
pub(crate) async fn connect(p: &Plugin, client: Option<&Identity>) -> Result<Channel, String> {
    let socket = p.socket.clone();
    let tcp = p.network == "tcp";
    let tls = p.server_cert.clone().map(|server| {
        let b = rustls::ClientConfig::builder_with_provider(mfa_providers::plugin::tls::provider())
            .with_safe_default_protocol_versions()
            .unwrap()
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(PinServer(server)));
        let mut cfg = match client {
            Some(id) => b
                .with_client_auth_cert(
                    vec![CertificateDer::from(id.cert_der.clone())],
                    PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(id.key_der.clone())),
                )
                .unwrap(),
            None => b.with_no_client_auth(),
        };
        cfg.alpn_protocols = vec![b"h2".to_vec()];
        Arc::new(cfg)
    });
    let connector = tower::service_fn(move |_: tonic::transport::Uri| {
        let socket = socket.clone();
        let tls = tls.clone();
        async move {
            let s: Box<dyn Io> = if tcp {
                Box::new(tokio::net::TcpStream::connect(socket.to_str().unwrap()).await?)
            } else {
                Box::new(tokio::net::UnixStream::connect(&socket).await?)
            };
            match tls {
                None => Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(Box::new(s) as Box<dyn Io>)),
                Some(cfg) => {
                    let c = tokio_rustls::TlsConnector::from(cfg);
                    let t = c.connect(ServerName::try_from("localhost").unwrap(), s).await?;
                    assert_eq!(t.get_ref().1.alpn_protocol(), Some(&b"h2"[..]), "server must select ALPN h2");
                    Ok(hyper_util::rt::TokioIo::new(Box::new(t) as Box<dyn Io>))
                }
            }
        }
    });
    tonic::transport::Endpoint::from_static("http://localhost")
        .connect_with_connector(connector)
        .await
        .map_err(|e| format!("{e:?}"))
}

trait Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send> Io for T {}

async fn schema(ch: Channel) -> Result<pb::get_provider_schema::Response, tonic::Status> {
    ProviderClient::new(ch).get_schema(pb::get_provider_schema::Request {}).await.map(|r| r.into_inner())
}

fn wait_exit(child: &mut Child, within: Duration) -> Option<std::process::ExitStatus> {
    let start = Instant::now();
    while start.elapsed() < within {
        if let Some(s) = child.try_wait().unwrap() {
            return Some(s);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

#[test]
fn run_by_hand_explains_itself_in_one_line() {
    let out = Command::new(exe_named("rhombus")).env_remove("TF_PLUGIN_MAGIC_COOKIE").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("is a Terraform plugin"), "{err}");
}

#[test]
fn unknown_binary_name_lists_the_provider_types() {
    let out = Command::new(harness::plugin_binary()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    for v in vendors::VENDORS {
        assert!(err.contains(v.type_name), "{err}");
    }
}

#[test]
fn automtls_accepts_only_terraforms_certificate_and_shuts_down_cleanly() {
    let terraform = identity();
    let mut p = launch(Some(&terraform.pem), &[]);
    assert!(p.server_cert.is_some(), "TLS expected: {}", p.line);
    assert_eq!(p.network, "unix", "{}", p.line);
    assert!(p.socket.exists());
    let rt = harness::rt();

    let s = rt.block_on(async { schema(connect(&p, Some(&terraform)).await.unwrap()).await }).unwrap();
    assert!(s.resource_schemas.contains_key("rhombus_mfa_settings"));
    assert!(s.provider.is_some());

    // A client without a certificate, or with any other certificate, is refused.
    let stranger = identity();
    for who in [None, Some(&stranger)] {
        let r = rt.block_on(async {
            match connect(&p, who).await {
                Ok(ch) => schema(ch).await.map(|_| ()).map_err(|e| e.to_string()),
                Err(e) => Err(e),
            }
        });
        assert!(r.is_err(), "a client with {:?} certificate was served", who.map(|_| "another"));
    }

    // Ctrl-C reaches plugins (same process group): it must be ignored.
    let pid = p.child.id() as i32;
    // SAFETY: plain syscall on the child this test started.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    std::thread::sleep(Duration::from_millis(200));
    assert!(p.child.try_wait().unwrap().is_none(), "SIGINT killed the plugin");
    let s = rt.block_on(async { schema(connect(&p, Some(&terraform)).await.unwrap()).await });
    assert!(s.is_ok());

    // GRPCController.Shutdown: exit 0 promptly and remove the socket.
    rt.block_on(async {
        let ch = connect(&p, Some(&terraform)).await.unwrap();
        GrpcControllerClient::new(ch).shutdown(mfa_providers::proto::plugin::Empty {}).await.unwrap();
    });
    let status = wait_exit(&mut p.child, Duration::from_secs(2)).expect("exits within 2 s after Shutdown");
    assert!(status.success(), "{status:?}");
    assert!(!p.socket.exists(), "socket left behind");
}

/// Windows' transport, forced on this OS: TCP on loopback within go-plugin's port range, with
/// AutoMTLS exactly as over the unix socket.
#[test]
fn tcp_transport_in_the_port_range_with_automtls() {
    let terraform = identity();
    let (lo, hi) = (34000u16, 34999u16);
    let (lo_s, hi_s) = (lo.to_string(), hi.to_string());
    let p = launch(
        Some(&terraform.pem),
        &[("MFA_PLUGIN_NETWORK", "tcp"), ("PLUGIN_MIN_PORT", &lo_s), ("PLUGIN_MAX_PORT", &hi_s)],
    );
    assert_eq!(p.network, "tcp", "{}", p.line);
    let addr: std::net::SocketAddr = p.socket.to_str().unwrap().parse().unwrap();
    assert!(addr.ip().is_loopback() && (lo..=hi).contains(&addr.port()), "{}", p.line);
    let rt = harness::rt();
    let s = rt.block_on(async { schema(connect(&p, Some(&terraform)).await.unwrap()).await }).unwrap();
    assert!(s.resource_schemas.contains_key("rhombus_mfa_settings"));
    let stranger = identity();
    let refused = rt.block_on(async {
        match connect(&p, Some(&stranger)).await {
            Ok(ch) => schema(ch).await.is_err(),
            Err(_) => true,
        }
    });
    assert!(refused, "a foreign client certificate was served over TCP");
    // A bad setting is a clear startup error, not a hang.
    let out = Command::new(exe_named("rhombus"))
        .env("TF_PLUGIN_MAGIC_COOKIE", MAGIC_COOKIE_VALUE)
        .env("MFA_PLUGIN_NETWORK", "carrier-pigeon")
        .env_remove("PLUGIN_CLIENT_CERT")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("MFA_PLUGIN_NETWORK"));
}

#[test]
fn plaintext_when_terraform_disables_tls() {
    let p = launch(None, &[]);
    assert!(p.line.ends_with("|grpc|"), "{}", p.line);
    let s = harness::rt().block_on(async { schema(connect(&p, None).await.unwrap()).await }).unwrap();
    assert!(s.resource_schemas.contains_key("rhombus_mfa_settings"));
}

#[test]
fn debug_mode_prints_the_reattach_value() {
    let mut child = Command::new(exe_named("rhombus"))
        .arg("--debug")
        .env_remove("TF_PLUGIN_MAGIC_COOKIE")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut rd = BufReader::new(child.stdout.take().unwrap());
    let mut value = None;
    for _ in 0..20 {
        let mut l = String::new();
        rd.read_line(&mut l).unwrap();
        if let Some(rest) = l.trim().strip_prefix("export TF_REATTACH_PROVIDERS='") {
            value = Some(rest.trim_end_matches('\'').to_string());
            break;
        }
    }
    let value = value.expect("reattach line printed");
    let v: serde_json::Value = serde_json::from_str(&value).unwrap();
    let entry = &v[format!("registry.terraform.io/{}/rhombus", mfa_providers::SOURCE_NAMESPACE)];
    assert_eq!(entry["ProtocolVersion"], 5);
    assert_eq!(entry["Pid"], child.id());
    let p = Plugin {
        child,
        network: entry["Addr"]["Network"].as_str().unwrap().to_string(),
        socket: PathBuf::from(entry["Addr"]["String"].as_str().unwrap()),
        server_cert: None,
        line: String::new(),
    };
    let s = harness::rt().block_on(async { schema(connect(&p, None).await.unwrap()).await }).unwrap();
    assert!(s.resource_schemas.contains_key("rhombus_mfa_settings"));
}

/// ConfigureProvider as Terraform `terraform_version` sends it; the provider must accept it.
pub(crate) async fn configure(c: &mut ProviderClient<Channel>, terraform_version: &str, config: pb::DynamicValue) {
    let conf = c
        .configure(pb::configure::Request {
            terraform_version: terraform_version.into(),
            config: Some(config),
            client_capabilities: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(conf.diagnostics.is_empty(), "{:?}", conf.diagnostics);
}

pub(crate) fn provider_config(endpoint: &str) -> pb::DynamicValue {
    let p = (vendors::find("rhombus").unwrap().provider)();
    let v = Value::Object(BTreeMap::from([
        ("endpoint".to_string(), Value::String(endpoint.into())),
        ("api_key".to_string(), Value::String(DEMO_API_KEY.into())),
        ("max_retries".to_string(), Value::Number(Number::Int(0))),
    ]));
    let ty = p.schema().ty();
    pb::DynamicValue { msgpack: codec::to_msgpack(&v.conform(&ty).unwrap(), &ty).unwrap(), json: vec![] }
}

pub(crate) fn resource_state() -> pb::DynamicValue {
    let p = (vendors::find("rhombus").unwrap().provider)();
    let (_, ty) = p.resource_schema("rhombus_mfa_settings").unwrap();
    let v = Value::Object(BTreeMap::from([
        ("id".to_string(), Value::String("AcmeSecurityOrg0000001".into())),
        ("mfa_enabled".to_string(), Value::Bool(true)),
        ("restore_on_destroy".to_string(), Value::Bool(false)),
    ]));
    pb::DynamicValue { msgpack: codec::to_msgpack(&v.conform(ty).unwrap(), ty).unwrap(), json: vec![] }
}

#[test]
fn stop_cancels_in_flight_calls_promptly() {
    let emu = harness::start(Arc::new(RhombusEmulator::new()));
    emu.control.push_fault(Fault::parse("delay=30000,path=getOrgV2").unwrap());
    let p = launch(None, &[]);
    let rt = harness::rt();
    let (elapsed, diags) = rt.block_on(async {
        let ch = connect(&p, None).await.unwrap();
        let mut c = ProviderClient::new(ch.clone());
        configure(&mut c, "1.0.3", provider_config(&emu.url())).await;
        let mut reader = ProviderClient::new(ch.clone());
        let read = tokio::spawn(async move {
            let started = Instant::now();
            let r = reader
                .read_resource(pb::read_resource::Request {
                    type_name: "rhombus_mfa_settings".into(),
                    current_state: Some(resource_state()),
                    ..Default::default()
                })
                .await
                .unwrap()
                .into_inner();
            (started.elapsed(), r.diagnostics)
        });
        tokio::time::sleep(Duration::from_millis(300)).await;
        c.stop(pb::stop::Request {}).await.unwrap();
        read.await.unwrap()
    });
    assert!(elapsed < Duration::from_secs(3), "read took {elapsed:?} after Stop");
    assert!(diags.iter().any(|d| d.summary.contains("cancelled")), "{diags:?}");
}

#[test]
fn large_messages_and_malformed_values_get_answers_not_transport_errors() {
    let p = launch(None, &[]);
    harness::rt().block_on(async {
        // Terraform's client accepts messages up to 2 GiB; so must this test client.
        let mut c = ProviderClient::new(connect(&p, None).await.unwrap()).max_decoding_message_size(usize::MAX);
        // 6 MiB, over tonic's 4 MiB default.
        let big = "x".repeat(6 << 20);
        let p2 = (vendors::find("rhombus").unwrap().provider)();
        let ty = p2.schema().ty();
        let v = Value::Object(BTreeMap::from([("ca_cert_pem".to_string(), Value::String(big))])).conform(&ty).unwrap();
        let r = c
            .prepare_provider_config(pb::prepare_provider_config::Request {
                config: Some(pb::DynamicValue { msgpack: codec::to_msgpack(&v, &ty).unwrap(), json: vec![] }),
            })
            .await;
        assert!(r.is_ok(), "{r:?}");

        let garbage = pb::DynamicValue { msgpack: vec![0x81, 0xa1, b'z', 0xc3], json: vec![] };
        let r = c
            .plan_resource_change(pb::plan_resource_change::Request {
                type_name: "rhombus_mfa_settings".into(),
                proposed_new_state: Some(garbage.clone()),
                config: Some(garbage.clone()),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(r.diagnostics[0].severity, pb::diagnostic::Severity::Error as i32);
        assert!(r.diagnostics[0].detail.contains("unsupported attribute"), "{:?}", r.diagnostics);

        let r = c
            .upgrade_resource_state(pb::upgrade_resource_state::Request {
                type_name: "rhombus_mfa_settings".into(),
                version: 0,
                raw_state: Some(pb::RawState { json: b"{\"id\": 5".to_vec(), flatmap: Default::default() }),
            })
            .await
            .unwrap()
            .into_inner();
        assert!(r.diagnostics.iter().any(|d| d.summary.contains("Unreadable stored state")), "{:?}", r.diagnostics);

        let r = c
            .apply_resource_change(pb::apply_resource_change::Request {
                type_name: "nope_thing".into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert!(r.diagnostics.iter().any(|d| d.summary.contains("Unknown resource type")), "{:?}", r.diagnostics);
    });
}

#[test]
fn upgrade_resource_state_reencodes_under_the_current_schema() {
    let p = launch(None, &[]);
    harness::rt().block_on(async {
        let mut c = ProviderClient::new(connect(&p, None).await.unwrap());
        // A state missing an attribute and carrying one the schema no longer has.
        let r = c
            .upgrade_resource_state(pb::upgrade_resource_state::Request {
                type_name: "rhombus_mfa_settings".into(),
                version: 0,
                raw_state: Some(pb::RawState {
                    json: br#"{"id":"o","mfa_enabled":true,"trusted_device_skip_days":30,"gone":1}"#.to_vec(),
                    flatmap: Default::default(),
                }),
            })
            .await
            .unwrap()
            .into_inner();
        assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
        let prov = (vendors::find("rhombus").unwrap().provider)();
        let (_, ty) = prov.resource_schema("rhombus_mfa_settings").unwrap();
        let v = codec::from_msgpack(&r.upgraded_state.unwrap().msgpack, ty).unwrap();
        assert_eq!(v.attr("id"), &Value::String("o".into()));
        assert_eq!(v.attr("restore_on_destroy"), &Value::Null);
        assert_eq!(v.attr("trusted_device_skip_days"), &Value::Number(Number::Int(30)));
    });
}

#[test]
fn logs_are_hclog_json_on_stderr_and_follow_tf_log() {
    fn stderr_after_shutdown(env: &[(&str, &str)]) -> String {
        let mut p = launch(None, env);
        harness::rt().block_on(async {
            let ch = connect(&p, None).await.unwrap();
            schema(ch.clone()).await.unwrap();
            let _ = GrpcControllerClient::new(ch).shutdown(mfa_providers::proto::plugin::Empty {}).await;
        });
        wait_exit(&mut p.child, Duration::from_secs(3)).expect("exits");
        let mut err = String::new();
        p.child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
        err
    }
    let quiet = stderr_after_shutdown(&[]);
    assert!(quiet.trim().is_empty(), "logged without TF_LOG: {quiet}");
    let loud = stderr_after_shutdown(&[("TF_LOG_PROVIDER", "DEBUG")]);
    let lines: Vec<&str> = loud.lines().collect();
    assert!(!lines.is_empty());
    for l in lines {
        let v: serde_json::Value = serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}"));
        assert!(v["@message"].is_string() && v["@level"].is_string() && v["@timestamp"].is_string(), "{l}");
    }
}
