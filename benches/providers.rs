//! `scripts/bench`: how fast the providers are, measured with the real Terraform CLI against the
//! emulators (20 ms of latency on every API answer). Prints tables; the figures go in the README.
//!
//! - handshake: binary start to handshake line, AutoMTLS on (median of 20);
//! - apply and plan wall time for 1, 50, 300 and 1,000 resources spread over the four provider
//!   types, at -parallelism=10, beside Terraform's own pace (as many `terraform_data`) and a
//!   bench-only no-op provider on the same protocol layer (`benches/support/noop_provider.rs`);
//!   requests per created resource;
//! - where the apply's time goes: Terraform's CPU, the providers' CPU, the emulators' CPU (they
//!   share this machine's cores), and the bound of waiting on the network;
//! - HTTP reads per remote object during a refresh (logins and token exchanges apart), and the
//!   refresh's span against its lower bound: requests x latency / parallelism;
//! - the 300-resource apply on a bad network (20% of requests failing, seeded, `max_retries =
//!   10`) and under every vendor's rate limit (20 per second);
//! - peak RSS of any provider process.
//!
//! `BENCH_SIZES=300,1000` runs some sizes only, `BENCH_LATENCY_MS=0` takes the network out,
//! `BENCH_CHAOS=0` skips the bad-network and rate-limit rows, `BENCH_DUMP=path` writes the
//! requests and the state.

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

/// Polls /proc for provider processes: the highest peak RSS (VmHWM) seen, and the CPU time
/// (user + system) each used, last seen.
struct Watch {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<(u64, f64)>,
}

/// CPU seconds of a process from /proc/<pid>/stat (utime + stime, fields 14 and 15).
fn proc_cpu(stat: &str) -> Option<f64> {
    let rest = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

impl Watch {
    fn start() -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut peak_kb = 0u64;
            let mut cpu: BTreeMap<String, f64> = BTreeMap::new();
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
                    if let Some(c) = std::fs::read_to_string(p.join("stat")).ok().and_then(|st| proc_cpu(&st)) {
                        cpu.insert(entry.file_name().to_string_lossy().into_owned(), c);
                    }
                }
                // Often enough for peak RSS and CPU, rarely enough not to take CPU from what is measured.
                std::thread::sleep(Duration::from_millis(50));
            }
            (peak_kb, cpu.values().sum())
        });
        Watch { stop, thread }
    }
    /// (peak RSS in kB, provider CPU seconds).
    fn finish(self) -> (u64, f64) {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().unwrap()
    }
}

/// CPU seconds (user + system) of this process (the emulators run in it) and of its waited-for
/// children (Terraform and the providers it started).
fn rusage() -> (f64, f64) {
    let get = |who| {
        let mut u: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: getrusage writes into the zeroed struct we own.
        unsafe { libc::getrusage(who, &mut u) };
        let t = |v: libc::timeval| v.tv_sec as f64 + v.tv_usec as f64 / 1e6;
        t(u.ru_utime) + t(u.ru_stime)
    };
    (get(libc::RUSAGE_SELF), get(libc::RUSAGE_CHILDREN))
}

/// Where the apply's time went: CPU of Terraform, of the providers and of the emulators.
#[derive(Default, Clone, Copy)]
struct Profile {
    terraform_cpu: f64,
    provider_cpu: f64,
    emulator_cpu: f64,
}

