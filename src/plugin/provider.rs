//! The provider trait a vendor implements once, and the host that erases its types so the gRPC
//! service can serve any provider through one [`DynProvider`] object.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use serde::de::DeserializeOwned;
use tokio_util::sync::CancellationToken;

use super::claims::{self, Claims, Taken};
use super::data_source::DynDataSource;
use super::diag::{AttrPath, Diagnostics};
use super::function::Function;
use super::list::{DynList, ListRequest};
use super::resource::{Ctx, DynResource, Planned, Stored};
use super::schema::{IdentitySchema, Schema};
use super::typed;
use super::value::{Type, Value};

/// What Configure knows besides the typed settings.
pub struct ConfigureRequest {
    /// e.g. `1.0.3`; goes into the User-Agent.
    pub terraform_version: String,
    /// The whole configuration after environment fallbacks and defaults, for settings shared by
    /// every provider (HTTP timeouts, retries, TLS) that the vendor struct does not spell out.
    pub raw: Value,
    pub cancel: CancellationToken,
}

#[async_trait]
pub trait Provider: Send + Sync + 'static {
    /// Typed provider settings (serde struct of [`typed::Attr`] fields; unknown fields ignored).
    type Config: DeserializeOwned + Send + 'static;
    /// The configured vendor client every resource operation receives.
    type Client: Send + Sync + 'static;

    /// The provider type users write in HCL, e.g. `rhombus`.
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    fn validate(&self, _config: &Self::Config, _diags: &mut Diagnostics) {}
    async fn configure(
        &self,
        req: ConfigureRequest,
        config: Self::Config,
        diags: &mut Diagnostics,
    ) -> Option<Self::Client>;
    fn resources(&self) -> Vec<Box<dyn DynResource<Self::Client>>>;
    fn data_sources(&self) -> Vec<Box<dyn DynDataSource<Self::Client>>> {
        Vec::new()
    }
    /// List resources for `terraform query`, each named like the managed resource it lists.
    fn list_resources(&self) -> Vec<Box<dyn DynList<Self::Client>>> {
        Vec::new()
    }
    /// Provider-defined functions, callable without a configuration.
    fn functions(&self) -> Vec<Arc<dyn Function>> {
        Vec::new()
    }
}

/// A provider as the gRPC service sees it: values in, values out.
#[async_trait]
pub trait DynProvider: Send + Sync {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> &Schema;
    /// The provider-defined functions, by name.
    fn functions(&self) -> &BTreeMap<&'static str, Arc<dyn Function>>;
    fn resource_types(&self) -> Vec<&'static str>;
    fn resource_schema(&self, type_name: &str) -> Option<(&Schema, &Type)>;
    fn validate_config(&self, config: &Value, diags: &mut Diagnostics);
    async fn configure(
        &self,
        terraform_version: &str,
        config: &Value,
        cancel: CancellationToken,
        diags: &mut Diagnostics,
    );
    fn validate_resource(&self, type_name: &str, config: &Value, diags: &mut Diagnostics);
    #[allow(clippy::too_many_arguments)]
    async fn plan(
        &self,
        type_name: &str,
        prior: &Value,
        proposed: &Value,
        config: &Value,
        prior_private: &[u8],
        cancel: CancellationToken,
        diags: &mut Diagnostics,
    ) -> Option<Planned>;
    async fn apply(
        &self,
        type_name: &str,
        prior: &Value,
        planned: &Value,
        planned_private: &[u8],
        cancel: CancellationToken,
        diags: &mut Diagnostics,
    ) -> Stored;
    async fn read(
        &self,
        type_name: &str,
        current: &Value,
        private: &[u8],
        cancel: CancellationToken,
        diags: &mut Diagnostics,
    ) -> Stored;
    /// Imports by string ID, or by identity (`import { identity = ... }`) when `identity` is set.
    async fn import(
        &self,
        type_name: &str,
        id: &str,
        identity: Option<&Value>,
        cancel: CancellationToken,
        diags: &mut Diagnostics,
    ) -> Option<Stored>;
    /// The resource type's identity schema and type.
    fn identity(&self, type_name: &str) -> Option<(&IdentitySchema, &Type)>;
    fn upgrade_identity(&self, type_name: &str, version: i64, json: &[u8], diags: &mut Diagnostics) -> Option<Value>;
    fn upgrade(&self, type_name: &str, version: i64, json: &[u8], diags: &mut Diagnostics) -> Option<Value>;
    fn data_source_types(&self) -> Vec<&'static str>;
    fn data_source_schema(&self, type_name: &str) -> Option<(&Schema, &Type)>;
    fn validate_data_source(&self, type_name: &str, config: &Value, diags: &mut Diagnostics);
    async fn read_data_source(
        &self,
        type_name: &str,
        config: &Value,
        cancel: CancellationToken,
        diags: &mut Diagnostics,
    ) -> Option<Value>;
    fn generate_config(&self, type_name: &str, state: &Value, diags: &mut Diagnostics) -> Option<Value>;
    fn list_types(&self) -> Vec<&'static str>;
    fn list_schema(&self, type_name: &str) -> Option<(&Schema, &Type)>;
    fn validate_list(&self, type_name: &str, config: &Value, diags: &mut Diagnostics);
    /// Runs a listing, sending its events to `tx`; the last event carries any diagnostics.
    async fn list(
        &self,
        type_name: &str,
        config: &Value,
        req: ListRequest,
        cancel: CancellationToken,
        tx: tokio::sync::mpsc::Sender<crate::proto::tfplugin5::list_resource::Event>,
    );
}

