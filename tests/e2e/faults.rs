//! The day a vendor has an incident: for every vendor, transient faults end in success after
//! retries, and persistent ones in exactly one clear error naming the vendor, the call and the
//! cause — never a panic, a hang, or a state claiming a write that did not happen.

use std::sync::Arc;

use mfa_sandbox::{Fault, FaultKind, RunningEmulator};
use mfa_sandbox::{akana, rhombus, zitadel};

use crate::harness::{self, Provider, Ws};

/// One vendor's minimal configuration for the matrix.
struct Target {
    /// The provider type.
    type_name: &'static str,
    /// The vendor's name as diagnostics say it.
    vendor: &'static str,
    /// The one resource the matrix applies and destroys.
    resource: String,
    /// Faults apply to requests whose path contains this (all requests when `None`).
    fault_path: Option<&'static str>,
    /// What the vendor's error envelope turns into.
    envelope: &'static [&'static str],
}

impl Target {
    /// The provider pointed at `emu`, with `settings` added, and the resource.
    fn config(&self, emu: &RunningEmulator, settings: &[(&str, u32)]) -> String {
        let provider = settings.iter().fold(Provider::of(emu), |p, (k, v)| p.with(k, v));
        provider.config() + &self.resource
    }
}

/// The matrix's target for a provider type; a type without one fails `every_vendor_has_a_target`.
fn target(type_name: &str) -> Option<Target> {
    Some(match type_name {
        "rhombus" => Target {
            type_name: "rhombus",
            vendor: "Rhombus",
            resource:
                "resource \"rhombus_mfa_settings\" \"x\" {\n  mfa_enabled = true\n  trusted_device_skip_days = 7\n}\n"
                    .into(),
            fault_path: None,
            envelope: &["Rhombus reported an error", "locked for maintenance"],
        },
        "zitadel" => Target {
            type_name: "zitadel",
            vendor: "ZITADEL",
            resource:
                "resource \"zitadel_login_second_factor\" \"x\" {\n  type = \"SECOND_FACTOR_TYPE_OTP_EMAIL\"\n}\n"
                    .into(),
            fault_path: None,
            envelope: &["ZITADEL error", "code 13", "EMU-1"],
        },
        "onlyoffice" => Target {
            type_name: "onlyoffice",
            vendor: "DocSpace",
            resource: "resource \"onlyoffice_tfa_settings\" \"x\" {\n  type = \"app\"\n}\n".into(),
            fault_path: None,
            envelope: &["DocSpace reported an error", "portal settings are being migrated"],
        },
        "akana" => Target {
            type_name: "akana",
            vendor: "Akana",
            resource: format!(
                "resource \"akana_twofa_settings\" \"x\" {{\n  business_id = \"{}\"\n  enabled = true\n}}\n",
                akana::ROOT_BUSINESS
            ),
            fault_path: Some("twofasettings"),
            envelope: &["Akana reported an error", "An error occurred processing the call"],
        },
        _ => return None,
    })
}

#[test]
fn every_vendor_has_a_target() {
    harness::every_vendor("tests/e2e/faults.rs", target);
}

fn fault(t: &Target, spec: &str) -> Fault {
    let mut f = Fault::parse(spec).unwrap();
    if let Some(p) = t.fault_path {
        f.path = Some(p.to_string());
    }
    f
}

/// No resource in state: nothing was claimed.
fn assert_nothing_claimed(ws: &Ws) {
    let s = ws.state();
    let n = s["values"]["root_module"]["resources"].as_array().map_or(0, Vec::len);
    assert_eq!(n, 0, "a failed create left state behind: {s}");
}

