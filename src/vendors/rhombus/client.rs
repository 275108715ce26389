//! Rhombus API client for the two calls the resource needs (https://apidocs.rhombussystems.com, the
//! OpenAPI document at https://api2.rhombussystems.com/api/openapi/public.json): `getOrgV2` to read
//! and `updateMFASettings` to write. Every call is a POST with a JSON body and the
//! `x-auth-apikey`/`x-auth-scheme` headers; failures often arrive as HTTP 200 with
//! `"error": true`, which this client turns into errors.
//!
//! A partner key (`partner-api-token`) acts on a client organization named by the `x-auth-org`
//! header (Rhombus authentication docs, "Partner Example"; rhombus-cli `internal/client/client.go`)
//! and on the partner's own organization without it — so every answer is checked to be about the
//! organization asked for: a call that reached the wrong one must never be taken for the right one.

use serde::Deserialize;
use thiserror::Error;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::http::{Call, HttpClient, HttpError, Uncertain, api_url, status_is_transient, status_may_have_landed};
use crate::plugin::diag::{AttrPath, ToDiagnostic};

/// The org fields the resource uses (the API returns many more; they are ignored).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Org {
    pub uuid: Option<String>,
    pub name: Option<String>,
    pub mfa_enabled: Option<bool>,
    #[serde(rename = "v3AuthNumDaysSkip2FAForTrustedDevices")]
    pub trusted_device_skip_days: Option<i64>,
}

/// Rhombus's response wrapper: `{error, errorMsg, warningMsg, org, ...}` (errors are read
/// before it is).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope {
    warning_msg: Option<String>,
    org: Option<Org>,
}

#[derive(Debug, Error)]
pub enum RhombusError {
    #[error(transparent)]
    Http(#[from] HttpError),
    #[error("Rhombus rejected the credentials on {call} (HTTP {status})")]
    Unauthorized { call: String, status: u16 },
    #[error("Rhombus refused the partner key access to organization {org} on {call} (HTTP {status}: {message})")]
    PartnerDenied { call: String, org: String, status: u16, message: String },
    #[error("Rhombus answered {call} about organization {answered}, not {asked}")]
    WrongOrg { call: String, asked: String, answered: String },
    #[error("organization {asked} is not the one the API key belongs to ({own})")]
    NotKeysOrg { asked: String, own: String },
    #[error("Rhombus reported an error on {call}: {message}")]
    Api { call: String, message: String },
    #[error("Rhombus answered {call} with HTTP {status}: {message}")]
    Status { call: String, status: u16, message: String },
    #[error("Rhombus answered {call} without an org object")]
    NoOrg { call: String },
}

impl ToDiagnostic for RhombusError {
    fn summary(&self) -> String {
        match self {
            RhombusError::Http(e) => e.summary(),
            RhombusError::Unauthorized { .. } => "Rhombus rejected the API key".into(),
            RhombusError::PartnerDenied { .. } => "The partner key has no access to this client organization".into(),
            RhombusError::WrongOrg { .. } => "Rhombus answered for another organization".into(),
            RhombusError::NotKeysOrg { .. } => "org_uuid is not the API key's organization".into(),
            RhombusError::Api { .. } => "Rhombus reported an error".into(),
            RhombusError::Status { .. } | RhombusError::NoOrg { .. } => "Unexpected answer from the Rhombus API".into(),
        }
    }
    fn path(&self) -> Option<AttrPath> {
        matches!(self, RhombusError::PartnerDenied { .. } | RhombusError::NotKeysOrg { .. })
            .then(|| AttrPath::attr("org_uuid"))
    }
    fn detail(&self) -> String {
        match self {
            RhombusError::Http(e) => e.detail(),
            RhombusError::Unauthorized { .. } => format!(
                "{self}. Check the provider's api_key (or RHOMBUS_API_KEY) and auth_scheme: an API token needs \
                 \"api-token\", a partner token \"partner-api-token\"; the key's role must be allowed to manage org settings."
            ),
            RhombusError::PartnerDenied { .. } => format!(
                "{self}. Check org_uuid: it must be the UUID of a client organization this partner manages, and the client must \
                 not have suspended the partner, let its access expire, or given it a role that may not change org settings."
            ),
            RhombusError::WrongOrg { .. } => format!(
                "{self}. Nothing was recorded. A proxy may strip the x-auth-org header, or the key is not a partner key: check \
                 auth_scheme."
            ),
            RhombusError::NotKeysOrg { .. } => format!(
                "{self}. An organization API key (auth_scheme = \"api-token\") manages only its own organization. Leave org_uuid \
                 unset, or use a partner key (auth_scheme = \"partner-api-token\") to manage client organizations."
            ),
            _ => format!("{self}."),
        }
    }
}

impl Uncertain for RhombusError {
    fn may_have_landed(&self) -> bool {
        match self {
            RhombusError::Http(e) => e.may_have_landed(),
            RhombusError::Status { status, .. } => status_may_have_landed(*status),
            _ => false,
        }
    }
    fn is_transient(&self) -> bool {
        match self {
            RhombusError::Http(e) => e.is_transient(),
            RhombusError::Status { status, .. } => status_is_transient(*status),
            _ => false,
        }
    }
}

/// Which organization a call is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The key's own organization: no `x-auth-org`.
    Own,
    /// The key's own organization, which must be this one.
    Expect(String),
    /// A partner's client organization, named by `x-auth-org`.
    Client(String),
}

