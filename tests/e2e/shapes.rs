//! Configuration shapes a Terraform user writes every day are accepted, and the wrong ones are
//! refused clearly, at validate or plan, on the attribute, with the corrected value — under real
//! Terraform against the emulators. Plus the settings that come from the environment, and the
//! messages destroy prints.

use std::sync::Arc;

use mfa_sandbox::ServerOptions;
use mfa_sandbox::akana::{AkanaEmulator, ROOT_BUSINESS};
use mfa_sandbox::onlyoffice::OnlyofficeEmulator;
use mfa_sandbox::rhombus::{DEMO_ORG_UUID, RhombusEmulator};
use mfa_sandbox::zitadel::{CUSTOM_ORG, ZitadelEmulator};

use crate::harness::{self, Provider, Ws, providers};

/// A list or set holding an element known only after apply passes validate and plan; the
/// element is checked once known (here: a CIDR block with host bits, refused at apply).
#[test]
fn a_set_with_an_element_known_only_after_apply_is_accepted_and_checked_when_known() {
    let (_r, remu) = harness::started(RhombusEmulator::new());
    let (d, demu) = harness::started(OnlyofficeEmulator::new());
    // `length(id) * 0 + 7` is 7, but only once the Rhombus resource exists.
    let config = |ip: &str| {
        providers(&[Provider::of(&remu), Provider::of(&demu)])
            + &format!(
                r#"
resource "rhombus_mfa_settings" "org" {{
  mfa_enabled = true
}}

resource "onlyoffice_tfa_settings" "portal" {{
  type        = "app"
  trusted_ips = ["198.51.100.1", format("{ip}", length(rhombus_mfa_settings.org.id) * 0 + 7)]
}}
"#
            )
    };
    let ws = Ws::new(&config("10.0.0.%d"));
    ws.run(&["validate"]).ok();
    ws.plan().mentions(&["(known after apply)"]);
    ws.apply().ok().mentions(&["2 added"]);
    assert_eq!(d.settings().1, ["10.0.0.7", "198.51.100.1"]);
    ws.assert_no_changes();

    // A bad element is caught when its value is known, before anything is sent.
    let ws = Ws::new(&config("10.0.0.%d/8"));
    ws.run(&["validate"]).ok();
    ws.apply().fails_with(&["Invalid value for trusted_ips", "did you mean \"10.0.0.0/8\""]);
}

/// An ID pasted with a newline or spaces is refused at validate with the trimmed value; nothing
/// is sent.
#[test]
fn ids_with_surrounding_whitespace_are_refused_with_the_trimmed_value() {
    let (_z, zemu) = harness::started(ZitadelEmulator::new());
    let (_a, aemu) = harness::started(AkanaEmulator::new());
    let config = providers(&[Provider::of(&zemu), Provider::of(&aemu)])
        + &format!(
            "\nresource \"zitadel_login_mfa_settings\" \"org\" {{\n  org_id = \"{CUSTOM_ORG}\\n\"\n  force_mfa = true\n}}\n\
             \nresource \"akana_twofa_settings\" \"root\" {{\n  business_id = \" {ROOT_BUSINESS}\"\n  enabled = true\n}}\n"
        );
    let ws = Ws::new(&config);
    ws.run(&["validate"]).fails_with(&[
        "Invalid value for org_id",
        &format!("did you mean \"{CUSTOM_ORG}\"?"),
        "Invalid value for business_id",
        &format!("did you mean \"{ROOT_BUSINESS}\"?"),
    ]);
    assert!(zemu.control.requests().is_empty() && aemu.control.requests().is_empty());
}

