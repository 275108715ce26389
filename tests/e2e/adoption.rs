//! Adopting what exists, with the newer CLIs' tools: resource identity (Terraform 1.12+,
//! OpenTofu 1.12+) and `terraform query` with generated configuration (Terraform 1.14+). Each
//! scenario runs with whichever of the scenarios' CLI (`TERRAFORM`) and the current one
//! (`TERRAFORM_CURRENT`) can, and says it was skipped when neither can; the protocol answers these
//! rest on are tested in CI in tests/e2e/protocol.rs whatever CLI is there.

use std::path::Path;

use mfa_sandbox::onlyoffice::TENANT_ID;
use mfa_sandbox::rhombus::DEMO_ORG_UUID;
use mfa_sandbox::sandbox::{Options, Sandbox};
use mfa_sandbox::zitadel::{CUSTOM_ORG, ZitadelEmulator};
use serde_json::Value as J;

use crate::harness::{self, Cli, Kind, Provider, Ws};

fn sandbox(seeds: &[(&str, usize)]) -> Sandbox {
    let o = Options { seeds: seeds.iter().map(|(t, n)| (t.to_string(), *n)).collect(), ..Default::default() };
    harness::rt().block_on(Sandbox::start(&o)).unwrap()
}

fn ws(cli: &Cli, sandbox: &Sandbox, config: &str) -> Ws {
    let env = sandbox.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    // Every provider type, each with an empty block: the sandbox's environment configures them.
    let providers: Vec<Provider> =
        mfa_providers::vendors::VENDORS.iter().map(|v| Provider::from_env(v.type_name)).collect();
    Ws::with(cli.path.clone(), &format!("{}\n{config}", harness::providers(&providers)), &env)
}

/// The identities in the state file, by resource address (`type.name`).
fn identities(dir: &Path) -> Vec<(String, J)> {
    let state: J = serde_json::from_str(&std::fs::read_to_string(dir.join("terraform.tfstate")).unwrap()).unwrap();
    let mut out = Vec::new();
    for r in state["resources"].as_array().unwrap() {
        let addr = format!("{}.{}", r["type"].as_str().unwrap(), r["name"].as_str().unwrap());
        for i in r["instances"].as_array().unwrap() {
            out.push((addr.clone(), i["identity"].clone()));
        }
    }
    out
}

fn identity_cli() -> Option<Cli> {
    let cli = harness::cli_where(|c| c.version >= (1, 12));
    if cli.is_none() {
        harness::skip(
            "adoption (identity)",
            "resource identity needs Terraform or OpenTofu 1.12 or later; set TERRAFORM or TERRAFORM_CURRENT",
        );
    }
    cli
}

const ONE_OF_EACH: &str = r#"
resource "rhombus_mfa_settings" "org" {
  mfa_enabled = true
}
resource "zitadel_login_second_factor" "email" {
  type   = "SECOND_FACTOR_TYPE_OTP_EMAIL"
  org_id = "200000000000000002"
}
resource "zitadel_login_mfa_settings" "instance" {
  force_mfa = true
}
resource "onlyoffice_tfa_settings" "portal" {
  type = "app"
}
resource "akana_twofa_settings" "root" {
  business_id = "tenantbusiness.acmepaymentscorp"
  enabled     = true
}
"#;

