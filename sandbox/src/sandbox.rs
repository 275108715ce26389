//! `mfa-sandbox`: every vendor emulator on loopback, seeded with demo accounts, so a security team
//! can rehearse its MFA policy before touching a real tenant. The tests use the same emulators.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::server::{self, Fault, RunningEmulator, ServerOptions};
use crate::{EMULATORS, type_names};

/// Command-line options.
#[derive(Debug, Default)]
pub struct Options {
    /// Port per provider type; absent or 0 picks a free port.
    pub ports: BTreeMap<String, u16>,
    /// Latency added to every API answer, per provider type (`*` for all).
    pub latency: BTreeMap<String, Duration>,
    /// Faults per provider type.
    pub faults: Vec<(String, Fault)>,
    /// Serve HTTPS with self-signed certificates (the CA is printed for `ca_cert_pem`).
    pub tls: bool,
    /// With `tls`: demand client certificates signed by the CA in this PEM file (mutual TLS).
    pub client_ca: Option<std::path::PathBuf>,
    /// Start only these provider types.
    pub only: Vec<String>,
    /// Also write the environment as `export` lines to this file.
    pub env_file: Option<std::path::PathBuf>,
    /// Extra objects per provider type (`--seed zitadel=200`).
    pub seeds: Vec<(String, usize)>,
    /// Request-rate limits by provider type (`*` for every vendor).
    pub rate_limits: BTreeMap<String, crate::rate_limit::RateLimit>,
}

pub const USAGE: &str = "\
usage: mfa-sandbox [options]

Starts emulators of the Rhombus, Akana, ZITADEL and ONLYOFFICE DocSpace APIs on 127.0.0.1 with
demo accounts, prints the environment variables that point the providers at them, and runs until
Ctrl-C.

options:
  --port TYPE=PORT         listen port for one provider type (0 = any free port, the default)
  --latency MS             add MS milliseconds to every API answer
  --latency TYPE=MS        ... for one provider type only
  --fault TYPE=SPEC        inject a fault (TYPE * = every vendor); SPEC is
                           KIND[,path=TEXT][,method=M][,times=N][,after=N][,p=PROB][,seed=N][,retry_after=S]
                           with KIND one of
                             status=CODE  answer with this HTTP status (and retry_after, if given)
                             drop         close the connection before the request is processed
                             lost         process the request, then close the connection unanswered
                             mix          each hit is one of: 503, 429 with Retry-After: 0, drop, lost
                             delay=MS     answer after MS milliseconds
                             html=CODE    a reverse proxy's HTML error page
                             malformed    HTTP 200 with truncated JSON
                             envelope     the vendor's own error envelope
                             endless      HTTP 200 JSON whose body never ends
                             huge=BYTES   HTTP 200 with a complete JSON body of BYTES bytes
                             gzip         the normal answer gzip-compressed, asked for or not
                             redirect=[CODE:]URL
                                          CODE (302 by default) with Location: URL, no body
                             body=CODE:TEXT
                                          CODE with exactly TEXT as its JSON body; TEXT runs to
                                          the end of SPEC, commas included, so options go first:
                                          --fault 'zitadel=times=1,body=401:{\"a\":1,\"b\":2}'
                           path matches a substring, or the end of the path when it ends with $;
                           after lets N matching requests through first;
                           p hits each matching request with that chance; seed makes those draws
                           reproducible (repeatable; e.g. --fault rhombus=status=503,times=2,
                           --fault '*=mix,p=0.2,seed=1': a bad network day for every vendor)
  --seed TYPE=N            add N objects to list with `terraform query`: ZITADEL organizations,
                           Akana businesses, Rhombus client organizations (of the partner key)
  --rate-limit TYPE=N/s    limit the vendor's API to N requests per second (a burst of N; or
                           N/s,burst=B), answering 429 with Retry-After in whole seconds as the
                           vendor does (TYPE * = each vendor its own bucket)
  --only TYPE[,TYPE...]    start only these provider types
  --tls                    serve HTTPS with self-signed certificates
  --client-ca FILE         with --tls: demand in every TLS handshake a client certificate
                           signed by the CA in FILE (PEM); clients without one are refused
  --env-file PATH          also write the environment as shell `export` lines to PATH
types: ";

fn split_kv<'a>(arg: &'a str, flag: &str) -> Result<(&'a str, &'a str), String> {
    arg.split_once('=').ok_or_else(|| format!("{flag} expects TYPE=VALUE, got {arg:?}"))
}

fn check_type(t: &str) -> Result<(), String> {
    if t == "*" || crate::find(t).is_some() {
        Ok(())
    } else {
        Err(format!("unknown provider type {t:?}; known: {}", type_names().join(", ")))
    }
}

