//! A loopback "corporate proxy" for tests and rehearsals: clients behind a proxy reach vendors
//! by names and addresses that do not exist here (`zitadel.corp.test:443`, `192.0.2.10:443`,
//! `[2001:db8::10]:443`), and the proxy maps each to an emulator on 127.0.0.1. It logs what it
//! was asked (never header values), demands credentials or refuses when told to.
//!
//! One port speaks both protocols, told apart by the first byte (SOCKS5 opens with its version,
//! 0x05; HTTP with a method name):
//! - HTTP: `CONNECT host:port` tunnels (RFC 9110 §9.3.6), absolute-form requests
//!   (`GET http://host:port/path`) forwarded as a forward proxy does (RFC 9112 §3.2.2), and Basic
//!   proxy authentication (`407` with `Proxy-Authenticate`, RFC 9110 §11.7.1);
//! - SOCKS5 (RFC 1928) with no authentication or username/password (RFC 1929), and its CONNECT
//!   command to IPv4 addresses, domain names and IPv6 addresses.
//!
//! It never connects anywhere but loopback (127.0.0.0/8, ::1) and resolves no names: a target
//! goes where [`ProxyOptions`] routes it, or to itself when it is a loopback literal or
//! `localhost`; anything else is refused.

use std::collections::BTreeMap;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex};

use base64::Engine;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

/// Maps a requested `host:port` (normalised: host in lower case, IPv6 bracketed) to where the
/// proxy connects instead.
pub type Resolver = Arc<dyn Fn(&str) -> Option<SocketAddr> + Send + Sync>;

/// How the proxy behaves. Build it with the methods, e.g.
/// `ProxyOptions::default().route("zitadel.corp.test:443", emu.addr).basic_auth("u", "p")`.
#[derive(Clone, Default)]
pub struct ProxyOptions {
    /// 0 picks a free port.
    pub port: u16,
    /// Requested `host:port` to the loopback address connected to instead; looked up first.
    pub routes: BTreeMap<String, SocketAddr>,
    /// Asked for targets `routes` does not name.
    pub resolver: Option<Resolver>,
    /// Demand these credentials: HTTP Basic `Proxy-Authorization`, SOCKS5 username/password.
    pub basic_auth: Option<(String, String)>,
    /// Answer every request with this status (HTTP) or "not allowed by ruleset" (SOCKS5), as a
    /// proxy whose policy blocks the destination does.
    pub refuse: Option<u16>,
}

impl ProxyOptions {
    /// Connects requests for `target` (`host:port`, IPv6 bracketed) to `to`.
    pub fn route(mut self, target: &str, to: SocketAddr) -> Self {
        self.routes.insert(target.to_string(), to);
        self
    }
    /// Asks `f` where targets that no route names go.
    pub fn resolve_with(mut self, f: impl Fn(&str) -> Option<SocketAddr> + Send + Sync + 'static) -> Self {
        self.resolver = Some(Arc::new(f));
        self
    }
    pub fn basic_auth(mut self, user: &str, pass: &str) -> Self {
        self.basic_auth = Some((user.to_string(), pass.to_string()));
        self
    }
    pub fn refuse(mut self, status: u16) -> Self {
        self.refuse = Some(status);
        self
    }
}

/// How a request reached the proxy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyProtocol {
    /// An absolute-form HTTP request the proxy forwarded.
    Http,
    /// An HTTP `CONNECT` tunnel.
    Connect,
    /// A SOCKS5 `CONNECT`.
    Socks5,
}

/// One request the proxy was asked to carry, whatever became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyRequest {
    pub protocol: ProxyProtocol,
    /// `host:port` as requested (IPv6 bracketed; port 80 added to a plain HTTP URL without one).
    pub target: String,
    /// Credentials came with it (a `Proxy-Authorization` header, SOCKS5 username/password),
    /// right or wrong.
    pub had_auth: bool,
    /// HTTP header names in lower case, in order; never their values. Empty for SOCKS5.
    pub header_names: Vec<String>,
}

/// A started proxy. Dropping it stops it and every tunnel through it.
pub struct RunningProxy {
    pub addr: SocketAddr,
    log: Arc<Mutex<Vec<ProxyRequest>>>,
    stop: CancellationToken,
}

