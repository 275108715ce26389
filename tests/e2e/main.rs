//! End-to-end tests: the real plugin binary, the real Terraform CLI, the vendor emulators.

mod akana;
mod examples;
mod harness;
mod onlyoffice;
mod protocol;
mod rhombus;
mod zitadel;
