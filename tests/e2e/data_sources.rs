//! The read-only data sources under Terraform 1.0.3 and a current Terraform, the compliance
//! examples (outputs for 1.0, `check` blocks for ≥ 1.5), and data-source errors.

use std::path::PathBuf;
use std::sync::Arc;

use mfa_sandbox::akana::{AkanaEmulator, ROOT_BUSINESS};
use mfa_sandbox::onlyoffice::{OnlyofficeEmulator, READ_ONLY_API_KEY};
use mfa_sandbox::rhombus::{
    CLIENT_ORG_UUID, DEMO_API_KEY, DEMO_ORG_UUID, FOREIGN_ORG_UUID, PARTNER_API_KEY, RhombusEmulator,
};
use mfa_sandbox::zitadel::FactorList::Multi;
use mfa_sandbox::zitadel::{CUSTOM_ORG, INHERITING_ORG, ZitadelEmulator};
use mfa_sandbox::{EmulatorApp, RunningEmulator};
use serde_json::{Value as J, json};

use crate::harness::{self, Ws, required_providers};

struct Vendors {
    rhombus: (Arc<RhombusEmulator>, RunningEmulator),
    akana: (Arc<AkanaEmulator>, RunningEmulator),
    zitadel: (Arc<ZitadelEmulator>, RunningEmulator),
    onlyoffice: (Arc<OnlyofficeEmulator>, RunningEmulator),
}

impl Vendors {
    fn start() -> Vendors {
        Vendors {
            rhombus: harness::started(RhombusEmulator::new()),
            akana: harness::started(AkanaEmulator::new()),
            zitadel: harness::started(ZitadelEmulator::new()),
            onlyoffice: harness::started(OnlyofficeEmulator::new()),
        }
    }

    /// The providers' settings as environment variables, as `mfa-sandbox --env-file` writes them;
    /// DocSpace with a read-only (`*:read`) API key: auditing needs no write access.
    fn env(&self) -> Vec<(String, String)> {
        let mut env = self.rhombus.0.sandbox_env(&self.rhombus.1.url());
        env.extend(self.akana.0.sandbox_env(&self.akana.1.url()));
        env.extend(self.zitadel.0.sandbox_env(&self.zitadel.1.url()));
        env.extend(self.onlyoffice.0.sandbox_env(&self.onlyoffice.1.url()));
        for (k, v) in &mut env {
            if k == "ONLYOFFICE_API_KEY" {
                *v = READ_ONLY_API_KEY.into();
            }
        }
        env
    }

    fn ws(&self, tf: PathBuf, config: &str) -> Ws {
        let env = self.env();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        Ws::with(tf, config, &env)
    }
}

/// Every data source of every provider type (checked: a type or data source missing here fails).
fn every_data_source() -> String {
    let config = required_providers(&mfa_providers::vendors::type_names())
        + &format!(
            r#"
data "rhombus_mfa_settings" "org" {{}}

data "akana_twofa_settings" "root" {{
  business_id = "{ROOT_BUSINESS}"
}}

data "zitadel_login_policy" "instance" {{}}

data "zitadel_login_policy" "payments" {{
  org_id = "{CUSTOM_ORG}"
}}

data "zitadel_login_policy" "labs" {{
  org_id = "{INHERITING_ORG}"
}}

data "onlyoffice_tfa_settings" "portal" {{}}

data "zitadel_lockout_policy" "labs" {{
  org_id = "{INHERITING_ORG}"
}}

data "onlyoffice_login_settings" "portal" {{}}

data "akana_login_settings" "root" {{
  business_id = "{ROOT_BUSINESS}"
}}

output "read" {{
  value = {{
    rhombus    = data.rhombus_mfa_settings.org
    akana      = data.akana_twofa_settings.root
    instance   = data.zitadel_login_policy.instance
    payments   = data.zitadel_login_policy.payments
    labs       = data.zitadel_login_policy.labs
    onlyoffice = data.onlyoffice_tfa_settings.portal
    lockout    = data.zitadel_lockout_policy.labs
    oo_login   = data.onlyoffice_login_settings.portal
    ak_login   = data.akana_login_settings.root
  }}
}}
"#
        );
    harness::every_vendor("data_sources::every_data_source", |t| {
        let p = (mfa_providers::vendors::find(t)?.provider)();
        let missing: Vec<&str> =
            p.data_source_types().into_iter().filter(|d| !config.contains(&format!("data \"{d}\""))).collect();
        assert!(missing.is_empty(), "every_data_source reads no {missing:?}");
        Some(())
    });
    config
}

