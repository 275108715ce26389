//! Every example under `examples/` is valid against the built plugin (`terraform validate`), so
//! the docs, which embed them, only show configurations that work.

use std::path::Path;

use mfa_providers::vendors::VENDORS;

use crate::harness::Ws;

fn read(rel: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

#[test]
fn every_example_validates() {
    for v in VENDORS {
        let provider = read(&format!("examples/provider/{}.tf", v.type_name));
        let p = (v.provider)();
        let mut config = provider.clone();
        for r in p.resource_types() {
            config.push('\n');
            config.push_str(&read(&format!("examples/resources/{r}/resource.tf")));
            let import = read(&format!("examples/resources/{r}/import.sh"));
            assert!(import.contains(&format!("terraform import {r}.")), "{r}: import.sh shows no import command");
        }
        for d in p.data_source_types() {
            config.push('\n');
            config.push_str(&read(&format!("examples/data-sources/{d}/data-source.tf")));
        }
        Ws::new(&config).run(&["validate"]).ok().mentions(&["The configuration is valid"]);
    }
}

/// The compliance examples run in tests/e2e/data_sources.rs; the `check` variant needs a current
/// Terraform, which validates it here too.
/// The resource and data-source examples the Registry pages show apply verbatim in the sandbox and
/// end with an empty plan (with `provider` blocks that take their settings from the sandbox's
/// environment, as the provider examples' comments describe). The data sources go in a workspace
/// of their own: read beside the resources they audit, they would see the settings from before
/// the apply.
#[test]
fn every_resource_and_data_source_example_applies_in_the_sandbox() {
    use mfa_sandbox::sandbox::{Options, Sandbox};
    let sandbox = crate::harness::rt().block_on(Sandbox::start(&Options::default())).unwrap();
    let env = sandbox.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let types: Vec<&str> = VENDORS.iter().map(|v| v.type_name).collect();
    let resources = crate::fixtures::examples_config(&types, crate::fixtures::Examples::Resources);
    let data = crate::fixtures::examples_config(&types, crate::fixtures::Examples::DataSources);
    for config in [resources, data] {
        let ws = Ws::with(crate::harness::terraform(), &config, &env);
        ws.apply().ok();
        ws.assert_no_changes();
        ws.destroy().ok();
    }
}

#[test]
fn compliance_examples_validate() {
    Ws::new(&read("examples/compliance/outputs/main.tf")).run(&["validate"]).ok();
    if let Some(tf) = crate::harness::terraform_current() {
        Ws::with(tf, &read("examples/compliance/checks/main.tf"), &[]).run(&["validate"]).ok();
    }
}

#[test]
fn quickstart_validates() {
    let ws = Ws::new(&read("examples/quickstart/main.tf"));
    ws.run(&["validate"]).ok();
}

/// The quickstart's whole policy — MFA, passkeys required, lock-out limits — applies in the
/// sandbox under the scenarios' Terraform and ends with an empty plan.
#[test]
fn quickstart_applies_in_the_sandbox_with_its_lockout_policy() {
    use mfa_sandbox::sandbox::{Options, Sandbox};
    let sandbox = crate::harness::rt().block_on(Sandbox::start(&Options::default())).unwrap();
    let env = sandbox.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let ws = Ws::with(crate::harness::terraform(), &read("examples/quickstart/main.tf"), &env);
    ws.apply().ok().mentions(&[
        "9 added",
        "who have not registered a passkey",
        "The provider's own account can be locked out by this limit",
    ]);
    ws.assert_no_changes();
    let url = env.iter().find(|(k, _)| *k == "ZITADEL_URL").unwrap().1;
    let state: serde_json::Value = crate::harness::rt()
        .block_on(async { reqwest::get(format!("{url}/_emulator/state")).await?.json().await })
        .unwrap();
    let labs = state["orgs"].as_array().unwrap().iter().find(|o| o["org"] == "300000000000000003").unwrap().clone();
    assert_eq!(labs["lockout"], serde_json::json!({"maxPasswordAttempts": 5, "maxOtpAttempts": 3}));
}
