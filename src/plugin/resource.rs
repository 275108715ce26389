//! The small trait a vendor implements per resource type, in the spirit of HashiCorp's
//! terraform-plugin-framework: typed state in, typed state out. Everything protocol-shaped —
//! decoding, default planning, replacement paths, private-state bytes, keeping numbers and set
//! order as Terraform sent them — happens here once, not in each resource.

use std::sync::Arc;

use async_trait::async_trait;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio_util::sync::CancellationToken;

use super::diag::{AttrPath, Diagnostics};
use super::schema::{IdentitySchema, Schema};
use super::typed;
use super::value::{Type, Value};

/// What an operation runs with: the configured vendor client and the token that Terraform's
/// Stop (Ctrl-C) cancels.
pub struct Ctx<C> {
    pub client: Arc<C>,
    pub cancel: CancellationToken,
}

/// The inputs of a plan, as typed values, with `planned` already holding the framework's default
/// plan (config values, defaults, unknown for computed values on create). A resource changes
/// `planned` only for values it computes.
pub struct Plan<S, P> {
    pub prior: Option<S>,
    pub config: S,
    pub planned: S,
    pub private: P,
    /// Extra attributes whose change forces replacement (schema `force_new` ones are automatic).
    pub requires_replace: Vec<AttrPath>,
}

/// Result of refreshing a resource.
pub enum Read<S, P> {
    Found(S, P),
    /// The remote object is gone: Terraform drops it from state and plans a create.
    Gone,
}

#[async_trait]
pub trait Resource: Send + Sync + 'static {
    type Client: Send + Sync + 'static;
    /// Typed state: a serde struct of [`typed::Attr`] fields named like the schema attributes.
    type State: Serialize + DeserializeOwned + Clone + Send + Sync + 'static;
    /// Private state kept by Terraform beside the state (never shown to users), as JSON.
    type Private: Serialize + DeserializeOwned + Default + Send + Sync + 'static;

    /// The resource identity (see [`IdentitySchema`]): a serde struct of [`typed::Attr`] fields
    /// named like the identity attributes.
    type Identity: Serialize + DeserializeOwned + Send + Sync + 'static;

    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    fn identity_schema(&self) -> IdentitySchema;

    /// The identity of the remote object a (wholly known) state describes.
    fn identity(&self, state: &Self::State, private: &Self::Private) -> Option<Self::Identity>;

    /// The import ID that names the same object as `identity`: `import { identity = { ... } }`
    /// imports exactly as the string ID would. `Err` says what is wrong with the identity.
    fn import_id(&self, identity: &Self::Identity) -> Result<String, String>;

    /// Cross-attribute checks at validate time (single-attribute rules live in the schema).
    fn validate(&self, _config: &Self::State, _diags: &mut Diagnostics) {}

    /// Adjusts the default plan. `ctx` is absent when the provider configuration is not known yet.
    async fn plan(
        &self,
        _ctx: Option<&Ctx<Self::Client>>,
        _plan: &mut Plan<Self::State, Self::Private>,
        _diags: &mut Diagnostics,
    ) {
    }

    /// What destroying will do, said before it happens: called when Terraform plans the destroy
    /// (Terraform >= 1.3 asks providers to plan destroys), else right before `delete` at apply,
    /// so its warnings show once either way. `ctx` is absent when the provider configuration is
    /// not known yet.
    async fn plan_destroy(
        &self,
        _ctx: Option<&Ctx<Self::Client>>,
        _prior: &Self::State,
        _private: &Self::Private,
        _diags: &mut Diagnostics,
    ) {
    }

    /// The remote object a planned state manages, in words (`the MFA settings of Rhombus
    /// organization X`), when it is known. Two resources of one configuration that name the same
    /// object would undo each other's changes on every apply: the later one's plan fails.
    fn remote_object(&self, _planned: &Self::State) -> Option<String> {
        None
    }

    async fn create(
        &self,
        ctx: &Ctx<Self::Client>,
        planned: Self::State,
        diags: &mut Diagnostics,
    ) -> Option<(Self::State, Self::Private)>;

    async fn read(
        &self,
        ctx: &Ctx<Self::Client>,
        current: Self::State,
        private: Self::Private,
        diags: &mut Diagnostics,
    ) -> Option<Read<Self::State, Self::Private>>;

    async fn update(
        &self,
        ctx: &Ctx<Self::Client>,
        prior: Self::State,
        planned: Self::State,
        private: Self::Private,
        diags: &mut Diagnostics,
    ) -> Option<(Self::State, Self::Private)>;

    /// Returns false when the object still exists (Terraform then keeps it in state).
    async fn delete(
        &self,
        ctx: &Ctx<Self::Client>,
        prior: Self::State,
        private: Self::Private,
        diags: &mut Diagnostics,
    ) -> bool;

    /// Builds the state for `terraform import` from the user's ID; Terraform reads it right after.
    async fn import(
        &self,
        ctx: &Ctx<Self::Client>,
        id: &str,
        diags: &mut Diagnostics,
    ) -> Option<(Self::State, Self::Private)>;
}