/// A base URL below a path (a reverse proxy serving DocSpace at `/docspace`) keeps its path;
/// ZITADEL, which serves its API at the root and names the instance by host, refuses one with the
/// root URL; `user:password@` is refused and never echoed.
#[test]
fn base_urls_keep_their_path_and_never_carry_credentials() {
    let app = Arc::new(OnlyofficeEmulator::new());
    let opts = ServerOptions { path_prefix: Some("/docspace".into()), ..Default::default() };
    let demu = harness::start_with(app.clone(), opts);
    let prefixed = format!("{}/docspace", demu.url());
    let ws = Ws::new(
        &(Provider::at(&demu, &prefixed).config()
            + "\nresource \"onlyoffice_tfa_settings\" \"portal\" {\n  type = \"app\"\n}\n"),
    );
    ws.apply().ok();
    assert_eq!(app.settings().0, "app");
    ws.assert_no_changes();

    let (_z, zemu) = harness::started(ZitadelEmulator::new());
    let factor =
        "\nresource \"zitadel_login_second_factor\" \"email\" {\n  type = \"SECOND_FACTOR_TYPE_OTP_EMAIL\"\n}\n";
    let ws = Ws::new(&(Provider::at(&zemu, &format!("{}/zitadel", zemu.url())).config() + factor));
    ws.plan().fails_with(&["Invalid ZITADEL url", "\"/zitadel\"", &format!("Use {}.", zemu.url())]);

    let secret = "https://admin:hunter2secret@api2.rhombussystems.com";
    let ws = Ws::new(
        &(Provider::of_type("rhombus", secret).config()
            + "\nresource \"rhombus_mfa_settings\" \"org\" {\n  mfa_enabled = true\n}\n"),
    );
    let out = ws.plan();
    out.fails_with(&["Invalid Rhombus endpoint", "user name or password"]);
    // The configuration itself is echoed by Terraform's source snippet; the diagnostic is not.
    let diagnostic = out.all().split("Invalid Rhombus endpoint").nth(1).unwrap_or_default().to_string();
    let detail = diagnostic.split("\n\n").filter(|p| !p.contains(" = ")).collect::<Vec<_>>().join("\n\n");
    assert!(!detail.contains("hunter2secret"), "the password was echoed:\n{}", out.all());
}

/// Numbers beyond what the API stores name the real bound; durations beyond a Go
/// `time.Duration` are refused at validate.
#[test]
fn numbers_and_durations_beyond_what_the_apis_store_are_refused() {
    let (_a, aemu) = harness::started(AkanaEmulator::new());
    let (_z, zemu) = harness::started(ZitadelEmulator::new());
    let config = providers(&[Provider::of(&aemu), Provider::of(&zemu)])
        + &format!(
            "\nresource \"akana_twofa_settings\" \"root\" {{\n  business_id = \"{ROOT_BUSINESS}\"\n  enabled = true\n  max_attempts = 2147483648\n}}\n\
             \nresource \"zitadel_login_mfa_settings\" \"instance\" {{\n  force_mfa = true\n  mfa_init_skip_lifetime = \"2562048h\"\n}}\n"
        );
    Ws::new(&config).run(&["validate"]).fails_with(&[
        "Invalid value for max_attempts",
        "must be at most 2147483647 (the API stores it as a 32-bit number)",
        "Invalid value for mfa_init_skip_lifetime",
        "a Go time.Duration holds at most 2562047h47m16.854775807s",
    ]);
}

/// Boolean environment variables take what Terraform users write (`true`/`false`, `1`/`0`) and
/// refuse anything else; `yes` used to be false silently.
#[test]
fn boolean_environment_variables_are_true_false_1_or_0() {
    let (r, remu) = harness::started(RhombusEmulator::new());
    r.set_mfa(DEMO_ORG_UUID, false, 0);
    let config =
        Provider::of(&remu).config() + "\nresource \"rhombus_mfa_settings\" \"org\" {\n  mfa_enabled = true\n}\n";
    let ws = Ws::with(harness::terraform(), &config, &[("RHOMBUS_INSECURE_SKIP_VERIFY", "yes")]);
    ws.plan().fails_with(&[
        "Invalid value for insecure_skip_verify",
        "RHOMBUS_INSECURE_SKIP_VERIFY is \"yes\"",
        "true or false (or 1 or 0)",
    ]);
    assert!(remu.control.requests().is_empty());
    let ws = Ws::with(harness::terraform(), &config, &[("RHOMBUS_INSECURE_SKIP_VERIFY", "1")]);
    ws.apply().ok().mentions(&["TLS certificate verification is off"]);
    let ws = Ws::with(harness::terraform(), &config, &[("RHOMBUS_INSECURE_SKIP_VERIFY", "FALSE")]);
    let plan = ws.run(&["plan", "-input=false"]);
    plan.ok();
    assert!(!plan.text().contains("verification is off"), "{}", plan.all());
}

