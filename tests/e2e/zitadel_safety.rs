//! ZITADEL changes that must not lock users out, and factors that are adopted, not refused:
//! under real Terraform against the emulator. ZITADEL's login refuses every user of a scope that
//! forces MFA but allows no factor (`auth_request.go` `mfaChecked`, LOGIN-5Hm8s), so the provider
//! refuses to get there, and orders what it can order itself.

use mfa_sandbox::zitadel::FactorList::{Multi, Second};
use mfa_sandbox::zitadel::{CUSTOM_ORG, INHERITING_ORG, ZitadelEmulator};
use mfa_sandbox::{Fault, FaultKind, RunningEmulator};

use crate::harness::{self, Provider, Ws};

const OTP: &str = "SECOND_FACTOR_TYPE_OTP";
const EMAIL: &str = "SECOND_FACTOR_TYPE_OTP_EMAIL";
const PASSKEY: &str = "MULTI_FACTOR_TYPE_U2F_WITH_VERIFICATION";

fn config(url: &str) -> String {
    Provider::of_type("zitadel", url).config()
}

fn second(name: &str, ty: &str, org: &str, extra: &str) -> String {
    format!(
        "\nresource \"zitadel_login_second_factor\" \"{name}\" {{\n  type = \"{ty}\"\n  org_id = \"{org}\"\n{extra}}}\n"
    )
}

fn deletes(emu: &RunningEmulator) -> usize {
    emu.control.requests().iter().filter(|r| r.method == "DELETE").count()
}

/// The custom organization forces MFA with OTP as its only factor. Removing OTP is refused
/// before anything is sent, with the way out; swapping OTP for e-mail codes in one apply works,
/// because within one provider process the addition goes first.
#[test]
fn removing_the_last_factor_of_a_scope_that_forces_mfa_is_refused() {
    let (app, emu) = harness::started(ZitadelEmulator::new());
    let otp = second("otp", OTP, CUSTOM_ORG, "  remove_on_destroy = true\n");
    let ws = Ws::new(&(config(&emu.url()) + &otp));
    ws.apply().ok().mentions(&[&format!("{OTP} was already enabled; Terraform adopted it")]);
    ws.assert_no_changes();

    ws.write(&config(&emu.url()));
    if harness::terraform_supports_destroy_plans() {
        ws.plan().mentions(&["Warning: This change would lock every user out of the login settings of organization"]);
    }
    emu.control.clear_requests();
    ws.apply().fails_with(&[
        &format!("Refused: this change would lock every user out of the login settings of organization {CUSTOM_ORG}"),
        "LOGIN-5Hm8s",
        "Enable another factor first",
        "force_mfa = false",
        "Nothing was sent",
    ]);
    assert_eq!(deletes(&emu), 0, "nothing may be removed");
    assert_eq!(app.org_factors(CUSTOM_ORG, Second), Some(vec![OTP.to_string()]));

    // Swapping one factor for another completes in one apply.
    ws.write(&(config(&emu.url()) + &second("email", EMAIL, CUSTOM_ORG, "")));
    ws.apply().ok().mentions(&["1 added", "1 destroyed"]);
    assert_eq!(app.org_factors(CUSTOM_ORG, Second), Some(vec![EMAIL.to_string()]));
    ws.assert_no_changes();
}

/// Where the provider cannot order the swap — the new factor comes through another provider
/// block, another process — the removal waits a moment for it, then is refused with the advice
/// that the next apply completes it; and it does.
#[test]
fn a_swap_across_provider_blocks_completes_on_the_next_apply() {
    let (app, emu) = harness::started(ZitadelEmulator::new());
    let base = harness::providers(&[Provider::of(&emu), Provider::of(&emu).alias("other")]);
    let ws = Ws::new(&(base.clone() + &second("otp", OTP, CUSTOM_ORG, "  remove_on_destroy = true\n")));
    ws.apply().ok();
    // The other provider's add arrives only after the removal gave up waiting.
    emu.control.push_fault(Fault::parse("delay=5000,method=POST,path=/second_factors$,times=1").unwrap());
    let email = second("email", EMAIL, CUSTOM_ORG, "  provider = zitadel.other\n");
    ws.write(&(base + &email));
    ws.apply().fails_with(&["Refused: this change would lock every user out", "run terraform apply again"]);
    assert!(app.org_factors(CUSTOM_ORG, Second).unwrap().contains(&EMAIL.to_string()));
    ws.apply().ok().mentions(&["1 destroyed"]);
    assert_eq!(app.org_factors(CUSTOM_ORG, Second), Some(vec![EMAIL.to_string()]));
    ws.assert_no_changes();
}

