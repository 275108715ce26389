//! Ctrl-C during an apply: the terminal sends SIGINT to Terraform and the provider alike. The
//! provider ignores the signal, Terraform calls Stop, the in-flight request is cancelled at once,
//! and every process exits cleanly — no 30-second wait, no write claimed.

use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mfa_sandbox::Fault;
use mfa_sandbox::rhombus::{DEMO_API_KEY, DEMO_ORG_UUID, RhombusEmulator};

use crate::harness::{self, Ws, required_providers};

#[test]
fn ctrl_c_during_apply_cancels_promptly() {
    let app = Arc::new(RhombusEmulator::new());
    app.set_mfa(DEMO_ORG_UUID, false, 0);
    let emu = harness::start(app.clone());
    emu.control.push_fault(Fault::parse("delay=30000,path=updateMFASettings").unwrap());
    let ws = Ws::new(&format!(
        "{}provider \"rhombus\" {{\n  endpoint = \"{}\"\n  api_key = \"{DEMO_API_KEY}\"\n  timeout_seconds = 60\n}}\nresource \"rhombus_mfa_settings\" \"x\" {{\n  mfa_enabled = true\n}}\n",
        required_providers(&["rhombus"]),
        emu.url()
    ));
    let mut child = ws
        .command(&["apply", "-auto-approve", "-input=false"])
        .process_group(0)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pgid = child.id();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut seen = String::new();
    let mut line = String::new();
    while out.read_line(&mut line).unwrap() > 0 {
        seen.push_str(&line);
        if line.contains("Creating...") {
            break;
        }
        line.clear();
    }
    assert!(seen.contains("Creating..."), "apply never started:\n{seen}");
    // Let the write reach the (stalled) API, then press Ctrl-C: SIGINT to the whole group.
    std::thread::sleep(Duration::from_millis(700));
    let pressed = Instant::now();
    // SAFETY: plain syscall on the process group this test created.
    assert_eq!(unsafe { libc::killpg(pgid as libc::pid_t, libc::SIGINT) }, 0);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(pressed.elapsed() < Duration::from_secs(10), "terraform did not stop after Ctrl-C");
        std::thread::sleep(Duration::from_millis(50));
    };
    let elapsed = pressed.elapsed();
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    child.stderr.take().unwrap().read_to_string(&mut rest).unwrap();
    let all = format!("{seen}{rest}");
    assert!(!status.success(), "an interrupted apply must not report success:\n{all}");
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?} to stop:\n{all}");
    assert!(all.contains("Interrupt received"), "{all}");
    assert!(!all.contains("Plugin did not respond"), "the provider must survive SIGINT and answer Stop:\n{all}");
    // No process of the group is left behind (the provider exited too).
    std::thread::sleep(Duration::from_millis(300));
    // SAFETY: signal 0 only checks whether any process of the group exists.
    let alive = unsafe { libc::killpg(pgid as libc::pid_t, 0) } == 0;
    assert!(!alive, "processes of the group are still running");
    // The write never landed, and state claims nothing.
    assert_eq!(app.mfa(DEMO_ORG_UUID).0, Some(false));
    let s = ws.state();
    assert!(s["values"]["root_module"]["resources"].as_array().is_none_or(|a| a.is_empty()), "{s}");
}
