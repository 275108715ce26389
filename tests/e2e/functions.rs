//! The baseline functions under a CLI that calls provider functions (Terraform 1.8+, OpenTofu
//! 1.7+): declared in `providers schema -json`, a report and a SARIF document checked field by
//! field, function errors naming their argument, a policy module whose PCI gap fails its plan,
//! an exception that expires between two plans (its `until` written relative to today), and
//! `examples/baselines` against the sandbox.

use std::path::{Path, PathBuf};

use mfa_providers::vendors::VENDORS;
use mfa_sandbox::sandbox::{Options, Sandbox};
use mfa_sandbox::zitadel::CUSTOM_ORG;
use serde_json::Value as Json;

use crate::harness::{self, Cli, Provider, Ws, copy_tree};

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// A CLI that calls provider functions, or the scenario says it was skipped.
fn functions_cli(scenario: &str) -> Option<Cli> {
    let cli = harness::cli_where(|c| c.version >= (1, 8));
    if cli.is_none() {
        harness::skip(
            &format!("functions::{scenario}"),
            "provider functions need Terraform 1.8 or OpenTofu 1.7 or later; set TERRAFORM or TERRAFORM_CURRENT",
        );
    }
    cli
}

/// A workspace beside a copy of `modules/`, with the sandbox's environment.
fn workspace(cli: &Cli, config: &str, env: &[(String, String)]) -> Ws {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    Ws::prepared(cli.path.clone(), config, &env, |dir| copy_tree(&repo("modules"), &dir.join("modules")))
}

/// Every provider type, configured by the sandbox's environment.
fn all_providers() -> String {
    harness::providers(&VENDORS.iter().map(|v| Provider::from_env(v.type_name)).collect::<Vec<_>>())
}

fn output(ws: &Ws, name: &str) -> Json {
    serde_json::from_str(&ws.run(&["output", "-json", name]).ok().stdout).expect("output JSON")
}

#[test]
fn every_provider_type_declares_the_three_functions() {
    let Some(cli) = functions_cli("every_provider_type_declares_the_three_functions") else { return };
    let ws = workspace(&cli, &all_providers(), &[]);
    let schema: Json = serde_json::from_str(&ws.run(&["providers", "schema", "-json"]).ok().stdout).unwrap();
    for v in VENDORS {
        // registry.terraform.io/… under Terraform, registry.opentofu.org/… under OpenTofu.
        let suffix = format!("/mfa-iac/{}", v.type_name);
        let p = schema["provider_schemas"]
            .as_object()
            .unwrap()
            .iter()
            .find(|(k, _)| k.ends_with(&suffix))
            .map(|(_, p)| p)
            .unwrap_or_else(|| panic!("{suffix} in {schema}"));
        let f = &p["functions"];
        let names: Vec<&String> = f.as_object().expect("functions").keys().collect();
        assert_eq!(names, ["baseline", "baseline_report", "sarif"], "{}", v.type_name);
        let params: Vec<&str> = f["baseline_report"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(params, ["baseline", "settings"]);
        assert_eq!(f["sarif"]["return_type"], "string");
        assert_eq!(f["baseline"]["parameters"][0]["type"], "string");
    }
}

/// A report of the policy object and one of ZITADEL's data sources, field by field, and the SARIF
/// document made of them.
#[test]
fn a_report_and_its_sarif_field_by_field() {
    let Some(cli) = functions_cli("a_report_and_its_sarif_field_by_field") else { return };
    let sandbox = harness::rt().block_on(Sandbox::start(&Options::default())).unwrap();
    let config = all_providers()
        + &format!(
            r#"
data "zitadel_login_policy" "payments" {{
  org_id = "{CUSTOM_ORG}"
}}
data "zitadel_lockout_policy" "payments" {{
  org_id = "{CUSTOM_ORG}"
}}
locals {{
  held = provider::zitadel::baseline_report("pci-dss-4.0.1", [data.zitadel_login_policy.payments, data.zitadel_lockout_policy.payments])
  policy = provider::akana::baseline_report("pci-dss-4.0.1", {{ require_mfa = true, max_failed_login_attempts = 11, lockout_minutes = 30 }})
}}
output "held" {{ value = local.held }}
output "policy" {{ value = local.policy }}
output "sarif" {{ value = provider::rhombus::sarif(concat(local.held, local.policy)) }}
"#
        );
    let ws = workspace(&cli, &config, &sandbox.env());
    ws.apply().ok();
    let held = output(&ws, "held");
    let find = |report: &Json, control: &str| {
        report.as_array().unwrap().iter().find(|f| f["control"] == control).cloned().unwrap()
    };
    // "Acme Payments" forces MFA for everyone and never locks anyone out (a fresh ZITADEL).
    let mfa = find(&held, "8.4.2");
    assert_eq!(mfa["status"], "met", "{mfa}");
    assert_eq!(mfa["scope"], format!("zitadel:org/{CUSTOM_ORG}"));
    assert_eq!(mfa["baseline"], "pci-dss-4.0.1");
    assert_eq!(mfa["level"], "shall");
    assert_eq!(mfa["reference"], "PCI DSS v4.0.1 Requirement 8.4.2");
    let attempts = find(&held, "8.3.4.a");
    assert_eq!(
        (attempts["status"].as_str(), attempts["actual"].as_str()),
        (Some("gap"), Some("max_password_attempts = 0, max_otp_attempts = 0 (0 never locks)"))
    );
    assert_eq!(find(&held, "8.3.4.b")["status"], "met", "locked until an administrator unlocks");
    assert_eq!(find(&held, "8.2.8")["status"], "unknown", "ZITADEL has no idle timeout");
    let policy = output(&ws, "policy");
    assert_eq!(find(&policy, "8.3.4.a")["status"], "gap");
    assert_eq!(find(&policy, "8.3.4.a")["scope"], "akana:policy");
    assert_eq!(find(&policy, "8.2.8")["status"], "unknown", "the policy says nothing of idle sessions");

    let sarif: Json = serde_json::from_str(output(&ws, "sarif").as_str().unwrap()).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "terraform-provider-rhombus");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 5, "one rule per PCI control: {rules:?}");
    assert!(rules.iter().all(|r| r["helpUri"].as_str().is_some_and(|u| u.starts_with("https://"))));
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 10);
    for r in results {
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], r["ruleId"]);
        assert!(
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
                .starts_with("mfa-baseline/")
        );
        let status = r["properties"]["status"].as_str().unwrap();
        let want = match status {
            "met" => "none",
            "gap" => "error",
            _ => "note",
        };
        assert_eq!(r["level"], want, "{r}");
        assert_eq!(r["kind"] == "pass", status == "met", "{r}");
    }
}

