//! Shared plumbing of the vendor emulators: an HTTP(S) server on loopback around a vendor's axum
//! router, with what tests and rehearsals need on top — injected latency, scripted faults
//! (statuses with `Retry-After`, connections dropped before the request is processed, answers
//! lost after it was, slow answers, proxy HTML pages, malformed JSON, the vendor's own error
//! envelope, a random mix of the network's usual failures, endless and huge bodies, forced gzip,
//! redirects and verbatim error bodies), a request log, and `/_emulator/*` control endpoints.
//! HTTPS is optional, with a given certificate and with mutual TLS (see [`crate::tls`]). The
//! vendor routers themselves follow the vendor's server code and documentation; nothing here
//! bends them.
//!
//! Random faults can be seeded: a seeded fault decides from the seed, the request's identity
//! (method, path and [`EmulatorApp::request_key`]) and how many such requests came before, so a
//! run is replayed exactly however Terraform interleaves its parallel calls.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, Response, StatusCode};
use serde::Serialize;
use thiserror::Error;
use tokio_util::sync::CancellationToken;

/// A vendor's emulated API.
pub trait EmulatorApp: Send + Sync + 'static {
    /// Display name, e.g. `Rhombus`.
    fn vendor(&self) -> &'static str;
    /// The vendor's API routes (and any vendor-specific `/_emulator/...` controls).
    fn router(self: Arc<Self>) -> axum::Router;
    /// A "200 with the vendor's error envelope" answer for the `envelope` fault: (status, JSON).
    fn error_envelope(&self) -> (u16, String);
    /// The MFA settings the emulated vendor currently holds, for people and tests.
    fn summary(&self) -> serde_json::Value;
    /// Provider settings (environment variables) that point a provider at this emulator.
    fn sandbox_env(&self, base_url: &str) -> Vec<(String, String)>;
    /// The answer of the vendor's rate limiter (see [`crate::rate_limit`]): by default `Retry-After`
    /// and no body.
    fn too_many_requests(&self, retry_after_s: u64) -> Response<Body> {
        Response::builder()
            .status(429)
            .header("retry-after", retry_after_s.to_string())
            .body(Body::empty())
            .expect("static response")
    }
    /// What besides method and path tells two requests to different remote objects apart (e.g. an
    /// organization header), so seeded faults stay attached to the same logical calls.
    fn request_key(&self, _headers: &axum::http::HeaderMap) -> Option<String> {
        None
    }
    /// Adds `n` more of what the vendor has many of (organizations, businesses, client
    /// organizations), for `terraform query` rehearsals (`mfa-sandbox --seed TYPE=N`).
    fn seed(&self, _n: usize) -> Result<String, String> {
        Err(format!("{} has nothing to seed: it manages one object", self.vendor()))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum FaultKind {
    /// Answer with this status (and an empty JSON object, or the vendor's envelope for 200).
    Status(u16),
    /// Close the connection without answering, before the request is processed (a reset mid-request).
    Drop,
    /// Process the request, then close the connection without answering: the change is made but
    /// the caller never learns it.
    Lost,
    /// Each hit picks one of the network's usual failures at random: 503, 429 with
    /// `Retry-After: 0`, a dropped connection or a lost answer.
    Mix,
    /// Answer normally, but only after this long.
    Delay(Duration),
    /// A reverse proxy's HTML error page with this status.
    Html(u16),
    /// HTTP 200 with truncated JSON.
    Malformed,
    /// HTTP 200 (or the vendor's usual status) carrying the vendor's error envelope.
    Envelope,
    /// HTTP 200 JSON whose body never ends (`[` then `0,` without end) until the client goes
    /// away: a client must bound what it reads and how long it waits.
    Endless,
    /// HTTP 200 with a complete JSON body of exactly this many bytes and its `Content-Length`:
    /// what a client with a size limit must refuse before reading it all.
    Huge(usize),
    /// The normal answer, gzip-compressed with `content-encoding: gzip` whether or not the
    /// client asked for it, as a proxy or server with compression forced on sends it.
    Gzip,
    /// This status (e.g. 302) with `Location:` this URL and an empty body: a login page or
    /// another host a client must not follow with its credentials.
    Redirect(u16, String),
    /// This status with `content-type: application/json` and exactly this body text, e.g. an
    /// error answer quoting a token that a client must not echo.
    Body(u16, String),
}

/// One injected fault and when it applies.
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    pub kind: FaultKind,
    /// Applies only to request paths containing this text; a trailing `$` anchors it at the end.
    pub path: Option<String>,
    /// Applies only to this HTTP method.
    pub method: Option<String>,
    /// How many requests it hits; `None` means until cleared.
    pub times: Option<u32>,
    /// Chance of hitting a matching request (1.0 = always).
    pub probability: f64,
    /// `Retry-After` header value to send with status faults.
    pub retry_after: Option<String>,
    /// Makes `probability` and `mix` draws reproducible (see the module documentation).
    pub seed: Option<u64>,
    /// Lets this many matching requests through before it applies.
    pub after: u32,
}

#[derive(Debug, Error, PartialEq)]
#[error("bad fault {spec:?}: {why}")]
pub struct FaultParseError {
    pub spec: String,
    pub why: String,
}

