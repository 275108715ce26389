//! The small trait a vendor implements per data source, the read-only sibling of
//! [`super::resource::Resource`]: typed configuration in, typed state out. Terraform validates the
//! configuration (`ValidateDataSourceConfig`) and reads (`ReadDataSource`) with a wholly known
//! configuration; the result must be wholly known, and keeps every configured value as written.

use async_trait::async_trait;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::diag::Diagnostics;
use super::resource::{Ctx, reconcile};
use super::schema::Schema;
use super::typed;
use super::value::{Type, Value};

#[async_trait]
pub trait DataSource: Send + Sync + 'static {
    type Client: Send + Sync + 'static;
    /// Typed state: a serde struct of [`typed::Attr`] fields named like the schema attributes.
    type State: Serialize + DeserializeOwned + Clone + Send + Sync + 'static;

    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;

    /// Cross-attribute checks at validate time (single-attribute rules live in the schema).
    fn validate(&self, _config: &Self::State, _diags: &mut Diagnostics) {}

    /// Reads the remote object described by `config`; `None` with an error diagnostic on failure.
    async fn read(&self, ctx: &Ctx<Self::Client>, config: Self::State, diags: &mut Diagnostics) -> Option<Self::State>;
}

/// A data source with its types erased to [`Value`]s.
#[async_trait]
pub trait DynDataSource<C>: Send + Sync {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> &Schema;
    fn ty(&self) -> &Type;
    fn validate(&self, config: &Value, diags: &mut Diagnostics);
    async fn read(&self, ctx: &Ctx<C>, config: &Value, diags: &mut Diagnostics) -> Option<Value>;
}

/// Wraps a [`DataSource`] as a [`DynDataSource`].
pub struct TypedData<D: DataSource> {
    inner: D,
    schema: Schema,
    ty: Type,
}

impl<D: DataSource> TypedData<D> {
    pub fn boxed(inner: D) -> Box<dyn DynDataSource<D::Client>> {
        let schema = inner.schema();
        let ty = schema.ty();
        Box::new(TypedData { inner, schema, ty })
    }

    fn decode(&self, v: &Value, diags: &mut Diagnostics) -> Option<D::State> {
        typed::decode(v, "configuration", diags)
    }
}

#[async_trait]
impl<D: DataSource> DynDataSource<D::Client> for TypedData<D> {
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
        if diags.has_errors() {
            return;
        }
        if let Some(cfg) = self.decode(config, diags) {
            self.inner.validate(&cfg, diags);
        }
    }

    async fn read(&self, ctx: &Ctx<D::Client>, config: &Value, diags: &mut Diagnostics) -> Option<Value> {
        // Values unknown at validate time are known now: check them again.
        self.validate(config, diags);
        if diags.has_errors() {
            return None;
        }
        let cfg = self.decode(config, diags)?;
        let state = self.inner.read(ctx, cfg, diags).await?;
        let v = match typed::to_value(&state, &self.ty) {
            Ok(v) => v,
            Err(e) => {
                diags.error(
                    "Provider bug: data source state does not fit the schema",
                    format!("{}: {e}. Please report this.", self.type_name()),
                );
                return None;
            }
        };
        finish(self.type_name(), &self.schema, config, v, diags)
    }
}

/// A data source's result as Terraform must get it: configured values exactly as written
/// (Terraform compares them), everything known.
pub fn finish(type_name: &str, schema: &Schema, config: &Value, v: Value, diags: &mut Diagnostics) -> Option<Value> {
    let mut v = reconcile(config, v);
    if let Value::Object(m) = &mut v {
        for a in &schema.attributes {
            let c = config.attr(a.name);
            if !c.is_null() || !a.computed {
                m.insert(a.name.to_string(), c.clone());
            }
        }
    }
    if !v.is_wholly_known() {
        diags.error(
            "Provider bug: data source result contains unknown values",
            format!("{type_name} returned values that are still unknown. Please report this."),
        );
        return None;
    }
    Some(v)
}
