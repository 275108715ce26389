//! Upgrades keep their promises. `states/0.1.0.tfstate` is the state release 0.1.0 wrote for the
//! configuration `states/0.1.0.tf` (every resource example) applied to a fresh sandbox, private
//! data included; this release must read it with no changes and restore what it recorded. A state
//! from before factors recorded their origin must keep those factors on destroy.

use mfa_providers::vendors::VENDORS;

use crate::fixtures::{self, Started, pairs, read};
use crate::harness::{self, Ws};

/// Every vendor's emulator holding what applying `states/0.1.0.tf` leaves, and the environment
/// pointing the providers at them.
fn applied_estate() -> (Vec<Started>, Vec<(String, String)>) {
    let vendors = fixtures::every_vendor(|_| Default::default());
    let env: Vec<(String, String)> = vendors.iter().flat_map(|v| v.env(&v.emu.url())).collect();
    Ws::with(harness::terraform(), &read("tests/e2e/states/0.1.0.tf"), &pairs(&env)).apply().ok();
    (vendors, env)
}

/// A working directory holding the 0.1.0 state (edited by `edit`) for those emulators.
fn upgraded(vendors: &[Started], env: &[(String, String)], edit: impl Fn(&mut serde_json::Value)) -> Ws {
    let ws = Ws::with(harness::terraform(), &read("tests/e2e/states/0.1.0.tf"), &pairs(env));
    let portal = vendors.iter().find(|v| v.type_name == "onlyoffice").expect("DocSpace emulator").emu.addr;
    let text = read("tests/e2e/states/0.1.0.tfstate").replace("PORTAL_HOST", &portal.to_string());
    let mut state: serde_json::Value = serde_json::from_str(&text).unwrap();
    edit(&mut state);
    std::fs::write(ws.dir().join("terraform.tfstate"), serde_json::to_string_pretty(&state).unwrap()).unwrap();
    ws
}

fn summary(vendors: &[Started], ty: &str) -> serde_json::Value {
    vendors.iter().find(|v| v.type_name == ty).unwrap().app.summary()
}

/// The 0.1.0 state of every resource type plans no changes, and a destroy restores what 0.1.0
/// recorded at adoption (private state), where `restore_on_destroy` asks for it.
#[test]
fn a_state_written_by_0_1_0_plans_no_changes_and_restores_what_it_recorded() {
    let (vendors, env) = applied_estate();
    let ws = upgraded(&vendors, &env, |_| {});
    let types: std::collections::BTreeSet<String> = ws.state()["values"]["root_module"]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["type"].to_string())
        .collect();
    let all: usize = VENDORS.iter().map(|v| (v.provider)().resource_types().len()).sum();
    assert_eq!(types.len(), all, "the fixture holds every resource type: {types:?}");
    ws.assert_no_changes();
    // DocSpace's login limits were adopted at their defaults and are restored on destroy.
    assert_eq!(
        summary(&vendors, "onlyoffice")["loginSettings"]["attemptCount"],
        3,
        "{}",
        summary(&vendors, "onlyoffice")
    );
    ws.destroy().ok();
    assert_eq!(
        summary(&vendors, "onlyoffice")["loginSettings"]["attemptCount"],
        5,
        "{}",
        summary(&vendors, "onlyoffice")
    );
}

/// Factors imported or created by a release before `origin` existed: nobody knows whether
/// Terraform added them, so destroy keeps them (the README's promise) and the plan says which
/// and why.
#[test]
fn factors_of_unknown_origin_are_kept_on_destroy() {
    let (vendors, env) = applied_estate();
    let ws = upgraded(&vendors, &env, |state| {
        for r in state["resources"].as_array_mut().unwrap() {
            if r["type"].as_str().is_some_and(|t| t.starts_with("zitadel_login_"))
                && r["type"] != "zitadel_login_mfa_settings"
            {
                for i in r["instances"].as_array_mut().unwrap() {
                    i["attributes"].as_object_mut().unwrap().remove("origin");
                }
            }
        }
    });
    ws.assert_no_changes();
    let plan = ws.run(&["plan", "-destroy", "-input=false"]);
    if harness::terraform_supports_destroy_plans() {
        plan.ok().mentions(&[
            "MULTI_FACTOR_TYPE_U2F_WITH_VERIFICATION will stay enabled",
            "whether Terraform added it is not known",
        ]);
    }
    let factors_of = |org: &str| {
        summary(&vendors, "zitadel")["orgs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["org"] == org)
            .map(|o| o["multiFactors"].clone())
            .unwrap()
    };
    // Added by Terraform in 0.1.0's state, but that state's origin is gone here.
    assert_eq!(factors_of("200000000000000002"), serde_json::json!(["MULTI_FACTOR_TYPE_U2F_WITH_VERIFICATION"]));
    ws.destroy().ok().mentions(&["whether Terraform added it is not known"]);
    assert_eq!(factors_of("200000000000000002"), serde_json::json!(["MULTI_FACTOR_TYPE_U2F_WITH_VERIFICATION"]));
}