impl Fault {
    pub fn new(kind: FaultKind) -> Self {
        Fault { kind, path: None, method: None, times: None, probability: 1.0, retry_after: None, seed: None, after: 0 }
    }
    pub fn status(code: u16) -> Self {
        Self::new(FaultKind::Status(code))
    }
    pub fn times(mut self, n: u32) -> Self {
        self.times = Some(n);
        self
    }
    pub fn on_path(mut self, p: &str) -> Self {
        self.path = Some(p.to_string());
        self
    }
    pub fn on_method(mut self, m: &str) -> Self {
        self.method = Some(m.to_ascii_uppercase());
        self
    }
    pub fn retry_after(mut self, v: &str) -> Self {
        self.retry_after = Some(v.to_string());
        self
    }
    /// Hits each matching request with this chance.
    pub fn probability(mut self, p: f64) -> Self {
        self.probability = p;
        self
    }
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }
    /// Applies only after `n` matching requests went through.
    pub fn after(mut self, n: u32) -> Self {
        self.after = n;
        self
    }

    /// Parses the compact form used by `mfa-sandbox --fault` and `POST /_emulator/faults`:
    /// `KIND[,path=TEXT][,method=M][,times=N][,after=N][,p=PROB][,seed=N][,retry_after=SECS]` where KIND is
    /// `status=CODE`, `drop`, `lost`, `mix`, `delay=MS`, `html=CODE`, `malformed`, `envelope`, `endless`,
    /// `huge=BYTES`, `gzip`, `redirect=[CODE:]URL` (302 by default) or `body=CODE:TEXT`.
    ///
    /// The text of `body=` and `redirect=` runs to the end of the spec, commas included (JSON has
    /// them), so options may also come before the kind: `path=/oauth,times=1,body=400:{"a":1,"b":2}`.
    pub fn parse(spec: &str) -> Result<Fault, FaultParseError> {
        let err = |why: &str| FaultParseError { spec: spec.to_string(), why: why.to_string() };
        let (mut kind, mut options) = (None, Vec::new());
        let mut rest = Some(spec);
        while let Some(text) = rest {
            let (part, more) = text.split_once(',').map_or((text, None), |(p, m)| (p, Some(m)));
            let part = part.trim();
            let key = part.split_once('=').map_or(part, |(k, _)| k);
            rest = more;
            if OPTIONS.contains(&key) {
                options.push(part);
                continue;
            }
            if kind.is_some() {
                return Err(err(if key.is_empty() {
                    "empty option"
                } else {
                    "one KIND per fault; options are key=value"
                }));
            }
            let value = if TEXT_KINDS.contains(&key) {
                rest = None; // the text is everything after `KIND=`
                text.split_once('=').map(|(_, v)| v)
            } else {
                part.split_once('=').map(|(_, v)| v)
            };
            kind = Some(parse_kind(key, value).map_err(|why| err(&why))?);
        }
        let mut f = Fault::new(kind.ok_or_else(|| err(if spec.trim().is_empty() { "empty" } else { "no KIND" }))?);
        for p in options {
            f.set_option(p).map_err(err)?;
        }
        Ok(f)
    }

    /// Applies one `key=value` option of the compact form.
    fn set_option(&mut self, part: &str) -> Result<(), &'static str> {
        let (k, v) = part.split_once('=').ok_or("options are key=value")?;
        match k {
            "path" => self.path = Some(v.to_string()),
            "method" => self.method = Some(v.to_ascii_uppercase()),
            "times" => self.times = Some(v.parse().map_err(|_| "times needs a number")?),
            "p" => {
                self.probability = v.parse().map_err(|_| "p needs a number")?;
                if !(0.0..=1.0).contains(&self.probability) {
                    return Err("p must be between 0 and 1");
                }
            }
            "retry_after" => self.retry_after = Some(v.to_string()),
            "seed" => self.seed = Some(v.parse().map_err(|_| "seed needs a whole number")?),
            "after" => self.after = v.parse().map_err(|_| "after needs a number")?,
            _ => return Err("unknown option"),
        }
        Ok(())
    }

    fn matches(&self, method: &str, path: &str) -> bool {
        self.times != Some(0)
            && self.path.as_deref().is_none_or(|p| match p.strip_suffix('$') {
                Some(anchored) => path.ends_with(anchored),
                None => path.contains(p),
            })
            && self.method.as_deref().is_none_or(|m| m == method)
    }

    /// A draw in `[0, 1)`: from the seed and the request's identity when seeded, else random.
    /// `salt` separates independent draws for the same request.
    fn draw(&self, request: &str, occurrence: u64, salt: u64) -> f64 {
        match self.seed {
            Some(seed) => {
                let mut h = fnv1a(request.as_bytes()) ^ seed.rotate_left(17);
                h = splitmix(h ^ occurrence.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ salt);
                (h >> 11) as f64 / (1u64 << 53) as f64
            }
            None => rand::random::<f64>(),
        }
    }

    /// Whether this fault hits the request, and as what (a `mix` resolves to one kind).
    fn strike(&self, request: &str, occurrence: u64, index: u64) -> Option<Fault> {
        if self.probability < 1.0 && self.draw(request, occurrence, index * 2) >= self.probability {
            return None;
        }
        let mut hit = self.clone();
        if self.kind == FaultKind::Mix {
            hit.kind = match (self.draw(request, occurrence, index * 2 + 1) * 4.0) as u32 {
                0 => FaultKind::Status(503),
                1 => {
                    hit.retry_after = Some("0".into());
                    FaultKind::Status(429)
                }
                2 => FaultKind::Drop,
                _ => FaultKind::Lost,
            };
        }
        Some(hit)
    }
}

