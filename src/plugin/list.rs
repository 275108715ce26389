//! List resources: what `terraform query` (Terraform 1.14+) discovers so that a whole estate can
//! be imported at once. A list resource has the name of the managed resource it finds objects of,
//! and that resource's identity: every result is an identity (which `-generate-config-out` turns
//! into an `import` block), a display name, and with `include_resource` the resource object
//! itself (`internal/plugin/grpc_provider.go` `ListResource`).
//!
//! Results stream: Terraform reads up to the `limit` of the `list` block (100 by default) and then
//! cancels the call, so a listing stops paging as soon as no more results are wanted. A problem
//! with one item is a warning event (Terraform skips events that carry warnings and no identity);
//! an error diagnostic ends the whole query.

use async_trait::async_trait;
use serde::de::DeserializeOwned;
use tokio::sync::mpsc;

use crate::proto::tfplugin5 as pb;

use super::diag::{Diagnostic, Diagnostics};
use super::resource::{Ctx, Resource};
use super::schema::Schema;
use super::typed;
use super::value::{Type, Value};

/// The configuration of a list resource that takes none.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct NoConfig {}

/// What Terraform asked for, besides the configuration.
#[derive(Debug, Clone, Copy)]
pub struct ListRequest {
    pub include_resource: bool,
    pub limit: i64,
}

/// Where a listing sends its results, already encoded for Terraform.
pub struct ListSink<'a, R: Resource> {
    resource: &'a R,
    resource_ty: &'a Type,
    identity_ty: &'a Type,
    tx: mpsc::Sender<pb::list_resource::Event>,
    include_resource: bool,
    remaining: i64,
}

impl<R: Resource> ListSink<'_, R> {
    /// Whether Terraform still wants results (its limit not reached, still reading).
    pub fn wants_more(&self) -> bool {
        self.remaining > 0 && !self.tx.is_closed()
    }

    /// Sends one object; false when no more are wanted.
    pub async fn found(&mut self, display_name: impl Into<String>, state: R::State, private: R::Private) -> bool {
        if !self.wants_more() {
            return false;
        }
        let display_name = display_name.into();
        let Some(identity) = self.resource.identity(&state, &private) else { return true };
        // The object only when Terraform asked for it: most queries want identities alone.
        let encoded = encode(&identity, self.identity_ty).and_then(|identity| {
            let object = match self.include_resource {
                true => Some(encode(&state, self.resource_ty)?),
                false => None,
            };
            Ok((identity, object))
        });
        let (identity, object) = match encoded {
            Ok(e) => e,
            Err(why) => {
                return self
                    .warn(
                        format!("Provider bug: {display_name} cannot be listed"),
                        format!("Encoding it for Terraform failed: {why}. Please report this."),
                    )
                    .await;
            }
        };
        let event = pb::list_resource::Event {
            identity: Some(pb::ResourceIdentityData { identity_data: Some(identity) }),
            display_name,
            resource_object: object,
            diagnostic: vec![],
        };
        self.remaining -= 1;
        self.tx.send(event).await.is_ok() && self.remaining > 0
    }

    /// A problem with one item that does not end the listing: shown as a warning.
    pub async fn warn(&mut self, summary: impl Into<String>, detail: impl Into<String>) -> bool {
        let mut d = Diagnostics::new();
        d.warning(summary, detail);
        self.tx.send(diagnostics_event(&d)).await.is_ok()
    }
}

/// A typed value as Terraform takes it over the wire.
fn encode<T: serde::Serialize>(t: &T, ty: &Type) -> Result<pb::DynamicValue, String> {
    let v = typed::to_value(t, ty).map_err(|e| e.to_string())?;
    let msgpack = super::codec::to_msgpack(&v, ty).map_err(|e| e.to_string())?;
    Ok(pb::DynamicValue { msgpack, json: vec![] })
}

fn diagnostics_event(d: &Diagnostics) -> pb::list_resource::Event {
    pb::list_resource::Event { diagnostic: d.to_proto(), ..Default::default() }
}

