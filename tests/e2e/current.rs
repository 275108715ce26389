//! Beyond Terraform 1.0.3: the whole quickstart under a current Terraform (tfplugin5.10 clients),
//! and a developer attaching Terraform to a provider started with `--debug`.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;

use mfa_sandbox::rhombus::RhombusEmulator;
use mfa_sandbox::sandbox::{Options, Sandbox};

use crate::harness::{self, Provider, Ws};

#[test]
fn quickstart_under_current_terraform() {
    let Some(tf) = harness::terraform_current() else {
        harness::skip(
            "current::quickstart_under_current_terraform",
            "no TERRAFORM_CURRENT (scripts/test sets it when `terraform` on PATH is another version)",
        );
        return;
    };
    let sandbox = harness::rt().block_on(Sandbox::start(&Options::default())).unwrap();
    let env = sandbox.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let config = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/quickstart/main.tf")).unwrap();
    let ws = Ws::with(tf, &config, &env);
    ws.apply().ok().mentions(&["9 added"]);
    ws.assert_no_changes();
    ws.destroy().ok().mentions(&["9 destroyed"]);
}

/// The TCP transport (Windows' default) under real Terraform, forced on this OS with
/// MFA_PLUGIN_NETWORK=tcp: Terraform reads `tcp` from the handshake line, connects over loopback
/// with AutoMTLS, and the whole lifecycle works as over the unix socket.
#[test]
fn tcp_transport_under_real_terraform() {
    let emu = harness::start(Arc::new(RhombusEmulator::new()));
    let config = Provider::of(&emu).config()
        + "resource \"rhombus_mfa_settings\" \"org\" {\n  mfa_enabled = true\n  trusted_device_skip_days = 9\n}\n";
    let ws = Ws::with(harness::terraform(), &config, &[("MFA_PLUGIN_NETWORK", "tcp"), ("TF_LOG", "DEBUG")]);
    let out = ws.apply();
    out.ok().mentions(&["1 added"]);
    let log = out.all();
    let ports: Vec<u16> = log
        .split("provider serving on tcp 127.0.0.1:")
        .skip(1)
        .filter_map(|rest| rest.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok())
        .collect();
    assert!(!ports.is_empty(), "no provider process served over TCP:\n{log}");
    assert!(!log.contains("provider serving on unix"), "a provider process still used the unix socket:\n{log}");
    // Terraform passes go-plugin's default range, PLUGIN_MIN_PORT=10000 to PLUGIN_MAX_PORT=25000.
    assert!(ports.iter().all(|p| (10000..=25000).contains(p)), "{ports:?}");
    ws.assert_no_changes();
    ws.destroy().ok();
}

#[test]
fn terraform_attaches_to_a_debug_provider() {
    let emu = harness::start(Arc::new(RhombusEmulator::new()));
    let dir = tempfile::tempdir().unwrap();
    let exe = dir.path().join("terraform-provider-rhombus");
    std::fs::copy(harness::plugin_binary(), &exe).unwrap();
    let mut child = harness::scrub(&mut Command::new(&exe))
        .arg("--debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
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
    let config = Provider::of(&emu).config() + "resource \"rhombus_mfa_settings\" \"org\" {\n  mfa_enabled = true\n}\n";
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
