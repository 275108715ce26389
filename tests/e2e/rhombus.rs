//! `rhombus_mfa_settings` under real Terraform against the Rhombus emulator.

use mfa_sandbox::Fault;
use mfa_sandbox::rhombus::{
    CLIENT_ORG_UUID, CLIENT_ORG_UUID_2, CLIENT_ORG_UUID_3, DEMO_API_KEY, DEMO_ORG_UUID, FOREIGN_ORG_UUID,
    PARTNER_API_KEY, RhombusEmulator,
};

use crate::harness::{self, Provider, Ws, required_providers};

fn config(url: &str, resource_body: &str) -> String {
    format!(
        "{}\nresource \"rhombus_mfa_settings\" \"org\" {{\n{resource_body}\n}}\n",
        Provider::of_type("rhombus", url).config()
    )
}

#[test]
fn lifecycle_create_noop_update_drift_destroy() {
    let (app, emu) = harness::started(RhombusEmulator::new());
    app.set_mfa(DEMO_ORG_UUID, false, 0);
    let ws = Ws::new(&config(&emu.url(), "  mfa_enabled = true\n  trusted_device_skip_days = 14"));

    ws.apply().ok().mentions(&["1 added", &format!("[id={DEMO_ORG_UUID}]")]);
    assert_eq!(app.mfa(DEMO_ORG_UUID), (Some(true), Some(14)));
    ws.assert_no_changes();
    let attrs = ws.attrs("rhombus_mfa_settings.org");
    assert_eq!(attrs["id"], DEMO_ORG_UUID);
    assert_eq!(attrs["restore_on_destroy"], false);

    // Every request carried the provider's User-Agent.
    let reqs = emu.control.requests();
    assert!(!reqs.is_empty());
    for r in &reqs {
        assert!(r.user_agent.starts_with(&format!("terraform-provider-rhombus/{}", harness::VERSION)), "{r:?}");
    }

    // Update in place.
    ws.write(&config(&emu.url(), "  mfa_enabled = true\n  trusted_device_skip_days = -1"));
    ws.assert_changes().mentions(&["~ trusted_device_skip_days = 14 -> -1", "1 to change"]);
    ws.apply().ok().mentions(&["1 changed"]);
    assert_eq!(app.mfa(DEMO_ORG_UUID), (Some(true), Some(-1)));
    ws.assert_no_changes();

    // Someone switches MFA off in the console: the plan shows it and apply puts it back.
    app.set_mfa(DEMO_ORG_UUID, false, -1);
    ws.assert_changes().mentions(&["~ mfa_enabled = false -> true"]);
    ws.apply().ok();
    assert_eq!(app.mfa(DEMO_ORG_UUID), (Some(true), Some(-1)));

    // Destroy without restore_on_destroy forgets, warns, and leaves MFA on.
    let writes_before = emu.control.count("POST", "updateMFASettings");
    ws.destroy().ok().mentions(&["Rhombus MFA settings will be left as they are", "1 destroyed"]);
    assert_eq!(app.mfa(DEMO_ORG_UUID), (Some(true), Some(-1)));
    assert_eq!(emu.control.count("POST", "updateMFASettings"), writes_before, "destroy must not write");
}

#[test]
fn unset_days_keeps_the_org_value_and_second_apply_sends_nothing() {
    let (app, emu) = harness::started(RhombusEmulator::new());
    let ws = Ws::new(&config(&emu.url(), "  mfa_enabled = true"));
    ws.apply().ok();
    // The org already had MFA on with 30 days: adopting it needs no write.
    assert_eq!(emu.control.count("POST", "updateMFASettings"), 0);
    assert_eq!(ws.attrs("rhombus_mfa_settings.org")["trusted_device_skip_days"], 30);
    // Changing the days out of band is not drift for a configuration that does not set them.
    app.set_mfa(DEMO_ORG_UUID, true, 90);
    ws.assert_no_changes();
}

#[test]
fn restore_on_destroy_puts_back_the_adopted_settings() {
    let (app, emu) = harness::started(RhombusEmulator::new());
    app.set_mfa(DEMO_ORG_UUID, false, 0);
    let ws = Ws::new(&config(
        &emu.url(),
        "  mfa_enabled = true\n  trusted_device_skip_days = 7\n  restore_on_destroy = true",
    ));
    ws.apply().ok();
    assert_eq!(app.mfa(DEMO_ORG_UUID), (Some(true), Some(7)));
    ws.assert_no_changes();
    let out = ws.destroy();
    out.ok();
    assert!(!out.text().contains("will be left as they are"), "{}", out.all());
    assert_eq!(app.mfa(DEMO_ORG_UUID), (Some(false), Some(0)));
}