impl RunningProxy {
    /// `http://127.0.0.1:PORT`, for `HTTPS_PROXY`/`HTTP_PROXY` or a client's proxy setting.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
    /// `socks5h://127.0.0.1:PORT` when `remote_dns` (the proxy gets the name), else
    /// `socks5://...` (the client resolves names itself and sends addresses).
    pub fn socks_url(&self, remote_dns: bool) -> String {
        format!("{}://{}", if remote_dns { "socks5h" } else { "socks5" }, self.addr)
    }
    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<ProxyRequest> {
        self.log.lock().expect("proxy log").clone()
    }
    pub fn count(&self) -> usize {
        self.log.lock().expect("proxy log").len()
    }
    pub fn stop(&self) {
        self.stop.cancel();
    }
}

impl Drop for RunningProxy {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// What the connection handlers share.
struct Shared {
    opts: ProxyOptions,
    log: Arc<Mutex<Vec<ProxyRequest>>>,
}

/// Starts the proxy on 127.0.0.1. Must be called inside a Tokio runtime, which then runs it.
pub async fn start_proxy(opts: ProxyOptions) -> io::Result<RunningProxy> {
    if let Some(code) = opts.refuse.filter(|c| !(100..=999).contains(c)) {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("refuse: {code} is no HTTP status")));
    }
    let listener = TcpListener::bind(("127.0.0.1", opts.port)).await?;
    let addr = listener.local_addr()?;
    let log = Arc::new(Mutex::new(Vec::new()));
    let shared = Arc::new(Shared { opts, log: log.clone() });
    let stop = CancellationToken::new();
    let accepting = stop.clone();
    tokio::spawn(async move {
        loop {
            let stream = tokio::select! {
                _ = accepting.cancelled() => break,
                r = listener.accept() => match r { Ok((s, _)) => s, Err(_) => continue },
            };
            let (shared, stop) = (shared.clone(), accepting.clone());
            tokio::spawn(async move {
                tokio::select! {
                    // Errors end the connection, which is all a proxy can do with them.
                    _ = serve(stream, &shared) => {}
                    _ = stop.cancelled() => {}
                }
            });
        }
    });
    Ok(RunningProxy { addr, log, stop })
}

async fn serve(stream: TcpStream, shared: &Shared) -> io::Result<()> {
    let mut first = [0u8; 1];
    if stream.peek(&mut first).await? == 0 {
        return Ok(());
    }
    if first[0] == SOCKS_VERSION { socks5(stream, shared).await } else { http(stream, shared).await }
}

impl Shared {
    fn record(&self, protocol: ProxyProtocol, target: &str, had_auth: bool, header_names: Vec<String>) {
        let entry = ProxyRequest { protocol, target: target.to_string(), had_auth, header_names };
        self.log.lock().expect("proxy log").push(entry);
    }

    /// Where a request for `target` goes: a route, the resolver, or the target itself when it is
    /// a loopback literal or `localhost` — and only ever to loopback.
    fn destination(&self, target: &str) -> Result<SocketAddr, Refusal> {
        let (host, port) = split_target(target).ok_or(Refusal::BadTarget)?;
        let wanted = join_target(&host, port);
        let routed = self.opts.routes.iter().find(|(k, _)| normalise(k).as_deref() == Some(wanted.as_str()));
        let addr = match routed {
            Some((_, addr)) => *addr,
            None => match self.opts.resolver.as_ref().and_then(|f| f(&wanted)) {
                Some(addr) => addr,
                None if host == "localhost" => SocketAddr::new(Ipv4Addr::LOCALHOST.into(), port),
                None => SocketAddr::new(host.parse::<IpAddr>().map_err(|_| Refusal::NoRoute)?, port),
            },
        };
        if addr.ip().is_loopback() { Ok(addr) } else { Err(Refusal::NotLoopback) }
    }

    fn credentials_ok(&self, user: &[u8], pass: &[u8]) -> bool {
        self.opts.basic_auth.as_ref().is_none_or(|(u, p)| u.as_bytes() == user && p.as_bytes() == pass)
    }
}

/// Why the proxy will not connect a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    /// Not `host:port`.
    BadTarget,
    /// A name no route maps (the proxy resolves no names).
    NoRoute,
    /// Outside 127.0.0.0/8 and ::1.
    NotLoopback,
}

/// `host:port` split, the host without IPv6 brackets and in lower case.
fn split_target(target: &str) -> Option<(String, u16)> {
    let (host, port) = match target.strip_prefix('[') {
        Some(rest) => {
            let (v6, port) = rest.split_once("]:")?;
            (v6.parse::<Ipv6Addr>().ok()?.to_string(), port)
        }
        None => target.rsplit_once(':').filter(|(h, _)| !h.contains(':')).map(|(h, p)| (h.to_string(), p))?,
    };
    let port = port.parse::<u16>().ok().filter(|p| *p != 0)?;
    (!host.is_empty()).then(|| (host.to_ascii_lowercase(), port))
}