/// The option keys of the compact fault form; anything else is a KIND.
const OPTIONS: &[&str] = &["path", "method", "times", "after", "p", "seed", "retry_after"];
/// Kinds whose value is free text that runs to the end of the spec.
const TEXT_KINDS: &[&str] = &["body", "redirect"];

/// One KIND of the compact fault form, with its value if it has one.
fn parse_kind(k: &str, v: Option<&str>) -> Result<FaultKind, String> {
    let num = |v: Option<&str>| v.and_then(|x| x.parse::<u64>().ok()).ok_or_else(|| format!("{k} needs a number"));
    let code = |v: &str| match v.parse::<u16>() {
        Ok(c @ 100..=999) => Ok(c),
        _ => Err(format!("{k} needs an HTTP status code, got {v:?}")),
    };
    Ok(match k {
        "status" => FaultKind::Status(code(v.unwrap_or_default())?),
        "drop" => FaultKind::Drop,
        "lost" => FaultKind::Lost,
        "mix" => FaultKind::Mix,
        "delay" => FaultKind::Delay(Duration::from_millis(num(v)?)),
        "html" => FaultKind::Html(v.map_or(Ok(502), code)?),
        "malformed" => FaultKind::Malformed,
        "envelope" => FaultKind::Envelope,
        "endless" => FaultKind::Endless,
        "huge" => FaultKind::Huge(usize::try_from(num(v)?).map_err(|_| "huge: too many bytes".to_string())?),
        "gzip" => FaultKind::Gzip,
        "redirect" => {
            let v = v.unwrap_or_default();
            let (status, url) = match v.split_once(':') {
                Some((c, url)) if c.bytes().all(|b| b.is_ascii_digit()) => (code(c)?, url),
                _ => (302, v),
            };
            if !(300..=399).contains(&status) {
                return Err(format!("redirect needs a 3xx status, got {status}"));
            }
            if url.is_empty() || axum::http::HeaderValue::from_str(url).is_err() {
                return Err(format!("redirect needs a URL that fits a Location header, got {url:?}"));
            }
            FaultKind::Redirect(status, url.to_string())
        }
        "body" => {
            let (c, text) = v.and_then(|v| v.split_once(':')).ok_or("body needs CODE:TEXT")?;
            FaultKind::Body(code(c)?, text.to_string())
        }
        _ => {
            return Err("unknown kind; use status=, drop, lost, mix, delay=, html=, malformed, envelope, endless, \
                 huge=, gzip, redirect= or body="
                .into());
        }
    })
}

/// 64-bit FNV-1a: a stable hash of a request's identity (std's hasher may change between releases).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}

/// SplitMix64's finaliser: spreads nearby inputs over the whole range.
fn splitmix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// One request the emulator saw (control endpoints excluded).
#[derive(Debug, Clone, Serialize)]
pub struct LoggedRequest {
    pub method: String,
    pub path: String,
    pub status: u16,
    pub user_agent: String,
    /// The fault applied, if any.
    pub fault: Option<String>,
    /// When the request arrived and was answered, in microseconds on a clock shared by all
    /// emulators of the process.
    pub start_us: u64,
    pub end_us: u64,
}

/// Mutable knobs shared by the server task and whoever drives the emulator.
pub struct Control {
    faults: Mutex<Vec<Fault>>,
    log: Mutex<Vec<LoggedRequest>>,
    latency: Mutex<Duration>,
    /// How many requests of each identity arrived so far (seeded faults draw from it).
    seen: Mutex<std::collections::HashMap<String, u64>>,
    epoch: std::time::Instant,
    /// The vendor's request-rate limit, if any.
    rate: Mutex<Option<crate::rate_limit::Bucket>>,
}

impl Default for Control {
    fn default() -> Self {
        Control {
            faults: Default::default(),
            log: Default::default(),
            latency: Default::default(),
            seen: Default::default(),
            epoch: epoch(),
            rate: Default::default(),
        }
    }
}

/// One clock for every emulator of the process, so request times of different vendors compare.
fn epoch() -> std::time::Instant {
    static EPOCH: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    *EPOCH.get_or_init(std::time::Instant::now)
}