/// Two resources of one configuration managing one organization, portal or business would flip
/// it on every apply: the later plan fails, naming the object.
#[test]
fn two_resources_for_one_settings_object_fail_the_plan() {
    let (_r, remu) = harness::started(RhombusEmulator::new());
    let (_d, demu) = harness::started(OnlyofficeEmulator::new());
    let (_a, aemu) = harness::started(AkanaEmulator::new());
    let config = providers(&[Provider::of(&remu), Provider::of(&demu), Provider::of(&aemu)]);
    let cases = [
        (
            "resource \"rhombus_mfa_settings\" \"a\" {\n  mfa_enabled = true\n}\nresource \"rhombus_mfa_settings\" \"b\" {\n  mfa_enabled = false\n}\n"
                .to_string(),
            "the MFA settings of the API key's own Rhombus organization".to_string(),
        ),
        (
            "resource \"onlyoffice_tfa_settings\" \"a\" {\n  type = \"app\"\n}\nresource \"onlyoffice_tfa_settings\" \"b\" {\n  type = \"none\"\n}\n"
                .to_string(),
            "the TFA settings of the provider's DocSpace portal".to_string(),
        ),
        (
            format!(
                "resource \"akana_twofa_settings\" \"a\" {{\n  business_id = \"{ROOT_BUSINESS}\"\n  enabled = true\n}}\n\
                 resource \"akana_twofa_settings\" \"b\" {{\n  business_id = \"{ROOT_BUSINESS}\"\n  enabled = false\n}}\n"
            ),
            format!("the 2FA settings of Akana business {ROOT_BUSINESS}"),
        ),
    ];
    for (resources, object) in cases {
        let ws = Ws::new(&format!("{config}\n{resources}"));
        ws.plan().fails_with(&["Two resources manage one remote object", &object]);
    }
}

/// Destroy says once what it does: at plan where the CLI plans destroys (the apply does not say
/// it again), else at apply.
#[test]
fn destroy_says_once_what_it_leaves() {
    let (_r, remu) = harness::started(RhombusEmulator::new());
    let ws = Ws::new(
        &(Provider::of(&remu).config() + "\nresource \"rhombus_mfa_settings\" \"org\" {\n  mfa_enabled = true\n}\n"),
    );
    ws.apply().ok();
    let out = ws.destroy();
    out.ok();
    assert_eq!(out.text().matches("Rhombus MFA settings will be left as they are").count(), 1, "{}", out.all());
}

/// restore_on_destroy that would switch MFA off says so at plan, long before the destroy, and
/// again when the destroy is planned.
#[test]
fn restoring_weaker_settings_is_said_at_plan() {
    let (r, remu) = harness::started(RhombusEmulator::new());
    r.set_mfa(DEMO_ORG_UUID, false, 0);
    let ws = Ws::new(
        &(Provider::of(&remu).config()
            + "\nresource \"rhombus_mfa_settings\" \"org\" {\n  mfa_enabled = true\n  trusted_device_skip_days = 0\n  restore_on_destroy = true\n}\n"),
    );
    ws.plan().mentions(&[
        "Warning: Destroying rhombus_mfa_settings will weaken the organization's settings",
        "MFA is switched off (mfa_enabled = false)",
    ]);
    ws.apply().ok();
    // Said once: a plan that keeps restore_on_destroy on has nothing new to say.
    let quiet = ws.plan();
    assert_eq!(quiet.code, 0, "{}", quiet.all());
    assert!(!quiet.all().contains("will weaken"), "no warning on a plan without changes:\n{}", quiet.all());
    // Turned off and on again: news again.
    let config = |restore: bool| {
        Provider::of(&remu).config()
            + &format!(
                "\nresource \"rhombus_mfa_settings\" \"org\" {{\n  mfa_enabled = true\n  trusted_device_skip_days = 0\n  restore_on_destroy = {restore}\n}}\n"
            )
    };
    ws.write(&config(false));
    ws.apply().ok();
    ws.write(&config(true));
    ws.plan().mentions(&["Warning: Destroying rhombus_mfa_settings will weaken the organization's settings"]);
    ws.apply().ok();
    ws.destroy().ok().mentions(&["weakens the organization's settings", "MFA is switched off"]);
    assert_eq!(r.mfa(DEMO_ORG_UUID), (Some(false), Some(0)));
}