/// `host:port`, bracketing an IPv6 host.
fn join_target(host: &str, port: u16) -> String {
    if host.contains(':') { format!("[{host}]:{port}") } else { format!("{host}:{port}") }
}

/// The one spelling of a target that routes are compared in.
fn normalise(target: &str) -> Option<String> {
    split_target(target).map(|(h, p)| join_target(&h, p))
}

// ---- HTTP: CONNECT (RFC 9110 §9.3.6) and absolute-form forwarding (RFC 9112 §3.2.2) ----

/// Largest request head the proxy reads, as proxies limit it.
const MAX_HEAD: usize = 64 * 1024;

/// A request line and its headers.
struct HttpHead {
    method: String,
    target: String,
    version: String,
    headers: Vec<(String, String)>,
}

impl HttpHead {
    fn parse(head: &[u8]) -> Option<HttpHead> {
        let text = std::str::from_utf8(head).ok()?;
        let mut lines = text.split("\r\n").filter(|l| !l.is_empty());
        let mut first = lines.next()?.split(' ');
        let (method, target, version) = (first.next()?, first.next()?, first.next()?);
        if first.next().is_some() || !version.starts_with("HTTP/1.") {
            return None;
        }
        let headers = lines
            .map(|l| l.split_once(':').map(|(n, v)| (n.trim().to_string(), v.trim().to_string())))
            .collect::<Option<Vec<_>>>()?;
        Some(HttpHead { method: method.into(), target: target.into(), version: version.into(), headers })
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// Reads up to the blank line that ends a request head: (the head, bytes read past it).
async fn read_head(client: &mut TcpStream) -> io::Result<(Vec<u8>, Vec<u8>)> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let rest = buf.split_off(end + 4);
            return Ok((buf, rest));
        }
        if buf.len() > MAX_HEAD {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "request head too large"));
        }
        let n = client.read(&mut chunk).await?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

async fn http(mut client: TcpStream, shared: &Shared) -> io::Result<()> {
    let (raw, early) = read_head(&mut client).await?;
    let Some(head) = HttpHead::parse(&raw) else {
        return refuse_http(&mut client, 400, "That is not an HTTP/1 request.", &[]).await;
    };
    let connect = head.method.eq_ignore_ascii_case("CONNECT");
    let (protocol, target, path) = if connect {
        (ProxyProtocol::Connect, head.target.clone(), String::new())
    } else {
        let Some((authority, path)) = absolute_form(&head.target) else {
            return refuse_http(&mut client, 400, "A proxy needs an absolute http:// URL or CONNECT.", &[]).await;
        };
        (ProxyProtocol::Http, authority, path)
    };
    let credentials = head.header("proxy-authorization");
    let names = head.headers.iter().map(|(n, _)| n.to_ascii_lowercase()).collect();
    shared.record(protocol, &target, credentials.is_some(), names);
    if let Some((user, pass)) = &shared.opts.basic_auth
        && !basic_matches(credentials, user, pass)
    {
        let challenge = [("Proxy-Authenticate", "Basic realm=\"corp\"")];
        return refuse_http(&mut client, 407, "This proxy needs your credentials.", &challenge).await;
    }
    if let Some(code) = shared.opts.refuse {
        return refuse_http(&mut client, code, "The proxy's policy does not allow this destination.", &[]).await;
    }
    let addr = match shared.destination(&target) {
        Ok(addr) => addr,
        Err(Refusal::BadTarget) => return refuse_http(&mut client, 400, "The target is not host:port.", &[]).await,
        Err(Refusal::NoRoute) => return refuse_http(&mut client, 502, "No route to that host.", &[]).await,
        Err(Refusal::NotLoopback) => {
            return refuse_http(&mut client, 403, "This proxy connects to loopback only.", &[]).await;
        }
    };
    let Ok(mut upstream) = TcpStream::connect(addr).await else {
        return refuse_http(&mut client, 502, "The destination refused the connection.", &[]).await;
    };
    if connect {
        client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n").await?;
    } else {
        upstream.write_all(&forwarded_head(&head, &target, &path)).await?;
    }
    upstream.write_all(&early).await?;
    tokio::io::copy_bidirectional(&mut client, &mut upstream).await.map(|_| ())
}

