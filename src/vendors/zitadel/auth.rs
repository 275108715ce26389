//! ZITADEL credentials: a personal access token sent as Bearer, or a service
//! user's JWT-profile key, from which the provider signs a JWT (RS256, `kid` = key ID,
//! `iss` = `sub` = user ID, `aud` = the instance URL) and exchanges it at `/oauth/v2/token` with the
//! JWT-bearer grant. Exchanged tokens are cached until shortly before they expire, shared by all
//! resources of the provider instance, and refreshed once when ZITADEL says they expired.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;
use url::Url;

use super::error::ZitadelError;
use crate::http::{Call, HttpClient, LoginGate, api_url};

/// Scope that gives an access token for ZITADEL's own APIs (what the official Go client requests).
pub const API_SCOPE: &str = "openid urn:zitadel:iam:org:project:id:zitadel:aud";
const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// Refresh this long before the token's announced expiry.
const EXPIRY_MARGIN: Duration = Duration::from_secs(60);

/// A service user's key file as ZITADEL issues it.
#[derive(Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyFile {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub key_id: String,
    /// PEM private key (`RSA PRIVATE KEY` as ZITADEL writes it, or PKCS#8).
    pub key: String,
    pub user_id: String,
}

impl std::fmt::Debug for KeyFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyFile").field("key_id", &self.key_id).field("user_id", &self.user_id).finish_non_exhaustive()
    }
}

impl KeyFile {
    /// Parses and checks a key file; the error never repeats the file's content.
    pub fn parse(json: &str) -> Result<(KeyFile, jsonwebtoken::EncodingKey), String> {
        let kf: KeyFile = serde_json::from_str(json).map_err(|e| {
            format!("not a ZITADEL key file (expected JSON with keyId, key and userId): {}", e.classify_message())
        })?;
        if kf.kind.as_deref().is_some_and(|k| k != "serviceaccount") {
            return Err(format!(
                "key file type is {:?}; a service user's key file has type \"serviceaccount\"",
                kf.kind.unwrap_or_default()
            ));
        }
        if kf.key_id.is_empty() || kf.user_id.is_empty() {
            return Err("keyId and userId must not be empty".into());
        }
        let key = jsonwebtoken::EncodingKey::from_rsa_pem(kf.key.as_bytes())
            .map_err(|_| "the key is not a PEM-encoded RSA private key".to_string())?;
        Ok((kf, key))
    }
}

trait Classify {
    fn classify_message(&self) -> String;
}

impl Classify for serde_json::Error {
    /// serde_json's message without the excerpt of the input (which could be the private key).
    fn classify_message(&self) -> String {
        match self.classify() {
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => "malformed JSON".into(),
            serde_json::error::Category::Data => "missing or mistyped fields".into(),
            serde_json::error::Category::Io => "unreadable".into(),
        }
    }
}

pub enum Credentials {
    Pat(String),
    JwtProfile { key_file: KeyFile, key: jsonwebtoken::EncodingKey },
}

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    iat: u64,
    exp: u64,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    expires_in: Option<u64>,
}

#[derive(Deserialize)]
struct OAuthError {
    error: Option<String>,
    error_description: Option<String>,
}

struct Cached {
    token: String,
    valid_until: Instant,
}

/// Hands out a valid access token, exchanging the JWT profile when needed.
pub struct TokenSource {
    credentials: Credentials,
    /// `https://acme.zitadel.cloud`: the token endpoint's host and the JWT audience.
    issuer: Url,
    cached: Mutex<Option<Cached>>,
    /// An exchange ZITADEL refused (a revoked or unknown key) is not tried again by this process.
    gate: LoginGate<ZitadelError>,
}

impl TokenSource {
    pub fn new(credentials: Credentials, issuer: Url) -> Self {
        TokenSource { credentials, issuer, cached: Mutex::new(None), gate: LoginGate::default() }
    }

    pub fn refreshable(&self) -> bool {
        matches!(self.credentials, Credentials::JwtProfile { .. })
    }

    /// A token to send. With a JWT profile, concurrent callers wait for one exchange.
    pub async fn token(&self, http: &HttpClient, cancel: &CancellationToken) -> Result<String, ZitadelError> {
        let (key_file, key) = match &self.credentials {
            Credentials::Pat(t) => return Ok(t.clone()),
            Credentials::JwtProfile { key_file, key } => (key_file, key),
        };
        let mut cached = self.cached.lock().await;
        if let Some(c) = cached.as_ref()
            && c.valid_until > Instant::now()
        {
            return Ok(c.token.clone());
        }
        let refused = |e: &ZitadelError| matches!(e, ZitadelError::Token { refused: true, .. });
        let issued = self.gate.login(self.exchange(http, key_file, key, cancel), refused).await?;
        let token = issued.access_token.clone();
        let lifetime = Duration::from_secs(issued.expires_in.unwrap_or(3600));
        *cached =
            Some(Cached { token: token.clone(), valid_until: Instant::now() + lifetime.saturating_sub(EXPIRY_MARGIN) });
        Ok(token)
    }

    /// Forgets `used` after ZITADEL rejected it, so the next call exchanges a new one.
    pub async fn invalidate(&self, used: &str) {
        let mut cached = self.cached.lock().await;
        if cached.as_ref().is_some_and(|c| c.token == used) {
            *cached = None;
        }
    }

    async fn exchange(
        &self,
        http: &HttpClient,
        kf: &KeyFile,
        key: &jsonwebtoken::EncodingKey,
        cancel: &CancellationToken,
    ) -> Result<TokenResponse, ZitadelError> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
        let audience = self.issuer.as_str().trim_end_matches('/');
        let claims = Claims { iss: &kf.user_id, sub: &kf.user_id, aud: audience, iat: now, exp: now + 3600 };
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
        header.kid = Some(kf.key_id.clone());
        let assertion = jsonwebtoken::encode(&header, &claims, key).map_err(|e| ZitadelError::Token {
            message: format!("cannot sign the JWT with the key file's key: {e}"),
            refused: false,
        })?;
        let url = api_url(&self.issuer, "/oauth/v2/token");
        // Exchanging twice is harmless: the first token is simply never used.
        let call = Call::new(http::Method::POST, url)
            .form(&[("grant_type", JWT_BEARER), ("scope", API_SCOPE), ("assertion", &assertion)])
            .header("accept", "application/json")
            .idempotent(true);
        let resp = http.send(&call, cancel).await?;
        if resp.status.is_success() {
            // The answer holds the access token: never quoted, even when it cannot be read.
            return Ok(resp.json_secret("ZITADEL", &call)?);
        }
        let e: OAuthError =
            serde_json::from_slice(&resp.body).unwrap_or(OAuthError { error: None, error_description: None });
        // RFC 6749 §5.2: a refused grant is 400 (invalid_grant, invalid_client…) or 401.
        let refused = matches!(resp.status.as_u16(), 400 | 401 | 403);
        let describe =
            |s: Option<String>, none: &str| s.map_or(none.to_string(), |s| crate::http::redact::redact_text(&s));
        Err(ZitadelError::Token {
            message: format!(
                "the token endpoint answered HTTP {} ({}: {})",
                resp.status.as_u16(),
                describe(e.error, "no error code"),
                describe(e.error_description, "no description")
            ),
            refused,
        })
    }
}
