//! Beyond Terraform 1.0.3: the whole quickstart under a current Terraform (tfplugin5.10 clients),
//! and a developer attaching Terraform to a provider started with `--debug`.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;

use mfa_providers::sandbox::{Options, Sandbox};
use mfa_providers::vendors::rhombus::emulator::{DEMO_API_KEY, RhombusEmulator};

use crate::harness::{self, Ws, required_providers};

#[test]
fn quickstart_under_current_terraform() {
    let Some(tf) = harness::terraform_current() else {
        eprintln!("skipped: no TERRAFORM_CURRENT (scripts/test sets it when `terraform` on PATH is another version)");
        return;
    };
    let sandbox = harness::rt().block_on(Sandbox::start(&Options::default())).unwrap();
    let env = sandbox.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let config = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/quickstart/main.tf")).unwrap();
    let ws = Ws::with(tf, &config, &env);
    ws.apply().ok().mentions(&["5 added"]);
    ws.assert_no_changes();
    ws.destroy().ok().mentions(&["5 destroyed"]);
}

#[test]
fn terraform_attaches_to_a_debug_provider() {
    let emu = harness::start(Arc::new(RhombusEmulator::new()));
    let dir = tempfile::tempdir().unwrap();
    let exe = dir.path().join("terraform-provider-rhombus");
    std::fs::copy(harness::plugin_binary(), &exe).unwrap();
    let mut child = Command::new(&exe).arg("--debug").stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    let mut rd = BufReader::new(child.stdout.take().unwrap());
    let mut reattach = None;
    for _ in 0..20 {
        let mut l = String::new();
        rd.read_line(&mut l).unwrap();
        if let Some(v) = l.trim().strip_prefix("export TF_REATTACH_PROVIDERS='") {
            reattach = Some(v.trim_end_matches('\'').to_string());
            break;
        }
    }
    let reattach = reattach.expect("reattach value printed");
    // An empty mirror: the provider can only come from the reattached process.
    let empty = tempfile::tempdir().unwrap();
    let cli = empty.path().join("rc");
    std::fs::write(
        &cli,
        format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path = \"{}\"\n  }}\n}}\n",
            empty.path().display()
        ),
    )
    .unwrap();
    let config = format!(
        "{}provider \"rhombus\" {{\n  endpoint = \"{}\"\n  api_key = \"{DEMO_API_KEY}\"\n}}\nresource \"rhombus_mfa_settings\" \"org\" {{\n  mfa_enabled = true\n}}\n",
        required_providers(&["rhombus"]),
        emu.url()
    );
    let ws = Ws::with(
        harness::terraform(),
        &config,
        &[("TF_REATTACH_PROVIDERS", &reattach), ("TF_CLI_CONFIG_FILE", cli.to_str().unwrap())],
    );
    ws.apply().ok().mentions(&["1 added"]);
    ws.assert_no_changes();
    // Terraform never shuts down a reattached provider: it is still serving.
    assert!(child.try_wait().unwrap().is_none());
    let _ = child.kill();
    let _ = child.wait();
}