/// The `host:port` and origin-form path of an absolute-form `http://` target (port 80 when the
/// URL has none; userinfo dropped).
fn absolute_form(target: &str) -> Option<(String, String)> {
    let scheme = target.get(..7).filter(|s| s.eq_ignore_ascii_case("http://"))?;
    let rest = &target[scheme.len()..];
    let split = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = rest[..split].rsplit('@').next()?;
    let path = match &rest[split..] {
        "" => "/".to_string(),
        p if p.starts_with('?') => format!("/{p}"),
        p => p.to_string(),
    };
    let has_port = match authority.strip_prefix('[') {
        Some(v6) => v6.contains("]:"),
        None => authority.contains(':'),
    };
    let authority = if has_port { authority.to_string() } else { format!("{authority}:80") };
    split_target(&authority).map(|_| (authority, path))
}

/// The request as the proxy sends it on: origin-form, without the proxy's own hop-by-hop
/// headers, and `Connection: close` so that one connection carries one request to one host.
fn forwarded_head(head: &HttpHead, authority: &str, path: &str) -> Vec<u8> {
    const HOP_BY_HOP: &[&str] = &["proxy-authorization", "proxy-connection", "connection", "keep-alive"];
    let mut out = format!("{} {path} {}\r\n", head.method, head.version);
    if head.header("host").is_none() {
        out.push_str(&format!("Host: {}\r\n", authority.strip_suffix(":80").unwrap_or(authority)));
    }
    for (name, value) in &head.headers {
        if !HOP_BY_HOP.iter().any(|h| name.eq_ignore_ascii_case(h)) {
            out.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    out.push_str("Connection: close\r\n\r\n");
    out.into_bytes()
}

/// Whether a `Proxy-Authorization` value is Basic with exactly these credentials.
fn basic_matches(header: Option<&str>, user: &str, pass: &str) -> bool {
    let Some((scheme, token)) = header.and_then(|h| h.trim().split_once(' ')) else { return false };
    scheme.eq_ignore_ascii_case("basic")
        && base64::engine::general_purpose::STANDARD
            .decode(token.trim())
            .is_ok_and(|decoded| decoded == format!("{user}:{pass}").as_bytes())
}

/// The proxy's own answer: this status, a small HTML page saying `why`, and the connection closed.
async fn refuse_http(client: &mut TcpStream, status: u16, why: &str, headers: &[(&str, &str)]) -> io::Result<()> {
    let reason = axum::http::StatusCode::from_u16(status).ok().and_then(|s| s.canonical_reason()).unwrap_or("Refused");
    let body = format!(
        "<html><head><title>{status} {reason}</title></head><body><h1>{status} {reason}</h1><p>{why}</p></body></html>\n"
    );
    let mut out = format!("HTTP/1.1 {status} {reason}\r\n");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str(&format!("Content-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len()));
    out.push_str(&body);
    client.write_all(out.as_bytes()).await?;
    client.shutdown().await
}

// ---- SOCKS5: RFC 1928, with username/password authentication from RFC 1929 ----

const SOCKS_VERSION: u8 = 0x05;
/// RFC 1928 §3 methods.
const NO_AUTH: u8 = 0x00;
const USER_PASS: u8 = 0x02;
const NO_ACCEPTABLE: u8 = 0xFF;
/// RFC 1928 §6 replies.
const SUCCEEDED: u8 = 0x00;
const GENERAL_FAILURE: u8 = 0x01;
const NOT_ALLOWED: u8 = 0x02;
const HOST_UNREACHABLE: u8 = 0x04;
const CONNECTION_REFUSED: u8 = 0x05;
const COMMAND_NOT_SUPPORTED: u8 = 0x07;
const ADDRESS_NOT_SUPPORTED: u8 = 0x08;

async fn socks5(mut client: TcpStream, shared: &Shared) -> io::Result<()> {
    let Some(had_auth) = socks5_authenticate(&mut client, shared).await? else {
        // RFC 1929 §2: after a failure status the server closes the connection.
        return Ok(());
    };
    let target = match socks5_request(&mut client).await? {
        Ok(target) => target,
        Err(reply) => return socks5_reply(&mut client, reply, None).await,
    };
    shared.record(ProxyProtocol::Socks5, &target, had_auth, Vec::new());
    if shared.opts.refuse.is_some() {
        return socks5_reply(&mut client, NOT_ALLOWED, None).await;
    }
    let addr = match shared.destination(&target) {
        Ok(addr) => addr,
        Err(Refusal::BadTarget) => return socks5_reply(&mut client, GENERAL_FAILURE, None).await,
        Err(Refusal::NoRoute) => return socks5_reply(&mut client, HOST_UNREACHABLE, None).await,
        Err(Refusal::NotLoopback) => return socks5_reply(&mut client, NOT_ALLOWED, None).await,
    };
    let Ok(mut upstream) = TcpStream::connect(addr).await else {
        return socks5_reply(&mut client, CONNECTION_REFUSED, None).await;
    };
    socks5_reply(&mut client, SUCCEEDED, upstream.local_addr().ok()).await?;
    tokio::io::copy_bidirectional(&mut client, &mut upstream).await.map(|_| ())
}

/// Method selection (RFC 1928 §3) and, when chosen, username/password (RFC 1929 §2). `Some(had
/// credentials)` when the client may go on to its request; `None` when it was turned away.
async fn socks5_authenticate(client: &mut TcpStream, shared: &Shared) -> io::Result<Option<bool>> {
    let mut greeting = [0u8; 2];
    client.read_exact(&mut greeting).await?;
    let mut methods = vec![0u8; usize::from(greeting[1])];
    client.read_exact(&mut methods).await?;
    // Without required credentials, no-auth is preferred, but a client that only offers
    // username/password gets it (and any credentials do).
    let method = if shared.opts.basic_auth.is_none() && methods.contains(&NO_AUTH) {
        NO_AUTH
    } else if methods.contains(&USER_PASS) {
        USER_PASS
    } else {
        NO_ACCEPTABLE
    };
    client.write_all(&[SOCKS_VERSION, method]).await?;
    match method {
        NO_AUTH => Ok(Some(false)),
        USER_PASS => {
            // VER(1) ULEN UNAME PLEN PASSWD
            let mut ver_len = [0u8; 2];
            client.read_exact(&mut ver_len).await?;
            let mut user = vec![0u8; usize::from(ver_len[1])];
            client.read_exact(&mut user).await?;
            let mut pass = vec![0u8; usize::from(client.read_u8().await?)];
            client.read_exact(&mut pass).await?;
            let ok = ver_len[0] == 0x01 && shared.credentials_ok(&user, &pass);
            client.write_all(&[0x01, if ok { 0x00 } else { 0x01 }]).await?;
            Ok(ok.then_some(true))
        }
        _ => Ok(None),
    }
}

/// Reads a request (RFC 1928 §4): the requested `host:port`, or the reply that refuses it.
async fn socks5_request(client: &mut TcpStream) -> io::Result<Result<String, u8>> {
    let mut head = [0u8; 4]; // VER CMD RSV ATYP
    client.read_exact(&mut head).await?;
    if head[0] != SOCKS_VERSION {
        return Ok(Err(GENERAL_FAILURE));
    }
    if head[1] != 0x01 {
        return Ok(Err(COMMAND_NOT_SUPPORTED)); // only CONNECT; BIND and UDP ASSOCIATE are not needed
    }
    let host = match head[3] {
        0x01 => {
            let mut ip = [0u8; 4];
            client.read_exact(&mut ip).await?;
            Ipv4Addr::from(ip).to_string()
        }
        0x03 => {
            let mut name = vec![0u8; usize::from(client.read_u8().await?)];
            client.read_exact(&mut name).await?;
            String::from_utf8_lossy(&name).into_owned()
        }
        0x04 => {
            let mut ip = [0u8; 16];
            client.read_exact(&mut ip).await?;
            format!("[{}]", Ipv6Addr::from(ip))
        }
        _ => return Ok(Err(ADDRESS_NOT_SUPPORTED)),
    };
    let port = client.read_u16().await?;
    Ok(Ok(format!("{host}:{port}")))
}

/// A reply (RFC 1928 §6) with the address the proxy connected from, or zeros when it did not.
async fn socks5_reply(client: &mut TcpStream, reply: u8, bound: Option<SocketAddr>) -> io::Result<()> {
    let bound = bound.unwrap_or_else(|| SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), 0));
    let mut out = vec![SOCKS_VERSION, reply, 0x00];
    match bound.ip() {
        IpAddr::V4(ip) => {
            out.push(0x01);
            out.extend_from_slice(&ip.octets());
        }
        IpAddr::V6(ip) => {
            out.push(0x04);
            out.extend_from_slice(&ip.octets());
        }
    }
    out.extend_from_slice(&bound.port().to_be_bytes());
    client.write_all(&out).await?;
    if reply != SUCCEEDED {
        client.shutdown().await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
