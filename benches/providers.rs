//! `scripts/bench`: how fast the providers are, measured with the real Terraform CLI against the
//! emulators (20 ms of latency on every API answer). Prints a table; the figures go in the README.
//!
//! - handshake: binary start to handshake line, AutoMTLS on (median of 20);
//! - apply and plan wall time for 1, 50 and 300 resources spread over the four provider types,
//!   at -parallelism=10;
//! - HTTP requests per resource during a refresh, beside the number of distinct remote objects
//!   (factors of one ZITADEL organization share one login policy, read once when read together),
//!   and the refresh's span (first request to last answer) against its lower bound: requests x
//!   latency / parallelism;
//! - the 300-resource apply again on a bad network: 20% of all requests failing at random (503,
//!   429, dropped connections, lost answers), seeded, with `max_retries = 10`;
//! - peak RSS of any provider process.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use mfa_providers::plugin::serve::MAGIC_COOKIE_VALUE;
use mfa_sandbox::{Fault, FaultKind};

#[allow(dead_code)]
#[path = "../tests/e2e/harness.rs"]
mod harness;
#[path = "../tests/e2e/workload.rs"]
mod workload;

use harness::Ws;
use workload::workload;

/// Emulator latency per answer; `BENCH_LATENCY_MS` overrides it (e.g. 0: Terraform's own pace).
static LATENCY: std::sync::LazyLock<Duration> = std::sync::LazyLock::new(|| {
    Duration::from_millis(std::env::var("BENCH_LATENCY_MS").ok().and_then(|v| v.parse().ok()).unwrap_or(20))
});
const PARALLELISM: u32 = 10;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn handshake() -> (Duration, Duration, Duration) {
    let dir = tempfile::tempdir().unwrap();
    let exe = dir.path().join("terraform-provider-rhombus_v0.1.0");
    std::fs::copy(harness::plugin_binary(), &exe).unwrap();
    // A client certificate shaped like Terraform's (ECDSA P-521), so TLS setup is included.
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".into()]).unwrap().self_signed(&key).unwrap().pem();
    let mut samples = Vec::new();
    for _ in 0..21 {
        let started = Instant::now();
        let mut child = Command::new(&exe)
            .env("TF_PLUGIN_MAGIC_COOKIE", MAGIC_COOKIE_VALUE)
            .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
            .env("PLUGIN_CLIENT_CERT", &cert)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let took = started.elapsed();
        assert!(line.starts_with("1|5|unix|"), "{line}");
        samples.push(took);
        let _ = child.kill();
        let _ = child.wait();
    }
    samples.remove(0); // the first run warms the page cache
    let (min, max) = (*samples.iter().min().unwrap(), *samples.iter().max().unwrap());
    (median(samples), min, max)
}

/// Polls /proc for provider processes and keeps the highest peak RSS (VmHWM) seen.
struct RssWatch {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<u64>,
}

impl RssWatch {
    fn start() -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut peak_kb = 0u64;
            while !s.load(Ordering::Relaxed) {
                for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
                    let p = entry.path();
                    let cmd = std::fs::read(p.join("cmdline")).unwrap_or_default();
                    if !String::from_utf8_lossy(&cmd).contains("terraform-provider-") {
                        continue;
                    }
                    let status = std::fs::read_to_string(p.join("status")).unwrap_or_default();
                    if let Some(kb) = status
                        .lines()
                        .find_map(|l| l.strip_prefix("VmHWM:"))
                        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<u64>().ok())
                    {
                        peak_kb = peak_kb.max(kb);
                    }
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            peak_kb
        });
        RssWatch { stop, thread }
    }
    fn finish(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().unwrap()
    }
}

struct Row {
    n: usize,
    apply: Duration,
    apply_requests: usize,
    plan: Duration,
    /// First request to last answer during `terraform plan` (reads and planning interleaved).
    plan_span: Duration,
    /// Wall time of `terraform plan -refresh-only`: every resource read, nothing planned.
    refresh: Duration,
    refresh_requests: usize,
    refresh_reads: usize,
    refresh_span: Duration,
    objects: usize,
    peak_rss_kb: u64,
}

