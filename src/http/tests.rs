//! The HTTP client against a tiny emulated API: retries, budgets, faults that persist.

use std::time::{Duration, Instant};

use http::Method;
use http::header::{HeaderMap, HeaderValue, RETRY_AFTER};
use tokio_util::sync::CancellationToken;
use url::Url;

use super::*;
use crate::plugin::diag::ToDiagnostic;

#[test]
fn retry_after_accepts_seconds_and_dates() {
    let mut h = HeaderMap::new();
    h.insert(RETRY_AFTER, HeaderValue::from_static("7"));
    assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
    let later = std::time::SystemTime::now() + Duration::from_secs(120);
    h.insert(RETRY_AFTER, HeaderValue::from_str(&httpdate::fmt_http_date(later)).unwrap());
    let d = retry_after(&h).unwrap();
    assert!(d > Duration::from_secs(100) && d <= Duration::from_secs(120), "{d:?}");
    h.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
    assert_eq!(retry_after(&h), None);
}

#[test]
fn html_pages_are_described_not_dumped() {
    let mut h = HeaderMap::new();
    h.insert(http::header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
    let d = describe_body(&h, b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>", "x");
    assert!(d.contains("\"502 Bad Gateway\""), "{d}");
    assert!(!d.contains("nginx"));
}

/// A tiny API for exercising the client: `GET /ok` and `POST /write` answer `{"ok":true}`.
pub(super) struct Echo;

impl mfa_sandbox::EmulatorApp for Echo {
    fn vendor(&self) -> &'static str {
        "Echo"
    }
    fn router(self: std::sync::Arc<Self>) -> mfa_sandbox::axum::Router {
        use mfa_sandbox::axum;
        let ok = || async { axum::Json(serde_json::json!({"ok": true})) };
        axum::Router::new().route("/ok", axum::routing::get(ok)).route("/write", axum::routing::post(ok))
    }
    fn error_envelope(&self) -> (u16, String) {
        (200, "{}".into())
    }
    fn summary(&self) -> serde_json::Value {
        serde_json::Value::Null
    }
    fn sandbox_env(&self, _: &str) -> Vec<(String, String)> {
        vec![]
    }
}

async fn echo(tls: bool) -> mfa_sandbox::RunningEmulator {
    let opts = mfa_sandbox::ServerOptions { tls, ..Default::default() };
    mfa_sandbox::start(std::sync::Arc::new(Echo), opts).await.unwrap()
}

fn client(settings: HttpSettings) -> HttpClient {
    let mut c = HttpClient::new("Echo", "echo", "1.0.3", settings).unwrap();
    c.min_backoff = Duration::from_millis(10);
    c
}

fn url(e: &mfa_sandbox::RunningEmulator, path: &str) -> Url {
    Url::parse(&e.url()).unwrap().join(path).unwrap()
}

#[tokio::test]
async fn honours_retry_after_and_gives_up_on_long_waits() {
    let e = echo(false).await;
    e.control.push_fault(mfa_sandbox::Fault::status(429).times(1).retry_after("1"));
    let c = client(HttpSettings::default());
    let started = Instant::now();
    let r = c.send(&Call::get(url(&e, "/ok")), &CancellationToken::new()).await.unwrap();
    assert_eq!(r.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(950), "waited only {:?}", started.elapsed());
    assert!(e.control.requests()[0].user_agent.starts_with("terraform-provider-echo/"));

    // A Retry-After beyond the cap (a daily quota) ends the call at once, with a clear error.
    e.control.push_fault(mfa_sandbox::Fault::status(429).times(1).retry_after("86400"));
    let started = Instant::now();
    let err = c.send(&Call::get(url(&e, "/ok")), &CancellationToken::new()).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(matches!(err, HttpError::RateLimited { attempts: 1, .. }), "{err:?}");
    assert!(err.detail().contains("quota"), "{}", err.detail());
}

/// A rate limit that never lifts: `max_retries` bounds the attempts, `Retry-After` included, and
/// the error names the vendor, the call, the attempts, the last Retry-After and what to change.
#[tokio::test]
async fn a_persistent_rate_limit_ends_within_the_budget() {
    let e = echo(false).await;
    e.control.push_fault(mfa_sandbox::Fault::status(429).retry_after("1").on_path("/ok"));
    let only_once = client(HttpSettings { max_retries: 0, env_prefix: "ECHO".into(), ..Default::default() });
    let err = only_once.send(&Call::get(url(&e, "/ok")), &CancellationToken::new()).await.unwrap_err();
    assert_eq!(e.control.count("GET", "/ok"), 1, "max_retries = 0 is exactly one attempt");
    let d = err.detail();
    for part in ["Echo", "GET /ok", "only attempt", "wait 1 s (Retry-After)", "max_retries = 0", "ECHO_MAX_RETRIES"] {
        assert!(d.contains(part), "{part:?} missing in {d}");
    }
    let twice = client(HttpSettings { max_retries: 2, ..Default::default() });
    let started = Instant::now();
    let err = twice.send(&Call::new(Method::POST, url(&e, "/ok")), &CancellationToken::new()).await.unwrap_err();
    assert_eq!(e.control.count("POST", "/ok"), 3, "1 + max_retries attempts, even for a write (429 never landed)");
    assert!(started.elapsed() >= Duration::from_secs(2), "each repeat waited out Retry-After");
    assert!(matches!(err, HttpError::RateLimited { attempts: 3, .. }), "{err:?}");
    assert!(err.is_transient() && !err.may_have_landed());
}

/// Gateway errors and broken connections that persist: reads are repeated exactly
/// `max_retries` times; the last gateway answer goes to the vendor code, a broken connection is
/// an error naming the attempts.
#[tokio::test]
async fn persistent_gateway_errors_and_drops_end_within_the_budget() {
    let e = echo(false).await;
    let c = client(HttpSettings { max_retries: 2, ..Default::default() });
    e.control.push_fault(mfa_sandbox::Fault::status(503).retry_after("0").on_path("/ok"));
    let r = c.send(&Call::get(url(&e, "/ok")), &CancellationToken::new()).await.unwrap();
    assert_eq!((r.status.as_u16(), e.control.count("GET", "/ok")), (503, 3));
    e.control.clear_faults();
    e.control.clear_requests();
    e.control.push_fault(mfa_sandbox::Fault::new(mfa_sandbox::FaultKind::Drop).on_path("/ok"));
    let err = c.send(&Call::get(url(&e, "/ok")), &CancellationToken::new()).await.unwrap_err();
    assert_eq!(e.control.count("GET", "/ok"), 3);
    assert!(err.to_string().contains("3 attempt(s)"), "{err}");
}

/// A change and the reads that verify it share one budget: a write whose answers are always
/// lost, verified by a read that always fails, sends at most `max_retries` + 2 requests in all
/// (the write, its first read-back, and the repeats).
#[tokio::test]
async fn a_change_and_its_read_backs_share_one_budget() {
    let e = echo(false).await;
    e.control.push_fault(mfa_sandbox::Fault::new(mfa_sandbox::FaultKind::Drop).on_path("/write"));
    e.control.push_fault(mfa_sandbox::Fault::status(503).on_path("/ok"));
    for max_retries in [0, 3] {
        e.control.clear_requests();
        let c = client(HttpSettings { max_retries, ..Default::default() });
        let cancel = CancellationToken::new();
        let out: Result<Wrote<()>, VerifyErr> = c
            .write_verified(
                "POST /write",
                &cancel,
                || async {
                    c.send(&Call::new(Method::POST, url(&e, "/write")), &cancel)
                        .await
                        .map(|_| ())
                        .map_err(VerifyErr::Http)
                },
                || async {
                    let r = c.send(&Call::get(url(&e, "/ok")), &cancel).await.map_err(VerifyErr::Http)?;
                    if r.status.is_success() { Ok(true) } else { Err(VerifyErr::Gateway) }
                },
            )
            .await;
        let sent = e.control.requests().len() as u32;
        assert!(matches!(&out, Err(VerifyErr::Unknown(u)) if u.call == "POST /write"), "{out:?}");
        assert_eq!(sent, max_retries + 2, "max_retries = {max_retries}: {:?}", e.control.requests());
    }
}

#[derive(Debug)]
enum VerifyErr {
    Http(HttpError),
    Gateway,
    Unknown(OutcomeUnknown),
}
impl std::fmt::Display for VerifyErr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}
impl Uncertain for VerifyErr {
    fn may_have_landed(&self) -> bool {
        match self {
            VerifyErr::Http(e) => e.may_have_landed(),
            VerifyErr::Gateway => true,
            VerifyErr::Unknown(_) => false,
        }
    }
    fn is_transient(&self) -> bool {
        match self {
            VerifyErr::Http(e) => e.is_transient(),
            VerifyErr::Gateway => true,
            VerifyErr::Unknown(_) => false,
        }
    }
}
impl From<OutcomeUnknown> for VerifyErr {
    fn from(e: OutcomeUnknown) -> Self {
        VerifyErr::Unknown(e)
    }
}