impl Control {
    pub fn push_fault(&self, f: Fault) {
        self.faults.lock().expect("faults").push(f);
    }
    pub fn clear_faults(&self) {
        self.faults.lock().expect("faults").clear();
    }
    /// Limits the rate of API requests (`None`: no limit), as the vendor's rate limiter would.
    pub fn set_rate_limit(&self, limit: Option<crate::rate_limit::RateLimit>) {
        *self.rate.lock().expect("rate") = limit.map(crate::rate_limit::Bucket::new);
    }
    /// Requests the rate limit answered with 429.
    pub fn rate_limited(&self) -> usize {
        self.log.lock().expect("log").iter().filter(|r| r.fault.as_deref() == Some("RateLimit")).count()
    }
    pub fn set_latency(&self, d: Duration) {
        *self.latency.lock().expect("latency") = d;
    }
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.log.lock().expect("log").clone()
    }
    pub fn clear_requests(&self) {
        self.log.lock().expect("log").clear();
    }
    /// Requests with this method whose path contains `path`.
    pub fn count(&self, method: &str, path: &str) -> usize {
        self.log.lock().expect("log").iter().filter(|r| r.method == method && r.path.contains(path)).count()
    }

    /// The fault that hits this request, if any: the first matching one that strikes. `request`
    /// is the request's identity for seeded draws.
    fn take_fault(&self, method: &str, path: &str, request: &str) -> Option<Fault> {
        let occurrence = {
            let mut seen = self.seen.lock().expect("seen");
            let n = seen.entry(request.to_string()).or_insert(0);
            *n += 1;
            *n
        };
        let mut faults = self.faults.lock().expect("faults");
        let mut hit = None;
        for (i, f) in faults.iter_mut().enumerate().filter(|(_, f)| f.matches(method, path)) {
            if f.after > 0 {
                f.after -= 1;
                continue;
            }
            if let Some(h) = f.strike(request, occurrence, i as u64) {
                hit = Some((i, h));
                break;
            }
        }
        let (i, hit) = hit?;
        if let Some(n) = faults[i].times.as_mut() {
            *n -= 1;
            if *n == 0 {
                faults.remove(i);
            }
        }
        Some(hit)
    }
}

pub struct ServerOptions {
    /// 0 picks a free port.
    pub port: u16,
    /// Serve HTTPS with a fresh self-signed certificate for `localhost`/`127.0.0.1` (see
    /// [`crate::tls::self_signed_localhost`]), unless `tls_identity` gives the certificate.
    pub tls: bool,
    /// Serve HTTPS with this certificate chain and key, both PEM (e.g. from a
    /// [`crate::tls::TestCa`]), whether or not `tls` is set: a corporate CA's certificate, one for
    /// another host name, an expired one.
    pub tls_identity: Option<(String, String)>,
    /// Demand a client certificate issued by this CA (PEM) in every TLS handshake: a client
    /// without one, or with one from another CA, fails the handshake. Needs TLS.
    pub client_ca_pem: Option<String>,
    pub latency: Duration,
    /// Serve the API below this path (`/docspace`), as a reverse proxy in front of the vendor
    /// would: the prefix is stripped before the vendor's routes see the request; anything else
    /// is the proxy's 404.
    pub path_prefix: Option<String>,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            port: 0,
            tls: false,
            tls_identity: None,
            client_ca_pem: None,
            latency: Duration::ZERO,
            path_prefix: None,
        }
    }
}

/// A started emulator. Dropping it stops the server.
pub struct RunningEmulator {
    pub addr: SocketAddr,
    /// The certificate chain served, in PEM, when serving HTTPS: with plain `tls` the self-signed
    /// certificate (pass it as `ca_cert_pem`); with `tls_identity` the chain given (trust the CA
    /// that issued it instead).
    pub tls_cert_pem: Option<String>,
    pub control: Arc<Control>,
    pub app: Arc<dyn EmulatorApp>,
    shutdown: CancellationToken,
}

impl RunningEmulator {
    /// The emulator's base URL: `https://localhost:PORT` (the self-signed certificate's name)
    /// when serving HTTPS, else `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        let host = if self.tls_cert_pem.is_some() { "localhost".to_string() } else { self.addr.ip().to_string() };
        self.url_with_host(&host)
    }

    /// The emulator's scheme and port under another host, e.g. `https://zitadel.corp.test:PORT`
    /// or `https://[2001:db8::10]:PORT`, for a client that reaches it under that name through a
    /// proxy mapping the name to it. IPv6 literals are bracketed as URLs need.
    pub fn url_with_host(&self, host: &str) -> String {
        let scheme = if self.tls_cert_pem.is_some() { "https" } else { "http" };
        let host = match host.parse::<std::net::Ipv6Addr>() {
            Ok(_) => format!("[{host}]"),
            Err(_) => host.to_string(),
        };
        format!("{scheme}://{host}:{}", self.addr.port())
    }

    pub fn stop(&self) {
        self.shutdown.cancel();
    }
}