/// The only factor of a scope that forces MFA is added, its answer is lost and the read-back
/// fails: the outcome is unknown, the resource is kept with the error (tainted). The next apply
/// replaces it without ever removing the factor — the removal would lock everyone out — and
/// adopts the factor that did land.
#[test]
fn an_unknown_add_of_the_only_factor_recovers_without_a_removal() {
    let (app, emu) = harness::started(ZitadelEmulator::new());
    app.remove_out_of_band(Some(CUSTOM_ORG), Second, OTP);
    let ws = Ws::new(&(Provider::of(&emu).with("max_retries", 0).config() + &second("email", EMAIL, CUSTOM_ORG, "")));
    emu.control.push_fault(Fault::new(FaultKind::Lost).on_method("POST").on_path("/second_factors$").times(1));
    // The create's own read goes through; its read-back after the lost answer does not.
    emu.control.push_fault(Fault::status(503).on_method("GET").on_path("/management/v1/policies/login$").after(1));
    ws.apply().fails_with(&["is unknown", "Run terraform apply again"]);
    emu.control.clear_faults();
    assert_eq!(ws.attrs("zitadel_login_second_factor.email")["origin"], "unconfirmed");
    emu.control.clear_requests();
    ws.apply().ok().mentions(&["1 added", "1 destroyed"]);
    assert_eq!(deletes(&emu), 0, "the only factor must never be removed");
    assert_eq!(app.org_factors(CUSTOM_ORG, Second), Some(vec![EMAIL.to_string()]));
    assert_eq!(ws.attrs("zitadel_login_second_factor.email")["origin"], "added");
    ws.assert_no_changes();
}

/// Forcing MFA on a scope that allows no factor: a warning at plan, a refusal at apply after a
/// live read, nothing sent. Adding a factor with `depends_on` makes the same change apply in one
/// run.
#[test]
fn forcing_mfa_where_no_factor_is_allowed_is_refused() {
    let (app, emu) = harness::started(ZitadelEmulator::new());
    app.remove_out_of_band(Some(CUSTOM_ORG), Second, OTP);
    app.set_org_policy_field(CUSTOM_ORG, "forceMfa", serde_json::json!(false));
    let settings = |deps: &str| {
        format!(
            "\nresource \"zitadel_login_mfa_settings\" \"payments\" {{\n  org_id = \"{CUSTOM_ORG}\"\n  force_mfa = true\n{deps}}}\n"
        )
    };
    let ws = Ws::new(&(config(&emu.url()) + &settings("")));
    ws.plan().mentions(&["Warning: This change would lock every user out", "force_mfa"]);
    emu.control.clear_requests();
    ws.apply().fails_with(&["Refused: this change would lock every user out", "Enable another factor first"]);
    assert!(emu.control.requests().iter().all(|r| r.method == "GET"), "nothing may be written");
    assert_eq!(app.org_policy(CUSTOM_ORG).unwrap()["forceMfa"], false);

    let both =
        second("email", EMAIL, CUSTOM_ORG, "") + &settings("  depends_on = [zitadel_login_second_factor.email]\n");
    ws.write(&(config(&emu.url()) + &both));
    let plan = ws.plan();
    assert!(!plan.text().contains("lock every user out"), "the planned factor counts:\n{}", plan.all());
    ws.apply().ok().mentions(&["2 added"]);
    assert_eq!(app.org_policy(CUSTOM_ORG).unwrap()["forceMfa"], true);
    ws.assert_no_changes();
}