#[test]
fn wrong_arguments_are_function_errors_naming_the_argument() {
    let Some(cli) = functions_cli("wrong_arguments_are_function_errors_naming_the_argument") else { return };
    let sandbox = harness::rt().block_on(Sandbox::start(&Options::default())).unwrap();
    let base = all_providers() + "data \"rhombus_mfa_settings\" \"org\" {}\n";
    let ws = workspace(
        &cli,
        &(base.clone() + "output \"x\" { value = provider::zitadel::baseline(\"pci\") }\n"),
        &sandbox.env(),
    );
    ws.plan().fails_with(&["\"name\"", "There is no baseline \"pci\"", "\"pci-dss-4.0.1\""]);
    ws.write(&(base.clone() + "output \"x\" { value = provider::zitadel::baseline_report(\"pci-dss-4.0.1\", [data.rhombus_mfa_settings.org]) }\n"));
    ws.plan().fails_with(&["\"settings\"", "settings[0]: is not a ZITADEL login policy"]);
    ws.write(&(base + "output \"x\" { value = provider::zitadel::baseline_report(\"pci-dss-4.0.1\", { require_mfa = true, exceptions = [{ scope = \"a\", until = \"2030-01-01\", reason = \"r\" }] }) }\n"));
    ws.plan().fails_with(&["\"settings\"", "as_of = plantimestamp()"]);
}

fn zitadel_module(policy: &str) -> String {
    Provider::from_env("zitadel").config()
        + &format!(
            "module \"zitadel\" {{\n  source   = \"./modules/policy/zitadel\"\n  org_ids  = [\"{CUSTOM_ORG}\"]\n  baseline = \"pci-dss-4.0.1\"\n  policy   = {policy}\n}}\n"
        )
}