#[test]
fn import_then_no_changes_and_wrong_id_is_explained() {
    let (app, emu) = harness::started(RhombusEmulator::new());
    app.set_mfa(DEMO_ORG_UUID, true, 5);
    let ws = Ws::new(&config(&emu.url(), "  mfa_enabled = true\n  trusted_device_skip_days = 5"));

    ws.import("rhombus_mfa_settings.org", "SomeOtherOrgUuid000000").fails_with(&[
        "Import ID is not this API key's organization",
        &format!("Import it with ID \"{DEMO_ORG_UUID}\" instead"),
        &format!("id = \"{DEMO_ORG_UUID}\""),
    ]);
    ws.import("rhombus_mfa_settings.org", DEMO_ORG_UUID).ok().mentions(&["Import successful"]);
    ws.assert_no_changes();
    assert_eq!(emu.control.count("POST", "updateMFASettings"), 0, "import must not write");
}

#[test]
fn bad_configuration_fails_early_with_attribute_paths() {
    let (_app, emu) = harness::started(RhombusEmulator::new());
    let ws = Ws::new(&config(&emu.url(), "  mfa_enabled = true\n  trusted_device_skip_days = 1.5"));
    ws.run(&["validate"]).fails_with(&[
        "Invalid value for trusted_device_skip_days",
        "must be a whole number",
        "trusted_device_skip_days = 1.5",
    ]);

    // Literal: the block's own setting (an unknown auth_scheme) is what is checked.
    let bad_scheme = format!(
        "{}\nprovider \"rhombus\" {{\n  endpoint = \"{}\"\n  api_key = \"k\"\n  auth_scheme = \"foo\"\n}}\nresource \"rhombus_mfa_settings\" \"org\" {{\n  mfa_enabled = true\n}}\n",
        required_providers(&["rhombus"]),
        emu.url()
    );
    ws.write(&bad_scheme);
    ws.run(&["validate"]).fails_with(&[
        "Invalid value for auth_scheme",
        "\"api-token\", \"partner-api-token\"",
        "auth_scheme = \"foo\"",
    ]);

    // Literal: a block without the key, and no key in the environment.
    let no_key = format!(
        "{}\nprovider \"rhombus\" {{\n  endpoint = \"{}\"\n}}\nresource \"rhombus_mfa_settings\" \"org\" {{\n  mfa_enabled = true\n}}\n",
        required_providers(&["rhombus"]),
        emu.url()
    );
    ws.write(&no_key);
    ws.plan().fails_with(&["Missing Rhombus API key", "api_key", "RHOMBUS_API_KEY"]);

    let plain_http = config("http://api.example.com", "  mfa_enabled = true");
    ws.write(&plain_http);
    ws.plan().fails_with(&["Invalid Rhombus endpoint", "loopback"]);
    assert!(emu.control.requests().is_empty(), "nothing may reach the API");
}

#[test]
fn settings_from_environment_variables() {
    let (app, emu) = harness::started(RhombusEmulator::new());
    app.set_mfa(DEMO_ORG_UUID, false, 0);
    let cfg = format!(
        "{}\nresource \"rhombus_mfa_settings\" \"org\" {{\n  mfa_enabled = true\n}}\n",
        required_providers(&["rhombus"])
    );
    let url = emu.url();
    let ws = Ws::with(harness::terraform(), &cfg, &[("RHOMBUS_ENDPOINT", &url), ("RHOMBUS_API_KEY", DEMO_API_KEY)]);
    ws.apply().ok();
    assert_eq!(app.mfa(DEMO_ORG_UUID).0, Some(true));
}

#[test]
fn wrong_key_is_a_clear_401() {
    let (_app, emu) = harness::started(RhombusEmulator::new());
    let cfg = config(&emu.url(), "  mfa_enabled = true").replace(DEMO_API_KEY, "notARealKey");
    let ws = Ws::new(&cfg);
    let r = ws.apply();
    r.fails_with(&["Rhombus rejected the API key", "HTTP 401", "RHOMBUS_API_KEY"]);
    assert!(!r.all().contains("notARealKey"), "the key must not appear in output");
}

