//! Rate-limited vendors under real Terraform: each emulator limits requests as a token bucket
//! (20 per second, a burst of 20, 429 with `Retry-After` in whole seconds, as Rhombus documents
//! its limit), and a 300-resource apply at Terraform's default parallelism must finish close to
//! the limits' own pace, with few 429s and no resource failing at the default `max_retries`: a
//! 429 slows every request to that host, and waiting out another request's back-off is not an
//! attempt.
//!
//! The limits' pace is the sum over vendors of requests / 20 per second, not the busiest vendor's
//! alone: Terraform's `-parallelism` is a channel semaphore (`internal/terraform/semaphore.go`,
//! taken in `graph_walk_context.go` `Execute`) that goroutines wait on in FIFO order once their
//! dependencies are done (`internal/dag/walk.go` `walkVertex`), so the resources of the provider
//! configured first take every slot, and while they wait on their vendor's limit the other
//! vendors' resources wait for slots.

use std::time::{Duration, Instant};

use mfa_sandbox::rate_limit::RateLimit;

use crate::harness::Ws;
use crate::workload::workload;

const LIMIT: RateLimit = RateLimit { per_second: 20.0, burst: 20.0 };

#[test]
fn a_300_resource_apply_keeps_to_each_vendors_rate_limit() {
    let (cfg, em) = workload(300, 3, Duration::ZERO);
    // Default max_retries: the workload's explicit 3 is the provider's default.
    let ws = Ws::new(&cfg);
    for (_, e) in &em.all {
        e.control.set_rate_limit(Some(LIMIT));
    }
    let started = Instant::now();
    ws.run(&["apply", "-auto-approve", "-input=false"]).ok().mentions(&["300 added"]);
    let took = started.elapsed();
    let requests = em.requests();
    let limited: usize = em.all.iter().map(|(_, e)| e.control.rate_limited()).sum();
    let busiest = em.all.iter().map(|(_, e)| e.control.requests().len()).max().unwrap();
    let pace = Duration::from_secs_f64(requests.len() as f64 / LIMIT.per_second);
    eprintln!(
        "rate-limited apply: {:.1} s for {} requests ({limited} answered 429) = {:.1} s at the limits; busiest vendor {busiest} requests = {:.1} s",
        took.as_secs_f64(),
        requests.len(),
        pace.as_secs_f64(),
        busiest as f64 / LIMIT.per_second
    );
    if std::env::var_os("RATE_LIMIT_DEBUG").is_some() {
        for (name, e) in &em.all {
            let r = e.control.requests();
            let mut per_s = std::collections::BTreeMap::new();
            for q in &r {
                *per_s.entry((q.start_us / 1_000_000, q.method.clone())).or_insert(0) += 1;
            }
            eprintln!("{name}: {} requests, per second {per_s:?}", r.len());
        }
    }
    assert!(
        limited as f64 <= 0.05 * requests.len() as f64,
        "{limited} of {} requests were answered 429",
        requests.len()
    );
    // Within 1.3x of the limits' pace (each vendor's first burst is free).
    assert!(
        took.as_secs_f64() <= 1.3 * pace.as_secs_f64(),
        "{:.1} s against {:.1} s at the limit",
        took.as_secs_f64(),
        pace.as_secs_f64()
    );
    for (_, e) in &em.all {
        e.control.set_rate_limit(None);
    }
    ws.assert_no_changes();
}
