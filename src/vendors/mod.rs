//! The vendor registry: the single list of provider types this binary serves. Each vendor is one
//! folder (client, resource, emulator); adding a vendor means adding its folder and one line here.

use std::sync::Arc;

use crate::emulator::EmulatorApp;
use crate::plugin::provider::{DynProvider, ProviderHost};

pub mod akana;
pub mod onlyoffice;
pub mod rhombus;
pub mod singleton;
pub mod zitadel;

/// One provider type: how to build its provider and its emulator.
pub struct Vendor {
    /// The provider type users write in HCL; also the `terraform-provider-<type>` binary name.
    pub type_name: &'static str,
    pub provider: fn() -> Arc<dyn DynProvider>,
    /// A fresh emulator seeded with the demo account (tests, sandbox, quickstart).
    pub emulator: fn() -> Arc<dyn EmulatorApp>,
}

/// One registry line: provider type, provider value, emulator type (built with `new()`).
macro_rules! vendor {
    ($type_name:literal, $provider:expr, $emulator:ty) => {
        Vendor {
            type_name: $type_name,
            provider: || ProviderHost::boxed($provider),
            emulator: || Arc::new(<$emulator>::new()),
        }
    };
}

pub static VENDORS: &[Vendor] = &[
    vendor!("rhombus", rhombus::RhombusProvider, rhombus::emulator::RhombusEmulator),
    vendor!("zitadel", zitadel::ZitadelProvider, zitadel::emulator::ZitadelEmulator),
    vendor!("onlyoffice", onlyoffice::OnlyofficeProvider, onlyoffice::emulator::OnlyofficeEmulator),
    vendor!("akana", akana::AkanaProvider, akana::emulator::AkanaEmulator),
];

pub fn find(type_name: &str) -> Option<&'static Vendor> {
    VENDORS.iter().find(|v| v.type_name == type_name)
}

/// The names of all provider types, for messages.
pub fn type_names() -> Vec<&'static str> {
    VENDORS.iter().map(|v| v.type_name).collect()
}
