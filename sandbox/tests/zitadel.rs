//! The ZITADEL emulator's login-policy updates, as ZITADEL's code has them: the gateway reads the
//! body with protojson (`internal/api/grpc/server/gateway.go`: unknown fields discarded, a
//! Duration only in `"<seconds>s"` form), the update replaces every settings field
//! (`UpdateLoginPolicyRequest` in `proto/zitadel/admin.proto`), and the command refuses an update
//! that changes nothing (`internal/command/instance_policy_login.go`: `INSTANCE-5M9vdd`;
//! `org_policy_login.go`: `Org-5M9vdd`, and `Org-M0sif` for an organization without its own).

use std::sync::Arc;

use mfa_sandbox::zitadel::{ADMIN_PAT, CUSTOM_ORG, INHERITING_ORG, ZitadelEmulator};
use mfa_sandbox::{ServerOptions, start};
use serde_json::{Value as J, json};

async fn put(url: &str, org: Option<&str>, body: J) -> (u16, J) {
    let path = if org.is_some() { "management" } else { "admin" };
    let mut req = reqwest::Client::new()
        .put(format!("{url}/{path}/v1/policies/login"))
        .bearer_auth(ADMIN_PAT)
        .body(body.to_string())
        .header("content-type", "application/json");
    if let Some(o) = org {
        req = req.header("x-zitadel-orgid", o);
    }
    let r = req.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

#[tokio::test]
async fn login_policy_updates_behave_as_zitadel() {
    let app = Arc::new(ZitadelEmulator::new());
    let emu = start(app.clone(), ServerOptions::default()).await.unwrap();
    let url = emu.url();
    let mut body = app.instance_policy();
    for f in ["secondFactors", "multiFactors", "idps", "details", "isDefault"] {
        body.as_object_mut().unwrap().remove(f);
    }

    // The same values again: refused by the command, with ZITADEL's error detail.
    let (status, err) = put(&url, None, body.clone()).await;
    assert_eq!((status, &err["code"], &err["details"][0]["id"]), (400, &json!(9), &json!("INSTANCE-5M9vdd")));
    assert_eq!(err["message"], "Default Login Policy has not been changed (INSTANCE-5M9vdd)");

    // A Go-style duration is not a protojson Duration: the gateway's 400, without details.
    let mut go = body.clone();
    go["mfaInitSkipLifetime"] = json!("720h");
    let (status, err) = put(&url, None, go).await;
    assert_eq!((status, &err["code"]), (400, &json!(3)));
    assert!(err.get("details").is_none(), "{err}");
    assert!(err["message"].as_str().unwrap().contains("invalid google.protobuf.Duration"), "{err}");

    // Unknown fields are discarded; omitted fields are reset (the update replaces the policy).
    let (status, _) = put(&url, None, json!({"forceMfa": true, "someFutureField": 1})).await;
    assert_eq!(status, 200);
    let p = app.instance_policy();
    assert_eq!(p["forceMfa"], true);
    assert!(p.get("allowRegister").is_none_or(|v| v == false), "omitted means false: {p}");
    assert_eq!(p["passwordCheckLifetime"], "0s");
    assert!(p.get("someFutureField").is_none());
    // Factor lists are not part of the update.
    assert_eq!(p["secondFactors"], json!(["SECOND_FACTOR_TYPE_OTP", "SECOND_FACTOR_TYPE_U2F"]));

    // Organizations: their own settings only.
    let (status, err) = put(&url, Some(INHERITING_ORG), json!({"forceMfa": true})).await;
    assert_eq!((status, &err["details"][0]["id"]), (404, &json!("Org-M0sif")));
    let mut own = app.org_policy(CUSTOM_ORG).unwrap();
    for f in ["secondFactors", "multiFactors", "idps", "details", "isDefault"] {
        own.as_object_mut().unwrap().remove(f);
    }
    let (status, err) = put(&url, Some(CUSTOM_ORG), own).await;
    assert_eq!((status, &err["details"][0]["id"]), (400, &json!("Org-5M9vdd")));
    // No translation in en.yaml for the organization's key: the key itself is the message.
    assert_eq!(err["message"], "Errors.Org.LoginPolicy.NotChanged (Org-5M9vdd)");
}
