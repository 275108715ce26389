//! The vendor registry: the single list of provider types this binary serves. Each vendor is one
//! folder (client, resource, emulator); adding a vendor means adding its folder and one line here.

use std::sync::Arc;

use crate::emulator::EmulatorApp;
use crate::plugin::provider::{DynProvider, ProviderHost};

pub mod rhombus;

/// One provider type: how to build its provider and its emulator.
pub struct Vendor {
    /// The provider type users write in HCL; also the `terraform-provider-<type>` binary name.
    pub type_name: &'static str,
    pub provider: fn() -> Arc<dyn DynProvider>,
    /// A fresh emulator seeded with the demo account (tests, sandbox, quickstart).
    pub emulator: fn() -> Arc<dyn EmulatorApp>,
}

pub static VENDORS: &[Vendor] = &[Vendor {
    type_name: "rhombus",
    provider: || ProviderHost::boxed(rhombus::RhombusProvider),
    emulator: || Arc::new(rhombus::emulator::RhombusEmulator::new()),
}];

pub fn find(type_name: &str) -> Option<&'static Vendor> {
    VENDORS.iter().find(|v| v.type_name == type_name)
}

/// The names of all provider types, for messages.
pub fn type_names() -> Vec<&'static str> {
    VENDORS.iter().map(|v| v.type_name).collect()
}