/// TLS failures are not retried and say "certificate" / "TLS" with the CA option to use.
#[tokio::test]
async fn tls_failures_are_not_retried_and_name_the_ca_option() {
    let slow_retries = |c: &mut HttpClient| c.min_backoff = Duration::from_secs(5);
    // A self-signed certificate nobody told us to trust.
    let e = echo(true).await;
    let mut c = client(HttpSettings { max_retries: 5, env_prefix: "ECHO".into(), ..Default::default() });
    slow_retries(&mut c);
    let started = Instant::now();
    let err = c.send(&Call::get(url(&e, "/ok")), &CancellationToken::new()).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2), "a TLS failure was retried");
    assert!(matches!(err, HttpError::Tls { .. }), "{err:?}");
    assert!(err.summary().contains("TLS certificate"), "{}", err.summary());
    assert!(err.detail().contains("ca_cert_pem (or ECHO_CA_CERT_PEM)"), "{}", err.detail());
    assert!(err.to_string().to_lowercase().contains("certificate"), "{err}");
    // https:// spoken to a plain-http port.
    let plain = echo(false).await;
    let mut tls_url = url(&plain, "/ok");
    tls_url.set_scheme("https").unwrap();
    let started = Instant::now();
    let err = c.send(&Call::get(tls_url), &CancellationToken::new()).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2), "a TLS failure was retried");
    assert!(matches!(err, HttpError::Tls { .. }), "{err:?}");
    assert!(plain.control.requests().is_empty());
}