fn output(ws: &Ws, name: &str) -> J {
    let r = ws.run(&["output", "-json", name]);
    r.ok();
    serde_json::from_str(&r.stdout).expect("output -json is JSON")
}

/// Reads every data source, checks what each returned against the emulators, and that a change
/// made at a vendor shows on the next run (data sources keep nothing between runs).
fn reads_every_vendor(tf: PathBuf) {
    let v = Vendors::start();
    v.rhombus.0.set_mfa(DEMO_ORG_UUID, true, 30);
    v.akana.0.set_out_of_band(ROOT_BUSINESS, "TwoFAEnabled", "true");
    v.onlyoffice.0.set_app_out_of_band(&["10.0.0.0/8"]);
    v.zitadel.0.set_instance_lockout(3, 2);
    let ws = v.ws(tf, &every_data_source());
    ws.apply().ok().mentions(&["0 added, 0 changed, 0 destroyed"]);
    let read = output(&ws, "read");

    assert_eq!(
        read["rhombus"],
        json!({"id": DEMO_ORG_UUID, "org_uuid": null, "mfa_enabled": true, "trusted_device_skip_days": 30})
    );
    let ak = &read["akana"];
    assert_eq!(
        (&ak["id"], &ak["enabled"], &ak["code_valid_seconds"], &ak["max_attempts"], &ak["recurrence_mode"]),
        (&json!(ROOT_BUSINESS), &json!(true), &json!(300), &json!(3), &json!("twofa.each.login"))
    );
    // Unset on the platform: null, not a made-up default.
    assert_eq!(ak["recurrence_interval_minutes"], J::Null);
    assert_eq!(
        read["instance"],
        json!({
            "id": "instance", "org_id": null, "inherits": false, "force_mfa": false, "force_mfa_local_only": false,
            "passwordless_type": "PASSWORDLESS_TYPE_ALLOWED", "user_login": true, "allow_external_idp": true,
            "multi_factors": ["MULTI_FACTOR_TYPE_U2F_WITH_VERIFICATION"],
            "second_factors": ["SECOND_FACTOR_TYPE_OTP", "SECOND_FACTOR_TYPE_U2F"],
            "mfa_init_skip_lifetime": "720h", "second_factor_check_lifetime": "18h", "multi_factor_check_lifetime": "12h"
        })
    );
    let payments = &read["payments"];
    assert_eq!(
        (&payments["inherits"], &payments["force_mfa"], &payments["second_factors"], &payments["multi_factors"]),
        (&json!(false), &json!(true), &json!(["SECOND_FACTOR_TYPE_OTP"]), &json!([]))
    );
    // An inheriting organization: the instance defaults it follows, flagged.
    let labs = &read["labs"];
    assert_eq!(
        (&labs["inherits"], &labs["force_mfa"], &labs["id"]),
        (&json!(true), &json!(false), &json!(INHERITING_ORG))
    );
    let oo = &read["onlyoffice"];
    assert_eq!(
        (&oo["type"], &oo["trusted_ips"], &oo["mandatory_users"], &oo["sms_available"]),
        (&json!("app"), &json!(["10.0.0.0/8"]), &json!([]), &json!(false))
    );

    assert_eq!(
        read["lockout"],
        json!({"id": INHERITING_ORG, "org_id": INHERITING_ORG, "inherits": true, "max_password_attempts": 3, "max_otp_attempts": 2})
    );
    assert_eq!(
        read["oo_login"],
        json!({"id": read["oo_login"]["id"], "attempt_count": 5, "block_time_seconds": 60, "check_period_seconds": 60, "is_default": true})
    );
    assert_eq!(
        (&read["ak_login"]["max_failed_attempts"], &read["ak_login"]["persistent_session"]),
        (&json!(0), &json!(true))
    );

    // Changed at the vendors: the next run reads the new values.
    v.rhombus.0.set_mfa(DEMO_ORG_UUID, false, 0);
    v.zitadel.0.set_instance_policy_field("forceMfa", json!(true));
    v.onlyoffice.0.set_login_settings(3, 900, 60);
    ws.apply().ok();
    let read = output(&ws, "read");
    assert_eq!((&read["oo_login"]["attempt_count"], &read["oo_login"]["is_default"]), (&json!(3), &json!(false)));
    assert_eq!(read["rhombus"]["mfa_enabled"], false);
    assert_eq!((&read["instance"]["force_mfa"], &read["labs"]["force_mfa"]), (&json!(true), &json!(true)));
    // Nothing was written anywhere.
    for (name, requests) in [
        ("rhombus", v.rhombus.1.control.requests()),
        ("zitadel", v.zitadel.1.control.requests()),
        ("onlyoffice", v.onlyoffice.1.control.requests()),
    ] {
        assert!(requests.iter().all(|r| r.method == "GET" || r.path.ends_with("getOrgV2")), "{name}: {requests:?}");
    }
    let akana = v.akana.1.control.requests();
    assert!(akana.iter().all(|r| r.method == "GET" || r.path == "/api/login"), "{akana:?}");
}

