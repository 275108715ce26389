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

async fn call(url: &str, method: reqwest::Method, path: &str, org: Option<&str>, body: Option<J>) -> (u16, J) {
    let mut req = reqwest::Client::new().request(method, format!("{url}{path}")).bearer_auth(ADMIN_PAT);
    if let Some(b) = body {
        req = req.body(b.to_string()).header("content-type", "application/json");
    }
    if let Some(o) = org {
        req = req.header("x-zitadel-orgid", o);
    }
    let r = req.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(J::Null))
}

/// The lock-out policy as `internal/command/org_policy_lockout.go` and
/// `instance_policy_password_lockout.go` have it: the instance's write path differs from its
/// read, answers carry uint64 as strings and leave zeros out, the first instance update is never
/// "not changed" (it clears `showLockOutFailures`), a repeat is, and an organization's own policy
/// is added once, reset once.
#[tokio::test]
async fn lockout_policy_behaves_as_zitadel() {
    use reqwest::Method;
    let app = Arc::new(ZitadelEmulator::new());
    let emu = start(app.clone(), ServerOptions::default()).await.unwrap();
    let url = emu.url();

    // A fresh instance never locks: both zero, so both left out.
    let (status, r) = call(&url, Method::GET, "/admin/v1/policies/lockout", None, None).await;
    assert_eq!(status, 200);
    assert!(r["policy"].get("maxPasswordAttempts").is_none() && r["policy"].get("maxOtpAttempts").is_none(), "{r}");
    assert_eq!(r["policy"]["isDefault"], true);

    let zero = json!({"maxPasswordAttempts": 0, "maxOtpAttempts": 0});
    let (status, _) = call(&url, Method::PUT, "/admin/v1/policies/password/lockout", None, Some(zero.clone())).await;
    assert_eq!(status, 200, "the first update flips showLockOutFailures");
    let (status, e) = call(&url, Method::PUT, "/admin/v1/policies/password/lockout", None, Some(zero)).await;
    assert_eq!((status, &e["details"][0]["id"]), (400, &json!("INSTANCE-0psjF")));
    // The read path does not take writes.
    let (status, _) = call(&url, Method::PUT, "/admin/v1/policies/lockout", None, Some(json!({}))).await;
    assert_eq!(status, 405);

    // uint32 in, uint64 (a string) out; a string is accepted in, a negative is the gateway's 400.
    let body = json!({"maxPasswordAttempts": "5", "maxOtpAttempts": 3});
    let (status, _) = call(&url, Method::PUT, "/admin/v1/policies/password/lockout", None, Some(body)).await;
    assert_eq!(status, 200);
    let (_, r) = call(&url, Method::GET, "/admin/v1/policies/lockout", None, None).await;
    assert_eq!((&r["policy"]["maxPasswordAttempts"], &r["policy"]["maxOtpAttempts"]), (&json!("5"), &json!("3")));
    let (status, e) =
        call(&url, Method::PUT, "/admin/v1/policies/password/lockout", None, Some(json!({"maxPasswordAttempts": -1})))
            .await;
    assert_eq!(status, 400);
    assert!(e.get("details").is_none(), "{e}");

    // An inheriting organization reads the instance's, flagged; update needs its own first.
    let (_, r) = call(&url, Method::GET, "/management/v1/policies/lockout", Some(INHERITING_ORG), None).await;
    assert_eq!((&r["isDefault"], &r["policy"]["maxOtpAttempts"]), (&json!(true), &json!("3")));
    let one = json!({"maxPasswordAttempts": 1});
    let (status, e) =
        call(&url, Method::PUT, "/management/v1/policies/lockout", Some(INHERITING_ORG), Some(one.clone())).await;
    assert_eq!((status, &e["details"][0]["id"]), (404, &json!("ORG-ADfs1")));
    let (status, _) =
        call(&url, Method::POST, "/management/v1/policies/lockout", Some(INHERITING_ORG), Some(one.clone())).await;
    assert_eq!(status, 200);
    let (status, e) =
        call(&url, Method::POST, "/management/v1/policies/lockout", Some(INHERITING_ORG), Some(one)).await;
    assert_eq!((status, &e["details"][0]["id"]), (409, &json!("ORG-0olDf")));
    // An omitted limit is 0 in the organization's own policy: the update replaces it whole.
    let org = app.org_lockout(INHERITING_ORG).unwrap();
    assert_eq!((org.max_password_attempts, org.max_otp_attempts), (1, 0));
    let (status, _) = call(&url, Method::DELETE, "/management/v1/policies/lockout", Some(INHERITING_ORG), None).await;
    assert_eq!(status, 200);
    let (status, e) = call(&url, Method::DELETE, "/management/v1/policies/lockout", Some(INHERITING_ORG), None).await;
    assert_eq!((status, &e["details"][0]["id"]), (404, &json!("ORG-D4zuz")));

    // Before v2.50: the field is unknown, dropped from requests and never shown.
    app.without_max_otp_attempts();
    let body = json!({"maxPasswordAttempts": 4, "maxOtpAttempts": 2});
    let (status, _) = call(&url, Method::PUT, "/admin/v1/policies/password/lockout", None, Some(body)).await;
    assert_eq!(status, 200);
    let (_, r) = call(&url, Method::GET, "/admin/v1/policies/lockout", None, None).await;
    assert!(r["policy"].get("maxOtpAttempts").is_none(), "{r}");
    assert_eq!(app.instance_lockout().max_otp_attempts, 0);
}

/// A key-file login over HTTP/2, as a client with ALPN gets it against `--tls`: HTTP/2 carries
/// the host only in `:authority` (no `Host` header), and ZITADEL's issuer — the audience the
/// assertion must name exactly — is still `https://localhost:PORT`.
#[tokio::test]
async fn key_file_login_works_over_http2() {
    let app = Arc::new(ZitadelEmulator::new());
    let emu = start(app.clone(), ServerOptions { tls: true, ..Default::default() }).await.unwrap();
    let url = emu.url();
    let kf: J = serde_json::from_str(&app.key_file_json()).unwrap();
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(kf["key"].as_str().unwrap().as_bytes()).unwrap();
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = kf["keyId"].as_str().map(String::from);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let user = kf["userId"].as_str().unwrap();
    let claims = json!({"iss": user, "sub": user, "aud": url, "iat": now, "exp": now + 60});
    let assertion = jsonwebtoken::encode(&header, &claims, &key).unwrap();

    let cert = reqwest::Certificate::from_pem(emu.tls_cert_pem.as_ref().unwrap().as_bytes()).unwrap();
    let client = reqwest::Client::builder().tls_certs_only([cert]).build().unwrap();
    let form = format!(
        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&scope=openid%20urn%3Azitadel%3Aiam%3Aorg%3Aproject%3Aid%3Azitadel%3Aaud&assertion={assertion}"
    );
    let r = client
        .post(format!("{url}/oauth/v2/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.version(), reqwest::Version::HTTP_2);
    let status = r.status();
    let token: J = r.json().await.unwrap();
    assert_eq!(status, 200, "{token}");
    let token = token["access_token"].as_str().unwrap();
    let r = client.get(format!("{url}/admin/v1/policies/login")).bearer_auth(token).send().await.unwrap();
    assert_eq!((r.version(), r.status().as_u16()), (reqwest::Version::HTTP_2, 200));
}
