//! A bench-only plugin whose resources do nothing, served by the project's own protocol layer
//! (`mfa_providers::plugin`) with no HTTP behind it. `scripts/bench` builds it (`cargo build
//! --release --example noop-provider`) to measure what an external provider costs Terraform
//! before any vendor is called: the floor beside Terraform's own pace (`terraform_data`). It is
//! never part of the shipped provider.
//!
//! - `noop_thing`: the smallest resource (an ID and a value);
//! - `noop_factor` and `noop_settings`: the shape of the bench's resources — a ZITADEL factor's
//!   attributes and identity, an Akana business's attributes, identity and private state — since
//!   what Terraform spends per resource grows with the object it stores.

use std::process::ExitCode;
use std::sync::Arc;

use async_trait::async_trait;
use mfa_providers::plugin::diag::Diagnostics;
use mfa_providers::plugin::provider::{ConfigureRequest, DynProvider, Provider, ProviderHost};
use mfa_providers::plugin::resource::{Ctx, DynResource, Read, Resource, TypedResource};
use mfa_providers::plugin::schema::{Attribute, IdentityAttribute, IdentitySchema, Schema};
use mfa_providers::plugin::serve;
use mfa_providers::plugin::typed::Attr;
use mfa_providers::plugin::value::Type;
use serde::{Deserialize, Serialize};

struct Noop;

#[derive(Debug, Deserialize)]
struct NoConfig {}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Thing {
    id: Attr<String>,
    value: Attr<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct ThingId {
    id: Attr<String>,
}

struct NoopThing;

/// A ZITADEL factor's shape.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Factor {
    id: Attr<String>,
    #[serde(rename = "type")]
    factor: Attr<String>,
    org_id: Attr<String>,
    remove_on_destroy: Attr<bool>,
    origin: Attr<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct FactorId {
    org_id: Attr<String>,
    #[serde(rename = "type")]
    factor: Attr<String>,
}

struct NoopFactor;

/// An Akana business's shape, with private state as large as its adoption snapshot.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Settings {
    id: Attr<String>,
    business_id: Attr<String>,
    enabled: Attr<bool>,
    code_valid_seconds: Attr<i64>,
    max_attempts: Attr<i64>,
    recurrence_mode: Attr<String>,
    recurrence_interval_minutes: Attr<i64>,
    device_cookie_name: Attr<String>,
    restore_on_destroy: Attr<bool>,
}

#[derive(Debug, Serialize, Deserialize)]
struct SettingsId {
    business_id: Attr<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Snapshot {
    adopted: Option<serde_json::Value>,
}

struct NoopSettings;

#[async_trait]
impl Resource for NoopThing {
    type Client = ();
    type State = Thing;
    type Private = ();
    type Identity = ThingId;

    fn type_name(&self) -> &'static str {
        "noop_thing"
    }
    fn schema(&self) -> Schema {
        Schema::new(
            "Does nothing.",
            vec![
                Attribute::computed("id", Type::String, "Same as value."),
                Attribute::required("value", Type::String, "Any text."),
            ],
        )
    }
    fn identity_schema(&self) -> IdentitySchema {
        IdentitySchema::new(vec![IdentityAttribute::required("id", Type::String, "Same as value.")])
    }
    fn identity(&self, s: &Thing, _: &()) -> Option<ThingId> {
        Some(ThingId { id: s.id.clone() })
    }
    fn import_id(&self, i: &ThingId) -> Result<String, String> {
        i.id.known().cloned().ok_or_else(|| "id is required".into())
    }
    async fn create(&self, _: &Ctx<()>, mut planned: Thing, _: &mut Diagnostics) -> Option<(Thing, ())> {
        planned.id = planned.value.clone();
        Some((planned, ()))
    }
    async fn read(&self, _: &Ctx<()>, current: Thing, _: (), _: &mut Diagnostics) -> Option<Read<Thing, ()>> {
        Some(Read::Found(current, ()))
    }
    async fn update(
        &self,
        _: &Ctx<()>,
        _: Thing,
        mut planned: Thing,
        _: (),
        _: &mut Diagnostics,
    ) -> Option<(Thing, ())> {
        planned.id = planned.value.clone();
        Some((planned, ()))
    }
    async fn delete(&self, _: &Ctx<()>, _: Thing, _: (), _: &mut Diagnostics) -> bool {
        true
    }
    async fn import(&self, _: &Ctx<()>, id: &str, _: &mut Diagnostics) -> Option<(Thing, ())> {
        Some((Thing { id: Attr::Known(id.into()), value: Attr::Known(id.into()) }, ()))
    }
}

#[async_trait]
impl Resource for NoopFactor {
    type Client = ();
    type State = Factor;
    type Private = ();
    type Identity = FactorId;