#[test]
fn every_data_source_reads_under_terraform_1_0() {
    reads_every_vendor(harness::terraform());
}

#[test]
fn every_data_source_reads_under_current_terraform() {
    let Some(tf) = harness::terraform_current() else {
        harness::skip(
            "data_sources::every_data_source_reads_under_current_terraform",
            "no TERRAFORM_CURRENT (a current Terraform on PATH or in TERRAFORM_CURRENT)",
        );
        return;
    };
    reads_every_vendor(tf);
}

#[test]
fn data_source_errors_name_the_attribute() {
    let v = Vendors::start();
    let config = |zitadel_org: &str, business: &str| {
        required_providers(&["akana", "zitadel"])
            + &format!(
                "data \"zitadel_login_policy\" \"org\" {{\n  org_id = \"{zitadel_org}\"\n}}\ndata \"akana_twofa_settings\" \"b\" {{\n  business_id = \"{business}\"\n}}\n"
            )
    };
    let ws = v.ws(harness::terraform(), &config("", ROOT_BUSINESS));
    ws.run(&["validate"]).fails_with(&["org_id", "must not be empty"]);

    v.zitadel.0.remove_org(CUSTOM_ORG);
    ws.write(&config(CUSTOM_ORG, "tenantbusiness.nosuchbusiness"));
    ws.apply().fails_with(&[
        &format!("Organization {CUSTOM_ORG} does not exist"),
        "data.zitadel_login_policy.org",
        "Akana business not found",
        "business_id",
    ]);
}

/// With a partner key the Rhombus data source reads a client organization through `x-auth-org`;
/// an organization key reads only its own.
#[test]
fn rhombus_data_source_reads_a_client_organization_with_a_partner_key() {
    let (app, emu) = harness::started(RhombusEmulator::new());
    app.set_mfa(CLIENT_ORG_UUID, true, 7);
    // Literal: the key and its scheme are what the scenario is about.
    let config = |key: &str, org: &str| {
        let scheme = if key == PARTNER_API_KEY { "partner-api-token" } else { "api-token" };
        format!(
            "{}provider \"rhombus\" {{\n  endpoint = \"{}\"\n  api_key = \"{key}\"\n  auth_scheme = \"{scheme}\"\n}}\ndata \"rhombus_mfa_settings\" \"client\" {{\n  org_uuid = \"{org}\"\n}}\noutput \"client\" {{\n  value = data.rhombus_mfa_settings.client\n}}\n",
            required_providers(&["rhombus"]),
            emu.url()
        )
    };
    let ws = Ws::new(&config(PARTNER_API_KEY, CLIENT_ORG_UUID));
    ws.apply().ok();
    assert_eq!(
        output(&ws, "client"),
        json!({"id": CLIENT_ORG_UUID, "org_uuid": CLIENT_ORG_UUID, "mfa_enabled": true, "trusted_device_skip_days": 7})
    );
    assert!(emu.control.requests().iter().all(|r| r.method == "POST" && r.path == "/api/org/getOrgV2"));

    ws.write(&config(PARTNER_API_KEY, FOREIGN_ORG_UUID));
    ws.apply().fails_with(&["The partner key has no access to this client organization", "org_uuid"]);
    ws.write(&config(DEMO_API_KEY, CLIENT_ORG_UUID));
    ws.apply().fails_with(&["org_uuid is not the API key's organization", DEMO_ORG_UUID]);
}

fn example(rel: &str) -> String {
    std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).unwrap()
}