impl Drop for RunningEmulator {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Starts `app` on 127.0.0.1. Must be called inside a Tokio runtime, which then runs the server.
pub async fn start(app: Arc<dyn EmulatorApp>, opts: ServerOptions) -> std::io::Result<RunningEmulator> {
    let (acceptor, tls_cert_pem) = tls_setup(&opts)?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", opts.port)).await?;
    let addr = listener.local_addr()?;
    let control = Arc::new(Control::default());
    control.set_latency(opts.latency);
    let shutdown = CancellationToken::new();
    let router = app.clone().router().merge(control_router(control.clone(), app.clone()));
    let prefix = opts.path_prefix.map(|p| format!("/{}", p.trim_matches('/')));
    let tls = acceptor.is_some();
    let handler = Arc::new(Handler { router, control: control.clone(), app: app.clone(), tls, prefix });
    let stop = shutdown.clone();
    tokio::spawn(async move {
        loop {
            let (stream, _) = tokio::select! {
                _ = stop.cancelled() => break,
                r = listener.accept() => match r { Ok(x) => x, Err(_) => continue },
            };
            let handler = handler.clone();
            let acceptor = acceptor.clone();
            let stop = stop.clone();
            tokio::spawn(async move {
                match acceptor {
                    // A failed handshake (no client certificate, an untrusted one) just closes.
                    Some(acc) => {
                        if let Ok(tls) = acc.accept(stream).await {
                            serve_conn(tls, handler, stop).await;
                        }
                    }
                    None => serve_conn(stream, handler, stop).await,
                }
            });
        }
    });
    Ok(RunningEmulator { addr, tls_cert_pem, control, app, shutdown })
}

/// The TLS acceptor `opts` ask for and the certificate chain it serves; neither for plain HTTP.
fn tls_setup(opts: &ServerOptions) -> std::io::Result<(Option<tokio_rustls::TlsAcceptor>, Option<String>)> {
    let (cert_pem, key_pem) = match &opts.tls_identity {
        Some((cert, key)) => (cert.clone(), key.clone()),
        None if opts.tls => {
            let issued = crate::tls::self_signed_localhost().map_err(std::io::Error::other)?;
            (issued.cert_pem, issued.key_pem)
        }
        None if opts.client_ca_pem.is_some() => {
            return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, "client_ca_pem needs TLS"));
        }
        None => return Ok((None, None)),
    };
    let acceptor = crate::tls::acceptor(&cert_pem, &key_pem, opts.client_ca_pem.as_deref())
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    Ok((Some(acceptor), Some(cert_pem)))
}

struct Handler {
    router: axum::Router,
    control: Arc<Control>,
    app: Arc<dyn EmulatorApp>,
    tls: bool,
    prefix: Option<String>,
}

/// The origin a request was addressed to, `http(s)://host[:port]` (what a server built from it,
/// e.g. an OAuth issuer, would say), available to vendor handlers as a request extension.
#[derive(Debug, Clone)]
pub struct RequestOrigin(pub String);

/// Signals hyper to drop the connection without a response.
#[derive(Debug, Error)]
#[error("fault: connection dropped")]
struct Dropped;

async fn serve_conn<S>(stream: S, handler: Arc<Handler>, stop: CancellationToken)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    use hyper_util::rt::{TokioExecutor, TokioIo};
    let svc = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
        let h = handler.clone();
        async move { h.handle(req.map(Body::new)).await }
    });
    let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    let conn = builder.serve_connection(TokioIo::new(stream), svc);
    tokio::select! {
        _ = conn => {}
        _ = stop.cancelled() => {}
    }
}

/// What became of a request: an answer to send, or the connection closed without one (logged
/// with this status: 0 when the request was never processed).
enum Outcome {
    Answer(Response<Body>),
    Unanswered(u16),
}

impl Handler {
    async fn handle(&self, mut req: Request<Body>) -> Result<Response<Body>, Dropped> {
        let origin = self.origin(&req);
        req.extensions_mut().insert(origin);
        if !self.strip_prefix(&mut req) {
            return Ok(Response::builder().status(404).body(Body::from("no such path")).expect("static response"));
        }
        let method = req.method().to_string();
        let path = req.uri().path().to_string();
        if path.starts_with("/_emulator") {
            // Controls: no faults, latency, rate limit or log entry.
            return Ok(self.route(req).await);
        }
        let arrived = tokio::time::Instant::now();
        let start_us = self.control.epoch.elapsed().as_micros() as u64;
        let user_agent = req.headers().get("user-agent").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        let key = self.app.request_key(req.headers());
        let identity = format!("{method} {path} {}", key.unwrap_or_default());
        let fault = self.control.take_fault(&method, &path, &identity);
        let latency = *self.control.latency.lock().expect("latency");
        let limited =
            self.control.rate.lock().expect("rate").as_mut().and_then(|b| b.take(std::time::Instant::now()).err());
        if !latency.is_zero() {
            // Measured from arrival, so the answer comes as close after `latency` as the timer allows.
            tokio::time::sleep_until(arrived + latency).await;
        }
        if let Some(retry_after) = limited {
            self.log(method, path, 429, user_agent, Some("RateLimit".into()), start_us);
            return Ok(self.app.too_many_requests(retry_after));
        }
        let fault_name = fault.as_ref().map(|f| format!("{:?}", f.kind));
        match self.answer(fault.as_ref(), req).await {
            Outcome::Answer(resp) => {
                self.log(method, path, resp.status().as_u16(), user_agent, fault_name, start_us);
                Ok(resp)
            }
            Outcome::Unanswered(status) => {
                self.log(method, path, status, user_agent, fault_name, start_us);
                Err(Dropped)
            }
        }
    }

    /// The origin the client addressed, which ZITADEL takes as its issuer (the JWT audience): the
    /// request target's authority when it has one — HTTP/2 carries the host only in
    /// `:authority`, and an HTTP/1.1 absolute-form target overrides `Host` (RFC 9112 §3.2.2) —
    /// else the `Host` header.
    fn origin(&self, req: &Request<Body>) -> RequestOrigin {
        let host = match req.uri().authority() {
            // Userinfo is not part of an origin.
            Some(a) => a.as_str().rsplit('@').next().unwrap_or_default().to_string(),
            None => req.headers().get("host").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string(),
        };
        let scheme = if self.tls { "https" } else { "http" };
        RequestOrigin(format!("{scheme}://{host}"))
    }