impl Options {
    pub fn parse(args: &[String]) -> Result<Options, String> {
        let mut o = Options::default();
        let mut it = args.iter();
        while let Some(a) = it.next() {
            let mut value = |flag: &str| it.next().cloned().ok_or_else(|| format!("{flag} needs a value"));
            match a.as_str() {
                "--port" => {
                    let v = value("--port")?;
                    let (t, p) = split_kv(&v, "--port")?;
                    check_type(t)?;
                    o.ports.insert(t.into(), p.parse().map_err(|_| format!("bad port {p:?}"))?);
                }
                "--latency" => {
                    let v = value("--latency")?;
                    let (t, ms) = v.split_once('=').unwrap_or(("*", v.as_str()));
                    check_type(t)?;
                    let ms: u64 = ms.parse().map_err(|_| format!("bad latency {ms:?}"))?;
                    o.latency.insert(t.into(), Duration::from_millis(ms));
                }
                "--fault" => {
                    let v = value("--fault")?;
                    let (t, spec) = split_kv(&v, "--fault")?;
                    check_type(t)?;
                    o.faults.push((t.into(), Fault::parse(spec).map_err(|e| e.to_string())?));
                }
                "--only" => {
                    for t in value("--only")?.split(',') {
                        check_type(t)?;
                        o.only.push(t.into());
                    }
                }
                "--seed" => {
                    let v = value("--seed")?;
                    let (t, n) = split_kv(&v, "--seed")?;
                    check_type(t)?;
                    o.seeds.push((t.into(), n.parse().map_err(|_| format!("bad --seed count {n:?}"))?));
                }
                "--rate-limit" => {
                    let v = value("--rate-limit")?;
                    let (t, spec) = split_kv(&v, "--rate-limit")?;
                    check_type(t)?;
                    o.rate_limits.insert(t.into(), crate::rate_limit::RateLimit::parse(spec)?);
                }
                "--tls" => o.tls = true,
                "--client-ca" => o.client_ca = Some(value("--client-ca")?.into()),
                "--env-file" => o.env_file = Some(value("--env-file")?.into()),
                other => return Err(format!("unknown option {other:?}")),
            }
        }
        if o.client_ca.is_some() && !o.tls {
            return Err("--client-ca needs --tls: client certificates are part of the TLS handshake".into());
        }
        Ok(o)
    }
}

/// The running sandbox: one emulator per provider type.
pub struct Sandbox {
    pub emulators: Vec<(&'static str, RunningEmulator)>,
}

impl Sandbox {
    pub async fn start(o: &Options) -> std::io::Result<Sandbox> {
        let client_ca_pem = match &o.client_ca {
            Some(path) => Some(std::fs::read_to_string(path).map_err(|e| {
                std::io::Error::new(e.kind(), format!("cannot read --client-ca {}: {e}", path.display()))
            })?),
            None => None,
        };
        let mut emulators = Vec::new();
        for v in EMULATORS.iter().filter(|v| o.only.is_empty() || o.only.iter().any(|t| t == v.type_name)) {
            let latency = o.latency.get(v.type_name).or(o.latency.get("*")).copied().unwrap_or_default();
            let opts = ServerOptions {
                port: o.ports.get(v.type_name).copied().unwrap_or(0),
                tls: o.tls,
                client_ca_pem: client_ca_pem.clone(),
                latency,
                ..Default::default()
            };
            let app = (v.new)();
            for (t, n) in o.seeds.iter().filter(|(t, _)| t == v.type_name || t == "*") {
                // `*` seeds whichever vendors have something to seed.
                if let Err(e) = app.seed(*n)
                    && t != "*"
                {
                    return Err(std::io::Error::other(e));
                }
            }
            let running = server::start(app, opts).await?;
            if let Some(l) = o.rate_limits.get(v.type_name).or(o.rate_limits.get("*")) {
                running.control.set_rate_limit(Some(*l));
            }
            for (t, f) in &o.faults {
                if t == v.type_name || t == "*" {
                    running.control.push_fault(f.clone());
                }
            }
            emulators.push((v.type_name, running));
        }
        Ok(Sandbox { emulators })
    }

    /// Environment variables that point every provider at its emulator.
    pub fn env(&self) -> Vec<(String, String)> {
        let mut env = Vec::new();
        for (t, e) in &self.emulators {
            env.extend(e.app.sandbox_env(&e.url()));
            if let Some(pem) = &e.tls_cert_pem {
                env.push((format!("{}_CA_CERT_PEM", t.to_ascii_uppercase()), pem.clone()));
            }
        }
        env
    }

    /// `export NAME='value'` lines, quoted for POSIX shells.
    pub fn env_script(&self) -> String {
        self.env().iter().map(|(k, v)| format!("export {k}='{}'\n", v.replace('\'', "'\\''"))).collect()
    }
}
