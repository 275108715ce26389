//! End-to-end tests: the real plugin binary, the real Terraform CLI, the vendor emulators.

mod harness;
mod protocol;
mod rhombus;