/// A managed resource whose objects can be listed.
#[async_trait]
pub trait ListResource: Resource + Sized {
    /// The `config` block of a `list` block: a serde struct of [`typed::Attr`] fields.
    type ListConfig: DeserializeOwned + Send + Sync + 'static;

    /// The schema of that `config` block.
    fn list_schema(&self) -> Schema;

    /// Sends every object `config` asks for to `out`, stopping when it wants no more. Errors in
    /// `diags` end the query.
    async fn list(
        &self,
        ctx: &Ctx<Self::Client>,
        config: Self::ListConfig,
        out: &mut ListSink<'_, Self>,
        diags: &mut Diagnostics,
    );
}

/// A list resource with its types erased.
#[async_trait]
pub trait DynList<C>: Send + Sync {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> &Schema;
    fn ty(&self) -> &Type;
    fn validate(&self, config: &Value, diags: &mut Diagnostics);
    async fn list(&self, ctx: &Ctx<C>, config: &Value, req: ListRequest, tx: mpsc::Sender<pb::list_resource::Event>);
}

/// Wraps a [`ListResource`] as a [`DynList`].
pub struct TypedList<L: ListResource> {
    inner: L,
    schema: Schema,
    ty: Type,
    resource_ty: Type,
    identity_ty: Type,
}

impl<L: ListResource> TypedList<L> {
    pub fn boxed(inner: L) -> Box<dyn DynList<L::Client>> {
        let schema = inner.list_schema();
        let ty = schema.ty();
        let resource_ty = inner.schema().ty();
        let identity_ty = inner.identity_schema().ty();
        Box::new(TypedList { inner, schema, ty, resource_ty, identity_ty })
    }

    fn decode(&self, config: &Value, diags: &mut Diagnostics) -> Option<L::ListConfig> {
        typed::decode(config, "list configuration", diags)
    }
}

#[async_trait]
impl<L: ListResource> DynList<L::Client> for TypedList<L> {
    fn type_name(&self) -> &'static str {
        self.inner.type_name()
    }
    fn schema(&self) -> &Schema {
        &self.schema
    }
    fn ty(&self) -> &Type {
        &self.ty
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        self.schema.validate_config(config, diags);
        if !diags.has_errors() {
            self.decode(config, diags);
        }
    }

    async fn list(
        &self,
        ctx: &Ctx<L::Client>,
        config: &Value,
        req: ListRequest,
        tx: mpsc::Sender<pb::list_resource::Event>,
    ) {
        let mut diags = Diagnostics::new();
        self.validate(config, &mut diags);
        if let Some(cfg) = (!diags.has_errors()).then(|| self.decode(config, &mut diags)).flatten() {
            let mut sink = ListSink {
                resource: &self.inner,
                resource_ty: &self.resource_ty,
                identity_ty: &self.identity_ty,
                tx: tx.clone(),
                include_resource: req.include_resource,
                remaining: req.limit,
            };
            if sink.wants_more() {
                self.inner.list(ctx, cfg, &mut sink, &mut diags).await;
            }
        }
        let diags = diags.with_notices();
        if !diags.0.is_empty() {
            let _ = tx.send(diagnostics_event(&diags)).await;
        }
    }
}

/// The event that ends a listing that could not start (an unknown type, no configured client).
pub fn failed(diags: Vec<Diagnostic>) -> pb::list_resource::Event {
    diagnostics_event(&Diagnostics(diags))
}

/// A stream Terraform reads a listing from; the listing runs on its own task and stops when the
/// stream is dropped.
pub fn stream<F>(run: F) -> tonic::codegen::BoxStream<pb::list_resource::Event>
where
    F: FnOnce(mpsc::Sender<pb::list_resource::Event>) -> futures::future::BoxFuture<'static, ()>,
{
    let (tx, rx) = mpsc::channel(32);
    tokio::spawn(run(tx));
    Box::pin(futures::StreamExt::map(tokio_stream::wrappers::ReceiverStream::new(rx), Ok))
}
