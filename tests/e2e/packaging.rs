//! What ships: the plugin alone (no emulator, no web framework, no demo credential), packaged in
//! the Registry's layout with signed checksums, installable by real Terraform from a packed mirror.

use std::path::Path;
use std::process::{Command, Output};

use mfa_providers::SOURCE_NAMESPACE;
use mfa_providers::vendors::VENDORS;

use crate::harness::{self, VERSION, Ws};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[track_caller]
fn succeeded(what: &str, out: &Output) -> String {
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{what} failed:\n{text}");
    text
}

/// The provider's normal (non-dev) dependency tree holds no emulator and no web framework: the
/// only server in the plugin is the gRPC one Terraform talks to.
#[test]
fn the_plugin_depends_on_no_emulator_or_web_framework() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["tree", "--locked", "-p", "terraform-provider-mfa", "-e", "normal", "--prefix", "none"])
        .current_dir(root())
        .output()
        .unwrap();
    let tree = succeeded("cargo tree", &out);
    let crates: Vec<&str> = tree.lines().filter_map(|l| l.split_whitespace().next()).collect();
    assert!(crates.contains(&"tonic") && crates.contains(&"hyper-util"), "not the provider's tree:\n{tree}");
    for forbidden in ["mfa-sandbox", "axum", "axum-core"] {
        assert!(!crates.contains(&forbidden), "{forbidden} is a dependency of the plugin:\n{tree}");
    }
}

/// The binary Terraform runs contains none of the sandbox's demo credentials or emulator routes
/// (`scripts/package` refuses a release binary that does).
#[test]
fn the_plugin_binary_contains_no_emulator() {
    let bin = std::fs::read(harness::plugin_binary()).unwrap();
    let contains = |needle: &str| bin.windows(needle.len()).any(|w| w == needle.as_bytes());
    use mfa_sandbox::{akana, onlyoffice, rhombus, zitadel};
    for secret in [
        rhombus::DEMO_API_KEY,
        rhombus::PARTNER_API_KEY,
        zitadel::ADMIN_PAT,
        zitadel::ORG_OWNER_PAT,
        onlyoffice::API_KEY,
        onlyoffice::READ_ONLY_API_KEY,
        onlyoffice::ADMIN_PASSWORD,
        akana::ADMIN_PASSWORD,
        "/_emulator/",
    ] {
        assert!(!contains(secret), "the plugin binary contains {secret:?}");
    }
    assert!(contains("registry.terraform.io/"), "not the plugin binary");
}

/// Every provider type has an emulator in the sandbox, and nothing else is emulated.
#[test]
fn every_provider_type_has_an_emulator() {
    let providers: Vec<&str> = VENDORS.iter().map(|v| v.type_name).collect();
    assert_eq!(providers, mfa_sandbox::type_names());
}

/// A throw-away GPG key in a temporary GNUPGHOME, removed (with its agent) afterwards.
struct Gpg {
    home: tempfile::TempDir,
}

impl Gpg {
    fn new() -> Gpg {
        // Short path: the agent's socket lives in it and unix socket paths are limited.
        let home = tempfile::Builder::new().prefix("gpg").tempdir_in("/tmp").unwrap();
        let g = Gpg { home };
        g.run(&[
            "--pinentry-mode",
            "loopback",
            "--passphrase",
            "",
            "--quick-gen-key",
            "MFA providers release test <release-test@example.invalid>",
            "rsa2048",
            "sign",
            "1d",
        ]);
        g
    }
    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new("gpg");
        c.env("GNUPGHOME", self.home.path()).arg("--batch").args(args);
        c
    }
    fn run(&self, args: &[&str]) -> String {
        let out = self.cmd(args).output().expect("gpg is installed");
        succeeded(&format!("gpg {args:?}"), &out)
    }
    fn fingerprint(&self) -> String {
        let listing = self.run(&["--with-colons", "--list-secret-keys"]);
        listing.lines().find_map(|l| l.strip_prefix("fpr:")).map(|l| l.trim_matches(':').to_string()).unwrap()
    }
}

impl Drop for Gpg {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf").env("GNUPGHOME", self.home.path()).args(["--kill", "gpg-agent"]).output();
    }
}