pub struct RhombusClient {
    http: HttpClient,
    base: Url,
    api_key: String,
    auth_scheme: String,
    /// The key's own organization, read once per provider process when needed.
    own: tokio::sync::OnceCell<String>,
}

/// The answer to a write: the org as saved, plus Rhombus's "it worked, but" message.
pub struct Written {
    pub org: Org,
    pub warning: Option<String>,
}

impl RhombusClient {
    pub fn new(http: HttpClient, base: Url, api_key: String, auth_scheme: String) -> Self {
        RhombusClient { http, base, api_key, auth_scheme, own: tokio::sync::OnceCell::new() }
    }

    pub fn is_partner(&self) -> bool {
        self.auth_scheme.starts_with("partner-")
    }

    /// The UUID of the key's own organization.
    pub async fn own_org(&self, cancel: &CancellationToken) -> Result<String, RhombusError> {
        self.own
            .get_or_try_init(|| async {
                let org = self.get_org(&Target::Own, cancel).await?;
                Ok(org.uuid.unwrap_or_default())
            })
            .await
            .cloned()
    }

    /// How to address `org_uuid` (the key's own organization when unset): a partner key names a
    /// client with `x-auth-org` (its own organization needs a lookup, once per process, to be
    /// told apart); any other key can only act on its own organization, which [`Self::get_org`]
    /// then checks against `org_uuid` without an extra call.
    pub async fn target(&self, org_uuid: Option<&str>, cancel: &CancellationToken) -> Result<Target, RhombusError> {
        match org_uuid {
            Some(asked) if self.is_partner() && asked != self.own_org(cancel).await? => {
                Ok(Target::Client(asked.to_string()))
            }
            Some(asked) => Ok(Target::Expect(asked.to_string())),
            None => Ok(Target::Own),
        }
    }

    async fn post(
        &self,
        path: &str,
        body: serde_json::Value,
        target: &Target,
        cancel: &CancellationToken,
    ) -> Result<Envelope, RhombusError> {
        let raw = self.post_raw(path, body, target, cancel).await?;
        serde_json::from_value(raw).map_err(|e| RhombusError::Status {
            call: format!("POST {path}"),
            status: 200,
            message: format!("an answer of an unexpected shape: {e}"),
        })
    }

    /// One call, its answer's JSON once it is not an error (Rhombus reports many as HTTP 200
    /// with `"error": true`).
    async fn post_raw(
        &self,
        path: &str,
        body: serde_json::Value,
        target: &Target,
        cancel: &CancellationToken,
    ) -> Result<serde_json::Value, RhombusError> {
        let url = api_url(&self.base, path);
        // Every call is safe to repeat: reads, and a write of absolute values.
        let mut call = Call::new(http::Method::POST, url)
            .json(&body)
            .header("accept", "application/json")
            .header("x-auth-apikey", &self.api_key)
            .header("x-auth-scheme", &self.auth_scheme)
            .idempotent(true);
        if let Target::Client(org) = target {
            call = call.header("x-auth-org", org);
        }
        let resp = self.http.send(&call, cancel).await?;
        let status = resp.status.as_u16();
        match status {
            200 => {
                let raw: serde_json::Value = resp.json("Rhombus", &call)?;
                if raw.get("error").and_then(|e| e.as_bool()) == Some(true) {
                    let message = raw
                        .get("errorMsg")
                        .and_then(|m| m.as_str())
                        .filter(|m| !m.trim().is_empty())
                        .unwrap_or("no message given")
                        .to_string();
                    return Err(RhombusError::Api { call: call.name(), message });
                }
                Ok(raw)
            }
            401 | 403 => match target {
                Target::Client(org) => Err(RhombusError::PartnerDenied {
                    call: call.name(),
                    org: org.clone(),
                    status,
                    message: resp.error_message(&["msg", "errorMsg", "message", "error"]),
                }),
                Target::Own | Target::Expect(_) => Err(RhombusError::Unauthorized { call: call.name(), status }),
            },
            _ => Err(RhombusError::Status {
                call: call.name(),
                status,
                message: resp.error_message(&["errorMsg", "msg", "message"]),
            }),
        }
    }