/// A resource with the context to run an operation on it.
type Prepared<'a, C> = (&'a dyn DynResource<C>, Ctx<C>);

/// Owns a [`Provider`], its resources and, once configured, its client.
pub struct ProviderHost<P: Provider> {
    provider: P,
    schema: Schema,
    resources: BTreeMap<&'static str, Box<dyn DynResource<P::Client>>>,
    data_sources: BTreeMap<&'static str, Box<dyn DynDataSource<P::Client>>>,
    lists: BTreeMap<&'static str, Box<dyn DynList<P::Client>>>,
    functions: BTreeMap<&'static str, Arc<dyn Function>>,
    client: RwLock<Option<Arc<P::Client>>>,
    /// Remote objects planned by a resource in this provider process ([`super::claims`]).
    claims: Claims,
}

impl<P: Provider> ProviderHost<P> {
    pub fn new(provider: P) -> Self {
        let schema = provider.schema();
        let resources = provider.resources().into_iter().map(|r| (r.type_name(), r)).collect();
        let data_sources = provider.data_sources().into_iter().map(|d| (d.type_name(), d)).collect();
        let lists = provider.list_resources().into_iter().map(|l| (l.type_name(), l)).collect();
        let functions = provider.functions().into_iter().map(|f| (f.signature().name, f)).collect();
        ProviderHost {
            provider,
            schema,
            resources,
            data_sources,
            lists,
            functions,
            client: RwLock::new(None),
            claims: Claims::default(),
        }
    }

    pub fn boxed(provider: P) -> Arc<dyn DynProvider> {
        Arc::new(Self::new(provider))
    }

    fn resource(&self, type_name: &str, diags: &mut Diagnostics) -> Option<&dyn DynResource<P::Client>> {
        let r = self.resources.get(type_name).map(|b| b.as_ref());
        if r.is_none() {
            diags.error(
                "Unknown resource type",
                format!("The {} provider has no resource type {type_name:?}.", self.provider.type_name()),
            );
        }
        r
    }

    fn data_source(&self, type_name: &str, diags: &mut Diagnostics) -> Option<&dyn DynDataSource<P::Client>> {
        let d = self.data_sources.get(type_name).map(|b| b.as_ref());
        if d.is_none() {
            diags.error(
                "Unknown data source",
                format!(
                    "The {} provider has no data source {type_name:?}. It has: {}.",
                    self.provider.type_name(),
                    self.data_sources.keys().copied().collect::<Vec<_>>().join(", ")
                ),
            );
        }
        d
    }

