//! Who is calling: personal access tokens and the JWT-bearer grant at `/oauth/v2/token`.
//!
//! The grant follows zitadel/oidc `pkg/op/verifier_jwt_profile.go` (`VerifyJWTAssertion`):
//! the assertion's `aud` must contain the issuer as an exact string (`pkg/oidc/verifier.go`
//! `CheckAudience`) — ZITADEL's issuer is the request's origin, `scheme://host[:port]` without a
//! path or trailing slash (`internal/api/oidc/op.go` `IssuerFromContext`) — `iss` must equal `sub`,
//! and the RS256 signature must verify with the key named by `kid`.

use std::collections::BTreeMap;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::{Value as J, json};

use super::{ADMIN_KEY_ID, ADMIN_USER};

/// One RSA key for every emulator in the process: generating it takes a moment.
/// (PKCS#1 private key PEM as ZITADEL's key files carry it, public key PEM.)
pub fn demo_key() -> &'static (String, String) {
    static KEY: OnceLock<(String, String)> = OnceLock::new();
    KEY.get_or_init(|| {
        let kp = rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
            .expect("RSA key generation");
        let pkcs1 = pkcs8_rsa_to_pkcs1(&kp.serialize_der()).expect("rcgen writes PKCS#8 RSA keys");
        (pem("RSA PRIVATE KEY", &pkcs1), kp.public_key_pem())
    })
}

/// Unwraps the PKCS#1 `RSAPrivateKey` from a PKCS#8 `PrivateKeyInfo`, because ZITADEL's key
/// files carry `-----BEGIN RSA PRIVATE KEY-----` and the emulator hands out the same shape.
fn pkcs8_rsa_to_pkcs1(der: &[u8]) -> Option<Vec<u8>> {
    fn tlv(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
        let tag = *b.first()?;
        let first = *b.get(1)? as usize;
        let (len, hdr) = if first < 0x80 {
            (first, 2)
        } else {
            let n = first & 0x7f;
            let mut len = 0usize;
            for i in 0..n {
                len = (len << 8) | *b.get(2 + i)? as usize;
            }
            (len, 2 + n)
        };
        Some((tag, b.get(hdr..hdr + len)?, b.get(hdr + len..)?))
    }
    let (_, info, _) = tlv(der)?;
    let (_, _, rest) = tlv(info)?; // version
    let (_, _, rest) = tlv(rest)?; // algorithm
    let (tag, key, _) = tlv(rest)?;
    (tag == 0x04).then(|| key.to_vec())
}

fn pem(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> =
        b64.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).expect("base64 is ASCII")).collect();
    format!("-----BEGIN {label}-----\n{}\n-----END {label}-----\n", lines.join("\n"))
}

/// What a caller may do.
#[derive(Clone)]
pub struct Principal {
    pub iam_owner: bool,
    /// The organization of the service user: the default target of management calls.
    pub home_org: &'static str,
    pub owner_of: Vec<String>,
}

/// Users, their personal access tokens and the access tokens the grant issued.
pub struct Tokens {
    pub users: BTreeMap<&'static str, Principal>,
    pub pats: BTreeMap<String, &'static str>,
    pub access: BTreeMap<String, (&'static str, Instant)>,
    pub ttl: Duration,
    /// Expire every issued access token once, after this many more authenticated calls.
    pub expire_after: Option<u32>,
}

/// Why a bearer token was refused (the authz interceptor runs before translation: raw keys).
pub enum Refusal {
    Missing,
    Invalid,
}

impl Tokens {
    /// The principal a bearer token stands for.
    pub fn principal(&mut self, headers: &HeaderMap) -> Result<Principal, Refusal> {
        if let Some(n) = self.expire_after.as_mut() {
            if *n == 0 {
                self.expire_after = None;
                self.expire_all();
            } else {
                *n -= 1;
            }
        }
        let token = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim)
            .ok_or(Refusal::Missing)?;
        let user = match self.pats.get(token) {
            Some(u) => *u,
            None => match self.access.get(token) {
                Some((u, exp)) if *exp > Instant::now() => *u,
                _ => return Err(Refusal::Invalid),
            },
        };
        Ok(self.users[user].clone())
    }

    pub fn expire_all(&mut self) {
        let past = Instant::now() - Duration::from_secs(1);
        for (_, exp) in self.access.values_mut() {
            *exp = past;
        }
    }

    /// `POST /oauth/v2/token` with the JWT-bearer grant (RFC 7523).
    pub fn grant(&mut self, issuer: &str, body: &[u8]) -> Response {
        let form: BTreeMap<String, String> = url::form_urlencoded::parse(body).into_owned().collect();
        let oauth_err = |e: &str, d: &str| {
            (
                StatusCode::BAD_REQUEST,
                [("content-type", "application/json")],
                json!({"error": e, "error_description": d}).to_string(),
            )
                .into_response()
        };
        if form.get("grant_type").map(String::as_str) != Some("urn:ietf:params:oauth:grant-type:jwt-bearer") {
            return oauth_err("unsupported_grant_type", "only the JWT bearer grant is enabled for service users here");
        }
        let Some(assertion) = form.get("assertion") else {
            return oauth_err("invalid_request", "assertion missing");
        };
        let Ok(header) = jsonwebtoken::decode_header(assertion) else {
            return oauth_err("invalid_grant", "assertion is not a JWT");
        };
        if header.kid.as_deref() != Some(ADMIN_KEY_ID) {
            return oauth_err("invalid_grant", "key not found");
        }
        let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
        // Exact string equality with the issuer: another scheme, a port or a trailing slash fail.
        v.set_audience(&[issuer]);
        v.set_issuer(&[ADMIN_USER]);
        v.set_required_spec_claims(&["exp", "iat", "aud", "iss", "sub"]);
        let Ok(key) = jsonwebtoken::DecodingKey::from_rsa_pem(demo_key().1.as_bytes()) else {
            return oauth_err("server_error", "key unreadable");
        };
        let data = match jsonwebtoken::decode::<J>(assertion, &key, &v) {
            Ok(d) => d,
            Err(e) if matches!(e.kind(), jsonwebtoken::errors::ErrorKind::InvalidAudience) => {
                return oauth_err("invalid_grant", &format!("Audience must contain client_id \"{issuer}\""));
            }
            Err(e) => return oauth_err("invalid_grant", &format!("assertion invalid: {:?}", e.kind())),
        };
        if data.claims["sub"] != data.claims["iss"] {
            return oauth_err("invalid_grant", "subject must be the issuer");
        }
        let scopes = form.get("scope").cloned().unwrap_or_default();
        if !scopes.split(' ').any(|s| s == "urn:zitadel:iam:org:project:id:zitadel:aud") {
            return oauth_err("invalid_scope", "the token would not be valid for ZITADEL's APIs");
        }
        let token = format!("zat_{}", uuid::Uuid::new_v4().simple());
        self.access.insert(token.clone(), (ADMIN_USER, Instant::now() + self.ttl));
        (
            StatusCode::OK,
            [("content-type", "application/json")],
            json!({"access_token": token, "token_type": "Bearer", "expires_in": self.ttl.as_secs()}).to_string(),
        )
            .into_response()
    }
}
