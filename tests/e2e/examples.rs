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