    /// Strips the path prefix the server is mounted under; false when the path is outside it.
    fn strip_prefix(&self, req: &mut Request<Body>) -> bool {
        let Some(prefix) = &self.prefix else { return true };
        let Some(rest) = req.uri().path().strip_prefix(prefix.as_str()).filter(|r| r.is_empty() || r.starts_with('/'))
        else {
            return false;
        };
        let pq = match req.uri().query() {
            Some(q) => format!("{rest}?{q}"),
            None => rest.to_string(),
        };
        *req.uri_mut() = pq.parse().unwrap_or_else(|_| "/".parse().expect("static uri"));
        true
    }

    /// The vendor's (or the controls') own answer.
    async fn route(&self, req: Request<Body>) -> Response<Body> {
        use tower::ServiceExt;
        self.router.clone().oneshot(req).await.unwrap_or_else(|e| match e {})
    }

    /// The answer to a request that `fault` (if any) hit.
    async fn answer(&self, fault: Option<&Fault>, req: Request<Body>) -> Outcome {
        let Some(fault) = fault else { return Outcome::Answer(self.route(req).await) };
        let resp = match &fault.kind {
            FaultKind::Drop => return Outcome::Unanswered(0),
            // The change is made; only the answer never leaves. The log keeps its status.
            FaultKind::Lost => return Outcome::Unanswered(self.route(req).await.status().as_u16()),
            // Resolved to one kind when the fault struck.
            FaultKind::Mix => unreachable!("a mix fault strikes as one of its kinds"),
            FaultKind::Delay(d) => {
                tokio::time::sleep(*d).await;
                self.route(req).await
            }
            FaultKind::Gzip => gzipped(self.route(req).await).await,
            FaultKind::Envelope => {
                let (status, body) = self.app.error_envelope();
                canned(status, &[("content-type", "application/json")], Body::from(body))
            }
            kind => canned_fault(kind, fault.retry_after.as_deref()),
        };
        Outcome::Answer(resp)
    }

    fn log(&self, method: String, path: String, status: u16, user_agent: String, fault: Option<String>, start_us: u64) {
        let end_us = self.control.epoch.elapsed().as_micros() as u64;
        let entry = LoggedRequest { method, path, status, user_agent, fault, start_us, end_us };
        self.control.log.lock().expect("log").push(entry);
    }
}

/// The answer of a fault that does not involve the vendor's router.
fn canned_fault(kind: &FaultKind, retry_after: Option<&str>) -> Response<Body> {
    const JSON: (&str, &str) = ("content-type", "application/json");
    match kind {
        FaultKind::Status(code) => {
            let mut resp = canned(*code, &[JSON], Body::from("{}"));
            if let Some(value) = retry_after.and_then(|ra| axum::http::HeaderValue::from_str(ra).ok()) {
                resp.headers_mut().insert("retry-after", value);
            }
            resp
        }
        FaultKind::Html(code) => canned(
            *code,
            &[("content-type", "text/html")],
            Body::from(format!(
                "<html><head><title>{code} Bad Gateway</title></head><body><center><h1>{code} Bad Gateway</h1></center><hr><center>nginx</center></body></html>"
            )),
        ),
        FaultKind::Malformed => canned(200, &[JSON], Body::from("{\"response\": [{\"id\": \"app\", \"enab")),
        FaultKind::Endless => canned(200, &[JSON], Body::new(Filler::endless())),
        FaultKind::Huge(n) => {
            let length = n.to_string();
            canned(200, &[JSON, ("content-length", &length)], Filler::json_of_length(*n))
        }
        FaultKind::Redirect(code, url) => canned(*code, &[("location", url)], Body::empty()),
        FaultKind::Body(code, text) => canned(*code, &[JSON], Body::from(text.clone())),
        other => unreachable!("{other:?} is answered with the vendor's router"),
    }
}

/// A response with this status and these headers; a status or header no response can carry
/// (a fault built in code, not parsed) becomes a 500 saying so, rather than a panic.
fn canned(status: u16, headers: &[(&str, &str)], body: Body) -> Response<Body> {
    let mut b = Response::builder().status(status);
    for (name, value) in headers {
        b = b.header(*name, *value);
    }
    b.body(body).unwrap_or_else(|e| {
        Response::builder().status(500).body(Body::from(format!("bad fault: {e}"))).expect("static response")
    })
}

/// `resp` gzip-compressed with `content-encoding: gzip`, as a server with compression forced
/// on sends it whatever the client's `Accept-Encoding` said. Answers that carry no body stay as
/// they are.
async fn gzipped(resp: Response<Body>) -> Response<Body> {
    use std::io::Write;
    if matches!(resp.status().as_u16(), 100..=199 | 204 | 304) {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    let Ok(plain) = axum::body::to_bytes(body, usize::MAX).await else {
        return canned(500, &[], Body::from("the answer to compress could not be read"));
    };
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let compressed = encoder.write_all(&plain).and_then(|()| encoder.finish()).expect("compressing into memory");
    parts.headers.insert(axum::http::header::CONTENT_ENCODING, axum::http::HeaderValue::from_static("gzip"));
    // The length changed; hyper writes the new one from the body.
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(compressed))
}

