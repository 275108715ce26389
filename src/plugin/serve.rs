//! Process lifecycle as go-plugin defines it (hashicorp/go-plugin `server.go` `Serve`): check the magic cookie,
//! negotiate protocol 5, bind the listener (see [`super::transport`]), set up AutoMTLS, print
//! exactly one handshake line, serve until `GRPCController.Shutdown`, ignore SIGINT (Terraform
//! sends Stop instead), and clean up the socket. `--debug` serves in reattach mode for a
//! developer's Terraform instead.

use std::convert::Infallible;
use std::future::Future;
use std::io::{self, Write};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use base64::Engine;
use thiserror::Error;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_util::sync::CancellationToken;
use tonic::body::Body;
use tonic::codegen::Service;
use tonic::codegen::http::{Request, Response};
use tonic::server::NamedService;

use crate::proto::plugin::grpc_controller_server::GrpcControllerServer;
use crate::proto::plugin::grpc_stdio_server::GrpcStdioServer;
use crate::proto::tfplugin5::provider_server::ProviderServer;

use super::go_plugin::{Controller, Stdio};
use super::provider::DynProvider;
use super::service::ProviderService;
use super::tls;
use super::transport::{Listener, Stream};

pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
pub const MAGIC_COOKIE_VALUE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
/// The application protocol this server speaks.
pub const PROTOCOL_VERSION: u32 = 5;
/// Terraform may send states far above tonic's 4 MiB default; terraform-plugin-go allows 256 MiB.
const MAX_MESSAGE: usize = 256 * 1024 * 1024;

#[derive(Debug, Error)]
pub enum ServeError {
    #[error(
        "This binary is a Terraform plugin. It is not meant to be run directly: Terraform starts it. \
         Install it as described in the README, or run it with --debug to attach Terraform by hand."
    )]
    NotLaunchedByTerraform,
    #[error("Terraform offered plugin protocol version(s) {0:?}, but this provider speaks only version 5")]
    ProtocolMismatch(String),
    #[error("cannot create the plugin socket: {0}")]
    Listen(io::Error),
    #[error("AutoMTLS: {0}")]
    Tls(#[from] tls::TlsSetupError),
    #[error("gRPC server failed: {0}")]
    Serve(#[from] tonic::transport::Error),
}

/// Everything `serve` needs to know from the binary that embeds it.
pub struct ServeOptions {
    pub provider: Arc<dyn DynProvider>,
    /// Serve in reattach mode (plaintext, no cookie, prints `TF_REATTACH_PROVIDERS`).
    pub debug: bool,
    /// The provider source address for the reattach line, e.g. `registry.terraform.io/ns/type`.
    pub source_address: String,
}

/// Validates the environment Terraform launches us with; returns the negotiated version.
pub fn check_launch_env(cookie: Option<&str>, versions: Option<&str>) -> Result<u32, ServeError> {
    if cookie != Some(MAGIC_COOKIE_VALUE) {
        return Err(ServeError::NotLaunchedByTerraform);
    }
    match versions {
        // Absent: go-plugin servers fall back to their lowest version, which for us is 5.
        None => Ok(PROTOCOL_VERSION),
        Some(list) => {
            let offered = list.split(',').any(|v| v.trim() == PROTOCOL_VERSION.to_string());
            if offered { Ok(PROTOCOL_VERSION) } else { Err(ServeError::ProtocolMismatch(list.to_string())) }
        }
    }
}

/// `CORE|APP|NETWORK|ADDR|PROTOCOL|CERT`, the certificate as unpadded standard base64 of its DER.
pub fn handshake_line(network: &str, address: &str, cert_der: Option<&[u8]>) -> String {
    let cert = cert_der.map(|d| base64::engine::general_purpose::STANDARD_NO_PAD.encode(d)).unwrap_or_default();
    format!("1|{PROTOCOL_VERSION}|{network}|{address}|grpc|{cert}")
}

/// The value a developer exports so Terraform attaches to a provider started with `--debug`.
pub fn reattach_value(source_address: &str, network: &str, address: &str) -> String {
    serde_json::json!({
        source_address: {
            "Protocol": "grpc",
            "ProtocolVersion": PROTOCOL_VERSION,
            "Pid": std::process::id(),
            "Test": true,
            "Addr": {"Network": network, "String": address},
        }
    })
    .to_string()
}

/// Runs the plugin until Terraform shuts it down.
pub async fn serve(opts: ServeOptions) -> Result<(), ServeError> {
    let tls = if opts.debug {
        None
    } else {
        check_launch_env(
            std::env::var(MAGIC_COOKIE_KEY).ok().as_deref(),
            std::env::var("PLUGIN_PROTOCOL_VERSIONS").ok().as_deref(),
        )?;
        match std::env::var("PLUGIN_CLIENT_CERT").ok().filter(|s| !s.trim().is_empty()) {
            Some(pem) => Some(tls::auto_mtls(&pem)?),
            // TF_DISABLE_PLUGIN_TLS: Terraform then expects plaintext.
            None => None,
        }
    };

    // Removed when serving ends (and when the listener is dropped).
    let listener = Arc::new(Listener::bind().map_err(ServeError::Listen)?);
    let (network, address) = (listener.network(), listener.address());
    let shutdown = CancellationToken::new();

    let provider_name = opts.provider.type_name();
    if opts.debug {
        println!(
            "Provider {provider_name} started in debug mode. To attach Terraform, run this in the shell that runs Terraform:\n\n\
             \texport TF_REATTACH_PROVIDERS='{}'\n\nPress Ctrl-C to stop.",
            reattach_value(&opts.source_address, network, &address)
        );
        let s = shutdown.clone();
        tokio::spawn(async move {
            let _ = tokio::signal::ctrl_c().await;
            s.cancel();
        });
    } else {
        ignore_interrupts();
        watch_parent(shutdown.clone());
    }

    let incoming = accept_loop(listener.clone(), tls.as_ref().map(|t| t.config.clone()), shutdown.clone());

    let (health, health_service) = tonic_health::server::health_reporter();
    health.set_service_status("plugin", tonic_health::ServingStatus::Serving).await;
    let routes = Routes {
        provider: ProviderServer::new(ProviderService::new(opts.provider))
            .max_decoding_message_size(MAX_MESSAGE)
            .max_encoding_message_size(MAX_MESSAGE),
        controller: GrpcControllerServer::new(Controller { shutdown: shutdown.clone() }),
        stdio: GrpcStdioServer::new(Stdio { shutdown: shutdown.clone() }),
        health: health_service,
    };

    if !opts.debug {
        // The listener is bound and accepting into the kernel backlog: now, and only now, tell
        // Terraform where to connect. This must be the first and only line on stdout.
        let line = handshake_line(network, &address, tls.as_ref().map(|t| t.server_cert_der.as_slice()));
        let mut out = io::stdout().lock();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }
    log::debug!("{provider_name} provider serving on {network} {address}");

    let wait = shutdown.clone();
    let serving = tonic::transport::Server::builder()
        .serve_with_incoming_shutdown(routes, incoming, async move { wait.cancelled().await });
    tokio::select! {
        r = serving => r?,
        // Terraform closes its connection right after Shutdown; never linger past a second.
        _ = async { shutdown.cancelled().await; tokio::time::sleep(Duration::from_secs(1)).await } => {}
    }
    listener.remove_socket();
    log::debug!("{provider_name} provider stopped");
    Ok(())
}

/// The four gRPC services, dispatched by the service name in the request path. tonic's own router
/// would do the same but brings in a web framework; this is all the routing a plugin needs.
#[derive(Clone)]
struct Routes<H> {
    provider: ProviderServer<ProviderService>,
    controller: GrpcControllerServer<Controller>,
    stdio: GrpcStdioServer<Stdio>,
    health: H,
}

type RouteFuture = Pin<Box<dyn Future<Output = Result<Response<Body>, Infallible>> + Send>>;

/// Calls a cloned service (generated servers are always ready), boxing its future.
fn route<S>(svc: &S, req: Request<Body>) -> RouteFuture
where
    S: Service<Request<Body>, Response = Response<Body>, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    let mut svc = svc.clone();
    Box::pin(async move { svc.call(req).await })
}