/// Every resource returns its identity from create and read; a state written without one (by
/// the previous provider, which declared none) gets it on the next refresh, with no diff.
#[test]
fn every_resource_has_an_identity_and_old_states_upgrade_without_a_diff() {
    harness::every_vendor("adoption::ONE_OF_EACH", |t| ONE_OF_EACH.contains(&format!("resource \"{t}_")).then_some(()));
    let Some(cli) = identity_cli() else { return };
    let sb = sandbox(&[]);
    let ws = ws(&cli, &sb, ONE_OF_EACH);
    ws.apply().ok();
    let mut ids = identities(ws.dir());
    ids.sort_by(|a, b| a.0.cmp(&b.0));
    let expected = [
        ("akana_twofa_settings.root", serde_json::json!({"business_id": "tenantbusiness.acmepaymentscorp"})),
        ("onlyoffice_tfa_settings.portal", serde_json::json!({"tenant_id": TENANT_ID})),
        ("rhombus_mfa_settings.org", serde_json::json!({"org_uuid": DEMO_ORG_UUID})),
        ("zitadel_login_mfa_settings.instance", serde_json::json!({"org_id": null})),
        (
            "zitadel_login_second_factor.email",
            serde_json::json!({"org_id": CUSTOM_ORG, "type": "SECOND_FACTOR_TYPE_OTP_EMAIL"}),
        ),
    ];
    for ((addr, id), (want_addr, want)) in ids.iter().zip(expected.iter()) {
        assert_eq!((addr.as_str(), id), (*want_addr, want), "{}", cli.name());
    }
    ws.assert_no_changes();

    // The state as the previous provider left it: no identities.
    let path = ws.dir().join("terraform.tfstate");
    let mut state: J = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    for r in state["resources"].as_array_mut().unwrap() {
        for i in r["instances"].as_array_mut().unwrap() {
            let i = i.as_object_mut().unwrap();
            i.remove("identity");
            i.remove("identity_schema_version");
        }
    }
    std::fs::write(&path, serde_json::to_string_pretty(&state).unwrap()).unwrap();
    ws.assert_no_changes();
    ws.run(&["apply", "-refresh-only", "-auto-approve", "-input=false"]).ok();
    assert!(identities(ws.dir()).iter().all(|(_, id)| id.is_object()), "{:?}", identities(ws.dir()));
}

/// `import { identity = { ... } }` adopts existing settings of every resource type, as the string
/// IDs do.
#[test]
fn import_blocks_take_an_identity() {
    let Some(cli) = identity_cli() else { return };
    let sb = sandbox(&[]);
    let config = format!(
        r#"
import {{
  to       = zitadel_login_second_factor.otp
  identity = {{ type = "SECOND_FACTOR_TYPE_OTP" }}
}}
resource "zitadel_login_second_factor" "otp" {{
  type = "SECOND_FACTOR_TYPE_OTP"
}}
import {{
  to       = zitadel_login_mfa_settings.payments
  identity = {{ org_id = "{CUSTOM_ORG}" }}
}}
resource "zitadel_login_mfa_settings" "payments" {{
  org_id    = "{CUSTOM_ORG}"
  force_mfa = true
}}
import {{
  to       = rhombus_mfa_settings.org
  identity = {{ org_uuid = "{DEMO_ORG_UUID}" }}
}}
resource "rhombus_mfa_settings" "org" {{
  mfa_enabled = true
}}
import {{
  to       = onlyoffice_tfa_settings.portal
  identity = {{ tenant_id = {TENANT_ID} }}
}}
resource "onlyoffice_tfa_settings" "portal" {{
  type = "none"
}}
import {{
  to       = akana_twofa_settings.root
  identity = {{ business_id = "tenantbusiness.acmepaymentscorp" }}
}}
resource "akana_twofa_settings" "root" {{
  business_id = "tenantbusiness.acmepaymentscorp"
  enabled     = false
}}
"#
    );
    let ws = ws(&cli, &sb, &config);
    ws.plan().mentions(&["5 to import, 0 to add, 0 to change, 0 to destroy"]);
    ws.apply().ok().mentions(&["5 imported"]);
    ws.assert_no_changes();
    assert_eq!(ws.attrs("zitadel_login_second_factor.otp")["origin"], "imported");
    // An identity that names another portal is refused, naming the right one.
    let wrong = config.replace(&format!("tenant_id = {TENANT_ID}"), "tenant_id = 42");
    let ws2 = self::ws(&cli, &sb, &wrong);
    ws2.plan().fails_with(&["Import ID is not the configured portal", "tenant ID 1"]);
}