/// Output of planning one resource instance.
pub struct Planned {
    pub state: Value,
    pub private: Vec<u8>,
    pub requires_replace: Vec<AttrPath>,
    /// Known when the planned object is (not on create).
    pub identity: Option<Value>,
}

/// What a resource operation leaves for Terraform to store: the state (null when the object is
/// gone), private bytes, and the identity of a known object.
pub struct Stored {
    pub state: Value,
    pub private: Vec<u8>,
    pub identity: Option<Value>,
}

/// A resource with its types erased to [`Value`]s, so the gRPC service can hold many kinds.
#[async_trait]
pub trait DynResource<C>: Send + Sync {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> &Schema;
    fn ty(&self) -> &Type;
    fn validate(&self, config: &Value, diags: &mut Diagnostics);
    async fn plan(
        &self,
        ctx: Option<&Ctx<C>>,
        prior: &Value,
        proposed: &Value,
        config: &Value,
        prior_private: &[u8],
        diags: &mut Diagnostics,
    ) -> Option<Planned>;
    async fn apply(
        &self,
        ctx: &Ctx<C>,
        prior: &Value,
        planned: &Value,
        planned_private: &[u8],
        diags: &mut Diagnostics,
    ) -> Stored;
    async fn read(&self, ctx: &Ctx<C>, current: &Value, private: &[u8], diags: &mut Diagnostics) -> Stored;
    async fn import(&self, ctx: &Ctx<C>, id: &str, diags: &mut Diagnostics) -> Option<Stored>;
    /// Re-reads stored JSON state under the current schema (UpgradeResourceState).
    fn upgrade(&self, version: i64, json: &[u8], diags: &mut Diagnostics) -> Option<Value>;
    /// See [`Resource::remote_object`].
    fn remote_object(&self, planned: &Value) -> Option<String>;
    fn identity_schema(&self) -> &IdentitySchema;
    fn identity_ty(&self) -> &Type;
    /// The import ID an identity (from `import { identity = ... }`) names.
    fn identity_import_id(&self, identity: &Value, diags: &mut Diagnostics) -> Option<String>;
    /// Re-reads a stored identity under the current identity schema (UpgradeResourceIdentity).
    fn upgrade_identity(&self, version: i64, json: &[u8], diags: &mut Diagnostics) -> Option<Value>;
    /// The identity of a stored state, when it is wholly known.
    fn identity_of(&self, state: &Value, private: &[u8]) -> Option<Value>;
    /// The configuration that reproduces an imported or listed state (GenerateResourceConfig).
    fn generate_config(&self, state: &Value) -> Value;
}

/// Prefixes the private bytes of a destroy the CLI planned through us, so apply knows its
/// warnings were already shown. The bytes live only in the plan (a destroyed object has no state).
const DESTROY_PLANNED: &[u8] = b"\0destroy-planned\0";

/// Wraps a [`Resource`] as a [`DynResource`].
pub struct TypedResource<R: Resource> {
    inner: R,
    schema: Schema,
    ty: Type,
    identity: IdentitySchema,
    identity_ty: Type,
}

impl<R: Resource> TypedResource<R> {
    pub fn new(inner: R) -> Self {
        let schema = inner.schema();
        let ty = schema.ty();
        let identity = inner.identity_schema();
        let identity_ty = identity.ty();
        TypedResource { inner, schema, ty, identity, identity_ty }
    }

    /// The identity of a typed state, encoded; none unless wholly known.
    fn identity_value(&self, state: &R::State, private: &R::Private) -> Option<Value> {
        let id = self.inner.identity(state, private)?;
        typed::to_value(&id, &self.identity_ty).ok().filter(Value::is_wholly_known)
    }