#[test]
fn a_policy_module_with_a_pci_gap_fails_its_plan() {
    let Some(cli) = functions_cli("a_policy_module_with_a_pci_gap_fails_its_plan") else { return };
    let sandbox = harness::rt().block_on(Sandbox::start(&Options::default())).unwrap();
    let policy = |attempts: u32| {
        format!(
            "{{ require_mfa = true, max_failed_code_attempts = 5, max_failed_login_attempts = {attempts}, lockout_minutes = 30 }}"
        )
    };
    let ws = workspace(&cli, &zitadel_module(&policy(11)), &sandbox.env());
    ws.plan().fails_with(&["8.3.4.a", "PCI DSS v4.0.1 Requirement 8.3.4", "max_failed_login_attempts = 11"]);
    ws.write(&zitadel_module(&policy(10)));
    ws.apply().ok();
    ws.assert_no_changes();
    // What ZITADEL cannot express (no idle timeout) is unknown and listed, not a failing gap.
    ws.write(&zitadel_module(
        &policy(10).replace("lockout_minutes = 30", "lockout_minutes = 30, session_idle_minutes = 15"),
    ));
    ws.run(&["plan", "-input=false"]).ok();
}

/// `until` written relative to today: three days ahead the organization is exempt (and the plan
/// warns that the exception ends within 7 days); once `until` is today, the next plan enforces
/// MFA again.
#[test]
fn an_exception_expires_between_two_plans() {
    let Some(cli) = functions_cli("an_exception_expires_between_two_plans") else { return };
    let sandbox = harness::rt().block_on(Sandbox::start(&Options::default())).unwrap();
    let day = |offset: i64| (time::OffsetDateTime::now_utc().date() + time::Duration::days(offset)).to_string();
    let policy = |until: &str| {
        format!(
            "{{ require_mfa = true, exceptions = [{{ scope = \"{CUSTOM_ORG}\", until = \"{until}\", reason = \"migrating the payments team's phones\" }}] }}"
        )
    };
    let ws = workspace(&cli, &zitadel_module(&policy(&day(3))), &sandbox.env());
    ws.apply().ok().mentions(&["Exceptions ending within 7 days", &format!("{CUSTOM_ORG} (until {})", day(3))]);
    let held = |ws: &Ws| -> bool {
        let s = ws.state();
        let r = s["values"]["root_module"]["child_modules"][0]["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["type"] == "zitadel_login_mfa_settings")
            .cloned()
            .unwrap();
        r["values"]["force_mfa"].as_bool().unwrap()
    };
    assert!(!held(&ws), "exempt while the exception is in force");
    ws.write(&zitadel_module(&policy(&day(0))));
    ws.run(&["plan", "-input=false"]).ok().mentions(&["force_mfa", "false -> true"]);
    ws.apply().ok();
    assert!(held(&ws), "enforced again from the until date on");
    // More than a year ahead, or without a reason: refused.
    ws.write(&zitadel_module(&policy(&day(400))));
    ws.plan().fails_with(&["at most a year ahead"]);
}

#[test]
fn the_baselines_example_audits_the_sandbox() {
    let Some(cli) = functions_cli("the_baselines_example_audits_the_sandbox") else { return };
    let sandbox = harness::rt().block_on(Sandbox::start(&Options::default())).unwrap();
    let config = std::fs::read_to_string(repo("examples/baselines/main.tf")).unwrap();
    let ws = workspace(&cli, &config, &sandbox.env());
    ws.run(&["plan", "-input=false"]).ok().mentions(&[
        "Check block assertion failed",
        "Akana misses",
        "8.4.2 at akana:business/tenantbusiness.acmepaymentscorp",
    ]);
    ws.apply().ok();
    let sarif: Json = serde_json::from_str(&ws.run(&["output", "-raw", "sarif"]).ok().stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(results.iter().any(|r| r["level"] == "error"), "the sandbox's gaps are errors");
    assert!(results.iter().any(|r| r["kind"] == "pass"), "and what it meets passes");
}

/// The function pages' examples, with every data source example they read, validate.
#[test]
fn the_function_examples_validate() {
    let Some(cli) = functions_cli("the_function_examples_validate") else { return };
    for v in VENDORS {
        let t = v.type_name;
        let mut config = std::fs::read_to_string(repo(&format!("examples/provider/{t}.tf"))).unwrap();
        for d in (v.provider)().data_source_types() {
            config += &std::fs::read_to_string(repo(&format!("examples/data-sources/{d}/data-source.tf"))).unwrap();
        }
        for f in ["baseline", "baseline_report", "sarif"] {
            let page = std::fs::read_to_string(repo(&format!("docs/{t}/functions/{f}.md"))).unwrap();
            let example = page.split("```terraform\n").nth(1).and_then(|s| s.split("```").next()).unwrap();
            // Each page's outputs stand alone; rename them so the three pages fit one module.
            config += &example.replace("output \"", &format!("output \"{f}_"));
        }
        Ws::with(cli.path.clone(), &config, &[]).run(&["validate"]).ok();
    }
}