/// `examples/adoption/`, verbatim: `terraform query` lists what exists — 150 more ZITADEL
/// organizations (past the search's page of 100), the instance, Akana businesses, Rhombus client
/// organizations and the portal — with names a person recognises; `-generate-config-out` writes
/// the configuration, and the next plan imports everything with no changes.
#[test]
fn the_adoption_example_lists_everything_and_its_generated_configuration_imports_with_no_changes() {
    let Some(cli) = harness::cli_where(|c| c.kind == Kind::Terraform && c.version >= (1, 14)) else {
        harness::skip(
            "adoption::the_adoption_example_lists_everything_and_its_generated_configuration_imports_with_no_changes",
            "terraform query needs Terraform 1.14 or later (OpenTofu has no query); set TERRAFORM or TERRAFORM_CURRENT",
        );
        return;
    };
    let sb = sandbox(&[("zitadel", 150), ("akana", 12), ("rhombus", 5)]);
    let mut env = sb.env();
    for (k, v) in &mut env {
        if k == "RHOMBUS_API_KEY" {
            *v = mfa_sandbox::rhombus::PARTNER_API_KEY.into();
        }
    }
    env.push(("RHOMBUS_AUTH_SCHEME".into(), "partner-api-token".into()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/adoption");
    let main = std::fs::read_to_string(example.join("main.tf")).unwrap();
    let ws = Ws::with(cli.path.clone(), &main, &env);
    for e in std::fs::read_dir(&example).unwrap() {
        let p = e.unwrap().path();
        if p.to_string_lossy().ends_with(".tfquery.hcl") {
            std::fs::copy(&p, ws.dir().join(p.file_name().unwrap())).unwrap();
        }
    }
    ws.run(&["validate", "-query"]).ok();
    let listed = ws.run(&["query"]);
    listed.ok().mentions(&[
        "Org 150 (9",
        "instance defaults: SECOND_FACTOR_TYPE_OTP",
        "Business 012",
        "Client 005 (SeededClientOrg0000005)",
        "(tenant 1)",
    ]);
    // Org 001 inherits: it owns nothing and is not listed.
    assert!(!listed.text().contains("Org 001 ("), "an inheriting organization was listed:\n{}", listed.all());

    ws.run(&["query", "-generate-config-out=generated.tf"]).ok();
    let generated = std::fs::read_to_string(ws.dir().join("generated.tf")).unwrap();
    assert!(generated.contains("identity = {"), "{generated}");
    assert!(!generated.contains("restore_on_destroy"), "defaults are left out:\n{generated}");
    let imports = generated.matches("\nimport {").count();
    // 75 seeded organizations with their own settings (OTP each), the custom one and the instance
    // (OTP, U2F, passkeys); their MFA settings; the instance's lock-out settings (no organization
    // has its own); 13 businesses, twice (2FA, login policy); 3 + 5 client organizations; the
    // portal, twice (TFA, login settings).
    assert_eq!(imports, (75 + 1 + 3) + (75 + 1 + 1) + 1 + 13 * 2 + 8 + 2, "{generated}");
    ws.plan().mentions(&[&format!("{imports} to import, 0 to add, 0 to change, 0 to destroy")]);
    ws.apply().ok();
    ws.assert_no_changes();
}

/// `limit` is honoured, `include_resource` returns whole objects, and a failure on one
/// organization is a warning on that organization while the listing goes on.
#[test]
fn query_honours_limit_and_include_resource_and_goes_on_past_a_failing_organization() {
    let Some(cli) = harness::cli_where(|c| c.kind == Kind::Terraform && c.version >= (1, 14)) else {
        harness::skip(
            "adoption::query_honours_limit_and_include_resource_and_goes_on_past_a_failing_organization",
            "terraform query needs Terraform 1.14 or later; set TERRAFORM or TERRAFORM_CURRENT",
        );
        return;
    };
    let app = std::sync::Arc::new(ZitadelEmulator::new());
    app.seed_orgs(20);
    // Org 002 has settings of its own; its reads fail.
    app.fail_reads_of("900000000000000002");
    let emu = harness::start(app.clone());
    let ws = Ws::with(cli.path.clone(), &Provider::of(&emu).config(), &[]);
    let query = |limit: u32| {
        format!(
            "list \"zitadel_login_mfa_settings\" \"some\" {{\n  provider = zitadel\n  limit = {limit}\n  include_resource = true\n}}\n"
        )
    };
    std::fs::write(ws.dir().join("q.tfquery.hcl"), query(5)).unwrap();
    let out = ws.run(&["query", "-json"]);
    out.ok();
    let found: Vec<J> = out
        .stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<J>(l).ok())
        .filter(|m| m["type"] == "list_resource_found")
        .map(|m| m["list_resource_found"].clone())
        .collect();
    assert_eq!(found.len(), 5, "limit = 5:\n{}", out.all());
    assert!(found.iter().all(|r| r["resource_object"]["force_mfa"].is_boolean()), "{}", out.all());

    std::fs::write(ws.dir().join("q.tfquery.hcl"), query(1000)).unwrap();
    let out = ws.run(&["query"]);
    out.ok().mentions(&["Could not read the login settings of Org 002 (900000000000000002)", "Org 004 ("]);
}
