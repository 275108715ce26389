//! Akana API Platform (Community Manager): provider `akana`, resources and data sources
//! `akana_twofa_settings` and `akana_login_settings`.

pub mod baseline;
pub mod business;
pub mod client;
pub mod listing;
pub mod login_settings;
pub mod twofa_settings;

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

use client::AkanaClient;

pub struct AkanaProvider;

#[derive(Debug, Deserialize)]
pub struct Config {
    pub base_url: Attr<String>,
    pub fed_member_id: Attr<String>,
    pub email: Attr<String>,
    pub password: Attr<String>,
}

fn tenant_ok(v: &crate::plugin::value::Value) -> Result<(), String> {
    match v.as_str() {
        Some(s) if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')) => {
            Ok(())
        }
        _ => Err("must be the tenant ID only, e.g. acmepaymentscorp (letters, digits, '-', '_', '.')".into()),
    }
}

/// A required setting, or an error naming the attribute and its environment variable. Spaces
/// around it are dropped, except from the password, which is sent exactly as given.
fn missing(name: &str, env: &str, v: Attr<String>, diags: &mut Diagnostics) -> Option<String> {
    let v = v.into_known().map(|s| if name == "password" { s } else { s.trim().to_string() }).filter(|s| !s.is_empty());
    if v.is_none() {
        diags.attr_error(
            AttrPath::attr(name),
            format!("Missing Akana {name}"),
            format!("Set {name} in the provider \"akana\" block or the {env} environment variable."),
        );
    }
    v
}

#[async_trait]
impl Provider for AkanaProvider {
    type Config = Config;
    type Client = AkanaClient;

    fn type_name(&self) -> &'static str {
        "akana"
    }

    fn schema(&self) -> Schema {
        let attrs = vec![
            Attribute::optional(
                "base_url",
                Type::String,
                "The developer portal, e.g. `https://acmepaymentscorp.apiportal.akana.com` (required; can be set with `AKANA_BASE_URL`).",
            )
            .env("AKANA_BASE_URL"),
            Attribute::optional(
                "fed_member_id",
                Type::String,
                "The tenant ID (FedMemberID), e.g. `acmepaymentscorp`: the suffix of the platform's cookie names and of \
                 `tenantbusiness.<tenant>` (required; can be set with `AKANA_FED_MEMBER_ID`).",
            )
            .env("AKANA_FED_MEMBER_ID")
            .validate(Validator::Custom("The tenant ID only, e.g. `acmepaymentscorp`.", tenant_ok)),
            Attribute::optional(
                "email",
                Type::String,
                "E-mail of a Site Admin account used to log in (required; can be set with `AKANA_EMAIL`). Use a dedicated account \
                 exempt from 2FA: a login that asks for a 2FA code cannot be completed by a provider.",
            )
            .env("AKANA_EMAIL"),
            Attribute::optional("password", Type::String, "Password of that account (required; can be set with `AKANA_PASSWORD`).")
                .sensitive()
                .env("AKANA_PASSWORD"),
        ];
        provider_settings::schema("Manages business 2FA settings on the Akana API Platform.", attrs, "AKANA")
    }

    async fn configure(&self, req: ConfigureRequest, c: Config, diags: &mut Diagnostics) -> Option<AkanaClient> {
        let base = missing("base_url", "AKANA_BASE_URL", c.base_url, diags);
        let tenant = missing("fed_member_id", "AKANA_FED_MEMBER_ID", c.fed_member_id, diags);
        let email = missing("email", "AKANA_EMAIL", c.email, diags);
        let password = missing("password", "AKANA_PASSWORD", c.password, diags);
        let (Some(base), Some(tenant), Some(email), Some(password)) = (base, tenant, email, password) else {
            return None;
        };
        let (http, base) = vendor_client("Akana", "akana", "base_url", &base, PathPrefix::Allowed, &req, diags)?;
        Some(AkanaClient::new(http, base, tenant, email, password))
    }

    fn resources(&self) -> Vec<Box<dyn DynResource<AkanaClient>>> {
        vec![
            SettingsResource::boxed(twofa_settings::TwoFaSettings),
            SettingsResource::boxed(login_settings::LoginSettings),
        ]
    }

    fn list_resources(&self) -> Vec<Box<dyn DynList<AkanaClient>>> {
        vec![
            SettingsResource::list_boxed(twofa_settings::TwoFaSettings),
            SettingsResource::list_boxed(login_settings::LoginSettings),
        ]
    }

    fn functions(&self) -> Vec<Arc<dyn Function>> {
        functions::functions(&baseline::AkanaBaseline)
    }

    fn data_sources(&self) -> Vec<Box<dyn DynDataSource<AkanaClient>>> {
        vec![SettingsData::boxed(twofa_settings::TwoFaSettings), SettingsData::boxed(login_settings::LoginSettings)]
    }
}
