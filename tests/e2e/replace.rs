//! Forced replacement of every resource type: `terraform apply -replace=ADDR`, `taint`,
//! `replace_triggered_by` and `create_before_destroy` plan and apply, and leave a plan with no
//! changes. Terraform plans each as one resource planned twice (the second time with a null prior
//! state), which must not read as two resources claiming one remote object.

use mfa_providers::vendors::VENDORS;
use mfa_sandbox::sandbox::{Options, Sandbox};

use crate::fixtures::{self, Examples, pairs};
use crate::harness::{self, Cli, Ws};

/// One resource address per resource type of the examples' configuration (the first of each).
fn addresses(config: &str) -> Vec<String> {
    let mut seen = std::collections::BTreeSet::new();
    config
        .lines()
        .filter_map(|l| l.strip_prefix("resource \""))
        .map(|rest| {
            let mut parts = rest.split('"');
            let ty = parts.next().unwrap_or_default();
            let name = parts.nth(1).unwrap_or_default();
            format!("{ty}.{name}")
        })
        .filter(|a| seen.insert(a.split('.').next().unwrap_or_default().to_string()))
        .collect()
}

/// Every resource address in the working directory's `main.tf`.
fn all_addresses(ws: &Ws) -> Vec<String> {
    let config = std::fs::read_to_string(ws.dir().join("main.tf")).unwrap();
    config
        .lines()
        .filter_map(|l| l.strip_prefix("resource \""))
        .map(|rest| {
            let parts: Vec<&str> = rest.split('"').collect();
            format!("{}.{}", parts[0], parts[2])
        })
        .collect()
}

fn sandbox_ws(tf: std::path::PathBuf, extra: &str) -> (Sandbox, Ws, Vec<String>) {
    let sandbox = harness::rt().block_on(Sandbox::start(&Options::default())).unwrap();
    let types: Vec<&str> = VENDORS.iter().map(|v| v.type_name).collect();
    let config = fixtures::examples_config(&types, Examples::Resources) + extra;
    let env = sandbox.env();
    let ws = Ws::with(tf, &config, &pairs(&env));
    ws.apply().ok();
    (sandbox, ws, addresses(&config))
}

/// `-replace` of each resource of every type, one at a time, under the scenarios' CLI.
#[test]
fn every_resource_type_can_be_replaced_with_dash_replace() {
    let (_sandbox, ws, addrs) = sandbox_ws(harness::terraform(), "");
    let all_types: usize = VENDORS.iter().map(|v| (v.provider)().resource_types().len()).sum();
    assert_eq!(addrs.len(), all_types, "an example of every resource type: {addrs:?}");
    for a in &addrs {
        let run = ws.run(&["apply", "-auto-approve", "-input=false", &format!("-replace={a}")]);
        run.ok().mentions(&["1 added, 0 changed, 1 destroyed"]);
        ws.assert_no_changes();
    }
}

/// `taint` and `create_before_destroy`: the same replacement, planned the other ways.
#[test]
fn taint_and_create_before_destroy_replace_every_type() {
    let (_sandbox, ws, addrs) = sandbox_ws(harness::terraform(), "");
    let lifecycle: String = addrs
        .iter()
        .map(|a| {
            let (ty, name) = a.split_once('.').unwrap();
            format!("resource \"{ty}\" \"{name}\" {{\n  lifecycle {{\n    create_before_destroy = true\n  }}\n}}\n")
        })
        .collect();
    std::fs::write(ws.dir().join("cbd_override.tf"), lifecycle).unwrap();
    for a in &addrs {
        ws.run(&["taint", a]).ok();
        ws.apply().ok().mentions(&["1 added, 0 changed, 1 destroyed"]);
        ws.assert_no_changes();
        ws.run(&["apply", "-auto-approve", "-input=false", &format!("-replace={a}")]).ok();
        ws.assert_no_changes();
    }
}

/// `replace_triggered_by` (Terraform 1.2+): a change of another resource replaces each one.
#[test]
fn replace_triggered_by_replaces_every_type() {
    let Some(cli) = harness::cli_where(|c: &Cli| c.version >= (1, 4)) else {
        harness::skip(
            "replace::replace_triggered_by_replaces_every_type",
            "replace_triggered_by with terraform_data needs Terraform 1.4 or later; set TERRAFORM or TERRAFORM_CURRENT",
        );
        return;
    };
    let trigger = "\nvariable \"generation\" {\n  default = 1\n}\nresource \"terraform_data\" \"generation\" {\n  input = var.generation\n}\n";
    let (_sandbox, ws, _) = sandbox_ws(cli.path.clone(), trigger);
    // Override files do not merge replace_triggered_by: it goes into each block.
    let config = std::fs::read_to_string(ws.dir().join("main.tf")).unwrap();
    let triggered: String = config
        .lines()
        .map(|l| {
            if l.starts_with("resource \"") && !l.starts_with("resource \"terraform_data\"") {
                format!("{l}\n  lifecycle {{\n    replace_triggered_by = [terraform_data.generation]\n  }}\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    ws.write(&triggered);
    ws.assert_no_changes();
    let n = all_addresses(&ws).len() - 1;
    ws.run(&["apply", "-auto-approve", "-input=false", "-var", "generation=2"])
        .ok()
        .mentions(&[&format!("{n} added, 1 changed, {n} destroyed")]);
    let again = ws.run(&["plan", "-input=false", "-detailed-exitcode", "-var", "generation=2"]);
    assert_eq!(again.code, 0, "expected no changes:\n{}", again.all());
}
