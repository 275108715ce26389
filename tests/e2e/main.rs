//! End-to-end tests: the real plugin binary, the real Terraform CLI, the vendor emulators.

mod adoption;
mod akana;
mod akana_login;
mod chaos;
mod credentials;
mod current;
mod data_sources;
mod examples;
mod faults;
mod fixtures;
mod functions;
mod harness;
mod network;
mod newer_rpcs;
mod onlyoffice;
mod onlyoffice_login;
mod packaging;
mod policy;
mod protocol;
mod rate_limit;
mod replace;
mod rhombus;
mod secrets;
mod shapes;
mod stop;
mod upgrade;
// Shared with the benchmark, which uses all of it.
#[allow(dead_code)]
mod workload;
mod zitadel;
mod zitadel_lockout;
mod zitadel_mfa;
mod zitadel_safety;