/// A generated body: `head`, then `chunk` repeated (`left` bytes of it, or without end), then
/// `tail`. Generated as it is sent, so a huge or endless answer costs no memory, and hyper
/// stops asking for more when the client stops reading or goes away.
struct Filler {
    head: Option<axum::body::Bytes>,
    chunk: axum::body::Bytes,
    left: Option<u64>,
    tail: Option<axum::body::Bytes>,
}

impl Filler {
    const CHUNK: usize = 16 * 1024;

    /// `[0,0,0,...` without end: JSON that never closes.
    fn endless() -> Filler {
        let chunk = b"0,".repeat(Self::CHUNK / 2).into();
        Filler { head: Some(axum::body::Bytes::from_static(b"[")), chunk, left: None, tail: None }
    }

    /// A complete JSON document of exactly `n` bytes: `{"padding":"xxx..."}`, or for fewer than
    /// 14 bytes a JSON string (`0` for one byte, nothing for none).
    fn json_of_length(n: usize) -> Body {
        const HEAD: &[u8] = b"{\"padding\":\"";
        const TAIL: &[u8] = b"\"}";
        match n {
            0 => Body::empty(),
            1 => Body::from("0"),
            n if n < HEAD.len() + TAIL.len() => Body::from(format!("\"{}\"", "x".repeat(n - 2))),
            n => Body::new(Filler {
                head: Some(axum::body::Bytes::from_static(HEAD)),
                chunk: b"x".repeat(Self::CHUNK).into(),
                left: Some((n - HEAD.len() - TAIL.len()) as u64),
                tail: Some(axum::body::Bytes::from_static(TAIL)),
            }),
        }
    }

    fn next_chunk(&mut self) -> Option<axum::body::Bytes> {
        if let Some(head) = self.head.take() {
            return Some(head);
        }
        match &mut self.left {
            None => Some(self.chunk.clone()),
            Some(0) => self.tail.take(),
            Some(left) => {
                let n = (*left).min(self.chunk.len() as u64);
                *left -= n;
                Some(self.chunk.slice(..n as usize))
            }
        }
    }
}

impl hyper::body::Body for Filler {
    type Data = axum::body::Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        std::task::Poll::Ready(self.get_mut().next_chunk().map(|c| Ok(hyper::body::Frame::data(c))))
    }

    fn is_end_stream(&self) -> bool {
        self.head.is_none() && self.left == Some(0) && self.tail.is_none()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        let Some(left) = self.left else { return hyper::body::SizeHint::default() };
        let fixed = self.head.as_ref().map_or(0, |h| h.len()) + self.tail.as_ref().map_or(0, |t| t.len());
        hyper::body::SizeHint::with_exact(left + fixed as u64)
    }
}

fn control_router(control: Arc<Control>, app: Arc<dyn EmulatorApp>) -> axum::Router {
    use axum::routing::get;
    let c1 = control.clone();
    let c2 = control.clone();
    let c3 = control.clone();
    let c4 = control.clone();
    axum::Router::new()
        .route(
            "/_emulator/rate-limit",
            axum::routing::put(move |body: String| async move {
                let limit = match body.trim() {
                    "" | "off" => None,
                    spec => match crate::rate_limit::RateLimit::parse(spec) {
                        Ok(l) => Some(l),
                        Err(e) => return (StatusCode::BAD_REQUEST, e),
                    },
                };
                c4.set_rate_limit(limit);
                (StatusCode::NO_CONTENT, String::new())
            }),
        )
        .route("/_emulator/requests", get(move || async move { axum::Json(c1.requests()) }))
        .route(
            "/_emulator/faults",
            axum::routing::post(move |body: String| async move {
                match Fault::parse(body.trim()) {
                    Ok(f) => {
                        c2.push_fault(f);
                        (StatusCode::NO_CONTENT, String::new())
                    }
                    Err(e) => (StatusCode::BAD_REQUEST, e.to_string()),
                }
            })
            .delete(move || async move {
                c3.clear_faults();
                StatusCode::NO_CONTENT
            }),
        )
        .route("/_emulator/state", get(move || async move { axum::Json(app.summary()) }))
}

/// Reads a JSON request body the way the vendors' frameworks do: a body that is not JSON gets the
/// caller's error answer instead of a panic.
pub fn parse_json(body: &[u8]) -> Option<serde_json::Value> {
    if body.is_empty() {
        return Some(serde_json::Value::Object(Default::default()));
    }
    serde_json::from_slice(body).ok()
}

