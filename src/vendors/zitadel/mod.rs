//! ZITADEL (identity platform): provider `zitadel`, resources `zitadel_login_multifactor`,
//! `zitadel_login_second_factor`, `zitadel_login_mfa_settings` and `zitadel_lockout_settings`,
//! data sources `zitadel_login_policy` and `zitadel_lockout_policy`.

pub mod auth;
pub mod baseline;
pub mod client;
pub mod context;
pub mod coordination;
pub mod data;
pub mod duration;
pub mod error;
pub mod factor;
pub mod guard;
pub mod listing;
pub mod lockout_settings;
pub mod login_mfa_settings;
pub mod own_settings;
pub mod scope;

use std::sync::Arc;

use async_trait::async_trait;
use serde::Deserialize;

use crate::http::PathPrefix;
use crate::plugin::data_source::{DynDataSource, TypedData};
use crate::plugin::diag::{AttrPath, Diagnostics};
use crate::plugin::function::Function;
use crate::plugin::list::{DynList, TypedList};
use crate::plugin::provider::{ConfigureRequest, Provider};
use crate::plugin::resource::{DynResource, TypedResource};
use crate::plugin::schema::{Attribute, Schema, Validator};
use crate::plugin::typed::Attr;
use crate::plugin::value::Type;
use crate::vendors::common::baseline::functions;
use crate::vendors::common::provider_settings::{self, vendor_client};
use crate::vendors::common::settings::SettingsResource;

use auth::{Credentials, KeyFile, TokenSource};
use client::{FactorKind, ZitadelClient};
use context::Zitadel;

pub struct ZitadelProvider;

/// Why a ZITADEL `url` has no path: ZITADEL serves every API at the root of the instance's domain,
/// picks the instance by host name, and its issuer — the JWT audience — is that origin.
const ZITADEL_AT_ROOT: &str = "ZITADEL serves its APIs at the root of the instance's domain and names the instance by its host \
                               (the issuer has no path).";

#[derive(Debug, Deserialize)]
pub struct Config {
    pub url: Attr<String>,
    pub access_token: Attr<String>,
    pub jwt_profile_json: Attr<String>,
    pub jwt_profile_file: Attr<String>,
}

/// A key file, or a PEM key, where a personal access token belongs would go out as
/// `Authorization: Bearer {"key":"-----BEGIN RSA PRIVATE KEY…`: refused before anything is sent.
fn not_a_key_file(v: &crate::plugin::value::Value) -> Result<(), String> {
    let t = v.as_str().unwrap_or_default().trim();
    if t.contains("-----BEGIN") || (t.starts_with('{') && (t.contains("\"keyId\"") || t.contains("\"key\""))) {
        return Err(
            "holds a service user's key file (or a PEM key), not a personal access token: give the key file's \
                    content as jwt_profile_json (ZITADEL_JWT_PROFILE_JSON) or its path as jwt_profile_file \
                    (ZITADEL_JWT_PROFILE_FILE), and leave access_token unset"
                .into(),
        );
    }
    Ok(())
}

/// The key file's content given where its path belongs.
fn a_path(v: &crate::plugin::value::Value) -> Result<(), String> {
    let t = v.as_str().unwrap_or_default().trim();
    if t.starts_with('{') || t.contains("-----BEGIN") {
        return Err("holds the key file's content, not its path: give the content as jwt_profile_json \
                    (ZITADEL_JWT_PROFILE_JSON) instead"
            .into());
    }
    Ok(())
}

const AUTH_HELP: &str = "Set exactly one of: access_token (or ZITADEL_ACCESS_TOKEN), a personal access token of a service user; \
                         jwt_profile_json (or ZITADEL_JWT_PROFILE_JSON), the content of a service user's key file; \
                         jwt_profile_file (or ZITADEL_JWT_PROFILE_FILE), the path of that key file.";

#[async_trait]
impl Provider for ZitadelProvider {
    type Config = Config;
    type Client = Zitadel;