impl<H> Service<Request<Body>> for Routes<H>
where
    H: Service<Request<Body>, Response = Response<Body>, Error = Infallible> + NamedService + Clone + Send + 'static,
    H::Future: Send + 'static,
{
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = RouteFuture;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<Body>) -> RouteFuture {
        let service = req.uri().path().trim_start_matches('/').split('/').next().unwrap_or_default().to_string();
        match service.as_str() {
            ProviderServer::<ProviderService>::NAME => route(&self.provider, req),
            GrpcControllerServer::<Controller>::NAME => route(&self.controller, req),
            GrpcStdioServer::<Stdio>::NAME => route(&self.stdio, req),
            name if name == H::NAME => route(&self.health, req),
            // Optional services Terraform probes (e.g. the broker) expect Unimplemented.
            _ => Box::pin(async { Ok(tonic::Status::unimplemented("no such service").into_http()) }),
        }
    }
}

/// go-plugin starts plugins in Terraform's process group (console on Windows), so Ctrl-C reaches
/// us too. Terraform handles it by calling Stop; dying here would abort an apply halfway.
fn ignore_interrupts() {
    #[cfg(unix)]
    let signals = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()).map(|mut s| {
        tokio::spawn(async move {
            while s.recv().await.is_some() {
                log::info!(
                    "received an interrupt signal, ignoring it: Terraform stops providers through the Stop call"
                );
            }
        })
    });
    // A registered Ctrl-C handler keeps Windows from ending the process.
    #[cfg(windows)]
    let signals = tokio::signal::windows::ctrl_c().map(|mut s| {
        tokio::spawn(async move {
            while s.recv().await.is_some() {
                log::info!("received Ctrl-C, ignoring it: Terraform stops providers through the Stop call");
            }
        })
    });
    if let Err(e) = signals {
        log::warn!("cannot install the interrupt handler: {e}");
    }
}

