//! Emulators of the vendor APIs the MFA providers call, for rehearsals (`mfa-sandbox`) and for the
//! providers' tests. Each vendor is one folder, written from the vendor's server code where it is
//! open source (ZITADEL, DocSpace) and from its documentation otherwise — never from the
//! provider's clients, with which this crate shares no code.
//!
//! Layout: [`server`] is the shared HTTP(S) server (faults, latency, request log, `/_emulator`
//! controls); [`tls`] makes its certificates (self-signed, or from a private test CA);
//! [`proxy`] is a loopback corporate proxy (HTTP CONNECT, forward HTTP, SOCKS5) for reaching the
//! emulators under other names; one module per vendor; [`sandbox`] starts them all; [`EMULATORS`]
//! lists them.

use std::sync::Arc;

pub mod akana;
pub mod onlyoffice;
pub mod proxy;
pub mod rate_limit;
pub mod rhombus;
pub mod sandbox;
pub mod server;
pub mod tls;
pub mod zitadel;

/// The web framework emulators are written in, for apps defined outside this crate (tests).
pub use axum;
pub use proxy::{ProxyOptions, ProxyProtocol, ProxyRequest, RunningProxy, start_proxy};
pub use server::{EmulatorApp, Fault, FaultKind, LoggedRequest, RequestOrigin, RunningEmulator, ServerOptions, start};
pub use tls::{Issued, Leaf, TestCa};

/// One emulated vendor, named by the provider type that talks to it.
pub struct Emulator {
    pub type_name: &'static str,
    /// A fresh emulator seeded with the demo account.
    pub new: fn() -> Arc<dyn EmulatorApp>,
}

pub static EMULATORS: &[Emulator] = &[
    Emulator { type_name: "rhombus", new: || Arc::new(rhombus::RhombusEmulator::new()) },
    Emulator { type_name: "zitadel", new: || Arc::new(zitadel::ZitadelEmulator::new()) },
    Emulator { type_name: "onlyoffice", new: || Arc::new(onlyoffice::OnlyofficeEmulator::new()) },
    Emulator { type_name: "akana", new: || Arc::new(akana::AkanaEmulator::new()) },
];

pub fn find(type_name: &str) -> Option<&'static Emulator> {
    EMULATORS.iter().find(|e| e.type_name == type_name)
}

pub fn type_names() -> Vec<&'static str> {
    EMULATORS.iter().map(|e| e.type_name).collect()
}
