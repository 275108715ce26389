//! The policy modules (`modules/policy/<vendor>`) and `examples/policy`, under a current CLI
//! against the sandbox: `terraform test` applies the example and checks what each vendor holds
//! through the data sources; then the example applies and a second plan is empty (a test file
//! cannot assert that). The modules need Terraform 1.8 (provider functions).

use std::path::{Path, PathBuf};

use mfa_providers::vendors::VENDORS;
use mfa_sandbox::sandbox::{Options, Sandbox};
use mfa_sandbox::zitadel::CUSTOM_ORG;

use crate::harness::{self, Provider, Ws, copy_tree, providers};

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// A workspace holding `config` beside a copy of `modules/`, and of the example's tests.
fn workspace(cli: PathBuf, config: &str, env: &[(String, String)], with_tests: bool) -> Ws {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    Ws::prepared(cli, &config.replace("../../modules/", "./modules/"), &env, |dir| {
        copy_tree(&repo("modules"), &dir.join("modules"));
        if with_tests {
            copy_tree(&repo("examples/policy/tests"), &dir.join("tests"));
        }
    })
}

#[test]
fn the_policy_example_passes_terraform_test_and_then_applies_with_an_empty_second_plan() {
    let Some(cli) = harness::cli_where(|c| c.version >= (1, 8)) else {
        harness::skip(
            "policy::the_policy_example_passes_terraform_test_and_then_applies_with_an_empty_second_plan",
            "the policy modules need Terraform or OpenTofu 1.8 or later (provider functions); set TERRAFORM or TERRAFORM_CURRENT",
        );
        return;
    };
    let sandbox = harness::rt().block_on(Sandbox::start(&Options::default())).unwrap();
    let config = std::fs::read_to_string(repo("examples/policy/main.tf")).unwrap();
    let ws = workspace(cli.path.clone(), &config, &sandbox.env(), true);
    ws.run(&["test"]).ok().mentions(&["2 passed, 0 failed"]);
    ws.apply().ok();
    ws.assert_no_changes();
    let unsupported: serde_json::Value =
        serde_json::from_str(&ws.run(&["output", "-json", "unsupported"]).ok().text()).unwrap();
    for vendor in VENDORS.iter().map(|v| v.type_name) {
        if vendor == "zitadel" {
            assert_eq!(unsupported["zitadel"], serde_json::json!({}));
        } else {
            assert!(unsupported[vendor]["passkeys"].is_string(), "{vendor}: {unsupported}");
        }
    }
}

/// An attribute the policy leaves unset leaves the vendor's value as it is: ZITADEL's force_mfa
/// (true in the custom organization) and Rhombus's mfa_enabled are written back as read, while the
/// set attribute changes. And a second factor the vendor does not know fails at validate.
#[test]
fn unset_policy_attributes_leave_the_vendors_values() {
    let Some(cli) = harness::cli_where(|c| c.version >= (1, 8)) else {
        harness::skip(
            "policy::unset_policy_attributes_leave_the_vendors_values",
            "the policy modules need Terraform or OpenTofu 1.8 or later; set TERRAFORM or TERRAFORM_CURRENT",
        );
        return;
    };
    let sandbox = harness::rt().block_on(Sandbox::start(&Options::default())).unwrap();
    let config = providers(&[Provider::from_env("rhombus"), Provider::from_env("zitadel")])
        + &format!(
            r#"
module "rhombus" {{
  source = "../../modules/policy/rhombus"
  policy = {{ trusted_device_days = 0 }}
}}

module "zitadel" {{
  source  = "../../modules/policy/zitadel"
  policy  = {{ trusted_device_days = 7 }}
  org_ids = ["{CUSTOM_ORG}"]
}}

data "zitadel_login_policy" "payments" {{
  org_id     = "{CUSTOM_ORG}"
  depends_on = [module.zitadel]
}}

data "rhombus_mfa_settings" "org" {{
  depends_on = [module.rhombus]
}}

output "held" {{
  value = [data.zitadel_login_policy.payments.force_mfa, data.zitadel_login_policy.payments.second_factor_check_lifetime, data.rhombus_mfa_settings.org.mfa_enabled, data.rhombus_mfa_settings.org.trusted_device_skip_days]
}}
"#
        );
    let ws = workspace(cli.path.clone(), &config, &sandbox.env(), false);
    ws.apply().ok();
    let held: serde_json::Value = serde_json::from_str(&ws.run(&["output", "-json", "held"]).ok().text()).unwrap();
    // Both as they were: the custom organization forces MFA, the sandbox's Rhombus organization has MFA on.
    assert_eq!(held, serde_json::json!([true, "168h", true, 0]));
    ws.assert_no_changes();

    ws.write(
        &config
            .replace("../../modules/", "./modules/")
            .replace("policy  = { trusted_device_days = 7 }", "policy  = { second_factors = [\"yubikey\"] }"),
    );
    ws.run(&["validate"]).fails_with(&["policy.second_factors", "security_key"]);
}