#[tokio::test]
async fn writes_that_may_have_landed_are_not_retried_blindly() {
    let e = echo(false).await;
    let c = client(HttpSettings::default());
    let write = || Call::new(Method::POST, url(&e, "/write"));
    e.control.push_fault(mfa_sandbox::Fault::status(503).times(1));
    assert_eq!(c.send(&write(), &CancellationToken::new()).await.unwrap().status, 503);
    assert_eq!(e.control.count("POST", "/write"), 1, "a non-idempotent 503 must not be resent");
    // A 429 was rejected before processing: safe to retry even for a write.
    e.control.push_fault(mfa_sandbox::Fault::status(429).times(1));
    assert_eq!(c.send(&write(), &CancellationToken::new()).await.unwrap().status, 200);
    // A dropped connection after sending: the write may have landed, so no retry...
    e.control.push_fault(mfa_sandbox::Fault::new(mfa_sandbox::FaultKind::Drop).times(1));
    let err = c.send(&write(), &CancellationToken::new()).await.unwrap_err();
    assert!(err.may_have_landed(), "{err}");
    assert_eq!(err.summary(), "Connection to the Echo API broke");
    // ...while an idempotent read is retried through the same fault.
    e.control.push_fault(mfa_sandbox::Fault::new(mfa_sandbox::FaultKind::Drop).times(2));
    assert_eq!(c.send(&Call::get(url(&e, "/ok")), &CancellationToken::new()).await.unwrap().status, 200);
}

/// What a scripted remote answers to one attempt.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Step {
    Ok,
    /// Applied, answer lost.
    Lost,
    /// Not applied, connection dropped.
    Dropped,
    /// A definite refusal (4xx).
    Refused,
}

#[derive(Debug)]
enum TestErr {
    Uncertain,
    Refused,
    Unknown(OutcomeUnknown),
}

impl std::fmt::Display for TestErr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}
impl Uncertain for TestErr {
    fn may_have_landed(&self) -> bool {
        matches!(self, TestErr::Uncertain)
    }
    fn is_transient(&self) -> bool {
        matches!(self, TestErr::Uncertain)
    }
}
impl From<OutcomeUnknown> for TestErr {
    fn from(e: OutcomeUnknown) -> Self {
        TestErr::Unknown(e)
    }
}

/// Runs `write_verified` against a remote that answers writes by `writes` and read-backs by
/// `reads` (true = the read itself fails); returns the outcome, how often the change was
/// applied, and how many writes were sent.
async fn scripted(max_retries: u32, writes: &[Step], reads: &[bool]) -> (Result<Wrote<()>, TestErr>, u32, usize) {
    let c = client(HttpSettings { max_retries, ..Default::default() });
    let (applied, w, r) = (std::cell::Cell::new(0u32), std::cell::Cell::new(0usize), std::cell::Cell::new(0usize));
    let (applied_ref, w, r) = (&applied, &w, &r);
    let out = c
        .write_verified(
            "POST /things",
            &CancellationToken::new(),
            move || async move {
                let applied = applied_ref;
                let step = writes.get(w.get()).copied().unwrap_or(Step::Ok);
                w.set(w.get() + 1);
                match step {
                    Step::Ok => {
                        applied.set(applied.get() + 1);
                        Ok(())
                    }
                    Step::Lost => {
                        applied.set(applied.get() + 1);
                        Err(TestErr::Uncertain)
                    }
                    Step::Dropped => Err(TestErr::Uncertain),
                    Step::Refused => Err(TestErr::Refused),
                }
            },
            move || async move {
                let fails = reads.get(r.get()).copied().unwrap_or(false);
                r.set(r.get() + 1);
                if fails { Err(TestErr::Uncertain) } else { Ok(applied_ref.get() > 0) }
            },
        )
        .await;
    (out, applied.get(), w.get())
}