    /// A result for Terraform to store, with the identity of the object it describes.
    fn stored(&self, state: Value, typed: &R::State, private: &R::Private) -> Stored {
        let identity = if state.is_null() { None } else { self.identity_value(typed, private) };
        Stored { state, private: Self::private_out(private), identity }
    }

    pub fn boxed(inner: R) -> Box<dyn DynResource<R::Client>> {
        Box::new(Self::new(inner))
    }

    fn decode(&self, v: &Value, what: &str, diags: &mut Diagnostics) -> Option<R::State> {
        typed::decode(v, what, diags)
    }

    fn encode(&self, s: &R::State, diags: &mut Diagnostics) -> Option<Value> {
        match typed::to_value(s, &self.ty) {
            Ok(v) => Some(v),
            Err(e) => {
                diags.error(
                    "Provider bug: state does not fit the schema",
                    format!("{}: {e}. Please report this.", self.inner.type_name()),
                );
                None
            }
        }
    }

    fn private_in(&self, bytes: &[u8], diags: &mut Diagnostics) -> Option<R::Private> {
        if bytes.is_empty() {
            return Some(R::Private::default());
        }
        match serde_json::from_slice(bytes) {
            Ok(p) => Some(p),
            Err(e) => {
                diags.error(
                    "Unreadable private state",
                    format!(
                        "The private data Terraform stored for this {} could not be read: {e}.",
                        self.inner.type_name()
                    ),
                );
                None
            }
        }
    }

    fn private_out(p: &R::Private) -> Vec<u8> {
        serde_json::to_vec(p).expect("private state serialises to JSON")
    }

    /// Resource results that still hold unknowns are a provider bug; say so instead of letting
    /// Terraform print a generic "invalid result object".
    fn check_known(&self, v: &Value, diags: &mut Diagnostics) -> bool {
        if v.is_wholly_known() {
            return true;
        }
        diags.error(
            "Provider bug: result contains unknown values",
            format!(
                "{} returned a state with values that are still unknown. Please report this.",
                self.inner.type_name()
            ),
        );
        false
    }
}

/// Keeps Terraform's own representation of every value that did not really change: numbers in
/// the form they were sent, sets in the order they were sent. Terraform compares some of these
/// bit for bit, and a reordered set read back from a vendor is not drift.
pub fn reconcile(old: &Value, new: Value) -> Value {
    if old.semantic_eq(&new) && old.is_wholly_known() {
        return old.clone();
    }
    match (old, new) {
        (Value::Object(o), Value::Object(mut n)) => {
            for (k, v) in n.iter_mut() {
                if let Some(ov) = o.get(k) {
                    let taken = std::mem::replace(v, Value::Null);
                    *v = reconcile(ov, taken);
                }
            }
            Value::Object(n)
        }
        (_, new) => new,
    }
}

fn set_attr(v: &mut Value, name: &str, x: Value) {
    if let Value::Object(m) = v {
        m.insert(name.to_string(), x);
    }
}