fn run_matrix(t: &Target) {
    let emu = harness::start_app(harness::new_emulator(t.type_name), Default::default());
    // Short timeouts keep the persistent-fault cases quick; transient ones use the defaults.
    let fast = [("timeout_seconds", 1), ("max_retries", 1)];
    let ws = Ws::new(&t.config(&emu, &[]));

    let transient: [(&str, Vec<&str>); 3] = [
        ("429 with Retry-After", vec!["status=429,times=1,retry_after=1"]),
        ("502/503/504 burst", vec!["status=502,times=1", "status=503,times=1", "status=504,times=1"]),
        ("connection reset", vec!["drop,times=1"]),
    ];
    for (name, specs) in transient {
        emu.control.clear_faults();
        for s in specs {
            emu.control.push_fault(fault(t, s));
        }
        let r = ws.apply();
        assert_eq!(r.code, 0, "{}: {name} should succeed after retries:\n{}", t.vendor, r.all());
        assert!(emu.control.requests().iter().any(|q| q.fault.is_some()), "{}: {name}: fault never hit", t.vendor);
        emu.control.clear_faults();
        ws.destroy().ok();
        emu.control.clear_requests();
    }

    ws.write(&t.config(&emu, &fast));
    let persistent: [(&str, &str, Vec<&str>); 5] = [
        (
            "rate limit that never lifts",
            "status=429,retry_after=1",
            vec!["API rate limit", "HTTP 429", "on all 2 attempts", "wait 1 s (Retry-After)", "max_retries = 1"],
        ),
        ("slow answer", "delay=2500", vec!["did not answer in time", "no answer within 1 s"]),
        ("malformed JSON", "malformed", vec!["Unexpected answer from the", "malformed JSON"]),
        ("proxy HTML page", "html=502", vec!["HTML page titled \"502 Bad Gateway\""]),
        ("error envelope", "envelope", t.envelope.to_vec()),
    ];
    for (name, spec, expect) in persistent {
        emu.control.clear_faults();
        emu.control.push_fault(fault(t, spec));
        let r = ws.apply();
        assert_ne!(r.code, 0, "{}: {name} must fail", t.vendor);
        let text = r.text();
        assert_eq!(
            text.matches("Error: ").count(),
            1,
            "{}: {name}: expected exactly one error:\n{}",
            t.vendor,
            r.all()
        );
        assert!(text.contains(t.vendor), "{}: {name}: the vendor must be named:\n{}", t.vendor, r.all());
        for e in expect {
            assert!(text.contains(e), "{}: {name}: expected {e:?}:\n{}", t.vendor, r.all());
        }
        // max_retries = 1: one attempt and one repeat, Retry-After included.
        let faulted = emu.control.requests().iter().filter(|q| q.fault.is_some()).count();
        assert!(faulted <= 2, "{}: {name}: {faulted} requests for max_retries = 1", t.vendor);
        emu.control.clear_requests();
        if name != "error envelope" {
            // The call is named by method and path.
            assert!(
                text.contains(" /api/") || text.contains(" /admin/") || text.contains(" /management/"),
                "{}: {name}: no call named:\n{}",
                t.vendor,
                r.all()
            );
        }
        emu.control.clear_faults();
        assert_nothing_claimed(&ws);
    }
}

#[test]
fn rhombus_faults() {
    run_matrix(&target("rhombus").unwrap());
}

#[test]
fn zitadel_faults() {
    run_matrix(&target("zitadel").unwrap());
}

#[test]
fn onlyoffice_faults() {
    run_matrix(&target("onlyoffice").unwrap());
}

#[test]
fn akana_faults() {
    run_matrix(&target("akana").unwrap());
}

/// Writes that fail with an unknown outcome are never blindly repeated: a ZITADEL add answered
/// with 504 (a gateway timeout: it may or may not have been applied) is followed by a read, and
/// only then by a second add.
#[test]
fn uncertain_zitadel_add_is_read_back_before_retrying() {
    let app = Arc::new(zitadel::ZitadelEmulator::new());
    let emu = harness::start(app.clone());
    let ws = Ws::new(&target("zitadel").unwrap().config(&emu, &[]));
    emu.control.push_fault(
        Fault::new(FaultKind::Status(504))
            .times(1)
            .on_method("POST")
            .on_path("/admin/v1/policies/login/second_factors$"),
    );
    ws.apply().ok();
    let calls: Vec<(String, u16)> = emu
        .control
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/admin/v1/policies/login"))
        .map(|r| (format!("{} {}", r.method, r.path), r.status))
        .collect();
    let first_add = calls.iter().position(|(c, _)| c == "POST /admin/v1/policies/login/second_factors").unwrap();
    assert_eq!(calls[first_add].1, 504);
    assert_eq!(calls[first_add + 1].0, "GET /admin/v1/policies/login", "must read back before re-adding: {calls:?}");
    assert_eq!(calls.iter().filter(|(c, s)| c.starts_with("POST") && *s == 200).count(), 1, "{calls:?}");
    assert!(app.instance_factors(zitadel::FactorList::Second).contains(&"SECOND_FACTOR_TYPE_OTP_EMAIL".to_string()));
}

/// A persistent 429 with `Retry-After: 1` on the one call a data source makes ends the plan after
/// `max_retries` + 1 requests; it used to be retried for as long as the limit lasted.
#[test]
fn a_rate_limit_that_never_lifts_ends_the_plan_within_max_retries() {
    let emu = harness::start(Arc::new(rhombus::RhombusEmulator::new()));
    emu.control.push_fault(Fault::parse("status=429,retry_after=1,path=/api/org/getOrgV2").unwrap());
    let config = Provider::of(&emu).with("max_retries", 2).config() + "data \"rhombus_mfa_settings\" \"org\" {}\n";
    let ws = Ws::new(&config);
    let started = std::time::Instant::now();
    ws.plan().fails_with(&[
        "Rhombus API rate limit",
        "POST /api/org/getOrgV2",
        "on all 3 attempts",
        "wait 1 s (Retry-After)",
        "Raise max_retries",
    ]);
    assert_eq!(emu.control.count("POST", "/api/org/getOrgV2"), 3);
    assert!(started.elapsed() < std::time::Duration::from_secs(30), "{:?}", started.elapsed());
}