/// A portal adopted into the DocSpace policy module — by import, or by `moved` from a resource of
/// its own — plans no changes: the module writes the portal's lists back as `[]` when they are
/// empty, and an empty list is one value whether it was null or `[]`.
#[test]
fn a_docspace_portal_moved_or_imported_into_the_policy_module_plans_no_changes() {
    use mfa_sandbox::EmulatorApp;
    use mfa_sandbox::onlyoffice::OnlyofficeEmulator;
    let Some(cli) = harness::cli_where(|c| c.version >= (1, 8)) else {
        harness::skip(
            "policy::a_docspace_portal_moved_or_imported_into_the_policy_module_plans_no_changes",
            "the policy modules need Terraform or OpenTofu 1.8 or later; set TERRAFORM or TERRAFORM_CURRENT",
        );
        return;
    };
    let (app, emu) = harness::started(OnlyofficeEmulator::new());
    app.set_app_out_of_band(&[]);
    let env = app.sandbox_env(&emu.url());
    let module = Provider::from_env("onlyoffice").config()
        + "module \"docspace\" {\n  source = \"./modules/policy/onlyoffice\"\n  policy = { require_mfa = true }\n}\n";
    let imported = workspace(cli.path.clone(), &module, &env, false);
    let host = format!("127.0.0.1:{}", emu.addr.port());
    imported.run(&["import", "-input=false", "module.docspace.onlyoffice_tfa_settings.this[0]", &host]).ok();
    imported.assert_no_changes();

    let own = Provider::from_env("onlyoffice").config()
        + "resource \"onlyoffice_tfa_settings\" \"portal\" {\n  type = \"app\"\n}\n";
    let moved = workspace(cli.path.clone(), &own, &env, false);
    moved.apply().ok();
    moved.write(&format!(
        "{module}moved {{\n  from = onlyoffice_tfa_settings.portal\n  to   = module.docspace.onlyoffice_tfa_settings.this[0]\n}}\n"
    ));
    moved.run(&["init", "-input=false"]).ok();
    let plan = moved.plan();
    assert_eq!(plan.code, 2, "the move itself is the only change:\n{}", plan.all());
    plan.mentions(&[
        "has moved to module.docspace.onlyoffice_tfa_settings.this[0]",
        "0 to add, 0 to change, 0 to destroy",
    ]);
}

/// `unsupported` lists only what a policy sets and its vendor cannot express: a policy each
/// vendor can meet — `passkeys = false` where there is no passkey login, DocSpace's 0 trusted
/// days — leaves every module's `unsupported` empty, so a CI gate on its length can pass; one
/// attribute a vendor lacks is then listed alone.
#[test]
fn unsupported_is_empty_when_the_vendor_meets_the_policy() {
    let Some(cli) = harness::cli_where(|c| c.version >= (1, 8)) else {
        harness::skip(
            "policy::unsupported_is_empty_when_the_vendor_meets_the_policy",
            "the policy modules need Terraform or OpenTofu 1.8 or later; set TERRAFORM or TERRAFORM_CURRENT",
        );
        return;
    };
    let sandbox = harness::rt().block_on(Sandbox::start(&Options::default())).unwrap();
    let every_type: Vec<Provider> = VENDORS.iter().map(|v| Provider::from_env(v.type_name)).collect();
    let config = providers(&every_type)
        + &format!(
            r#"
module "rhombus" {{
  source = "./modules/policy/rhombus"
  policy = {{ require_mfa = true, trusted_device_days = 0, passkeys = false }}
}}

module "zitadel" {{
  source  = "./modules/policy/zitadel"
  policy  = {{ require_mfa = true, passkeys = true, max_failed_code_attempts = 3, second_factors = ["totp"] }}
  org_ids = ["{CUSTOM_ORG}"]
}}

module "onlyoffice" {{
  source = "./modules/policy/onlyoffice"
  policy = {{ require_mfa = true, trusted_device_days = 0, passkeys = false, second_factors = ["totp"], max_failed_code_attempts = 5 }}
}}

module "akana" {{
  source       = "./modules/policy/akana"
  policy       = {{ require_mfa = true, trusted_device_days = 0, passkeys = false, max_failed_code_attempts = 3 }}
  business_ids = ["tenantbusiness.acmepaymentscorp"]
}}

output "unsupported" {{
  value = {{ rhombus = module.rhombus.unsupported, zitadel = module.zitadel.unsupported, onlyoffice = module.onlyoffice.unsupported, akana = module.akana.unsupported }}
}}
"#
        );
    harness::every_vendor("policy::unsupported_is_empty_when_the_vendor_meets_the_policy", |t| {
        config.contains(&format!("module \"{t}\" {{")).then_some(())
    });
    let ws = workspace(cli.path.clone(), &config, &sandbox.env(), false);
    ws.apply().ok();
    let unsupported = |ws: &Ws| -> serde_json::Value {
        serde_json::from_str(&ws.run(&["output", "-json", "unsupported"]).ok().text()).unwrap()
    };
    let empty = serde_json::json!({});
    let every_empty: serde_json::Map<String, serde_json::Value> =
        VENDORS.iter().map(|v| (v.type_name.to_string(), empty.clone())).collect();
    assert_eq!(unsupported(&ws), serde_json::Value::Object(every_empty));
    ws.write(&config.replace(
        "trusted_device_days = 0, passkeys = false, second_factors",
        "trusted_device_days = 1, passkeys = false, second_factors",
    ));
    ws.apply().ok();
    let listed = unsupported(&ws);
    let keys: Vec<&String> = listed["onlyoffice"].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["trusted_device_days"], "{listed}");
    assert_eq!(listed["rhombus"], empty, "{listed}");
}