#[async_trait]
impl<R: Resource> DynResource<R::Client> for TypedResource<R> {
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
        if let Some(cfg) = self.decode(config, "configuration", diags) {
            self.inner.validate(&cfg, diags);
        }
    }

    async fn plan(
        &self,
        ctx: Option<&Ctx<R::Client>>,
        prior: &Value,
        proposed: &Value,
        config: &Value,
        prior_private: &[u8],
        diags: &mut Diagnostics,
    ) -> Option<Planned> {
        if proposed.is_null() {
            // Destroy plan (sent only because we declare the plan_destroy capability).
            if let (Some(p), Some(private)) =
                (self.decode(prior, "prior state", diags), self.private_in(prior_private, diags))
            {
                self.inner.plan_destroy(ctx, &p, &private, diags).await;
            }
            let private = [DESTROY_PLANNED, prior_private].concat();
            return Some(Planned { state: Value::Null, private, requires_replace: vec![], identity: None });
        }
        // Validation runs again at plan time: values unknown at validate time are known now.
        self.schema.validate_config(config, diags);
        if diags.has_errors() {
            return None;
        }
        let creating = prior.is_null();
        let mut planned = proposed.clone();
        for a in &self.schema.attributes {
            if a.computed && config.attr(a.name).is_null() {
                if let Some(d) = &a.default {
                    set_attr(&mut planned, a.name, d.clone());
                } else if creating {
                    set_attr(&mut planned, a.name, Value::Unknown);
                }
            }
        }
        let mut plan = Plan {
            prior: if creating { None } else { Some(self.decode(prior, "prior state", diags)?) },
            config: self.decode(config, "configuration", diags)?,
            planned: self.decode(&planned, "plan", diags)?,
            private: self.private_in(prior_private, diags)?,
            requires_replace: Vec::new(),
        };
        self.inner.plan(ctx, &mut plan, diags).await;
        if diags.has_errors() {
            return None;
        }
        let mut state = reconcile(&planned, self.encode(&plan.planned, diags)?);
        // Whatever the resource did, values set in the configuration are planned as written.
        for a in &self.schema.attributes {
            let c = config.attr(a.name);
            if !c.is_null() || !a.computed {
                set_attr(&mut state, a.name, c.clone());
            }
        }
        let mut requires_replace = plan.requires_replace;
        if !creating {
            // Another spelling of the value in state is the same value: plan the state's (Terraform
            // accepts a planned value equal to the prior one in place of the configuration's).
            for a in &self.schema.attributes {
                let (p, c) = (prior.attr(a.name), config.attr(a.name));
                if let Some(same) = a.equivalent
                    && !p.is_null()
                    && !c.is_null()
                    && c.is_wholly_known()
                    && same(p, c)
                {
                    set_attr(&mut state, a.name, p.clone());
                }
            }
            for a in self.schema.attributes.iter().filter(|a| a.force_new) {
                if !prior.attr(a.name).semantic_eq(state.attr(a.name)) {
                    requires_replace.push(AttrPath::attr(a.name));
                }
            }
            state = reconcile(prior, state);
        }
        // The planned object's identity, once everything that makes it up is known.
        let identity = if state.is_wholly_known() {
            typed::from_value::<R::State>(&state).ok().and_then(|s| self.identity_value(&s, &plan.private))
        } else {
            None
        };
        Some(Planned { state, private: Self::private_out(&plan.private), requires_replace, identity })
    }

    async fn apply(
        &self,
        ctx: &Ctx<R::Client>,
        prior: &Value,
        planned: &Value,
        planned_private: &[u8],
        diags: &mut Diagnostics,
    ) -> Stored {
        let destroy_planned = planned_private.strip_prefix(DESTROY_PLANNED);
        // What stays in state if nothing changes: never the marker.
        let kept_private = destroy_planned.unwrap_or(planned_private);
        let keep = || Stored {
            state: prior.clone(),
            private: kept_private.to_vec(),
            identity: self.identity_of(prior, kept_private),
        };
        let Some(private) = self.private_in(kept_private, diags) else {
            return keep();
        };
        if planned.is_null() {
            let Some(p) = self.decode(prior, "prior state", diags) else {
                return keep();
            };
            // Terraform before 1.3 plans destroys itself: say now what the plan would have said.
            if destroy_planned.is_none() {
                self.inner.plan_destroy(Some(ctx), &p, &private, diags).await;
                if diags.has_errors() {
                    return keep();
                }
            }
            return if self.inner.delete(ctx, p, private, diags).await && !diags.has_errors() {
                Stored { state: Value::Null, private: Vec::new(), identity: None }
            } else {
                keep()
            };
        }
        let Some(plan) = self.decode(planned, "plan", diags) else {
            return keep();
        };
        let result = if prior.is_null() {
            self.inner.create(ctx, plan, diags).await
        } else {
            let Some(p) = self.decode(prior, "prior state", diags) else {
                return keep();
            };
            self.inner.update(ctx, p, plan, private, diags).await
        };
        match result {
            Some((state, private)) => match self.encode(&state, diags) {
                Some(v) => {
                    let v = reconcile(planned, v);
                    if self.check_known(&v, diags) { self.stored(v, &state, &private) } else { keep() }
                }
                None => keep(),
            },
            None => keep(),
        }
    }

    async fn read(&self, ctx: &Ctx<R::Client>, current: &Value, private: &[u8], diags: &mut Diagnostics) -> Stored {
        let keep = || Stored {
            state: current.clone(),
            private: private.to_vec(),
            identity: self.identity_of(current, private),
        };
        let (Some(cur), Some(p)) = (self.decode(current, "state", diags), self.private_in(private, diags)) else {
            return keep();
        };
        match self.inner.read(ctx, cur, p, diags).await {
            Some(Read::Found(state, private)) => match self.encode(&state, diags) {
                Some(v) => {
                    let v = reconcile(current, v);
                    if self.check_known(&v, diags) { self.stored(v, &state, &private) } else { keep() }
                }
                None => keep(),
            },
            Some(Read::Gone) => Stored { state: Value::Null, private: Vec::new(), identity: None },
            None => keep(),
        }
    }

    async fn import(&self, ctx: &Ctx<R::Client>, id: &str, diags: &mut Diagnostics) -> Option<Stored> {
        let (state, private) = self.inner.import(ctx, id, diags).await?;
        let v = self.encode(&state, diags)?;
        self.check_known(&v, diags).then(|| self.stored(v, &state, &private))
    }

    fn identity_schema(&self) -> &IdentitySchema {
        &self.identity
    }

    fn identity_ty(&self) -> &Type {
        &self.identity_ty
    }

    fn identity_import_id(&self, identity: &Value, diags: &mut Diagnostics) -> Option<String> {
        let parsed: R::Identity = typed::decode(identity, "import identity", diags)?;
        match self.inner.import_id(&parsed) {
            Ok(id) => Some(id),
            Err(why) => {
                diags.error("Invalid import identity", why);
                None
            }
        }
    }

    fn upgrade_identity(&self, version: i64, json: &[u8], diags: &mut Diagnostics) -> Option<Value> {
        if version > self.identity.version {
            diags.error(
                "Resource identity written by a newer provider version",
                format!(
                    "The identity of this {} was written by identity schema version {version}, newer than this provider's {}. \
                     Upgrade the provider.",
                    self.type_name(),
                    self.identity.version
                ),
            );
            return None;
        }
        // Nothing stored (Terraform asks even then): the next read returns the identity.
        if json.iter().all(u8::is_ascii_whitespace) || json == b"null" {
            return None;
        }
        match super::codec::from_json_bytes(json, &self.identity_ty) {
            Ok(v) => Some(v),
            Err(e) => {
                diags.error(
                    "Unreadable stored identity",
                    format!("The stored identity of this {} could not be read: {e}.", self.type_name()),
                );
                None
            }
        }
    }

    /// What a person would write for the object: computed-only attributes and optional ones at
    /// their default (`restore_on_destroy = false`) are left out; Terraform renders the rest.
    fn generate_config(&self, state: &Value) -> Value {
        let Value::Object(m) = state else { return Value::Null };
        let mut out = m.clone();
        for a in &self.schema.attributes {
            let v = m.get(a.name).unwrap_or(&Value::Null);
            let at_default = a.default.as_ref().is_some_and(|d| d.semantic_eq(v));
            if a.computed && (!a.optional || at_default) {
                out.insert(a.name.to_string(), Value::Null);
            }
        }
        Value::Object(out)
    }

    fn identity_of(&self, state: &Value, private: &[u8]) -> Option<Value> {
        if state.is_null() || !state.is_wholly_known() {
            return None;
        }
        let typed = typed::from_value::<R::State>(state).ok()?;
        let private = if private.is_empty() { R::Private::default() } else { serde_json::from_slice(private).ok()? };
        self.identity_value(&typed, &private)
    }

    fn remote_object(&self, planned: &Value) -> Option<String> {
        typed::from_value(planned).ok().and_then(|s| self.inner.remote_object(&s))
    }

    fn upgrade(&self, version: i64, json: &[u8], diags: &mut Diagnostics) -> Option<Value> {
        if version > self.schema.version {
            diags.error(
                "Resource instance managed by a newer provider version",
                format!(
                    "The state of this {} was written by schema version {version}, newer than this provider's {}. Upgrade the provider.",
                    self.type_name(),
                    self.schema.version
                ),
            );
            return None;
        }
        match super::codec::from_json_bytes(json, &self.ty) {
            Ok(v) => Some(v),
            Err(e) => {
                diags.error(
                    "Unreadable stored state",
                    format!("The stored state of this {} could not be read: {e}.", self.type_name()),
                );
                None
            }
        }
    }
}
