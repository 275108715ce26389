//! Rhombus (video security platform): provider `rhombus`, resource and data source `rhombus_mfa_settings`.

pub mod baseline;
pub mod client;
pub mod mfa_settings;

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
use crate::plugin::value::{Type, Value};
use crate::vendors::common::baseline::functions;
use crate::vendors::common::data::SettingsData;
use crate::vendors::common::provider_settings::{self, vendor_client};
use crate::vendors::common::settings::SettingsResource;

use client::RhombusClient;

pub const DEFAULT_ENDPOINT: &str = "https://api2.rhombussystems.com";

pub struct RhombusProvider;

#[derive(Debug, Deserialize)]
pub struct Config {
    pub api_key: Attr<String>,
    pub auth_scheme: Attr<String>,
    pub endpoint: Attr<String>,
}

#[async_trait]
impl Provider for RhombusProvider {
    type Config = Config;
    type Client = RhombusClient;

    fn type_name(&self) -> &'static str {
        "rhombus"
    }

    fn schema(&self) -> Schema {
        let attrs = vec![
            Attribute::optional(
                "api_key",
                Type::String,
                "Rhombus API key (sent as `x-auth-apikey`). Can also be set with the `RHOMBUS_API_KEY` environment variable.",
            )
            .sensitive()
            .env("RHOMBUS_API_KEY"),
            Attribute::optional(
                "auth_scheme",
                Type::String,
                "`api-token` for an organization API token (default) or `partner-api-token` for a partner key (sent as `x-auth-scheme`).",
            )
            .default(Value::String("api-token".into()))
            .env("RHOMBUS_AUTH_SCHEME")
            .validate(Validator::OneOf(&["api-token", "partner-api-token"])),
            Attribute::optional(
                "endpoint",
                Type::String,
                "API base URL. Defaults to `https://api2.rhombussystems.com`; can also be set with `RHOMBUS_ENDPOINT` (e.g. the sandbox).",
            )
            .default(Value::String(DEFAULT_ENDPOINT.into()))
            .env("RHOMBUS_ENDPOINT"),
        ];
        provider_settings::schema("Manages MFA settings of a Rhombus organization.", attrs, "RHOMBUS")
    }

    async fn configure(&self, req: ConfigureRequest, config: Config, diags: &mut Diagnostics) -> Option<RhombusClient> {
        let Some(api_key) = config.api_key.into_known().filter(|k| !k.trim().is_empty()) else {
            diags.attr_error(
                AttrPath::attr("api_key"),
                "Missing Rhombus API key",
                "Set api_key in the provider \"rhombus\" block or the RHOMBUS_API_KEY environment variable.",
            );
            return None;
        };
        let endpoint = config.endpoint.into_known().unwrap_or_else(|| DEFAULT_ENDPOINT.into());
        let (http, base) =
            vendor_client("Rhombus", "rhombus", "endpoint", &endpoint, PathPrefix::Allowed, &req, diags)?;
        let scheme = config.auth_scheme.into_known().unwrap_or_else(|| "api-token".into());
        Some(RhombusClient::new(http, base, api_key.trim().to_string(), scheme))
    }

    fn resources(&self) -> Vec<Box<dyn DynResource<RhombusClient>>> {
        vec![SettingsResource::boxed(mfa_settings::MfaSettings)]
    }

    fn list_resources(&self) -> Vec<Box<dyn DynList<RhombusClient>>> {
        vec![SettingsResource::list_boxed(mfa_settings::MfaSettings)]
    }

    fn functions(&self) -> Vec<Arc<dyn Function>> {
        functions::functions(&baseline::RhombusBaseline)
    }

    fn data_sources(&self) -> Vec<Box<dyn DynDataSource<RhombusClient>>> {
        vec![SettingsData::boxed(mfa_settings::MfaSettings)]
    }
}