    fn ctx(&self, cancel: CancellationToken) -> Option<Ctx<P::Client>> {
        let client = self.client.read().expect("client lock").clone()?;
        Some(Ctx { client, cancel })
    }

    /// The resource and a configured context, or the diagnostics saying why not.
    fn prepared(
        &self,
        type_name: &str,
        cancel: CancellationToken,
        diags: &mut Diagnostics,
    ) -> Option<Prepared<'_, P::Client>> {
        let r = self.resource(type_name, diags)?;
        let ctx = self.require_ctx(cancel, diags)?;
        Some((r, ctx))
    }

    fn require_ctx(&self, cancel: CancellationToken, diags: &mut Diagnostics) -> Option<Ctx<P::Client>> {
        let c = self.ctx(cancel);
        if c.is_none() {
            diags.error(
                "Provider not configured",
                format!(
                    "The {} provider could not be configured (see the errors above), or its configuration depends on values not known until apply.",
                    self.provider.type_name()
                ),
            );
        }
        c
    }

    /// Fills null settings from their environment variables, then from their defaults. A variable
    /// that is not a value of its attribute's type is an error naming the variable.
    fn with_fallbacks(&self, config: &Value, diags: &mut Diagnostics) -> Value {
        let mut out = config.clone();
        if let Value::Object(m) = &mut out {
            for a in &self.schema.attributes {
                let slot = m.entry(a.name.to_string()).or_insert(Value::Null);
                if !slot.is_null() {
                    continue;
                }
                if let Some((var, v)) = a
                    .env
                    .as_ref()
                    .and_then(|var| std::env::var(var).ok().map(|v| (var, v)))
                    .filter(|(_, v)| !v.is_empty())
                {
                    match env_value(&a.ty, &v) {
                        Ok(value) => *slot = value,
                        Err(expected) => {
                            let shown = if a.sensitive { "(sensitive value)".to_string() } else { format!("{v:?}") };
                            diags.attr_error(
                                AttrPath::attr(a.name),
                                format!("Invalid value for {}", a.name),
                                format!("The environment variable {var} is {shown}; it must be {expected}."),
                            );
                        }
                    }
                } else if let Some(d) = &a.default {
                    *slot = d.clone();
                }
            }
        }
        out
    }
}

/// Interprets an environment variable as a value of the attribute's type: booleans as Terraform
/// users write them (`true`/`false`, `1`/`0`), numbers in decimal. `Err` says what was expected.
fn env_value(ty: &Type, s: &str) -> Result<Value, &'static str> {
    match ty {
        Type::Bool => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => Ok(Value::Bool(true)),
            "false" | "0" => Ok(Value::Bool(false)),
            _ => Err("true or false (or 1 or 0)"),
        },
        Type::Number => super::value::Number::parse_decimal(s.trim()).map(Value::Number).ok_or("a number"),
        _ => Ok(Value::String(s.to_string())),
    }
}