/// A new instance has OTP and U2F enabled: creating them adopts them, with a warning; destroy
/// leaves an adopted factor enabled unless remove_on_destroy asks for its removal.
#[test]
fn factors_already_enabled_are_adopted_and_kept_on_destroy() {
    let (app, emu) = harness::started(ZitadelEmulator::new());
    let otp = "\nresource \"zitadel_login_second_factor\" \"otp\" {\n  type = \"SECOND_FACTOR_TYPE_OTP\"\n}\n";
    let pk = format!("\nresource \"zitadel_login_multifactor\" \"pk\" {{\n  type = \"{PASSKEY}\"\n}}\n");
    let ws = Ws::new(&(config(&emu.url()) + otp + &pk));
    ws.apply().ok().mentions(&[
        "2 added",
        &format!("{OTP} was already enabled; Terraform adopted it"),
        "remove_on_destroy",
    ]);
    assert_eq!(ws.attrs("zitadel_login_second_factor.otp")["origin"], "found");
    ws.assert_no_changes();
    ws.destroy().ok().mentions(&[&format!("{OTP} will stay enabled"), "found it already enabled"]);
    assert!(app.instance_factors(Second).contains(&OTP.to_string()));
    assert!(app.instance_factors(Multi).contains(&PASSKEY.to_string()));

    // Asked for, the removal happens.
    let otp = otp.replace("\n}\n", "\n  remove_on_destroy = true\n}\n");
    ws.write(&(config(&emu.url()) + &otp));
    ws.apply().ok();
    ws.destroy().ok().mentions(&["1 destroyed"]);
    assert!(!app.instance_factors(Second).contains(&OTP.to_string()));
}

/// Two workspaces applying to one inheriting organization at the same moment: one gives it
/// settings of its own, the other finds its factor in that copy and adopts it. Both succeed,
/// whichever comes first.
#[test]
fn two_workspaces_on_one_inheriting_organization_both_succeed() {
    for _round in 0..3 {
        let (app, emu) = harness::started(ZitadelEmulator::new());
        let a = Ws::new(&(config(&emu.url()) + &second("email", EMAIL, INHERITING_ORG, "")));
        let b = Ws::new(&(config(&emu.url()) + &second("otp", OTP, INHERITING_ORG, "")));
        let (ra, rb) = std::thread::scope(|s| {
            let ta = s.spawn(|| a.apply());
            let tb = s.spawn(|| b.apply());
            (ta.join().unwrap(), tb.join().unwrap())
        });
        ra.ok();
        rb.ok();
        let own = app.org_factors(INHERITING_ORG, Second).unwrap();
        assert!(own.contains(&EMAIL.to_string()) && own.contains(&OTP.to_string()), "{own:?}");
        a.assert_no_changes();
        b.assert_no_changes();
    }
}

/// Two resources for one factor of one scope, or for one scope's MFA settings, would undo each
/// other: the later plan fails and names the object.
#[test]
fn two_resources_for_one_object_fail_the_plan() {
    let (_app, emu) = harness::started(ZitadelEmulator::new());
    let twice = second("a", EMAIL, CUSTOM_ORG, "") + &second("b", EMAIL, CUSTOM_ORG, "");
    let ws = Ws::new(&(config(&emu.url()) + &twice));
    ws.plan().fails_with(&[
        "Two resources manage one remote object",
        &format!("{EMAIL} in the login settings of organization {CUSTOM_ORG}"),
    ]);
    let mfa = |n: &str, f: bool| {
        format!(
            "\nresource \"zitadel_login_mfa_settings\" \"{n}\" {{\n  org_id = \"{CUSTOM_ORG}\"\n  force_mfa = {f}\n}}\n"
        )
    };
    ws.write(&(config(&emu.url()) + &mfa("on", true) + &mfa("off", false)));
    ws.plan().fails_with(&["Two resources manage one remote object", "the MFA settings (force_mfa and lifetimes)"]);
    assert!(emu.control.requests().iter().all(|r| r.method == "GET"));
}