    fn type_name(&self) -> &'static str {
        "zitadel"
    }

    fn schema(&self) -> Schema {
        let attrs = vec![
            Attribute::optional(
                "url",
                Type::String,
                "The instance URL, e.g. `https://acme.zitadel.cloud` (required; can be set with `ZITADEL_URL`). ZITADEL picks the \
                 instance by this host name, and it is the audience of JWT-profile tokens, which ZITADEL compares with its issuer \
                 as an exact string: use the `issuer` of `/.well-known/openid-configuration` (scheme included, no path).",
            )
            .env("ZITADEL_URL"),
            Attribute::optional(
                "access_token",
                Type::String,
                "A personal access token of a service user, sent as `Authorization: Bearer`. Can be set with `ZITADEL_ACCESS_TOKEN`.",
            )
            .sensitive()
            .env("ZITADEL_ACCESS_TOKEN")
            .validate(Validator::Custom("A personal access token, not a key file.", not_a_key_file)),
            Attribute::optional(
                "jwt_profile_json",
                Type::String,
                "The content of a service user's JSON key file. The provider signs a JWT with it and exchanges it for an access token \
                 (JWT bearer grant), renewed before it expires. Can be set with `ZITADEL_JWT_PROFILE_JSON`.",
            )
            .sensitive()
            .env("ZITADEL_JWT_PROFILE_JSON"),
            Attribute::optional(
                "jwt_profile_file",
                Type::String,
                "Path of a service user's JSON key file, used like `jwt_profile_json`. Can be set with `ZITADEL_JWT_PROFILE_FILE`.",
            )
            .env("ZITADEL_JWT_PROFILE_FILE")
            .validate(Validator::Custom("A file's path, not the key file's content.", a_path)),
        ];
        provider_settings::schema(
            "Manages login factors and MFA settings of a ZITADEL instance and its organizations.",
            attrs,
            "ZITADEL",
        )
    }

    fn validate(&self, config: &Config, diags: &mut Diagnostics) {
        // Only what is set in the configuration itself can be checked before Configure.
        let set = [&config.access_token, &config.jwt_profile_json, &config.jwt_profile_file]
            .iter()
            .filter(|a| !a.is_null())
            .count();
        if set > 1 {
            diags.error(
                "Conflicting ZITADEL credentials",
                format!("More than one authentication method is set. {AUTH_HELP}"),
            );
        }
    }

    async fn configure(&self, req: ConfigureRequest, config: Config, diags: &mut Diagnostics) -> Option<Zitadel> {
        let Some(url) = config.url.into_known().filter(|u| !u.trim().is_empty()) else {
            diags.attr_error(
                AttrPath::attr("url"),
                "Missing ZITADEL URL",
                "Set url in the provider \"zitadel\" block or the ZITADEL_URL environment variable, e.g. https://acme.zitadel.cloud.",
            );
            return None;
        };
        let methods: Vec<(&str, String)> = [
            ("access_token", config.access_token),
            ("jwt_profile_json", config.jwt_profile_json),
            ("jwt_profile_file", config.jwt_profile_file),
        ]
        .into_iter()
        .filter_map(|(n, v)| v.into_known().filter(|s| !s.trim().is_empty()).map(|s| (n, s)))
        .collect();
        let credentials = match methods.as_slice() {
            [] => {
                diags.error("Missing ZITADEL credentials", AUTH_HELP);
                return None;
            }
            [(_, _), (_, _), ..] => {
                let names: Vec<&str> = methods.iter().map(|(n, _)| *n).collect();
                diags.error(
                    "Conflicting ZITADEL credentials",
                    format!(
                        "{} are {} set (in the configuration or the environment). {AUTH_HELP}",
                        names.join(" and "),
                        if names.len() == 2 { "both" } else { "all" }
                    ),
                );
                return None;
            }
            [("access_token", token)] => Credentials::Pat(token.trim().to_string()),
            [(name, value)] => {
                let json = if *name == "jwt_profile_file" {
                    match std::fs::read_to_string(value.trim()) {
                        Ok(j) => j,
                        Err(e) => {
                            diags.attr_error(
                                AttrPath::attr(*name),
                                "Cannot read the ZITADEL key file",
                                format!("{}: {e}", value.trim()),
                            );
                            return None;
                        }
                    }
                } else {
                    value.clone()
                };
                match KeyFile::parse(&json) {
                    Ok((key_file, key)) => Credentials::JwtProfile { key_file, key },
                    Err(why) => {
                        diags.attr_error(AttrPath::attr(*name), "Invalid ZITADEL key file", why);
                        return None;
                    }
                }
            }
        };
        let (http, base) =
            vendor_client("ZITADEL", "zitadel", "url", &url, PathPrefix::Refused(ZITADEL_AT_ROOT), &req, diags)?;
        let tokens = TokenSource::new(credentials, base.clone());
        Some(Zitadel::new(ZitadelClient::new(http, base, tokens)))
    }

    fn resources(&self) -> Vec<Box<dyn DynResource<Zitadel>>> {
        vec![
            TypedResource::boxed(factor::LoginFactor { kind: FactorKind::Multi }),
            TypedResource::boxed(factor::LoginFactor { kind: FactorKind::Second }),
            SettingsResource::boxed(login_mfa_settings::LoginMfaSettings),
            SettingsResource::boxed(lockout_settings::LockoutSettings),
        ]
    }

    fn data_sources(&self) -> Vec<Box<dyn DynDataSource<Zitadel>>> {
        vec![TypedData::boxed(data::LoginPolicy), TypedData::boxed(data::LockoutPolicy)]
    }

    fn list_resources(&self) -> Vec<Box<dyn DynList<Zitadel>>> {
        vec![
            TypedList::boxed(factor::LoginFactor { kind: FactorKind::Multi }),
            TypedList::boxed(factor::LoginFactor { kind: FactorKind::Second }),
            SettingsResource::list_boxed(login_mfa_settings::LoginMfaSettings),
            SettingsResource::list_boxed(lockout_settings::LockoutSettings),
        ]
    }

    fn functions(&self) -> Vec<Arc<dyn Function>> {
        functions::functions(&baseline::ZitadelBaseline)
    }
}
