//! Opening a connection to a vendor: straight to its host, through an HTTP proxy's `CONNECT`
//! tunnel (RFC 9110 §9.3.6; `https://` proxies are reached over TLS first), or through a SOCKS5
//! proxy (RFC 1928, user name and password by RFC 1929); then TLS for `https://` URLs.
//!
//! Every phase draws on one deadline, `timeout_seconds` from the start of the connection, and
//! fails with its own [`ConnectError`]: a refused tunnel names the proxy and its status, a timeout
//! the phase it cut short, a handshake failure the rustls error behind it. hyper's pooled client
//! runs the connections (HTTP/2 when the server's ALPN says so).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use base64::Engine;
use hyper_util::client::legacy::connect::{Connected, Connection};
use hyper_util::rt::TokioIo;
use rustls::ClientConfig;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::time::Instant;
use url::Url;

use super::proxy::Proxies;
use super::tls::NoteRequest;

/// Any byte stream a connection can run over (TCP, a tunnel, TLS over either).
pub trait Io: AsyncRead + AsyncWrite + Send + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Io for T {}
type BoxIo = Box<dyn Io>;

/// Where a connection failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// Connecting to the vendor's host (`host:port`).
    Connect(String),
    /// Connecting to the proxy, or asking it for a tunnel to the host.
    Proxy { proxy: String, target: String },
    /// The TLS handshake with the vendor's host.
    Tls(String),
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Phase::Connect(to) => write!(f, "connecting to {to}"),
            Phase::Proxy { proxy, target } => write!(f, "opening a tunnel to {target} through the proxy {proxy}"),
            Phase::Tls(host) => write!(f, "the TLS handshake with {host}"),
        }
    }
}

/// What went wrong in that phase.
#[derive(Debug)]
pub enum Cause {
    /// The deadline (`timeout_seconds`) passed.
    TimedOut(Duration),
    Io(io::Error),
    /// The HTTP proxy answered the `CONNECT` with this status and reason phrase.
    ProxyRefused {
        status: u16,
        reason: String,
    },
    /// The SOCKS5 proxy refused or failed.
    Socks(String),
    Tls(rustls::Error),
}

/// A connection that could not be opened; nothing was sent to the vendor.
#[derive(Debug, thiserror::Error)]
#[error("{phase}: {}", describe(.cause))]
pub struct ConnectError {
    pub phase: Phase,
    pub cause: Cause,
}

/// The cause in words, for messages.
pub fn describe(c: &Cause) -> String {
    match c {
        Cause::TimedOut(d) => format!("no progress within {} s (timeout_seconds)", d.as_secs()),
        Cause::Io(e) => e.to_string(),
        Cause::ProxyRefused { status, reason } => format!("the proxy answered HTTP {status} {reason}"),
        Cause::Socks(e) => format!("the SOCKS proxy refused: {e}"),
        Cause::Tls(e) => e.to_string(),
    }
}

/// Opens connections for hyper's client: one per provider, shared by its pool.
#[derive(Clone)]
pub struct Connector {
    proxies: Arc<Proxies>,
    tls: Arc<ClientConfig>,
    /// The same configuration offering HTTP/1.1 only, for TLS to an `https://` proxy.
    proxy_tls: Arc<ClientConfig>,
    timeout: Duration,
    user_agent: String,
    /// `host:port`s whose server asked for a client certificate in a handshake.
    asked_for_certificate: Arc<std::sync::Mutex<std::collections::BTreeSet<String>>>,
}

impl Connector {
    pub fn new(proxies: Proxies, tls: Arc<ClientConfig>, timeout: Duration, user_agent: String) -> Self {
        let mut proxy_tls = (*tls).clone();
        proxy_tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        Connector {
            proxies: Arc::new(proxies),
            tls,
            proxy_tls: Arc::new(proxy_tls),
            timeout,
            user_agent,
            asked_for_certificate: Arc::default(),
        }
    }

    /// Whether a server at `url` asked for a client certificate in a handshake.
    pub fn asked_for_certificate(&self, url: &Url) -> bool {
        self.asked_for_certificate.lock().expect("asked").contains(&target_of(url))
    }

    /// The proxy a request to `url` goes through (without its credentials, for messages).
    pub fn proxy_for(&self, url: &Url) -> Option<String> {
        self.proxies.for_url(url).map(shown)
    }