/// The 300-resource apply on a bad network.
struct ChaosRow {
    n: usize,
    apply: Duration,
    requests: usize,
    failed: usize,
}

fn span(reqs: &[mfa_sandbox::LoggedRequest]) -> Duration {
    let start = reqs.iter().map(|r| r.start_us).min().unwrap_or(0);
    let end = reqs.iter().map(|r| r.end_us).max().unwrap_or(0);
    Duration::from_micros(end.saturating_sub(start))
}

fn measure(n: usize) -> Row {
    let (cfg, em) = workload(n, 3, *LATENCY);
    let ws = Ws::new(&cfg);
    let par = format!("-parallelism={PARALLELISM}");
    let rss = RssWatch::start();
    let t = Instant::now();
    ws.run(&["apply", "-auto-approve", "-input=false", &par]).ok();
    let apply = t.elapsed();
    let apply_requests = em.requests().len();
    if let Ok(path) = std::env::var("BENCH_DUMP") {
        let lines: Vec<String> = em
            .requests()
            .iter()
            .map(|r| format!("{} {} {} {} {}", r.start_us, r.end_us, r.method, r.path, r.status))
            .collect();
        std::fs::write(format!("{path}.apply.{n}"), lines.join("\n")).unwrap();
    }
    em.clear();
    let t = Instant::now();
    let p = ws.run(&["plan", "-input=false", "-detailed-exitcode", &par]);
    let plan = t.elapsed();
    assert_eq!(p.code, 0, "second plan must be empty:\n{}", p.all());
    let plan_span = span(&em.requests());
    em.clear();
    let t = Instant::now();
    ws.run(&["plan", "-refresh-only", "-input=false", &par]).ok();
    let refresh = t.elapsed();
    let peak_rss_kb = rss.finish();
    let reqs = em.requests();
    // Reads of settings; logins and token exchanges are per provider process, not per resource.
    let session_calls = ["/api/login", "/api/2.0/authentication", "/oauth/v2/token"];
    let reads = reqs.iter().filter(|r| !session_calls.contains(&r.path.as_str())).count();
    if let Ok(path) = std::env::var("BENCH_DUMP") {
        let lines: Vec<String> = reqs.iter().map(|r| format!("{} {} {}", r.start_us, r.end_us, r.path)).collect();
        std::fs::write(format!("{path}.{n}"), lines.join("\n")).unwrap();
    }
    Row {
        n,
        apply,
        apply_requests,
        plan,
        plan_span,
        refresh,
        refresh_requests: reqs.len(),
        refresh_reads: reads,
        refresh_span: span(&reqs),
        objects: em.objects,
        peak_rss_kb,
    }
}

/// Apply `n` resources with 20% of all requests failing (the chaos scenario's mix, seeded), then
/// check on a healthy network that nothing is left to do.
fn measure_chaos(n: usize) -> ChaosRow {
    let (cfg, em) = workload(n, 10, *LATENCY);
    let ws = Ws::new(&cfg);
    for (i, (_, e)) in em.all.iter().enumerate() {
        e.control.push_fault(Fault::new(FaultKind::Mix).probability(0.2).seed(7 + i as u64));
    }
    let t = Instant::now();
    ws.run(&["apply", "-auto-approve", "-input=false", &format!("-parallelism={PARALLELISM}")]).ok();
    let apply = t.elapsed();
    let reqs = em.requests();
    let failed = reqs.iter().filter(|r| r.fault.is_some()).count();
    for (_, e) in &em.all {
        e.control.clear_faults();
    }
    let p = ws.run(&["plan", "-input=false", "-detailed-exitcode"]);
    assert_eq!(p.code, 0, "the apply at 20% faults did not converge:\n{}", p.all());
    ChaosRow { n, apply, requests: reqs.len(), failed }
}