/// A Terraform that dies without calling Shutdown (`kill -9`, the OOM killer, a CI runner killing
/// its job) leaves its plugins running: go-plugin gives a plugin no sign of its parent's death
/// (`server.go` `Serve` waits for the Shutdown RPC only, and the plugin inherits Terraform's own
/// stdin, which does not close). The kernel re-parents an orphan, so a changed parent process ID
/// means Terraform is gone: stop serving, which removes the socket, within about a second.
fn watch_parent(shutdown: CancellationToken) {
    #[cfg(unix)]
    {
        let parent = std::os::unix::process::parent_id();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(500));
            loop {
                tick.tick().await;
                if std::os::unix::process::parent_id() != parent {
                    log::warn!("Terraform (process {parent}) is gone without shutting this provider down; stopping");
                    shutdown.cancel();
                    return;
                }
            }
        });
    }
    #[cfg(not(unix))]
    let _ = shutdown;
}

/// Accepts connections, completing the TLS handshake (with client-certificate check) off the
/// accept path so a bad client cannot block others.
fn accept_loop(
    listener: Arc<Listener>,
    tls: Option<Arc<rustls::ServerConfig>>,
    shutdown: CancellationToken,
) -> tokio_stream::wrappers::ReceiverStream<io::Result<Conn>> {
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    tokio::spawn(async move {
        loop {
            let stream = tokio::select! {
                _ = shutdown.cancelled() => break,
                r = listener.accept() => match r {
                    Ok(s) => s,
                    Err(e) => {
                        log::warn!("accept failed: {e}");
                        continue;
                    }
                },
            };
            match &acceptor {
                None => {
                    if tx.send(Ok(Conn::Plain(stream))).await.is_err() {
                        break;
                    }
                }
                Some(acc) => {
                    let acc = acc.clone();
                    let tx = tx.clone();
                    tokio::spawn(async move {
                        match tokio::time::timeout(Duration::from_secs(10), acc.accept(stream)).await {
                            Ok(Ok(tls)) => {
                                let _ = tx.send(Ok(Conn::Tls(Box::new(tls)))).await;
                            }
                            Ok(Err(e)) => {
                                log::warn!("refused a connection: TLS handshake failed: {e}")
                            }
                            Err(_) => log::warn!("refused a connection: TLS handshake timed out"),
                        }
                    });
                }
            }
        }
    });
    tokio_stream::wrappers::ReceiverStream::new(rx)
}

/// A connection to Terraform, with or without TLS.
pub enum Conn {
    Plain(Stream),
    Tls(Box<tokio_rustls::server::TlsStream<Stream>>),
}

impl tonic::transport::server::Connected for Conn {
    type ConnectInfo = ();
    fn connect_info(&self) {}
}

impl AsyncRead for Conn {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Conn {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_flush(cx),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_and_version_negotiation() {
        assert!(matches!(check_launch_env(None, None), Err(ServeError::NotLaunchedByTerraform)));
        assert!(matches!(check_launch_env(Some("x"), None), Err(ServeError::NotLaunchedByTerraform)));
        // Terraform sends 5 and 6 in random order.
        assert_eq!(check_launch_env(Some(MAGIC_COOKIE_VALUE), Some("6,5")).unwrap(), 5);
        assert_eq!(check_launch_env(Some(MAGIC_COOKIE_VALUE), None).unwrap(), 5);
        assert!(matches!(check_launch_env(Some(MAGIC_COOKIE_VALUE), Some("6")), Err(ServeError::ProtocolMismatch(_))));
    }

    #[test]
    fn handshake_line_has_six_fields_and_unpadded_cert() {
        let line = handshake_line("unix", "/tmp/plugin1", Some(&[1, 2, 3, 4]));
        assert_eq!(line, "1|5|unix|/tmp/plugin1|grpc|AQIDBA");
        assert_eq!(line.split('|').count(), 6);
        assert_eq!(handshake_line("unix", "/tmp/p", None), "1|5|unix|/tmp/p|grpc|");
        assert_eq!(handshake_line("tcp", "127.0.0.1:10001", None), "1|5|tcp|127.0.0.1:10001|grpc|");
    }

    #[test]
    fn reattach_value_is_what_terraform_parses() {
        let v: serde_json::Value =
            serde_json::from_str(&reattach_value("registry.terraform.io/mfa-iac/rhombus", "unix", "/tmp/x")).unwrap();
        let p = &v["registry.terraform.io/mfa-iac/rhombus"];
        assert_eq!(p["ProtocolVersion"], 5);
        assert_eq!(p["Addr"]["Network"], "unix");
        assert_eq!(p["Test"], true);
    }
}