    /// A partner's client organizations, `(uuid, name)`: `POST /api/partner/getClientsV2` with
    /// `{}`, no paging (Rhombus OpenAPI `getPartnerClientsV2`: `clients[]` of `clientOrgUuid`,
    /// `clientOrgName`). rhombus-cli (`cmd/root.go`) reads `partnerClients[]` of `orgUuid` and
    /// `name` from the same call; both spellings are read. `None` when the answer holds no list of
    /// clients with a UUID each.
    pub async fn partner_clients(
        &self,
        cancel: &CancellationToken,
    ) -> Result<Option<Vec<(String, String)>>, RhombusError> {
        let env = self.post_raw("/api/partner/getClientsV2", serde_json::json!({}), &Target::Own, cancel).await?;
        let Some(list) = env.get("clients").or_else(|| env.get("partnerClients")).and_then(|v| v.as_array()) else {
            return Ok(None);
        };
        let field = |c: &serde_json::Value, keys: &[&str]| {
            keys.iter().find_map(|k| c.get(*k).and_then(|v| v.as_str())).map(str::to_string)
        };
        Ok(list
            .iter()
            .map(|c| {
                let uuid = field(c, &["clientOrgUuid", "orgUuid"])?;
                let name = field(c, &["clientOrgName", "name"]).unwrap_or_else(|| uuid.clone());
                Some((uuid, name))
            })
            .collect())
    }

    /// `POST /api/org/getOrgV2` with `{}`: the organization addressed.
    pub async fn get_org(&self, target: &Target, cancel: &CancellationToken) -> Result<Org, RhombusError> {
        let env = self.post("/api/org/getOrgV2", serde_json::json!({}), target, cancel).await?;
        let org = env.org.ok_or_else(|| RhombusError::NoOrg { call: "POST /api/org/getOrgV2".into() })?;
        check_org("POST /api/org/getOrgV2", target, &org)?;
        Ok(org)
    }

    /// `POST /api/org/updateMFASettings`; a `None` field is omitted, so Rhombus leaves it as is.
    pub async fn update_mfa(
        &self,
        target: &Target,
        mfa_enabled: Option<bool>,
        days: Option<i64>,
        cancel: &CancellationToken,
    ) -> Result<Written, RhombusError> {
        let mut body = serde_json::Map::new();
        if let Some(b) = mfa_enabled {
            body.insert("mfaEnabled".into(), b.into());
        }
        if let Some(d) = days {
            body.insert("v3AuthNumDaysSkip2FAForTrustedDevices".into(), d.into());
        }
        let env = self.post("/api/org/updateMFASettings", serde_json::Value::Object(body), target, cancel).await?;
        let warning = env.warning_msg.filter(|w| !w.trim().is_empty());
        let org = env.org.ok_or_else(|| RhombusError::NoOrg { call: "POST /api/org/updateMFASettings".into() })?;
        check_org("POST /api/org/updateMFASettings", target, &org)?;
        Ok(Written { org, warning })
    }
}

/// An answer about a client organization must be about that organization; an organization key
/// asked about another organization than its own is told so.
fn check_org(call: &str, target: &Target, org: &Org) -> Result<(), RhombusError> {
    match (target, org.uuid.as_deref()) {
        (Target::Client(asked), Some(answered)) if answered != asked => {
            Err(RhombusError::WrongOrg { call: call.into(), asked: asked.clone(), answered: answered.into() })
        }
        (Target::Expect(asked), Some(own)) if own != asked => {
            Err(RhombusError::NotKeysOrg { asked: asked.clone(), own: own.into() })
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::HttpSettings;
    use mfa_sandbox::ServerOptions;
    use mfa_sandbox::rhombus::{DEMO_API_KEY, DEMO_ORG_UUID, RhombusEmulator};
    use std::sync::Arc;

    #[tokio::test]
    async fn reads_writes_and_surfaces_warnings_and_envelope_errors() {
        let app = Arc::new(RhombusEmulator::new());
        let emu = mfa_sandbox::start(app.clone(), ServerOptions::default()).await.unwrap();
        let http = HttpClient::new("Rhombus", "rhombus", "", HttpSettings::default()).unwrap();
        let c = RhombusClient::new(http, Url::parse(&emu.url()).unwrap(), DEMO_API_KEY.into(), "api-token".into());
        let cancel = CancellationToken::new();

        let org = c.get_org(&Target::Own, &cancel).await.unwrap();
        assert_eq!(org.uuid.as_deref(), Some(DEMO_ORG_UUID));

        app.warn_next_update("careful");
        let w = c.update_mfa(&Target::Own, Some(false), Some(3), &cancel).await.unwrap();
        assert_eq!(w.warning.as_deref(), Some("careful"));
        assert_eq!((w.org.mfa_enabled, w.org.trusted_device_skip_days), (Some(false), Some(3)));

        emu.control.push_fault(mfa_sandbox::Fault::new(mfa_sandbox::FaultKind::Envelope).times(1));
        let e = c.get_org(&Target::Own, &cancel).await.unwrap_err();
        assert!(matches!(e, RhombusError::Api { .. }), "{e:?}");

        let bad = RhombusClient::new(
            HttpClient::new("Rhombus", "rhombus", "", HttpSettings::default()).unwrap(),
            Url::parse(&emu.url()).unwrap(),
            "wrong".into(),
            "api-token".into(),
        );
        assert!(matches!(
            bad.get_org(&Target::Own, &cancel).await.unwrap_err(),
            RhombusError::Unauthorized { status: 401, .. }
        ));
    }
}
