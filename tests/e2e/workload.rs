//! The benchmark's workload, shared with the scenarios that measure it (`scripts/bench`, the
//! rate-limit scenario): `n` resources over the four provider types — the two singletons once
//! each, the rest split between ZITADEL factors (five per organization) and Akana businesses —
//! against fresh emulators.

use std::sync::Arc;
use std::time::Duration;

use mfa_providers::vendors::VENDORS;
use mfa_sandbox::{EmulatorApp, RunningEmulator, ServerOptions};
use mfa_sandbox::{akana, zitadel};

use crate::harness::{self, Provider};

pub struct Emulators {
    pub all: Vec<(&'static str, RunningEmulator)>,
    /// Distinct remote objects the resources live in: one org, one portal, one login policy per
    /// ZITADEL organization, one settings object per Akana business.
    pub objects: usize,
}

impl Emulators {
    pub fn requests(&self) -> Vec<mfa_sandbox::LoggedRequest> {
        self.all.iter().flat_map(|(_, e)| e.control.requests()).collect()
    }
    pub fn clear(&self) {
        for (_, e) in &self.all {
            e.control.clear_requests();
        }
    }
}

/// A configuration of `n` resources: the two singletons once each, the rest split between
/// ZITADEL factors (five per organization) and Akana businesses.
pub fn workload(n: usize, max_retries: u32, latency: Duration) -> (String, Emulators) {
    let opts = || ServerOptions { latency, ..Default::default() };
    let (rh, oo) = (n.min(1), usize::from(n >= 2));
    let rest = n - rh - oo;
    let (zi, ak) = (rest / 2, rest - rest / 2);
    let z = Arc::new(zitadel::ZitadelEmulator::new());
    let a = Arc::new(akana::AkanaEmulator::new());
    // Every provider type's emulator from the sandbox's registry; the two this workload seeds are
    // kept at hand.
    let seeded: [(&str, Arc<dyn EmulatorApp>); 2] = [("zitadel", z.clone()), ("akana", a.clone())];
    let all = VENDORS
        .iter()
        .map(|v| {
            let app = match seeded.iter().find(|(t, _)| *t == v.type_name) {
                Some((_, app)) => app.clone(),
                None => harness::new_emulator(v.type_name),
            };
            (v.type_name, harness::start_app(app, opts()))
        })
        .collect();
    let em = Emulators { all, objects: rh + oo + zi.div_ceil(5) + ak };
    let providers: Vec<Provider> =
        em.all.iter().map(|(_, e)| Provider::of(e).with("max_retries", max_retries)).collect();
    let mut cfg = harness::providers(&providers);
    if rh == 1 {
        cfg.push_str(
            "resource \"rhombus_mfa_settings\" \"org\" {\n  mfa_enabled = true\n  trusted_device_skip_days = 30\n}\n",
        );
    }
    if oo == 1 {
        cfg.push_str("resource \"onlyoffice_tfa_settings\" \"portal\" {\n  type = \"app\"\n}\n");
    }
    let factors = [
        ("multifactor", "MULTI_FACTOR_TYPE_U2F_WITH_VERIFICATION"),
        ("second_factor", "SECOND_FACTOR_TYPE_OTP"),
        ("second_factor", "SECOND_FACTOR_TYPE_U2F"),
        ("second_factor", "SECOND_FACTOR_TYPE_OTP_EMAIL"),
        ("second_factor", "SECOND_FACTOR_TYPE_OTP_SMS"),
    ];
    // Interleaved, as an estate's files would mix them: Terraform starts resources roughly in the
    // order it reads them, and one vendor first would leave the others idle.
    for i in 0..zi.max(ak) {
        if i < zi {
            let org = format!("9{:017}", i / factors.len());
            if i % factors.len() == 0 {
                z.add_org(&org, &format!("Bench {}", i / factors.len()), true);
            }
            let (kind, ty) = factors[i % factors.len()];
            cfg.push_str(&format!(
                "resource \"zitadel_login_{kind}\" \"z{i}\" {{\n  type = \"{ty}\"\n  org_id = \"{org}\"\n}}\n"
            ));
        }
        if i < ak {
            let b = format!("business.bench{i}");
            a.add_business(&b);
            cfg.push_str(&format!(
                "resource \"akana_twofa_settings\" \"a{i}\" {{\n  business_id = \"{b}\"\n  enabled = true\n}}\n"
            ));
        }
    }
    (cfg, em)
}