#[tokio::test]
async fn uncertain_writes_are_read_back_and_never_resent_blindly() {
    // A lost answer: the read-back finds the change, nothing is sent again.
    let (out, applied, sent) = scripted(3, &[Step::Lost], &[]).await;
    assert_eq!((out.unwrap(), applied, sent), (Wrote::Confirmed, 1, 1));
    // Dropped twice (not applied), then answered: sent three times, applied once.
    let (out, applied, sent) = scripted(3, &[Step::Dropped, Step::Dropped, Step::Ok], &[]).await;
    assert_eq!((out.unwrap(), applied, sent), (Wrote::Answered(()), 1, 3));
    // Dropped, a failing read-back retried, then a lost answer confirmed by reading.
    let (out, applied, sent) = scripted(3, &[Step::Dropped, Step::Lost], &[true, false, false]).await;
    assert_eq!((out.unwrap(), applied, sent), (Wrote::Confirmed, 1, 2));
    // A definite refusal ends at once.
    let (out, _, sent) = scripted(3, &[Step::Refused], &[]).await;
    assert!(matches!(out, Err(TestErr::Refused)) && sent == 1);
}

#[tokio::test]
async fn the_budget_bounds_writes_and_read_backs() {
    // Never applied: 1 + max_retries sends, then the (now certain) failure.
    let (out, applied, sent) = scripted(2, &[Step::Dropped; 5], &[]).await;
    assert!(matches!(out, Err(TestErr::Uncertain)) && applied == 0 && sent == 3, "{out:?} {sent}");
    // The read-back keeps failing: the outcome is unknown, and said so with the call.
    let (out, applied, sent) = scripted(2, &[Step::Lost], &[true; 5]).await;
    let Err(TestErr::Unknown(e)) = out else { panic!("{out:?}") };
    assert_eq!((applied, sent), (1, 1));
    assert!(e.to_string().contains("POST /things") && e.summary().contains("unknown"), "{e}");
    assert!(e.detail().contains("terraform apply"), "{}", e.detail());
    // max_retries = 0 still reads back once after a lost answer.
    let (out, _, sent) = scripted(0, &[Step::Lost], &[]).await;
    assert_eq!((out.unwrap(), sent), (Wrote::Confirmed, 1));
}

#[tokio::test]
async fn connection_refused_is_retried_then_reported_with_the_call() {
    let e = echo(false).await;
    let dead = url(&e, "/ok");
    drop(e);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let c = client(HttpSettings { max_retries: 2, ..Default::default() });
    let err = c.send(&Call::new(Method::POST, dead), &CancellationToken::new()).await.unwrap_err();
    let text = err.to_string();
    assert!(text.contains("POST /ok") && text.contains("3 attempt(s)"), "{text}");
    assert!(!err.may_have_landed());
}

#[tokio::test]
async fn timeouts_and_cancellation() {
    let e = echo(false).await;
    e.control.push_fault(mfa_sandbox::Fault::parse("delay=3000").unwrap());
    let c = client(HttpSettings { timeout: Duration::from_secs(1), max_retries: 0, ..Default::default() });
    let err = c.send(&Call::get(url(&e, "/ok")), &CancellationToken::new()).await.unwrap_err();
    assert!(matches!(err, HttpError::Transport { timed_out: true, .. }), "{err}");
    let cancel = CancellationToken::new();
    let c2 = client(HttpSettings::default());
    let call = Call::get(url(&e, "/ok"));
    let started = Instant::now();
    let (r, _) = tokio::join!(c2.send(&call, &cancel), async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        cancel.cancel();
    });
    assert!(matches!(r, Err(HttpError::Cancelled { .. })));
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn extra_ca_is_trusted_and_insecure_mode_skips_verification() {
    let e = echo(true).await;
    let u = url(&e, "/ok");
    let plain = client(HttpSettings { max_retries: 0, ..Default::default() });
    let err = plain.send(&Call::get(u.clone()), &CancellationToken::new()).await.unwrap_err();
    assert!(matches!(err, HttpError::Tls { .. }), "{err:?}");
    let with_ca = client(HttpSettings { ca_cert_pem: e.tls_cert_pem.clone(), ..Default::default() });
    assert_eq!(with_ca.send(&Call::get(u.clone()), &CancellationToken::new()).await.unwrap().status, 200);
    let insecure = client(HttpSettings { insecure_skip_verify: true, ..Default::default() });
    assert_eq!(insecure.send(&Call::get(u), &CancellationToken::new()).await.unwrap().status, 200);
}
