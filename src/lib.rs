//! Terraform providers for MFA settings at Rhombus, Akana, ZITADEL and ONLYOFFICE DocSpace, served
//! from one binary over Terraform plugin protocol 5.
//!
//! Layout: [`plugin`] is the protocol layer and knows nothing of vendors; [`http`] is the shared
//! HTTP client; [`vendors`] holds one folder per vendor and the registry that lists them. The
//! vendor emulators are a crate of their own (`sandbox/`), so this library ships none of them.

/// The Registry docs generator runs as a test (`UPDATE_DOCS=1 cargo test --lib docs`): it is not
/// part of the shipped plugin.
#[cfg(test)]
mod docs;
pub mod http;
pub mod plugin;
pub mod vendors;

pub mod proto {
    //! Code generated from `proto/` by build.rs.
    pub mod tfplugin5 {
        #![allow(clippy::all, clippy::pedantic)]
        tonic::include_proto!("tfplugin5");
    }
    pub mod plugin {
        #![allow(clippy::all, clippy::pedantic)]
        tonic::include_proto!("plugin");
    }
}

/// Namespace of the provider source addresses (`registry.terraform.io/mfa-iac/<type>`), used in
/// examples, the local mirror layout and the `--debug` reattach line.
pub const SOURCE_NAMESPACE: &str = "mfa-iac";

/// Which provider type a binary name asks for: `terraform-provider-<type>` with an optional
/// `_v1.2.3` version suffix and `.exe`.
pub fn provider_type_from_exe(exe: &str) -> Option<&str> {
    let name = exe.rsplit(['/', '\\']).next().unwrap_or(exe);
    let name = name.strip_suffix(".exe").unwrap_or(name);
    let rest = name.strip_prefix("terraform-provider-")?;
    let ty = rest.split_once('_').map_or(rest, |(t, _)| t);
    (!ty.is_empty()).then_some(ty)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exe_names_select_the_type() {
        assert_eq!(provider_type_from_exe("/x/terraform-provider-rhombus"), Some("rhombus"));
        assert_eq!(provider_type_from_exe("terraform-provider-zitadel_v0.1.0"), Some("zitadel"));
        assert_eq!(provider_type_from_exe("C:\\p\\terraform-provider-akana_v1.0.0.exe"), Some("akana"));
        assert_eq!(provider_type_from_exe("terraform-provider-mfa"), Some("mfa"));
        assert_eq!(provider_type_from_exe("mfa-sandbox"), None);
    }

    /// Terraform (>= 1.1) rejects a provider whose schemas break its rules; check them all here.
    #[test]
    fn every_served_schema_is_valid() {
        for v in vendors::VENDORS {
            let p = (v.provider)();
            assert!(p.schema().check(false).is_empty(), "{}: {:?}", v.type_name, p.schema().check(false));
            for t in p.resource_types() {
                assert!(t.starts_with(&format!("{}_", v.type_name)), "{t} must start with the provider type");
                let (s, _) = p.resource_schema(t).unwrap();
                assert!(s.check(true).is_empty(), "{t}: {:?}", s.check(true));
                let (identity, _) = p.identity(t).expect("every resource type has an identity");
                assert!(identity.check().is_empty(), "{t} identity: {:?}", identity.check());
            }
            for t in p.data_source_types() {
                assert!(t.starts_with(&format!("{}_", v.type_name)), "{t} must start with the provider type");
                let (s, _) = p.data_source_schema(t).unwrap();
                assert!(s.check(true).is_empty(), "data source {t}: {:?}", s.check(true));
                assert!(
                    s.attributes.iter().all(|a| a.default.is_none()),
                    "data source {t}: defaults are never planned"
                );
            }
        }
    }
}