#[test]
fn retries_503_then_succeeds() {
    let (app, emu) = harness::started(RhombusEmulator::new());
    app.set_mfa(DEMO_ORG_UUID, false, 0);
    emu.control.push_fault(Fault::status(503).times(2).on_path("updateMFASettings"));
    let ws = Ws::new(&config(&emu.url(), "  mfa_enabled = true"));
    ws.apply().ok();
    assert_eq!(app.mfa(DEMO_ORG_UUID).0, Some(true));
    let statuses: Vec<u16> =
        emu.control.requests().iter().filter(|r| r.path.contains("updateMFASettings")).map(|r| r.status).collect();
    assert_eq!(statuses, [503, 503, 200]);
}

#[test]
fn error_envelope_on_200_and_warnings_reach_the_user() {
    let (app, emu) = harness::started(RhombusEmulator::new());
    app.set_mfa(DEMO_ORG_UUID, false, 0);
    emu.control.push_fault(Fault::new(mfa_sandbox::FaultKind::Envelope).times(1).on_path("updateMFASettings"));
    let ws = Ws::new(&config(&emu.url(), "  mfa_enabled = true"));
    ws.apply().fails_with(&["Rhombus reported an error", "settings are locked for maintenance"]);
    // Nothing was created: a retry creates it, and Rhombus's warning is shown.
    app.warn_next_update("MFA enforcement starts at the next login");
    ws.apply().ok().mentions(&["Warning: Rhombus warning", "MFA enforcement starts at the next login"]);
}

/// The same lifecycle under a current Terraform (tfplugin5.10 clients: ALPN h2 enforced, identity
/// RPCs, destroy plans). Runs when scripts/test found a second Terraform (TERRAFORM_CURRENT).
#[test]
fn lifecycle_under_current_terraform() {
    let Some(tf) = harness::terraform_current() else {
        harness::skip(
            "rhombus::lifecycle_under_current_terraform",
            "no TERRAFORM_CURRENT (scripts/test sets it when `terraform` on PATH is another version)",
        );
        return;
    };
    let (app, emu) = harness::started(RhombusEmulator::new());
    app.set_mfa(DEMO_ORG_UUID, false, 0);
    let ws = Ws::with(tf, &config(&emu.url(), "  mfa_enabled = true\n  trusted_device_skip_days = 3"), &[]);
    ws.apply().ok();
    ws.assert_no_changes();
    app.set_mfa(DEMO_ORG_UUID, false, 3);
    ws.assert_changes().mentions(&["~ mfa_enabled = false -> true"]);
    ws.apply().ok();
    ws.import("rhombus_mfa_settings.org", DEMO_ORG_UUID).fails_with(&["Resource already managed by Terraform"]);
    // Current Terraform plans destroys through the provider, so the warning shows at plan time.
    ws.run(&["plan", "-destroy"]).ok().mentions(&["Rhombus MFA settings will be left as they are"]);
    ws.destroy().ok();
    assert_eq!(app.mfa(DEMO_ORG_UUID), (Some(true), Some(3)));
}

/// Literal: the partner key and its scheme are what these scenarios are about.
fn partner(url: &str, body: &str) -> String {
    format!(
        "{}\nprovider \"rhombus\" {{\n  endpoint    = \"{url}\"\n  api_key     = \"{PARTNER_API_KEY}\"\n  auth_scheme = \"partner-api-token\"\n}}\n{body}",
        required_providers(&["rhombus"])
    )
}

