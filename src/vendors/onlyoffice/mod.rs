//! ONLYOFFICE DocSpace: provider `onlyoffice`, resources and data sources `onlyoffice_tfa_settings`
//! and `onlyoffice_login_settings`.

pub mod baseline;
pub mod client;
pub mod login_settings;
pub mod portal;
pub mod tfa_settings;

use std::sync::Arc;

use async_trait::async_trait;
use serde::Deserialize;

use crate::http::PathPrefix;
use crate::plugin::data_source::DynDataSource;
use crate::plugin::diag::{AttrPath, Diagnostics};
use crate::plugin::function::Function;
use crate::plugin::list::DynList;
use crate::plugin::provider::{ConfigureRequest, Provider};
use crate::plugin::resource::DynResource;
use crate::plugin::schema::{Attribute, Schema, Validator};
use crate::plugin::typed::Attr;
use crate::plugin::value::Type;
use crate::vendors::common::baseline::functions;
use crate::vendors::common::data::SettingsData;
use crate::vendors::common::provider_settings::{self, vendor_client};
use crate::vendors::common::settings::SettingsResource;

use client::{Auth, OnlyofficeClient};

pub struct OnlyofficeProvider;

#[derive(Debug, Deserialize)]
pub struct Config {
    pub portal_url: Attr<String>,
    pub api_key: Attr<String>,
    pub token: Attr<String>,
    pub username: Attr<String>,
    pub password: Attr<String>,
}

/// An API key (`sk-…`) given as a session token would go out as the `asc_auth_key` cookie,
/// which DocSpace reads as a session (`CookiesManager`): refused before anything is sent.
fn not_an_api_key(v: &crate::plugin::value::Value) -> Result<(), String> {
    if v.as_str().is_some_and(|t| t.trim().starts_with("sk-")) {
        return Err(
            "is an API key (sk-…), not a session token: set it as api_key (ONLYOFFICE_API_KEY) and leave token \
                    unset"
                .into(),
        );
    }
    Ok(())
}

const AUTH_HELP: &str = "Set one of: api_key (or ONLYOFFICE_API_KEY), recommended; token (or ONLYOFFICE_TOKEN); \
                         username and password (or ONLYOFFICE_USERNAME and ONLYOFFICE_PASSWORD).";

#[async_trait]
impl Provider for OnlyofficeProvider {
    type Config = Config;
    type Client = OnlyofficeClient;

    fn type_name(&self) -> &'static str {
        "onlyoffice"
    }

    fn schema(&self) -> Schema {
        let attrs = vec![
            Attribute::optional(
                "portal_url",
                Type::String,
                "The DocSpace portal, e.g. `https://acme.onlyoffice.com` (required; can be set with `ONLYOFFICE_PORTAL_URL`).",
            )
            .env("ONLYOFFICE_PORTAL_URL"),
            Attribute::optional(
                "api_key",
                Type::String,
                "An API key (`sk-…`, Developer Tools → API keys, with write permission), sent as `Authorization: Bearer`. The \
                 recommended method: unlike session tokens it survives the portal-wide logout that enabling TFA causes. Can be set \
                 with `ONLYOFFICE_API_KEY`.",
            )
            .sensitive()
            .env("ONLYOFFICE_API_KEY"),
            Attribute::optional(
                "token",
                Type::String,
                "A session token, sent as the `asc_auth_key` cookie. It stops working when TFA is enabled or changed (DocSpace logs \
                 out every session). Can be set with `ONLYOFFICE_TOKEN`.",
            )
            .sensitive()
            .env("ONLYOFFICE_TOKEN")
            .validate(Validator::Custom("A session token, not an API key (`sk-…`).", not_an_api_key)),
            Attribute::optional(
                "username",
                Type::String,
                "User name (e-mail) of a portal administrator, exchanged with `password` for a session token. Can be set with \
                 `ONLYOFFICE_USERNAME`.",
            )
            .env("ONLYOFFICE_USERNAME"),
            Attribute::optional("password", Type::String, "Password for `username`. Can be set with `ONLYOFFICE_PASSWORD`.")
                .sensitive()
                .env("ONLYOFFICE_PASSWORD"),
        ];
        provider_settings::schema(
            "Manages the two-factor authentication settings of an ONLYOFFICE DocSpace portal.",
            attrs,
            "ONLYOFFICE",
        )
    }

    async fn configure(&self, req: ConfigureRequest, c: Config, diags: &mut Diagnostics) -> Option<OnlyofficeClient> {
        let Some(url) = c.portal_url.into_known().filter(|u| !u.trim().is_empty()) else {
            diags.attr_error(
                AttrPath::attr("portal_url"),
                "Missing DocSpace portal URL",
                "Set portal_url in the provider \"onlyoffice\" block or the ONLYOFFICE_PORTAL_URL environment variable.",
            );
            return None;
        };
        let known = |a: Attr<String>| a.into_known().map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        // A password is sent exactly as given: spaces around it may be part of it.
        let password = c.password.into_known().filter(|p| !p.is_empty());
        let (api_key, token, username) = (known(c.api_key), known(c.token), known(c.username));
        let auth = match (api_key, token, username, password) {
            (Some(k), None, None, None) => {
                if !k.starts_with("sk-") {
                    diags.attr_warning(
                        AttrPath::attr("api_key"),
                        "This does not look like a DocSpace API key",
                        "DocSpace API keys start with \"sk-\"; other values are treated as session tokens by the portal.",
                    );
                }
                Auth::ApiKey(k)
            }
            (None, Some(t), None, None) => Auth::Token(t),
            (None, None, Some(username), Some(password)) => Auth::Password { username, password },
            (None, None, Some(_), None) | (None, None, None, Some(_)) => {
                diags.error(
                    "Incomplete DocSpace credentials",
                    format!("username and password go together. {AUTH_HELP}"),
                );
                return None;
            }
            (None, None, None, None) => {
                diags.error("Missing DocSpace credentials", AUTH_HELP);
                return None;
            }
            _ => {
                diags.error(
                    "Conflicting DocSpace credentials",
                    format!("More than one authentication method is set (in the configuration or the environment). {AUTH_HELP}"),
                );
                return None;
            }
        };
        let (http, base) =
            vendor_client("DocSpace", "onlyoffice", "portal_url", &url, PathPrefix::Allowed, &req, diags)?;
        Some(OnlyofficeClient::new(http, base, auth))
    }

    fn resources(&self) -> Vec<Box<dyn DynResource<OnlyofficeClient>>> {
        vec![
            SettingsResource::boxed(tfa_settings::TfaSettingsResource),
            SettingsResource::boxed(login_settings::LoginSettingsResource),
        ]
    }

    fn list_resources(&self) -> Vec<Box<dyn DynList<OnlyofficeClient>>> {
        vec![
            SettingsResource::list_boxed(tfa_settings::TfaSettingsResource),
            SettingsResource::list_boxed(login_settings::LoginSettingsResource),
        ]
    }

    fn functions(&self) -> Vec<Arc<dyn Function>> {
        functions::functions(&baseline::OnlyofficeBaseline)
    }

    fn data_sources(&self) -> Vec<Box<dyn DynDataSource<OnlyofficeClient>>> {
        vec![
            SettingsData::boxed(tfa_settings::TfaSettingsResource),
            SettingsData::boxed(login_settings::LoginSettingsResource),
        ]
    }
}
