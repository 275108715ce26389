//! What cross-vendor scenarios share: every vendor's emulator, started from the sandbox's
//! registry, and a configuration that uses every provider, built from the provider's registry and
//! the examples. A new vendor is picked up by every cross-vendor scenario — or fails it, when its
//! emulator or examples are missing — without an edit here.

use std::sync::Arc;

use mfa_providers::vendors::VENDORS;
use mfa_sandbox::{EmulatorApp, RunningEmulator, ServerOptions};

use crate::harness;

/// One vendor's emulator, started.
pub struct Started {
    pub type_name: &'static str,
    pub app: Arc<dyn EmulatorApp>,
    pub emu: RunningEmulator,
}

impl Started {
    /// The environment that points this vendor's provider at the emulator reached as `base_url`
    /// (the emulator's own `sandbox_env`).
    pub fn env(&self, base_url: &str) -> Vec<(String, String)> {
        self.app.sandbox_env(base_url)
    }
}

/// Every vendor the plugin serves, each with its emulator; `opts` gives each its server options.
pub fn every_vendor(opts: impl Fn(&str) -> ServerOptions) -> Vec<Started> {
    VENDORS
        .iter()
        .map(|v| {
            let app = harness::new_emulator(v.type_name);
            let emu = harness::start_app(app.clone(), opts(v.type_name));
            Started { type_name: v.type_name, app, emu }
        })
        .collect()
}

/// Which examples a configuration holds.
#[derive(Clone, Copy)]
pub enum Examples {
    Resources,
    DataSources,
}

/// `required_providers`, an empty provider block per type (settings from the environment) and
/// the example of every resource or data source of those types.
pub fn examples_config(types: &[&str], which: Examples) -> String {
    let mut config = harness::required_providers(types);
    for v in VENDORS.iter().filter(|v| types.contains(&v.type_name)) {
        config.push('\n');
        config.push_str(&harness::Provider::from_env(v.type_name).block());
        let p = (v.provider)();
        let names = match which {
            Examples::Resources => p.resource_types(),
            Examples::DataSources => p.data_source_types(),
        };
        for name in names {
            let file = match which {
                Examples::Resources => format!("examples/resources/{name}/resource.tf"),
                Examples::DataSources => format!("examples/data-sources/{name}/data-source.tf"),
            };
            config.push('\n');
            config.push_str(&read(&file));
        }
    }
    config
}

/// A file of the repository.
pub fn read(rel: &str) -> String {
    std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(rel))
        .unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// `(&str, &str)` pairs for [`harness::Ws::with`].
pub fn pairs(env: &[(String, String)]) -> Vec<(&str, &str)> {
    env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}
