//! The vendor registry: the single list of provider types this binary serves. Each vendor is one
//! folder (client, resources, provider); adding a vendor means adding its folder and one line here
//! (and its emulator's folder and line in the sandbox crate).

use std::sync::Arc;

use crate::plugin::provider::{DynProvider, ProviderHost};

pub mod akana;
pub mod common;
pub mod onlyoffice;
pub mod rhombus;
pub mod zitadel;

/// One provider type: its name and how to build its provider.
pub struct Vendor {
    /// The provider type users write in HCL; also the `terraform-provider-<type>` binary name.
    pub type_name: &'static str,
    pub provider: fn() -> Arc<dyn DynProvider>,
}

pub static VENDORS: &[Vendor] = &[
    Vendor { type_name: "rhombus", provider: || ProviderHost::boxed(rhombus::RhombusProvider) },
    Vendor { type_name: "zitadel", provider: || ProviderHost::boxed(zitadel::ZitadelProvider) },
    Vendor { type_name: "onlyoffice", provider: || ProviderHost::boxed(onlyoffice::OnlyofficeProvider) },
    Vendor { type_name: "akana", provider: || ProviderHost::boxed(akana::AkanaProvider) },
];

pub fn find(type_name: &str) -> Option<&'static Vendor> {
    VENDORS.iter().find(|v| v.type_name == type_name)
}

/// The names of all provider types, for messages.
pub fn type_names() -> Vec<&'static str> {
    VENDORS.iter().map(|v| v.type_name).collect()
}