fn lower_bound(requests: usize) -> Duration {
    *LATENCY * requests as u32 / PARALLELISM
}

fn main() {
    // `cargo bench` passes --bench; nothing to filter here.
    let tf = harness::terraform();
    let version = Command::new(&tf).arg("version").output().unwrap();
    let version = String::from_utf8_lossy(&version.stdout).lines().next().unwrap_or_default().to_string();
    println!("# mfa-providers benchmark\n");
    println!(
        "{version}, {} CPUs, emulator latency {} ms per answer, -parallelism={PARALLELISM}\n",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        LATENCY.as_millis()
    );

    let (med, min, max) = handshake();
    println!("| measure | value | target |\n|---|---|---|");
    println!(
        "| binary start to handshake line (median of 20, AutoMTLS) | {:.1} ms (min {:.1}, max {:.1}) | < 10 ms |",
        med.as_secs_f64() * 1e3,
        min.as_secs_f64() * 1e3,
        max.as_secs_f64() * 1e3
    );

    // BENCH_SIZES=300 runs one size only (for profiling).
    let sizes: Vec<usize> = std::env::var("BENCH_SIZES")
        .ok()
        .map(|v| v.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1, 50, 300]);
    let rows: Vec<Row> = sizes.into_iter().map(measure).collect();
    let peak = rows.iter().map(|r| r.peak_rss_kb).max().unwrap_or(0);
    println!("| peak RSS of a provider process | {:.1} MB | < 30 MB |", peak as f64 / 1024.0);
    println!();
    println!(
        "| resources | apply | apply requests (lower bound) | plan (its read span) | refresh | refresh requests | remote objects | reads per resource | refresh span | refresh lower bound | span / bound |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    let mut summary = BTreeMap::new();
    for r in &rows {
        let bound = lower_bound(r.refresh_requests);
        let ratio = r.refresh_span.as_secs_f64() / bound.as_secs_f64().max(1e-9);
        summary.insert(r.n, ratio);
        println!(
            "| {} | {:.2} s | {} ({:.2} s) | {:.2} s ({:.3} s) | {:.2} s | {} | {} | {:.2} | {:.3} s | {:.3} s | {:.2}x |",
            r.n,
            r.apply.as_secs_f64(),
            r.apply_requests,
            lower_bound(r.apply_requests).as_secs_f64(),
            r.plan.as_secs_f64(),
            r.plan_span.as_secs_f64(),
            r.refresh.as_secs_f64(),
            r.refresh_requests,
            r.objects,
            r.refresh_reads as f64 / r.n as f64,
            r.refresh_span.as_secs_f64(),
            bound.as_secs_f64(),
            ratio
        );
    }
    // BENCH_CHAOS=0 skips the bad-network row.
    if std::env::var("BENCH_CHAOS").as_deref() != Ok("0") {
        let c = measure_chaos(300);
        let healthy = rows.iter().find(|r| r.n == c.n);
        println!("\n| {} resources | apply | requests | failed requests |\n|---|---|---|---|", c.n);
        if let Some(h) = healthy {
            println!("| healthy network | {:.2} s | {} | 0 |", h.apply.as_secs_f64(), h.apply_requests);
        }
        println!(
            "| 20% of requests failing (503, 429, dropped, lost answers), max_retries = 10 | {:.2} s | {} | {} ({:.0}%) |",
            c.apply.as_secs_f64(),
            c.requests,
            c.failed,
            100.0 * c.failed as f64 / c.requests as f64
        );
    }
    println!(
        "\nTargets: handshake < 10 ms; refresh within 1.3x of the lower bound at 300 resources ({:.2}x); at most one read per \
         resource per refresh; peak RSS < 30 MB; one apply converges at 20% faults.",
        summary.get(&300).copied().unwrap_or(f64::NAN)
    );
}