#[async_trait]
impl<P: Provider> DynProvider for ProviderHost<P> {
    fn type_name(&self) -> &'static str {
        self.provider.type_name()
    }
    fn schema(&self) -> &Schema {
        &self.schema
    }
    fn functions(&self) -> &BTreeMap<&'static str, Arc<dyn Function>> {
        &self.functions
    }
    fn resource_types(&self) -> Vec<&'static str> {
        self.resources.keys().copied().collect()
    }
    fn resource_schema(&self, type_name: &str) -> Option<(&Schema, &Type)> {
        self.resources.get(type_name).map(|r| (r.schema(), r.ty()))
    }

    fn validate_config(&self, config: &Value, diags: &mut Diagnostics) {
        self.schema.validate_config(config, diags);
        if diags.has_errors() {
            return;
        }
        if let Some(c) = typed::decode::<P::Config>(config, "provider configuration", diags) {
            self.provider.validate(&c, diags);
        }
    }

    async fn configure(
        &self,
        terraform_version: &str,
        config: &Value,
        cancel: CancellationToken,
        diags: &mut Diagnostics,
    ) {
        // A new walk (a reattached provider serves many) plans every resource afresh.
        self.claims.clear();
        let full = self.with_fallbacks(config, diags);
        if diags.has_errors() {
            return;
        }
        // Values from environment variables are validated here (Terraform never saw them).
        self.schema.validate_config(&full, diags);
        for d in diags.0.iter_mut() {
            if let Some(env) = d.path.as_ref().and_then(|p| match p.0.first() {
                Some(super::diag::PathStep::Attr(a)) if config.attr(a).is_null() => {
                    self.schema.attribute(a).and_then(|x| x.env.clone())
                }
                _ => None,
            }) {
                d.detail.push_str(&format!(" (The value came from the environment variable {env}.)"));
            }
        }
        if diags.has_errors() {
            return;
        }
        if !full.is_wholly_known() {
            // Terraform 1.0.3 configures during plan even when settings depend on other resources.
            // Resources then plan without a client; apply configures again with known values.
            return;
        }
        let Some(typed_cfg) = typed::decode::<P::Config>(&full, "provider configuration", diags) else {
            return;
        };
        let req = ConfigureRequest { terraform_version: terraform_version.to_string(), raw: full, cancel };
        if let Some(client) = self.provider.configure(req, typed_cfg, diags).await {
            *self.client.write().expect("client lock") = Some(Arc::new(client));
        }
    }

    fn validate_resource(&self, type_name: &str, config: &Value, diags: &mut Diagnostics) {
        if let Some(r) = self.resource(type_name, diags) {
            r.validate(config, diags);
        }
    }

    async fn plan(
        &self,
        type_name: &str,
        prior: &Value,
        proposed: &Value,
        config: &Value,
        prior_private: &[u8],
        cancel: CancellationToken,
        diags: &mut Diagnostics,
    ) -> Option<Planned> {
        let r = self.resource(type_name, diags)?;
        let ctx = self.ctx(cancel);
        let (token, prior_private) = claims::split(prior_private);
        let mut planned = r.plan(ctx.as_ref(), prior, proposed, config, prior_private, diags).await?;
        let Some(object) = r.remote_object(&planned.state) else { return Some(planned) };
        match self.claims.claim(object.clone(), r.type_name(), prior.is_null(), token) {
            Ok(Some(t)) => planned.private = claims::mark(t, &planned.private),
            Ok(None) => {}
            Err(Taken(other)) => {
                diags.error(
                    "Two resources manage one remote object",
                    format!(
                        "This {type_name} and another {other} of the configuration both manage {object}: each apply would \
                         undo the other's change. Keep one of them, or point them at different objects."
                    ),
                );
                return None;
            }
        }
        Some(planned)
    }

    async fn apply(
        &self,
        type_name: &str,
        prior: &Value,
        planned: &Value,
        planned_private: &[u8],
        cancel: CancellationToken,
        diags: &mut Diagnostics,
    ) -> Stored {
        // A claim token is for plans only: never stored.
        let (_, planned_private) = claims::split(planned_private);
        let Some((r, ctx)) = self.prepared(type_name, cancel, diags) else {
            return Stored { state: prior.clone(), private: planned_private.to_vec(), identity: None };
        };
        if planned.is_null() && r.remote_object(prior).is_some_and(|o| self.claims.taken_over(&o)) {
            log::info!("{type_name}: its remote object is managed by the create of this apply; forgotten only");
            return Stored { state: Value::Null, private: Vec::new(), identity: None };
        }
        let stored = r.apply(&ctx, prior, planned, planned_private, diags).await;
        if prior.is_null()
            && !stored.state.is_null()
            && let Some(o) = r.remote_object(&stored.state)
        {
            self.claims.created(o);
        }
        stored
    }

    async fn read(
        &self,
        type_name: &str,
        current: &Value,
        private: &[u8],
        cancel: CancellationToken,
        diags: &mut Diagnostics,
    ) -> Stored {
        let (_, private) = claims::split(private);
        match self.prepared(type_name, cancel, diags) {
            Some((r, ctx)) => r.read(&ctx, current, private, diags).await,
            None => Stored { state: current.clone(), private: private.to_vec(), identity: None },
        }
    }

    async fn import(
        &self,
        type_name: &str,
        id: &str,
        identity: Option<&Value>,
        cancel: CancellationToken,
        diags: &mut Diagnostics,
    ) -> Option<Stored> {
        let (r, ctx) = self.prepared(type_name, cancel, diags)?;
        let id = match identity {
            Some(i) => r.identity_import_id(i, diags)?,
            None => id.to_string(),
        };
        r.import(&ctx, &id, diags).await
    }

    fn identity(&self, type_name: &str) -> Option<(&IdentitySchema, &Type)> {
        self.resources.get(type_name).map(|r| (r.identity_schema(), r.identity_ty()))
    }

    fn upgrade_identity(&self, type_name: &str, version: i64, json: &[u8], diags: &mut Diagnostics) -> Option<Value> {
        self.resource(type_name, diags)?.upgrade_identity(version, json, diags)
    }

    fn upgrade(&self, type_name: &str, version: i64, json: &[u8], diags: &mut Diagnostics) -> Option<Value> {
        self.resource(type_name, diags)?.upgrade(version, json, diags)
    }

    fn data_source_types(&self) -> Vec<&'static str> {
        self.data_sources.keys().copied().collect()
    }
    fn data_source_schema(&self, type_name: &str) -> Option<(&Schema, &Type)> {
        self.data_sources.get(type_name).map(|d| (d.schema(), d.ty()))
    }

    fn validate_data_source(&self, type_name: &str, config: &Value, diags: &mut Diagnostics) {
        if let Some(d) = self.data_source(type_name, diags) {
            d.validate(config, diags);
        }
    }

    async fn read_data_source(
        &self,
        type_name: &str,
        config: &Value,
        cancel: CancellationToken,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let d = self.data_source(type_name, diags)?;
        let ctx = self.require_ctx(cancel, diags)?;
        d.read(&ctx, config, diags).await
    }

    fn generate_config(&self, type_name: &str, state: &Value, diags: &mut Diagnostics) -> Option<Value> {
        Some(self.resource(type_name, diags)?.generate_config(state))
    }

    fn list_types(&self) -> Vec<&'static str> {
        self.lists.keys().copied().collect()
    }

    fn list_schema(&self, type_name: &str) -> Option<(&Schema, &Type)> {
        self.lists.get(type_name).map(|l| (l.schema(), l.ty()))
    }

    fn validate_list(&self, type_name: &str, config: &Value, diags: &mut Diagnostics) {
        match self.lists.get(type_name) {
            Some(l) => l.validate(config, diags),
            None => diags.error(
                "Unknown list resource",
                format!("The {} provider has no list resource {type_name:?}.", self.provider.type_name()),
            ),
        }
    }

    async fn list(
        &self,
        type_name: &str,
        config: &Value,
        req: ListRequest,
        cancel: CancellationToken,
        tx: tokio::sync::mpsc::Sender<crate::proto::tfplugin5::list_resource::Event>,
    ) {
        let mut diags = Diagnostics::new();
        let Some(l) = self.lists.get(type_name) else {
            self.validate_list(type_name, config, &mut diags);
            let _ = tx.send(super::list::failed(diags.0)).await;
            return;
        };
        match self.require_ctx(cancel, &mut diags) {
            Some(ctx) => l.list(&ctx, config, req, tx).await,
            None => {
                let _ = tx.send(super::list::failed(diags.0)).await;
            }
        }
    }
}
