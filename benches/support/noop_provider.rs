//! A bench-only plugin whose resources do nothing, served by the project's own protocol layer
//! (`mfa_providers::plugin`) with no HTTP behind it. `scripts/bench` builds it (`cargo build
//! --release --example noop-provider`) to measure what an external provider costs Terraform
//! before any vendor is called: the floor beside Terraform's own pace (`terraform_data`). It is
//! never part of the shipped provider.
//!
//! - `noop_thing`: the smallest resource (an ID and a value);
//! - `noop_factor` and `noop_settings`: the shape of the bench's resources — the schema and identity
//!   of `zitadel_login_second_factor` and `akana_twofa_settings`, read from those resources, and a
//!   private state as large as a settings adoption — since what Terraform spends per resource
//!   grows with the object it stores.

use std::collections::BTreeMap;
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
use mfa_providers::vendors::VENDORS;
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

/// A state or identity of any shape: attribute name to value.
type Object = BTreeMap<String, Attr<serde_json::Value>>;

/// What a shaped no-op resource keeps in private state: for a settings object, its adoption
/// snapshot (every value it holds).
#[derive(Debug, Default, Serialize, Deserialize)]
struct Snapshot {
    #[serde(skip_serializing_if = "Option::is_none")]
    adopted: Option<serde_json::Value>,
}

/// A no-op resource with the schema and identity of one of the project's resources.
struct Shaped {
    name: &'static str,
    schema: Schema,
    identity: IdentitySchema,
    /// Records an adoption snapshot in private state, as settings resources do.
    snapshot: bool,
}

impl Shaped {
    /// `type_name` of `vendor`, as its provider serves it.
    fn of(name: &'static str, vendor: &str, type_name: &str, snapshot: bool) -> Shaped {
        let v = VENDORS.iter().find(|v| v.type_name == vendor).expect("a vendor of the project");
        let provider = (v.provider)();
        let (schema, _) = provider.resource_schema(type_name).expect("a resource of the vendor");
        let (identity, _) = provider.identity(type_name).expect("an identity of the resource");
        Shaped { name, schema: schema.clone(), identity: identity.clone(), snapshot }
    }
}

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
impl Resource for Shaped {
    type Client = ();
    type State = Object;
    type Private = Snapshot;
    type Identity = Object;

    fn type_name(&self) -> &'static str {
        self.name
    }
    fn schema(&self) -> Schema {
        self.schema.clone()
    }
    fn identity_schema(&self) -> IdentitySchema {
        self.identity.clone()
    }
    fn identity(&self, s: &Object, _: &Snapshot) -> Option<Object> {
        Some(
            self.identity
                .attributes
                .iter()
                .map(|a| (a.name.to_string(), s.get(a.name).cloned().unwrap_or_default()))
                .collect(),
        )
    }
    fn import_id(&self, _: &Object) -> Result<String, String> {
        Err("not importable".into())
    }
    /// Computed values become known: `id` joins the configured key attributes, the rest null.
    async fn create(&self, _: &Ctx<()>, mut p: Object, _: &mut Diagnostics) -> Option<(Object, Snapshot)> {
        let key: Vec<String> = self
            .identity
            .attributes
            .iter()
            .filter_map(|a| p.get(a.name).and_then(|v| v.known()).and_then(|v| v.as_str()).map(str::to_string))
            .collect();
        for (name, value) in p.iter_mut() {
            if value.is_unknown() {
                *value = if name == "id" { Attr::Known(key.join("/").into()) } else { Attr::Null };
            }
        }
        let adopted =
            self.snapshot.then(|| serde_json::json!(p.iter().map(|(k, v)| (k, v.known())).collect::<BTreeMap<_, _>>()));
        Some((p, Snapshot { adopted }))
    }
    async fn read(&self, _: &Ctx<()>, c: Object, p: Snapshot, _: &mut Diagnostics) -> Option<Read<Object, Snapshot>> {
        Some(Read::Found(c, p))
    }
    async fn update(
        &self,
        _: &Ctx<()>,
        _: Object,
        p: Object,
        s: Snapshot,
        _: &mut Diagnostics,
    ) -> Option<(Object, Snapshot)> {
        Some((p, s))
    }
    async fn delete(&self, _: &Ctx<()>, _: Object, _: Snapshot, _: &mut Diagnostics) -> bool {
        true
    }
    async fn import(&self, _: &Ctx<()>, _: &str, _: &mut Diagnostics) -> Option<(Object, Snapshot)> {
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
        vec![
            TypedResource::boxed(NoopThing),
            TypedResource::boxed(Shaped::of("noop_factor", "zitadel", "zitadel_login_second_factor", false)),
            TypedResource::boxed(Shaped::of("noop_settings", "akana", "akana_twofa_settings", true)),
        ]
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