struct Row {
    n: usize,
    apply: Duration,
    apply_requests: usize,
    /// Apply requests but logins and token exchanges.
    apply_calls: usize,
    profile: Profile,
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
    let watch = Watch::start();
    let (self0, children0) = rusage();
    let t = Instant::now();
    ws.run(&["apply", "-auto-approve", "-input=false", &par]).ok();
    let apply = t.elapsed();
    let (self1, children1) = rusage();
    let (apply_rss, provider_cpu) = watch.finish();
    let profile = Profile {
        terraform_cpu: (children1 - children0 - provider_cpu).max(0.0),
        provider_cpu,
        emulator_cpu: self1 - self0,
    };
    let apply_requests = em.requests().len();
    let apply_calls = em.requests().iter().filter(|r| !SESSION_CALLS.contains(&r.path.as_str())).count();
    let rss = Watch::start();
    if let Ok(path) = std::env::var("BENCH_DUMP") {
        let lines: Vec<String> = em
            .requests()
            .iter()
            .map(|r| format!("{} {} {} {} {}", r.start_us, r.end_us, r.method, r.path, r.status))
            .collect();
        std::fs::write(format!("{path}.apply.{n}"), lines.join("\n")).unwrap();
        let _ = std::fs::copy(ws.dir().join("terraform.tfstate"), format!("{path}.tfstate.{n}"));
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
    let peak_rss_kb = rss.finish().0.max(apply_rss);
    let reqs = em.requests();
    let reads = reqs.iter().filter(|r| !SESSION_CALLS.contains(&r.path.as_str())).count();
    if let Ok(path) = std::env::var("BENCH_DUMP") {
        let lines: Vec<String> = reqs.iter().map(|r| format!("{} {} {}", r.start_us, r.end_us, r.path)).collect();
        std::fs::write(format!("{path}.{n}"), lines.join("\n")).unwrap();
    }
    Row {
        n,
        apply,
        apply_requests,
        apply_calls,
        profile,
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

/// Logins and token exchanges: per provider process, not per resource.
const SESSION_CALLS: [&str; 3] = ["/api/login", "/api/2.0/authentication", "/oauth/v2/token"];

/// `terraform apply` of `n` resources of another kind at the same parallelism: `terraform_data`
/// (Terraform's own pace, Terraform 1.4 and later) or the bench-only no-op provider (the floor
/// of an external provider on this protocol layer, no HTTP).
fn own_pace(n: usize, kind: Floor) -> Option<(Duration, f64)> {
    let mut cfg = String::new();
    let mut env: Vec<(String, String)> = Vec::new();
    let _mirror;
    match kind {
        Floor::TerraformData => {
            for i in 0..n {
                cfg.push_str(&format!("resource \"terraform_data\" \"d{i}\" {{\n  input = \"{i}\"\n}}\n"));
            }
        }
        Floor::Noop | Floor::NoopShaped => {
            let exe = noop_binary()?;
            let dir = tempfile::tempdir().unwrap();
            let pkg = dir.path().join("registry.terraform.io/mfa-iac-bench/noop/0.0.1/linux_amd64");
            std::fs::create_dir_all(&pkg).unwrap();
            std::fs::copy(&exe, pkg.join("terraform-provider-noop_v0.0.1")).unwrap();
            let rc = dir.path().join("rc");
            std::fs::write(
                &rc,
                format!(
                    "provider_installation {{\n  filesystem_mirror {{\n    path = \"{}\"\n    include = [\"registry.terraform.io/mfa-iac-bench/*\"]\n  }}\n}}\n",
                    dir.path().display()
                ),
            )
            .unwrap();
            env.push(("TF_CLI_CONFIG_FILE".into(), rc.display().to_string()));
            _mirror = dir;
            cfg.push_str("terraform {\n  required_providers {\n    noop = { source = \"registry.terraform.io/mfa-iac-bench/noop\" }\n  }\n}\nprovider \"noop\" {}\n");
            for i in 0..n {
                match kind {
                    Floor::Noop => {
                        cfg.push_str(&format!("resource \"noop_thing\" \"t{i}\" {{\n  value = \"{i}\"\n}}\n"))
                    }
                    // The bench's mix: half factors of five per organization, half businesses.
                    _ if i % 2 == 0 => cfg.push_str(&format!(
                        "resource \"noop_factor\" \"f{i}\" {{\n  type = \"{}\"\n  org_id = \"9{:017}\"\n}}\n",
                        SECOND_FACTORS[(i / 2) % SECOND_FACTORS.len()],
                        i / 10
                    )),
                    _ => cfg.push_str(&format!(
                        "resource \"noop_settings\" \"s{i}\" {{\n  business_id = \"business.bench{i}\"\n  enabled = true\n}}\n"
                    )),
                }
            }
        }
    }
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let ws = Ws::with(harness::terraform(), &cfg, &env);
    let (_, children0) = rusage();
    let t = Instant::now();
    ws.run(&["apply", "-auto-approve", "-input=false", &format!("-parallelism={PARALLELISM}")]).ok();
    let wall = t.elapsed();
    Some((wall, rusage().1 - children0))
}

/// The five second factors a shaped no-op organization holds, as the bench's organizations do.
const SECOND_FACTORS: [&str; 5] = [
    "SECOND_FACTOR_TYPE_OTP",
    "SECOND_FACTOR_TYPE_U2F",
    "SECOND_FACTOR_TYPE_OTP_EMAIL",
    "SECOND_FACTOR_TYPE_OTP_SMS",
    "SECOND_FACTOR_TYPE_RECOVERY_CODES",
];

#[derive(Clone, Copy)]
enum Floor {
    TerraformData,
    /// The smallest no-op resource.
    Noop,
    /// No-op resources of the bench's shape (attributes, identity, private state).
    NoopShaped,
}

/// The no-op provider `scripts/bench` built (`cargo build --release --example noop-provider`).
fn noop_binary() -> Option<std::path::PathBuf> {
    let exe = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/examples/noop-provider");
    exe.exists().then_some(exe)
}

/// The rate-limited row: `n` resources, every emulator limited to 20 requests per second.
struct LimitedRow {
    n: usize,
    apply: Duration,
    requests: usize,
    limited: usize,
    busiest: usize,
}

fn measure_rate_limited(n: usize) -> LimitedRow {
    let limit = mfa_sandbox::rate_limit::RateLimit { per_second: 20.0, burst: 20.0 };
    let (cfg, em) = workload(n, 3, Duration::ZERO);
    let ws = Ws::new(&cfg);
    for (_, e) in &em.all {
        e.control.set_rate_limit(Some(limit));
    }
    let t = Instant::now();
    ws.run(&["apply", "-auto-approve", "-input=false", &format!("-parallelism={PARALLELISM}")]).ok();
    let apply = t.elapsed();
    let limited = em.all.iter().map(|(_, e)| e.control.rate_limited()).sum();
    let busiest = em.all.iter().map(|(_, e)| e.control.requests().len()).max().unwrap_or(0);
    LimitedRow { n, apply, requests: em.requests().len(), limited, busiest }
}

fn lower_bound(requests: usize) -> Duration {
    *LATENCY * requests as u32 / PARALLELISM
}

fn main() {
    // `cargo bench` passes --bench; nothing to filter here.
    let tf = harness::terraform();
    let cli = harness::cli_info(&tf);
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
        .unwrap_or_else(|| vec![1, 50, 300, 1000]);
    let rows: Vec<Row> = sizes.into_iter().map(measure).collect();
    let peak = rows.iter().map(|r| r.peak_rss_kb).max().unwrap_or(0);
    println!("| peak RSS of a provider process | {:.1} MB | < 30 MB |", peak as f64 / 1024.0);

    let mut targets = Vec::new();
    let cpu_floor = report_apply(&rows, cli.version >= (1, 4), &mut targets);
    report_time(&rows, &cpu_floor);
    report_refresh(&rows, &mut targets);
    // BENCH_CHAOS=0 skips the bad-network and rate-limit rows.
    if std::env::var("BENCH_CHAOS").as_deref() != Ok("0") {
        report_bad_network(&rows);
        report_rate_limited(&mut targets);
    }
    println!("\nTargets: handshake < 10 ms; peak RSS < 30 MB; one apply converges at 20% faults.");
    for t in targets {
        println!("- {t}");
    }
}

/// Terraform's CPU per size: with `terraform_data`, with the no-op provider of the bench's shape.
type CpuFloor = Vec<(usize, Option<f64>, Option<f64>)>;

/// The apply against Terraform's own pace, the no-op floors and the network bound.
fn report_apply(rows: &[Row], data_ok: bool, targets: &mut Vec<String>) -> CpuFloor {
    println!("\n## Apply against Terraform's own pace\n");
    println!(
        "Own pace: the same number of `terraform_data` resources applied by the same CLI (Terraform 1.4+). No-op: a \
         bench-only provider on this project's protocol layer with no HTTP (the floor of an external provider), with the \
         smallest resource and with resources of the bench's shape (the same attributes, identities and private state: \
         Terraform's own work per resource grows with the object it stores). Bound: apply requests x latency / \
         parallelism. Terraform holds a -parallelism slot for the whole of a resource's plan, provider calls and state \
         update (`internal/terraform/graph_walk_context.go` `Execute`), so network waits add to its own time: the last \
         column is the apply against that sum.\n"
    );
    println!(
        "| resources | apply | own pace | no-op provider | no-op, bench's shape | apply requests (bound) | requests per resource | apply / max(own pace, bound) | apply / max(no-op of the bench's shape, bound) | apply / (no-op of the bench's shape + bound) |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    let mut cpu_floor = Vec::new();
    for r in rows.iter().filter(|r| r.n >= 50) {
        let own_run = data_ok.then(|| own_pace(r.n, Floor::TerraformData)).flatten();
        let noop_run = own_pace(r.n, Floor::Noop);
        let shaped_run = own_pace(r.n, Floor::NoopShaped);
        let (own, noop, shaped) = (own_run.map(|x| x.0), noop_run.map(|x| x.0), shaped_run.map(|x| x.0));
        cpu_floor.push((r.n, own_run.map(|x| x.1), shaped_run.map(|x| x.1)));
        let bound = lower_bound(r.apply_requests);
        let ratio = |floor: Option<Duration>| floor.map(|f| r.apply.as_secs_f64() / f.max(bound).as_secs_f64());
        let show = |d: Option<Duration>, why: &str| d.map_or(why.to_string(), |d| format!("{:.2} s", d.as_secs_f64()));
        let per = r.apply_calls as f64 / r.n as f64;
        let skipped = "skipped (build it: scripts/bench does)";
        let sum = shaped.map(|f| r.apply.as_secs_f64() / (f + bound).as_secs_f64());
        println!(
            "| {} | {:.2} s | {} | {} | {} | {} ({:.2} s) | {:.2} | {} | {} | {} |",
            r.n,
            r.apply.as_secs_f64(),
            show(own, "skipped (Terraform < 1.4)"),
            show(noop, skipped),
            show(shaped, skipped),
            r.apply_requests,
            bound.as_secs_f64(),
            per,
            ratio(own).map_or("-".into(), |x| format!("{x:.2}x")),
            ratio(shaped).map_or("-".into(), |x| format!("{x:.2}x")),
            sum.map_or("-".into(), |x| format!("{x:.2}x")),
        );
        if r.n == 1000 {
            targets.push(format!(
                "1,000-resource apply / max(own pace, bound) = {} (target 1.2x; out of reach when the no-op floor itself is \
                 above 1.2x of the own pace: no-op {} / own pace {}), / max(no-op of the bench's shape, bound) = {} (then \
                 target 1.1x), / (no-op of the bench's shape + bound) = {}",
                ratio(own).map_or("-".into(), |x| format!("{x:.2}x")),
                show(noop, "-"),
                show(own, "-"),
                ratio(shaped).map_or("-".into(), |x| format!("{x:.2}x")),
                sum.map_or("-".into(), |x| format!("{x:.2}x"))
            ));
        }
        targets.push(format!("{} resources: {per:.2} requests per created resource (target <= 2)", r.n));
    }

    cpu_floor
}

/// Where the apply's time goes: Terraform's, the providers' and the emulators' CPU.
fn report_time(rows: &[Row], cpu_floor: &CpuFloor) {
    println!("\n## Where the apply's time goes\n");
    println!(
        "| resources | apply wall | Terraform CPU (with terraform_data / no-op of the bench's shape, that provider included) | providers' CPU | emulators' CPU (in this process) | bound of waiting on the network |"
    );
    println!("|---|---|---|---|---|---|");
    for r in rows {
        let floor = cpu_floor.iter().find(|(n, _, _)| *n == r.n);
        let show = |c: Option<f64>| c.map_or("-".to_string(), |c| format!("{c:.2} s"));
        println!(
            "| {} | {:.2} s | {:.2} s ({} / {}) | {:.2} s ({:.2} ms per resource) | {:.2} s | {:.2} s |",
            r.n,
            r.apply.as_secs_f64(),
            r.profile.terraform_cpu,
            show(floor.and_then(|f| f.1)),
            show(floor.and_then(|f| f.2)),
            r.profile.provider_cpu,
            1e3 * r.profile.provider_cpu / r.n as f64,
            r.profile.emulator_cpu,
            lower_bound(r.apply_requests).as_secs_f64()
        );
    }
}

fn report_refresh(rows: &[Row], targets: &mut Vec<String>) {
    println!("\n## Plan and refresh\n");
    println!(
        "| resources | plan (its read span) | refresh | refresh requests | remote objects | reads per remote object | refresh span | refresh lower bound | span / bound |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for r in rows {
        let bound = lower_bound(r.refresh_requests);
        let ratio = r.refresh_span.as_secs_f64() / bound.as_secs_f64().max(1e-9);
        let per_object = r.refresh_reads as f64 / r.objects as f64;
        println!(
            "| {} | {:.2} s ({:.3} s) | {:.2} s | {} | {} | {:.2} | {:.3} s | {:.3} s | {:.2}x |",
            r.n,
            r.plan.as_secs_f64(),
            r.plan_span.as_secs_f64(),
            r.refresh.as_secs_f64(),
            r.refresh_requests,
            r.objects,
            per_object,
            r.refresh_span.as_secs_f64(),
            bound.as_secs_f64(),
            ratio
        );
        if r.n >= 300 {
            targets
                .push(format!("{} resources: {per_object:.2} reads per remote object at refresh (target <= 1.0)", r.n));
        }
    }
}

/// The healthy run against one where 20% of requests fail.
fn report_bad_network(rows: &[Row]) {
    let c = measure_chaos(300);
    let healthy = rows.iter().find(|r| r.n == c.n);
    println!("\n## A bad network day\n\n| {} resources | apply | requests | failed requests |\n|---|---|---|---|", c.n);
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

fn report_rate_limited(targets: &mut Vec<String>) {
    let l = measure_rate_limited(300);
    let at_limit = l.requests as f64 / 20.0;
    println!(
        "\n## Rate-limited vendors\n\nEvery emulator limits requests to 20 per second (a burst of 20, 429 with Retry-After \
         in whole seconds); latency 0; default max_retries. Terraform's -parallelism semaphore serves waiting \
         resources in the order they became ready (`internal/terraform/semaphore.go`, a Go channel): when one \
         provider's resources queue before another's, the vendors run one after the other and the floor is all \
         requests / 20 per second; when they queue mixed, it is the busiest vendor's requests / 20 per second. \
         Which happens is Terraform's timing, and varies from run to run.\n"
    );
    println!(
        "| resources | apply | requests | answered 429 | busiest vendor / limit | apply / busiest | all requests / limit | apply / all |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let busiest = l.busiest as f64 / 20.0;
    let apply = l.apply.as_secs_f64();
    println!(
        "| {} | {apply:.2} s | {} | {} ({:.1}%) | {busiest:.2} s | {:.2}x | {at_limit:.2} s | {:.2}x |",
        l.n,
        l.requests,
        l.limited,
        100.0 * l.limited as f64 / l.requests as f64,
        apply / busiest,
        apply / at_limit,
    );
    targets.push(format!(
        "rate-limited 300: {:.2}x of the busiest vendor's requests / limit (target 1.3x; reached only when Terraform \
         queues the vendors' resources mixed), {:.2}x of all requests / limit (the floor when it queues them one \
         vendor after another), {:.1}% answered 429 (target <= 5%)",
        apply / busiest,
        apply / at_limit,
        100.0 * l.limited as f64 / l.requests as f64
    ));
}