#[test]
fn packages_are_signed_checksummed_and_install_from_a_packed_mirror() {
    let gpg = Gpg::new();
    let key = gpg.fingerprint();
    let dist = tempfile::tempdir().unwrap();
    let out = Command::new(root().join("scripts/package"))
        .args(["--bin", harness::plugin_binary().to_str().unwrap(), "--out", dist.path().to_str().unwrap()])
        .args(["--sign", &key])
        .env("GNUPGHOME", gpg.home.path())
        .output()
        .unwrap();
    let said = succeeded("scripts/package --sign", &out);
    assert!(said.contains(&format!("signed every SHA256SUMS with GPG key {key}")), "{said}");
    let check = Command::new("sha256sum").arg("-c").arg("SHA256SUMS").current_dir(dist.path()).output().unwrap();
    succeeded("sha256sum -c", &check);
    // One detached binary signature per checksum file, as the Registry expects, each verifying.
    let mut sums: Vec<String> =
        VENDORS.iter().map(|v| format!("terraform-provider-{}_{VERSION}_SHA256SUMS", v.type_name)).collect();
    sums.push("SHA256SUMS".into());
    for f in &sums {
        let sig = dist.path().join(format!("{f}.sig"));
        assert!(!std::fs::read(&sig).unwrap().starts_with(b"-----BEGIN"), "{f}.sig must be binary, not armored");
        let verify =
            gpg.cmd(&["--verify", sig.to_str().unwrap(), dist.path().join(f).to_str().unwrap()]).output().unwrap();
        let text = succeeded(&format!("gpg --verify {f}.sig"), &verify);
        assert!(text.contains("Good signature"), "{text}");
    }
    // A tampered checksum list no longer verifies.
    std::fs::write(dist.path().join("SHA256SUMS"), "0000  forged.zip\n").unwrap();
    let sig = dist.path().join("SHA256SUMS.sig");
    let forged =
        gpg.cmd(&["--verify", sig.to_str().unwrap(), dist.path().join("SHA256SUMS").to_str().unwrap()]).output();
    assert!(!forged.unwrap().status.success(), "a forged SHA256SUMS verified");

    // Without --sign the files are written, and the script says they are unsigned.
    let unsigned = Command::new(root().join("scripts/package"))
        .args(["--sums-only", "--out", dist.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert!(succeeded("scripts/package --sums-only", &unsigned).contains("unsigned"));
    assert!(!dist.path().join("SHA256SUMS.sig").exists(), "a stale signature was left behind");

    // A packed filesystem mirror: HOST/NAMESPACE/TYPE/terraform-provider-TYPE_VERSION_OS_ARCH.zip
    let mirror = tempfile::tempdir().unwrap();
    for v in VENDORS {
        let t = v.type_name;
        let zip = format!("terraform-provider-{t}_{VERSION}_linux_amd64.zip");
        let manifest =
            std::fs::read_to_string(dist.path().join(format!("terraform-provider-{t}_{VERSION}_manifest.json")))
                .unwrap();
        assert!(manifest.contains("\"5.0\""), "{manifest}");
        let dir = mirror.path().join(format!("registry.terraform.io/{SOURCE_NAMESPACE}/{t}"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(dist.path().join(&zip), dir.join(&zip)).unwrap();
    }
    let cli = mirror.path().join("terraformrc");
    std::fs::write(
        &cli,
        format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path = \"{}\"\n  }}\n}}\n",
            mirror.path().display()
        ),
    )
    .unwrap();
    let quickstart = std::fs::read_to_string(root().join("examples/quickstart/main.tf")).unwrap();
    let ws = Ws::with(harness::terraform(), &quickstart, &[("TF_CLI_CONFIG_FILE", cli.to_str().unwrap())]);
    ws.run(&["validate"]).ok();
    let lock = std::fs::read_to_string(ws_lock(&ws)).unwrap();
    for v in VENDORS {
        assert!(lock.contains(&format!("registry.terraform.io/{SOURCE_NAMESPACE}/{}", v.type_name)), "{lock}");
    }
}

fn ws_lock(ws: &Ws) -> std::path::PathBuf {
    ws.dir().join(".terraform.lock.hcl")
}

/// With `CARGO_TARGET_DIR` set, `scripts/install-local` installs the binary Cargo built there
/// (it looked in `./target` and installed nothing): every provider type lands in the mirror.
#[test]
fn install_local_honours_cargo_target_dir() {
    let target = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(target.path().join("release")).unwrap();
    std::fs::copy(harness::plugin_binary(), target.path().join("release/terraform-provider-mfa")).unwrap();
    let mirror = tempfile::tempdir().unwrap();
    let out = Command::new(root().join("scripts/install-local"))
        .arg(mirror.path())
        .env("CARGO_TARGET_DIR", target.path())
        .output()
        .unwrap();
    succeeded("scripts/install-local", &out);
    for v in mfa_providers::vendors::VENDORS {
        let dir =
            mirror.path().join(format!("registry.terraform.io/{}/{}", mfa_providers::SOURCE_NAMESPACE, v.type_name));
        assert!(dir.exists(), "{} not installed into the mirror", v.type_name);
    }
}