/// A partner manages three client organizations from one provider block (`for_each` over their
/// UUIDs, each call naming its client in `x-auth-org`); drift in one shows in that one only;
/// import takes a client's UUID; the partner's own organization is untouched.
#[test]
fn a_partner_key_manages_client_organizations() {
    let (app, emu) = harness::started(RhombusEmulator::new());
    app.set_mfa(DEMO_ORG_UUID, false, 3);
    let body = format!(
        "locals {{\n  clients = {{ acme = \"{CLIENT_ORG_UUID}\", beta = \"{CLIENT_ORG_UUID_2}\", gamma = \"{CLIENT_ORG_UUID_3}\" }}\n}}\n\
         resource \"rhombus_mfa_settings\" \"client\" {{\n  for_each                 = local.clients\n  org_uuid                 = each.value\n  mfa_enabled              = true\n  trusted_device_skip_days = 7\n}}\n"
    );
    let ws = Ws::new(&partner(&emu.url(), &body));
    ws.apply().ok().mentions(&["3 added"]);
    for org in [CLIENT_ORG_UUID, CLIENT_ORG_UUID_2, CLIENT_ORG_UUID_3] {
        assert_eq!(app.mfa(org), (Some(true), Some(7)), "{org}");
    }
    assert_eq!(app.mfa(DEMO_ORG_UUID), (Some(false), Some(3)), "the partner's own organization was changed");
    ws.assert_no_changes();

    // Drift in one client shows in that client only.
    app.set_mfa(CLIENT_ORG_UUID_2, false, 7);
    let plan = ws.assert_changes();
    plan.mentions(&["rhombus_mfa_settings.client[\"beta\"] will be updated in-place", "1 to change"]);
    ws.apply().ok();
    assert_eq!(app.mfa(CLIENT_ORG_UUID_2), (Some(true), Some(7)));

    // Import a client organization by its UUID.
    let ws2 = Ws::new(&partner(
        &emu.url(),
        &format!(
            "resource \"rhombus_mfa_settings\" \"acme\" {{\n  org_uuid    = \"{CLIENT_ORG_UUID}\"\n  mfa_enabled = true\n  trusted_device_skip_days = 7\n}}\n"
        ),
    ));
    ws2.import("rhombus_mfa_settings.acme", CLIENT_ORG_UUID).ok();
    ws2.assert_no_changes();

    // An organization that is no client of the partner: refused, on org_uuid.
    let ws3 = Ws::new(&partner(
        &emu.url(),
        &format!(
            "resource \"rhombus_mfa_settings\" \"other\" {{\n  org_uuid    = \"{FOREIGN_ORG_UUID}\"\n  mfa_enabled = true\n}}\n"
        ),
    ));
    ws3.apply().fails_with(&[
        "The partner key has no access to this client organization",
        FOREIGN_ORG_UUID,
        "org_uuid",
        "Access Denied",
    ]);
    assert_eq!(app.mfa(FOREIGN_ORG_UUID).0, Some(true));
}

/// With an organization API key, org_uuid can only be the key's own organization: anything else
/// is a plan-time error on org_uuid; the key's own UUID is fine.
#[test]
fn an_organization_key_manages_only_its_own_organization() {
    let (_app, emu) = harness::started(RhombusEmulator::new());
    let ws = Ws::new(&config(&emu.url(), &format!("  org_uuid    = \"{CLIENT_ORG_UUID}\"\n  mfa_enabled = true")));
    ws.plan().fails_with(&[
        "org_uuid is not the API key's organization",
        CLIENT_ORG_UUID,
        DEMO_ORG_UUID,
        "partner-api-token",
    ]);
    assert_eq!(emu.control.count("POST", "updateMFASettings"), 0);
    ws.write(&config(&emu.url(), &format!("  org_uuid    = \"{DEMO_ORG_UUID}\"\n  mfa_enabled = true")));
    ws.apply().ok();
    ws.assert_no_changes();
    // Dropping org_uuid from the configuration keeps managing the same organization.
    ws.write(&config(&emu.url(), "  mfa_enabled = true"));
    ws.assert_no_changes();
}

/// A key of another organization behind the same provider block (another environment's key in
/// the pipeline's variable): the state pins the organization by UUID, so the plan fails naming
/// both, and nothing is written.
#[test]
fn a_key_of_another_organization_is_an_error_never_a_write() {
    let (app, emu) = harness::started(RhombusEmulator::new());
    app.add_org_with_key("StagingSecurityOrg0009", "Acme Staging", "rhombusStagingKey00009");
    let ws = Ws::new(&config(&emu.url(), "  mfa_enabled = true"));
    ws.apply().ok();
    let writes = || emu.control.count("POST", "updateMFASettings");
    let before = writes();
    ws.write(&config(&emu.url(), "  mfa_enabled = true").replace(DEMO_API_KEY, "rhombusStagingKey00009"));
    for run in [ws.plan(), ws.apply()] {
        run.fails_with(&["API key belongs to another Rhombus organization", DEMO_ORG_UUID, "StagingSecurityOrg0009"]);
    }
    assert_eq!(writes(), before, "nothing is written to the other organization");
}