/// `examples/compliance/outputs` (Terraform 1.0): the outputs list what does not comply.
#[test]
fn compliance_outputs_under_terraform_1_0() {
    let v = Vendors::start();
    let ws = v.ws(harness::terraform(), &example("examples/compliance/outputs/main.tf"));
    ws.apply().ok();
    assert_eq!(output(&ws, "zitadel_orgs_not_forcing_mfa"), json!([INHERITING_ORG]));
    assert_eq!(output(&ws, "akana_businesses_without_2fa"), json!([ROOT_BUSINESS]));
    assert_eq!(output(&ws, "zitadel_orgs_not_locking_out_guessed_codes"), json!([CUSTOM_ORG, INHERITING_ORG]));
    assert_eq!(output(&ws, "docspace_attempt_count"), json!(5));
    assert_eq!(output(&ws, "compliant"), json!(false));

    // The inheriting organization follows the instance defaults.
    v.zitadel.0.set_instance_policy_field("forceMfa", json!(true));
    v.zitadel.0.set_instance_lockout(5, 3);
    v.zitadel.0.set_org_lockout(CUSTOM_ORG, Some((5, 3)));
    v.akana.0.set_out_of_band(ROOT_BUSINESS, "TwoFAEnabled", "true");
    ws.apply().ok();
    assert_eq!(output(&ws, "zitadel_orgs_not_forcing_mfa"), json!([]));
    assert_eq!(output(&ws, "zitadel_orgs_not_locking_out_guessed_codes"), json!([]));
    assert_eq!(output(&ws, "compliant"), json!(true));
    // Ten failed DocSpace logins are too many.
    v.onlyoffice.0.set_login_settings(10, 60, 60);
    ws.apply().ok();
    assert_eq!(output(&ws, "compliant"), json!(false));
}

/// `examples/compliance/checks` (Terraform ≥ 1.5): a failing assertion is a warning naming what
/// does not comply; the plan still succeeds.
#[test]
fn compliance_checks_warn_under_current_terraform() {
    let Some(tf) = harness::terraform_current() else {
        harness::skip(
            "data_sources::compliance_checks_warn_under_current_terraform",
            "no TERRAFORM_CURRENT (a current Terraform on PATH or in TERRAFORM_CURRENT)",
        );
        return;
    };
    let v = Vendors::start();
    v.akana.0.set_out_of_band(ROOT_BUSINESS, "TwoFAEnabled", "true");
    let ws = v.ws(tf, &example("examples/compliance/checks/main.tf"));
    let plan = ws.run(&["plan", "-input=false"]);
    plan.ok().mentions(&[
        "Warning: Check block assertion failed",
        &format!("ZITADEL organizations that do not force MFA: {INHERITING_ORG}."),
        // The custom organization forces MFA but allows no passkeys.
        &format!("ZITADEL organizations without passkeys: {CUSTOM_ORG}."),
        &format!("ZITADEL organizations whose max_otp_attempts is not between 1 and 5: {CUSTOM_ORG} (0), {INHERITING_ORG} (0)."),
    ]);
    assert!(!plan.text().contains("DocSpace allows"), "{}", plan.all());
    assert!(!plan.text().contains("Akana businesses without 2FA"), "{}", plan.all());

    v.zitadel.0.set_instance_policy_field("forceMfa", json!(true));
    v.zitadel.0.add_out_of_band(CUSTOM_ORG, Multi, "MULTI_FACTOR_TYPE_U2F_WITH_VERIFICATION");
    v.zitadel.0.set_instance_lockout(5, 3);
    v.zitadel.0.set_org_lockout(CUSTOM_ORG, Some((5, 3)));
    let plan = ws.run(&["plan", "-input=false"]);
    plan.ok();
    assert!(!plan.text().contains("Check block assertion failed"), "{}", plan.all());
}

/// `required_version` keeps Terraform before 1.5 from misreading the `check` variant.
#[test]
fn the_checks_variant_refuses_terraform_1_0() {
    if harness::cli_version(&harness::terraform()) >= (1, 5) {
        harness::skip(
            "data_sources::the_checks_variant_refuses_terraform_1_0",
            "the scenarios' CLI is 1.5 or later, which runs `check` blocks (tested above)",
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.tf"), example("examples/compliance/checks/main.tf")).unwrap();
    let out = std::process::Command::new(harness::terraform())
        .args(["validate", "-no-color"])
        .current_dir(dir.path())
        .env("CHECKPOINT_DISABLE", "1")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{text}");
    // Terraform 1.0 stops at the block it does not know, before even checking required_version.
    assert!(
        text.contains("Unsupported Terraform Core version")
            || text.contains("Blocks of type \"check\" are not expected here"),
        "{text}"
    );
}