    async fn connect(self, uri: http::Uri) -> Result<Conn, ConnectError> {
        let deadline = Instant::now() + self.timeout;
        let url = Url::parse(&uri.to_string()).map_err(|e| ConnectError {
            phase: Phase::Connect(uri.to_string()),
            cause: Cause::Io(io::Error::new(io::ErrorKind::InvalidInput, e)),
        })?;
        let host = url.host_str().unwrap_or_default().to_string();
        let port = url.port_or_known_default().unwrap_or(443);
        let target = format!("{host}:{port}");
        let io = match self.proxies.for_url(&url) {
            None => {
                let phase = Phase::Connect(target);
                let tcp = within(deadline, self.timeout, &phase, TcpStream::connect((bare(&host), port))).await?;
                let _ = tcp.set_nodelay(true);
                Box::new(tcp) as BoxIo
            }
            Some(proxy) => {
                let phase = Phase::Proxy { proxy: shown(proxy), target: target.clone() };
                let tunnel = self.tunnel(proxy, &host, port, &phase);
                within(deadline, self.timeout, &phase, tunnel).await?
            }
        };
        if url.scheme() != "https" {
            return Ok(Conn { io: TokioIo::new(io), h2: false });
        }
        let phase = Phase::Tls(host.clone());
        let name = server_name(&host, &phase)?;
        let asked = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut config = (*self.tls).clone();
        config.client_auth_cert_resolver =
            Arc::new(NoteRequest { inner: self.tls.client_auth_cert_resolver.clone(), asked: asked.clone() });
        let tls = tokio_rustls::TlsConnector::from(Arc::new(config)).connect(name, io);
        let tls = within(deadline, self.timeout, &phase, tls).await;
        if asked.load(std::sync::atomic::Ordering::Relaxed) {
            self.asked_for_certificate.lock().expect("asked").insert(target_of(&url));
        }
        let tls = tls?;
        let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
        Ok(Conn { io: TokioIo::new(Box::new(tls)), h2 })
    }

    /// A byte stream to `host:port` through `proxy`.
    async fn tunnel(&self, proxy: &Url, host: &str, port: u16, phase: &Phase) -> io::Result<BoxIo> {
        let p_host = proxy.host_str().unwrap_or_default();
        let p_port =
            proxy.port_or_known_default().unwrap_or(if proxy.scheme().starts_with("socks") { 1080 } else { 80 });
        let tcp = TcpStream::connect((bare(p_host), p_port)).await?;
        let _ = tcp.set_nodelay(true);
        let user = percent_encoding::percent_decode_str(proxy.username()).decode_utf8_lossy().to_string();
        let pass = proxy.password().map(|p| percent_encoding::percent_decode_str(p).decode_utf8_lossy().to_string());
        let auth = (!user.is_empty() || pass.is_some()).then(|| (user, pass.unwrap_or_default()));
        match proxy.scheme() {
            "socks5" | "socks5h" => socks5(tcp, proxy.scheme() == "socks5h", host, port, auth).await,
            "https" => {
                let name = server_name(p_host, phase).map_err(io::Error::other)?;
                let tls = tokio_rustls::TlsConnector::from(self.proxy_tls.clone()).connect(name, tcp).await?;
                http_connect(Box::new(tls), host, port, auth, &self.user_agent).await
            }
            _ => http_connect(Box::new(tcp), host, port, auth, &self.user_agent).await,
        }
    }
}

/// Runs one phase within what is left of the deadline; its error and timeout are that phase's.
async fn within<T, E>(
    deadline: Instant,
    limit: Duration,
    phase: &Phase,
    f: impl Future<Output = Result<T, E>>,
) -> Result<T, ConnectError>
where
    E: Into<io::Error>,
{
    match tokio::time::timeout_at(deadline, f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(ConnectError { phase: phase.clone(), cause: cause_of(e.into()) }),
        Err(_) => Err(ConnectError { phase: phase.clone(), cause: Cause::TimedOut(limit) }),
    }
}

/// Unwraps what the phases wrap in `io::Error`: a proxy's refusal, a rustls error.
fn cause_of(e: io::Error) -> Cause {
    if e.get_ref().is_some_and(|i| i.is::<Refused>()) {
        let inner = e.into_inner().expect("checked").downcast::<Refused>().expect("checked");
        return match *inner {
            Refused::Http { status, reason } => Cause::ProxyRefused { status, reason },
            Refused::Socks(why) => Cause::Socks(why),
        };
    }
    if e.get_ref().is_some_and(|i| i.is::<rustls::Error>()) {
        let inner = e.into_inner().expect("checked").downcast::<rustls::Error>().expect("checked");
        return Cause::Tls(*inner);
    }
    Cause::Io(e)
}

/// A proxy's refusal, carried through `io::Error` to [`cause_of`].
#[derive(Debug, thiserror::Error)]
enum Refused {
    #[error("HTTP {status} {reason}")]
    Http { status: u16, reason: String },
    #[error("{0}")]
    Socks(String),
}

