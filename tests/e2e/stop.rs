//! Ctrl-C during an apply: the terminal sends SIGINT to Terraform and the provider alike. The
//! provider ignores the signal, Terraform calls Stop, the in-flight request is cancelled at once,
//! and every process exits cleanly — no 30-second wait, no write claimed.

use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mfa_sandbox::rhombus::{DEMO_ORG_UUID, RhombusEmulator};
use mfa_sandbox::{Fault, RunningEmulator};

use crate::harness::{self, Provider, Ws};

#[test]
fn ctrl_c_during_apply_cancels_promptly() {
    let (app, _emu, ws) = a_stalling_write();
    let mut child = ws
        .command(&["apply", "-auto-approve", "-input=false"])
        .process_group(0)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pgid = child.id();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let seen = until_creating(&mut out);
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
    // The write never landed. Its answer is unknown to the provider, so state claims no write: it
    // keeps the values read before it (what `restore_on_destroy` would restore), tainted, so the
    // next apply replaces the resource.
    assert_eq!(app.mfa(DEMO_ORG_UUID).0, Some(false));
    let s = ws.state();
    let resources = s["values"]["root_module"]["resources"].as_array().cloned().unwrap_or_default();
    assert_eq!(resources.len(), 1, "{s}");
    assert_eq!(resources[0]["tainted"], true, "{s}");
    assert_eq!(resources[0]["values"]["mfa_enabled"], false, "{s}");
}

/// `kill -9` of Terraform mid-apply (a CI runner killing its job): Terraform never calls
/// Shutdown, and the provider, re-parented, notices and exits within seconds, removing its socket.
#[test]
fn a_provider_whose_terraform_was_killed_exits_and_cleans_its_socket() {
    let (_app, _emu, ws) = a_stalling_write();
    let sockets = tempfile::tempdir().unwrap();
    let mut child = ws
        .command(&["apply", "-auto-approve", "-input=false"])
        .env("TMPDIR", sockets.path())
        .process_group(0)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pgid = child.id();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    until_creating(&mut out);
    std::thread::sleep(Duration::from_millis(700));
    let plugin_sockets = || {
        std::fs::read_dir(sockets.path())
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().starts_with("plugin"))
            .count()
    };
    assert!(plugin_sockets() > 0, "the provider's socket is in TMPDIR while it runs");
    // Terraform alone, not its group: the provider is orphaned as after a runner's kill. (Before
    // 1.1, Terraform runs as two processes, panicwrap's monitor and the real CLI: kill both.)
    for (pid, comm, _) in group(pgid) {
        if comm == "terraform" {
            // SAFETY: a plain kill of a process of the group this test created.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    }
    child.wait().unwrap();
    let killed = Instant::now();
    // Zombies do not count: nothing here reaps an orphan that exited.
    while group(pgid).iter().any(|(_, _, state)| *state != 'Z') {
        assert!(
            killed.elapsed() < Duration::from_secs(10),
            "a provider process still runs 10 s after Terraform was killed: {:?}",
            group(pgid)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(plugin_sockets(), 0, "the socket was removed");
}

/// Rhombus with MFA off whose MFA write stalls for 30 s, and a workspace whose apply turns MFA
/// on: an apply that stays in flight as long as a test needs.
fn a_stalling_write() -> (Arc<RhombusEmulator>, RunningEmulator, Ws) {
    let app = Arc::new(RhombusEmulator::new());
    app.set_mfa(DEMO_ORG_UUID, false, 0);
    let emu = harness::start(app.clone());
    emu.control.push_fault(Fault::parse("delay=30000,path=updateMFASettings").unwrap());
    let ws = Ws::new(
        &(Provider::of(&emu).with("timeout_seconds", 60).config()
            + "resource \"rhombus_mfa_settings\" \"x\" {\n  mfa_enabled = true\n}\n"),
    );
    (app, emu, ws)
}

/// Reads Terraform's output until the create has started; what it read.
fn until_creating(out: &mut impl BufRead) -> String {
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
    seen
}

/// The processes of a process group, from `/proc`: (pid, command name, state).
fn group(pgid: u32) -> Vec<(libc::pid_t, String, char)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().filter_map(Result::ok) {
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else { continue };
        // pid (comm) state ppid pgrp …; comm may hold spaces, so split at the last ')'.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else { continue };
        let fields: Vec<&str> = stat[close + 2..].split_whitespace().collect();
        if fields.get(2).and_then(|g| g.parse::<u32>().ok()) == Some(pgid) {
            let pid = stat[..open].trim().parse().unwrap_or(0);
            out.push((pid, stat[open + 1..close].to_string(), fields[0].chars().next().unwrap_or('?')));
        }
    }
    out
}
