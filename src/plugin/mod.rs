//! The protocol layer: everything Terraform's plugin protocol needs, and nothing about vendors.
//!
//! - [`value`], [`codec`]: cty types and values, msgpack/JSON DynamicValue codec.
//! - [`schema`], [`diag`], [`typed`]: schemas with validators, diagnostics, typed state via serde.
//! - [`resource`], [`data_source`], [`list`], [`function`], [`provider`]: the traits vendors implement and the planning rules;
//!   [`claims`]: one remote object, one resource.
//! - [`service`], [`go_plugin`], [`serve`], [`transport`], [`tls`], [`logging`]: gRPC and the go-plugin process contract.

pub mod claims;
pub mod codec;
pub mod data_source;
pub mod diag;
pub mod function;
pub mod go_plugin;
pub mod list;
pub mod logging;
pub mod provider;
pub mod resource;
pub mod schema;
pub mod serve;
pub mod service;
pub mod tls;
pub mod transport;
pub mod typed;
pub mod value;