#[cfg(test)]
mod wire_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_specs_parse() {
        let f = Fault::parse("status=503,times=2,retry_after=1,path=/api/org").unwrap();
        assert_eq!(f.kind, FaultKind::Status(503));
        assert_eq!(f.times, Some(2));
        assert_eq!(f.retry_after.as_deref(), Some("1"));
        assert_eq!(f.path.as_deref(), Some("/api/org"));
        assert_eq!(Fault::parse("delay=1500").unwrap().kind, FaultKind::Delay(Duration::from_millis(1500)));
        assert_eq!(Fault::parse("html").unwrap().kind, FaultKind::Html(502));
        assert_eq!(Fault::parse("drop,p=0.5").unwrap().probability, 0.5);
        assert!(Fault::parse("explode").is_err());
        assert!(Fault::parse("status").is_err());
        assert!(Fault::parse("drop,p=2").is_err());
        let mix = Fault::parse("mix,p=0.2,seed=7").unwrap();
        assert_eq!((mix.kind, mix.probability, mix.seed), (FaultKind::Mix, 0.2, Some(7)));
        assert_eq!(Fault::parse("lost,method=PUT").unwrap().kind, FaultKind::Lost);
        assert!(Fault::parse("mix,seed=x").is_err());
    }

    /// Seeded faults hit the same requests however calls to different objects interleave, at
    /// the rate asked for, with every kind of the mix represented.
    #[test]
    fn seeded_mix_is_reproducible_and_mixes_every_kind() {
        let run = |order: &[usize]| {
            let c = Control::default();
            c.push_fault(Fault::new(FaultKind::Mix).probability(0.2).seed(42));
            let mut hits = std::collections::BTreeMap::new();
            for &obj in order {
                let id = format!("PUT /things/{obj}");
                let n = hits.entry(obj).or_insert_with(Vec::new);
                n.push(c.take_fault("PUT", &format!("/things/{obj}"), &id).map(|f| format!("{:?}", f.kind)));
            }
            hits
        };
        let forward: Vec<usize> = (0..400).map(|i| i % 40).collect();
        let backward: Vec<usize> = forward.iter().rev().copied().collect();
        assert_eq!(run(&forward), run(&backward), "the interleaving changed which requests fail");
        let all: Vec<Option<String>> = run(&forward).into_values().flatten().collect();
        let struck = all.iter().flatten().count();
        assert!((50..=110).contains(&struck), "{struck} of 400 struck at p=0.2");
        for kind in ["Status(503)", "Status(429)", "Drop", "Lost"] {
            assert!(all.iter().flatten().any(|k| k == kind), "{kind} never drawn");
        }
        // Another seed fails other requests.
        let c = Control::default();
        c.push_fault(Fault::new(FaultKind::Mix).probability(0.2).seed(43));
        let other: Vec<bool> =
            (0..400).map(|i| c.take_fault("PUT", "/x", &format!("PUT /things/{}", i % 40)).is_some()).collect();
        let first: Vec<bool> = {
            let c = Control::default();
            c.push_fault(Fault::new(FaultKind::Mix).probability(0.2).seed(42));
            (0..400).map(|i| c.take_fault("PUT", "/x", &format!("PUT /things/{}", i % 40)).is_some()).collect()
        };
        assert_ne!(other, first);
    }

    #[test]
    fn counted_faults_expire() {
        let c = Control::default();
        c.push_fault(Fault::status(503).times(2).on_method("post"));
        assert!(c.take_fault("GET", "/x", "GET /x").is_none());
        assert!(c.take_fault("POST", "/x", "POST /x").is_some());
        assert!(c.take_fault("POST", "/x", "POST /x").is_some());
        assert!(c.take_fault("POST", "/x", "POST /x").is_none());
        // `after` lets matching requests through first.
        c.push_fault(Fault::status(503).times(1).after(2));
        assert!(c.take_fault("GET", "/x", "GET /x").is_none());
        assert!(c.take_fault("GET", "/x", "GET /x").is_none());
        assert!(c.take_fault("GET", "/x", "GET /x").is_some());
        assert!(c.take_fault("GET", "/x", "GET /x").is_none());
        assert_eq!(Fault::parse("status=503,after=1").unwrap().after, 1);
    }

    /// A counter: `POST /count` adds one and answers the new value.
    #[derive(Default)]
    struct Counter(std::sync::atomic::AtomicU64);

    impl EmulatorApp for Counter {
        fn vendor(&self) -> &'static str {
            "Counter"
        }
        fn router(self: Arc<Self>) -> axum::Router {
            axum::Router::new().route(
                "/count",
                axum::routing::post(move || async move {
                    (self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1).to_string()
                }),
            )
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

    #[tokio::test]
    async fn a_lost_answer_is_processed_and_a_drop_is_not() {
        let app = Arc::new(Counter::default());
        let emu = start(app.clone(), ServerOptions::default()).await.unwrap();
        let url = format!("{}/count", emu.url());
        let client = reqwest::Client::new();
        emu.control.push_fault(Fault::new(FaultKind::Lost).times(1));
        assert!(client.post(&url).send().await.is_err(), "a lost answer must not arrive");
        assert_eq!(app.0.load(std::sync::atomic::Ordering::SeqCst), 1, "the lost request was not processed");
        emu.control.push_fault(Fault::new(FaultKind::Drop).times(1));
        assert!(client.post(&url).send().await.is_err());
        assert_eq!(app.0.load(std::sync::atomic::Ordering::SeqCst), 1, "a dropped request was processed");
        assert_eq!(client.post(&url).send().await.unwrap().text().await.unwrap(), "2");
        let log = emu.control.requests();
        assert_eq!(log[0].fault.as_deref(), Some("Lost"));
        assert_eq!(log[0].status, 200, "the log keeps the status of the processed request");
        assert_eq!((log[1].fault.as_deref(), log[1].status), (Some("Drop"), 0));
    }
}