    fn type_name(&self) -> &'static str {
        "noop_factor"
    }
    fn schema(&self) -> Schema {
        Schema::new(
            "Does nothing, in a factor's shape.",
            vec![
                Attribute::computed("id", Type::String, "org/type."),
                Attribute::required("type", Type::String, "Any text."),
                Attribute::optional("org_id", Type::String, "Any text."),
                Attribute::optional("remove_on_destroy", Type::Bool, "Ignored."),
                Attribute::computed("origin", Type::String, "Always added."),
            ],
        )
    }
    fn identity_schema(&self) -> IdentitySchema {
        IdentitySchema::new(vec![
            IdentityAttribute::optional("org_id", Type::String, "As set."),
            IdentityAttribute::required("type", Type::String, "As set."),
        ])
    }
    fn identity(&self, s: &Factor, _: &()) -> Option<FactorId> {
        Some(FactorId { org_id: s.org_id.clone(), factor: s.factor.clone() })
    }
    fn import_id(&self, _: &FactorId) -> Result<String, String> {
        Err("not importable".into())
    }
    async fn create(&self, _: &Ctx<()>, mut p: Factor, _: &mut Diagnostics) -> Option<(Factor, ())> {
        p.id = Attr::Known(format!("{}/{}", p.org_id.known().cloned().unwrap_or_default(), p.factor.known()?));
        p.origin = Attr::Known("added".into());
        Some((p, ()))
    }
    async fn read(&self, _: &Ctx<()>, current: Factor, _: (), _: &mut Diagnostics) -> Option<Read<Factor, ()>> {
        Some(Read::Found(current, ()))
    }
    async fn update(&self, _: &Ctx<()>, _: Factor, p: Factor, _: (), _: &mut Diagnostics) -> Option<(Factor, ())> {
        Some((p, ()))
    }
    async fn delete(&self, _: &Ctx<()>, _: Factor, _: (), _: &mut Diagnostics) -> bool {
        true
    }
    async fn import(&self, _: &Ctx<()>, _: &str, _: &mut Diagnostics) -> Option<(Factor, ())> {
        None
    }
}

#[async_trait]
impl Resource for NoopSettings {
    type Client = ();
    type State = Settings;
    type Private = Snapshot;
    type Identity = SettingsId;

    fn type_name(&self) -> &'static str {
        "noop_settings"
    }
    fn schema(&self) -> Schema {
        let oc = |n: &'static str, t: Type| Attribute::optional_computed(n, t, "Kept.");
        Schema::new(
            "Does nothing, in a settings object's shape.",
            vec![
                Attribute::computed("id", Type::String, "Same as business_id."),
                Attribute::required("business_id", Type::String, "Any text."),
                Attribute::required("enabled", Type::Bool, "Any."),
                oc("code_valid_seconds", Type::Number),
                oc("max_attempts", Type::Number),
                oc("recurrence_mode", Type::String),
                oc("recurrence_interval_minutes", Type::Number),
                oc("device_cookie_name", Type::String),
                Attribute::optional("restore_on_destroy", Type::Bool, "Ignored."),
            ],
        )
    }
    fn identity_schema(&self) -> IdentitySchema {
        IdentitySchema::new(vec![IdentityAttribute::required("business_id", Type::String, "As set.")])
    }
    fn identity(&self, s: &Settings, _: &Snapshot) -> Option<SettingsId> {
        Some(SettingsId { business_id: s.business_id.clone() })
    }
    fn import_id(&self, _: &SettingsId) -> Result<String, String> {
        Err("not importable".into())
    }
    async fn create(&self, _: &Ctx<()>, mut p: Settings, _: &mut Diagnostics) -> Option<(Settings, Snapshot)> {
        p.id = p.business_id.clone();
        p.code_valid_seconds = Attr::Known(300);
        p.max_attempts = Attr::Known(3);
        p.recurrence_mode = Attr::Known("twofa.each.login".into());
        p.recurrence_interval_minutes = Attr::Null;
        p.device_cookie_name = Attr::Null;
        let adopted = serde_json::json!({"enabled": false, "code_valid_seconds": 300, "max_attempts": 3,
            "recurrence_mode": "twofa.each.login", "recurrence_interval_minutes": null, "device_cookie_name": null});
        Some((p, Snapshot { adopted: Some(adopted) }))
    }
    async fn read(
        &self,
        _: &Ctx<()>,
        c: Settings,
        p: Snapshot,
        _: &mut Diagnostics,
    ) -> Option<Read<Settings, Snapshot>> {
        Some(Read::Found(c, p))
    }
    async fn update(
        &self,
        _: &Ctx<()>,
        _: Settings,
        p: Settings,
        s: Snapshot,
        _: &mut Diagnostics,
    ) -> Option<(Settings, Snapshot)> {
        Some((p, s))
    }
    async fn delete(&self, _: &Ctx<()>, _: Settings, _: Snapshot, _: &mut Diagnostics) -> bool {
        true
    }
    async fn import(&self, _: &Ctx<()>, _: &str, _: &mut Diagnostics) -> Option<(Settings, Snapshot)> {
        None
    }
}

#[async_trait]
impl Provider for Noop {
    type Config = NoConfig;
    type Client = ();

    fn type_name(&self) -> &'static str {
        "noop"
    }
    fn schema(&self) -> Schema {
        Schema::new("A provider that does nothing, for the benchmark's floor.", vec![])
    }
    async fn configure(&self, _: ConfigureRequest, _: NoConfig, _: &mut Diagnostics) -> Option<()> {
        Some(())
    }
    fn resources(&self) -> Vec<Box<dyn DynResource<()>>> {
        vec![TypedResource::boxed(NoopThing), TypedResource::boxed(NoopFactor), TypedResource::boxed(NoopSettings)]
    }
}

fn main() -> ExitCode {
    let provider: Arc<dyn DynProvider> = ProviderHost::boxed(Noop);
    let opts = serve::ServeOptions {
        provider,
        debug: false,
        source_address: "registry.terraform.io/mfa-iac-bench/noop".into(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    match runtime.block_on(serve::serve(opts)) {
        Ok(()) => {
            runtime.shutdown_background();
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