/// `CONNECT host:port` and its answer; the stream keeps whatever the proxy sent after it.
async fn http_connect(
    io: BoxIo,
    host: &str,
    port: u16,
    auth: Option<(String, String)>,
    user_agent: &str,
) -> io::Result<BoxIo> {
    let mut io = BufReader::new(io);
    let mut req = format!("CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: {user_agent}\r\n");
    if let Some((user, pass)) = auth {
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
        req.push_str(&format!("Proxy-Authorization: Basic {token}\r\n"));
    }
    req.push_str("\r\n");
    io.get_mut().write_all(req.as_bytes()).await?;
    let mut status_line = String::new();
    read_line(&mut io, &mut status_line).await?;
    // Headers up to the blank line; a proxy's tunnel answer has no body.
    loop {
        let mut line = String::new();
        if read_line(&mut io, &mut line).await? == 0 || line.trim().is_empty() {
            break;
        }
    }
    let mut parts = status_line.trim_end().splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    let status: u16 = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    if !version.starts_with("HTTP/1.") || status == 0 {
        return Err(io::Error::other(Refused::Http { status: 0, reason: "(not an HTTP proxy's answer)".into() }));
    }
    if !(200..300).contains(&status) {
        let reason = parts.next().unwrap_or_default().chars().take(80).collect();
        return Err(io::Error::other(Refused::Http { status, reason }));
    }
    Ok(Box::new(io))
}

/// One header line of at most 8 KiB.
async fn read_line(io: &mut BufReader<BoxIo>, line: &mut String) -> io::Result<usize> {
    let mut buf = Vec::new();
    let n = tokio::io::AsyncReadExt::take(&mut *io, 8192).read_until(b'\n', &mut buf).await?;
    line.push_str(&String::from_utf8_lossy(&buf));
    Ok(n)
}

async fn socks5(
    tcp: TcpStream,
    remote_dns: bool,
    host: &str,
    port: u16,
    auth: Option<(String, String)>,
) -> io::Result<BoxIo> {
    use tokio_socks::tcp::Socks5Stream;
    let refused = |e: tokio_socks::Error| match e {
        tokio_socks::Error::Io(e) => e,
        other => io::Error::other(Refused::Socks(other.to_string())),
    };
    let host = bare(host);
    // socks5:// resolves here, socks5h:// lets the proxy resolve (as curl and Go name them).
    let target: std::net::SocketAddr = match (remote_dns, host.parse::<std::net::IpAddr>()) {
        (_, Ok(ip)) => (ip, port).into(),
        (true, Err(_)) => {
            let stream = match &auth {
                Some((u, p)) => Socks5Stream::connect_with_password_and_socket(tcp, (host, port), u, p).await,
                None => Socks5Stream::connect_with_socket(tcp, (host, port)).await,
            };
            return Ok(Box::new(stream.map_err(refused)?));
        }
        (false, Err(_)) => tokio::net::lookup_host((host, port))
            .await?
            .next()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("{host} has no address")))?,
    };
    let stream = match &auth {
        Some((u, p)) => Socks5Stream::connect_with_password_and_socket(tcp, target, u, p).await,
        None => Socks5Stream::connect_with_socket(tcp, target).await,
    };
    Ok(Box::new(stream.map_err(refused)?))
}

fn target_of(url: &Url) -> String {
    format!("{}:{}", url.host_str().unwrap_or_default(), url.port_or_known_default().unwrap_or(443))
}

/// A host as sockets and TLS want it: an IPv6 literal without its brackets.
fn bare(host: &str) -> &str {
    host.trim_start_matches('[').trim_end_matches(']')
}

fn server_name(host: &str, phase: &Phase) -> Result<ServerName<'static>, ConnectError> {
    ServerName::try_from(bare(host).to_string()).map_err(|e| ConnectError {
        phase: phase.clone(),
        cause: Cause::Io(io::Error::new(io::ErrorKind::InvalidInput, e)),
    })
}

/// A proxy URL for messages: without its user name and password.
fn shown(u: &Url) -> String {
    format!(
        "{}://{}",
        u.scheme(),
        u.host_str().map_or(String::new(), |h| match u.port() {
            Some(p) => format!("{h}:{p}"),
            None => h.to_string(),
        })
    )
}

/// A connection hyper can use.
pub struct Conn {
    io: TokioIo<BoxIo>,
    h2: bool,
}

impl Connection for Conn {
    fn connected(&self) -> Connected {
        let c = Connected::new();
        if self.h2 { c.negotiated_h2() } else { c }
    }
}

impl hyper::rt::Read for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_read(cx, buf)
    }
}

impl hyper::rt::Write for Conn {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

impl tower_service::Service<http::Uri> for Connector {
    type Response = Conn;
    type Error = ConnectError;
    type Future = Pin<Box<dyn Future<Output = Result<Conn, ConnectError>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: http::Uri) -> Self::Future {
        Box::pin(self.clone().connect(uri))
    }
}
