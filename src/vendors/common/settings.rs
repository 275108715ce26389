//! The lifecycle every settings resource shares, the way terraform-provider-tls keeps
//! `common_cert.go` under thin resources. A settings object always exists — an organization's MFA
//! settings, a portal's TFA, a business's login policy, a lock-out policy — so:
//!
//! - create adopts it: applies the plan and records what it held before in private state;
//! - read refreshes it, and the resource is gone only when its owner is;
//! - update writes only when a managed value changed (`restore_on_destroy` alone sends nothing);
//! - destroy forgets it, or with `restore_on_destroy` writes back what was adopted, and the plan
//!   says when that is weaker;
//! - import and `terraform query` adopt what exists;
//! - a create whose write may or may not have landed is kept in state with the error and what it
//!   found before (Terraform then replaces it): the replacement adopts those values, not the ones
//!   the lost write left, so `restore_on_destroy` later restores what was really there.
//!
//! A vendor supplies only what is its own ([`Settings`]): how to read the object, how to apply a
//! plan to it (read-modify-write, verification, locks, guards), how state maps to its values,
//! what "weaker" means, and which tenant its state pins.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::restore::{self, Names};
use crate::plugin::diag::Diagnostics;
use crate::plugin::list::{ListResource, ListSink};
use crate::plugin::resource::{Ctx, Plan, Read, Resource};
use crate::plugin::schema::{Attribute, IdentitySchema, Schema};
use crate::plugin::typed::{self, Attr};
use crate::plugin::value::Value;

/// How applying a plan to the object came out.
pub enum Applied<V, R> {
    /// Done and verified: what the object held before, and now.
    Done { before: V, now: R },
    /// Failed before anything could land (reported in the diagnostics).
    Failed,
    /// The write may or may not have landed (its answer was lost; reported): the object as it
    /// was read before it.
    Unconfirmed { before: R },
}

impl<V, R> Applied<V, R> {
    /// A write that failed: reported, and unconfirmed when it may have landed.
    pub fn failed<E>(e: &E, before: R, diags: &mut Diagnostics) -> Self
    where
        E: crate::http::Uncertain + crate::plugin::diag::ToDiagnostic,
    {
        diags.report(e);
        if e.may_have_landed() { Applied::Unconfirmed { before } } else { Applied::Failed }
    }
}

/// Private state of a settings resource: what the object held when Terraform adopted it, the
/// tenant the state is pinned to (flattened: DocSpace's `tenant_id`), and whether the create's
/// write was never confirmed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Adoption<V, P> {
    pub adopted: Option<V>,
    #[serde(flatten)]
    pub pin: P,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unconfirmed: bool,
}

impl<V, P: Default> Default for Adoption<V, P> {
    fn default() -> Self {
        Adoption { adopted: None, pin: P::default(), unconfirmed: false }
    }
}

/// No tenant to pin beyond what the state's own attributes name.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct NoPin {}

/// A vendor's settings object, as the shared lifecycle sees it.
#[async_trait]
pub trait Settings: Send + Sync + Sized + 'static {
    type Client: Send + Sync + 'static;
    /// Terraform state: a serde struct of `Attr` fields with `restore_on_destroy`.
    type State: Serialize + DeserializeOwned + Clone + Send + Sync + 'static;
    /// The managed values, as adoption records them in private state.
    type Values: Clone + PartialEq + Serialize + DeserializeOwned + Send + Sync + 'static;
    /// What a read of the object returns.
    type Remote: Send + Sync;
    /// What names the object (a business, a scope, the portal).
    type Key: Clone + Send + Sync;
    /// The tenant a state is pinned to, kept in private state.
    type Pin: Clone + Default + Serialize + DeserializeOwned + Send + Sync + 'static;
    type Identity: Serialize + DeserializeOwned + Send + Sync + 'static;
    type ListConfig: DeserializeOwned + Send + Sync + 'static;

    fn names(&self) -> &'static Names;
    /// The resource's description and attributes; `restore_on_destroy` is added to them.
    fn schema(&self) -> Schema;

    /// The attributes that name the object: arguments of the derived data source too.
    fn key_attributes(&self) -> &'static [&'static str];
    fn key(&self, state: &Self::State) -> Option<Self::Key>;

    /// Reads the object: `Some(None)` when it (or its owner) is gone, `None` on an error
    /// (reported).
    async fn read(
        &self,
        ctx: &Ctx<Self::Client>,
        key: &Self::Key,
        diags: &mut Diagnostics,
    ) -> Option<Option<Self::Remote>>;
    fn values(&self, remote: &Self::Remote) -> Self::Values;
    /// The state for `remote`, keeping `reference`'s `restore_on_destroy` and its spelling of
    /// values that mean the same.
    fn state(&self, key: &Self::Key, remote: &Self::Remote, reference: &Self::State) -> Self::State;
    /// Applies the plan's values to the object and verifies them. `prior` (on update) is what
    /// the refresh just read, which a vendor may take for the object's current values.
    async fn apply(
        &self,
        ctx: &Ctx<Self::Client>,
        key: &Self::Key,
        prior: Option<&Self::State>,
        planned: &Self::State,
        diags: &mut Diagnostics,
    ) -> Applied<Self::Values, Self::Remote>;
    /// The managed values a state records. Terraform withholds a tainted object's private state
    /// when it replaces it (`plan` in `internal/terraform/node_resource_abstract_instance.go`
    /// plans from a null prior with no private data), so the snapshot of an unconfirmed create
    /// reaches its replacement through the state's values: `None` where they cannot tell.
    fn recorded(&self, state: &Self::State) -> Option<Self::Values>;
    /// Writes the adopted values back (`restore_on_destroy`); false on an error.
    async fn restore(
        &self,
        ctx: &Ctx<Self::Client>,
        key: &Self::Key,
        adopted: &Self::Values,
        prior: &Self::State,
        diags: &mut Diagnostics,
    ) -> bool;
    /// What writing `adopted` back over `now` would weaken, in words.
    fn weakens(&self, adopted: &Self::Values, now: &Self::State) -> Vec<String>;
    /// The object's owner does not exist (create, data source); an error on the key attribute.
    fn missing(&self, key: &Self::Key, diags: &mut Diagnostics);
    /// The remote object a plan manages, in words (see `Resource::remote_object`).
    fn remote_object(&self, planned: &Self::State) -> Option<String>;

    /// The tenant the configured provider reaches, checked against the one `state` (or its
    /// `recorded` pin) names: another tenant is an error naming both, before anything is read into
    /// state or written. Every create, read, update and restore passes through it.
    async fn pin(
        &self,
        _ctx: &Ctx<Self::Client>,
        _state: &Self::State,
        recorded: &Self::Pin,
        _diags: &mut Diagnostics,
    ) -> Option<Self::Pin> {
        Some(recorded.clone())
    }
    fn identity_schema(&self) -> IdentitySchema;
    fn identity(&self, state: &Self::State, pin: &Self::Pin) -> Option<Self::Identity>;
    fn import_id(&self, identity: &Self::Identity) -> Result<String, String>;
    /// The object an import ID names, and its tenant; an error (reported) when it names none.
    async fn import_key(
        &self,
        ctx: &Ctx<Self::Client>,
        id: &str,
        diags: &mut Diagnostics,
    ) -> Option<(Self::Key, Self::Pin)>;
    /// Why there is nothing to import at an existing key (an organization that inherits).
    fn nothing_to_import(&self, key: &Self::Key, diags: &mut Diagnostics);

    fn validate(&self, _config: &Self::State, _diags: &mut Diagnostics) {}
    /// What the vendor says at plan besides the restore warning (the provider's own account
    /// under a lock-out limit, a factor the guard needs, SMS that is not available).
    async fn plan_notes(
        &self,
        _ctx: Option<&Ctx<Self::Client>>,
        _plan: &mut Plan<Self::State, Adoption<Self::Values, Self::Pin>>,
        _diags: &mut Diagnostics,
    ) {
    }

    fn list_schema(&self) -> Schema;
    /// Sends every object the listing finds, each made with [`listed`].
    async fn list(
        &self,
        ctx: &Ctx<Self::Client>,
        config: Self::ListConfig,
        out: &mut ListSink<'_, SettingsResource<Self>>,
        diags: &mut Diagnostics,
    );

    /// The derived data source's description (for resources that have one), and attributes it
    /// has beyond the resource's (computed from a read of the object).
    fn data_description(&self) -> &'static str {
        ""
    }
    fn data_extras(&self) -> Vec<Attribute> {
        Vec::new()
    }
    fn data_extra_values(&self, _remote: &Self::Remote) -> Vec<(&'static str, Value)> {
        Vec::new()
    }
}

/// A state naming nothing yet, with `restore_on_destroy` as given and every other attribute
/// null: the reference for import, listing and data sources.
pub fn blank<S: Settings>(s: &S, restore_on_destroy: Attr<bool>) -> S::State {
    let restore = match restore_on_destroy {
        Attr::Known(b) => Value::Bool(b),
        Attr::Unknown => Value::Unknown,
        Attr::Null => Value::Null,
    };
    let mut attrs: BTreeMap<String, Value> =
        s.schema().attributes.iter().map(|a| (a.name.to_string(), Value::Null)).collect();
    attrs.insert(RESTORE.into(), restore);
    typed::from_value(&Value::Object(attrs)).expect("a state of nulls decodes")
}

/// A listed object as the list result carries it: its state (nothing restored on destroy) and
/// its adoption.
pub fn listed<S: Settings>(
    s: &S,
    key: &S::Key,
    remote: &S::Remote,
    pin: S::Pin,
) -> (S::State, Adoption<S::Values, S::Pin>) {
    let state = s.state(key, remote, &blank(s, Attr::Known(false)));
    (state, Adoption { adopted: Some(s.values(remote)), pin, unconfirmed: false })
}

/// A [`Settings`] as a Terraform resource.
pub struct SettingsResource<S: Settings> {
    pub settings: S,
    /// The state's type, for reading `restore_on_destroy` out of any settings state.
    ty: crate::plugin::value::Type,
    /// What a forgotten, never confirmed create had adopted, by remote object: its replacement in
    /// the same apply adopts it instead of what the lost write left.
    handed_over: Mutex<BTreeMap<String, S::Values>>,
}

impl<S: Settings> SettingsResource<S> {
    pub fn new(settings: S) -> Self {
        let mut schema = settings.schema();
        schema.attributes.push(restore::restore_on_destroy_attribute(settings.names().owner));
        SettingsResource { ty: schema.ty(), settings, handed_over: Mutex::default() }
    }

    pub fn boxed(settings: S) -> Box<dyn crate::plugin::resource::DynResource<S::Client>> {
        crate::plugin::resource::TypedResource::boxed(Self::new(settings))
    }

    pub fn list_boxed(settings: S) -> Box<dyn crate::plugin::list::DynList<S::Client>> {
        crate::plugin::list::TypedList::boxed(Self::new(settings))
    }

    fn restoring(&self, s: &S::State) -> bool {
        self.restore_on_destroy(s).known() == Some(&true)
    }

    /// A state's `restore_on_destroy`, the attribute every settings state has.
    fn restore_on_destroy(&self, state: &S::State) -> Attr<bool> {
        match typed::to_value(state, &self.ty).map(|v| v.attr(RESTORE).clone()) {
            Ok(Value::Bool(b)) => Attr::Known(b),
            Ok(Value::Unknown) => Attr::Unknown,
            _ => Attr::Null,
        }
    }

    /// The state `prior` with `planned`'s `restore_on_destroy`, when that is all that changed.
    fn only_restore_changed(&self, prior: &S::State, planned: &S::State) -> Option<S::State> {
        let (Ok(Value::Object(mut before)), Ok(Value::Object(mut after))) =
            (typed::to_value(prior, &self.ty), typed::to_value(planned, &self.ty))
        else {
            return None;
        };
        let wanted = after.remove(RESTORE)?;
        before.remove(RESTORE);
        if !Value::Object(before.clone()).semantic_eq(&Value::Object(after)) {
            return None;
        }
        before.insert(RESTORE.into(), wanted);
        typed::from_value(&Value::Object(before)).ok()
    }

    /// What a restoring destroy would put back, for the warnings: recorded, or on create what the
    /// object holds now.
    async fn adopted_for_plan(
        &self,
        ctx: Option<&Ctx<S::Client>>,
        plan: &Plan<S::State, Adoption<S::Values, S::Pin>>,
    ) -> Option<S::Values> {
        if let Some(a) = &plan.private.adopted {
            return Some(a.clone());
        }
        let (Some(ctx), None, Some(key)) = (ctx, &plan.prior, self.settings.key(&plan.planned)) else { return None };
        let remote = self.settings.read(ctx, &key, &mut Diagnostics::new()).await.flatten()?;
        Some(self.settings.values(&remote))
    }

    fn take_handed_over(&self, written: &S::State) -> Option<S::Values> {
        let object = self.settings.remote_object(written)?;
        self.handed_over.lock().expect("handed over").remove(&object)
    }
}

type Private<S> = Adoption<<S as Settings>::Values, <S as Settings>::Pin>;

const RESTORE: &str = "restore_on_destroy";

#[async_trait]
impl<S: Settings> Resource for SettingsResource<S> {
    type Client = S::Client;
    type State = S::State;
    type Private = Private<S>;
    type Identity = S::Identity;

    fn type_name(&self) -> &'static str {
        self.settings.names().resource
    }

    fn schema(&self) -> Schema {
        let mut schema = self.settings.schema();
        schema.attributes.push(restore::restore_on_destroy_attribute(self.settings.names().owner));
        schema
    }

    fn identity_schema(&self) -> IdentitySchema {
        self.settings.identity_schema()
    }

    fn identity(&self, state: &S::State, private: &Private<S>) -> Option<S::Identity> {
        self.settings.identity(state, &private.pin)
    }

    fn import_id(&self, identity: &S::Identity) -> Result<String, String> {
        self.settings.import_id(identity)
    }

    fn validate(&self, config: &S::State, diags: &mut Diagnostics) {
        self.settings.validate(config, diags);
    }

    async fn plan(&self, ctx: Option<&Ctx<S::Client>>, plan: &mut Plan<S::State, Private<S>>, diags: &mut Diagnostics) {
        self.settings.plan_notes(ctx, plan, diags).await;
        let prior_restore = plan.prior.as_ref().map(|p| self.restore_on_destroy(p));
        if !restore::restore_is_news(prior_restore.as_ref(), &self.restore_on_destroy(&plan.planned)) {
            return;
        }
        if let Some(a) = self.adopted_for_plan(ctx, plan).await {
            restore::warn_restore_weakens(diags, self.settings.names(), self.settings.weakens(&a, &plan.planned));
        }
    }

    async fn plan_destroy(
        &self,
        _: Option<&Ctx<S::Client>>,
        prior: &S::State,
        private: &Private<S>,
        diags: &mut Diagnostics,
    ) {
        let names = self.settings.names();
        if private.unconfirmed {
            diags.warning(
                format!("{} will be forgotten, not restored", names.what),
                format!(
                    "Whether the change this {} made when it was created took effect was never confirmed, so destroying it \
                     only removes it from Terraform state; a replacement adopts the settings the {} held before that change.",
                    names.resource, names.owner
                ),
            );
            return;
        }
        let restore = self.restoring(prior);
        restore::plan_destroy(diags, names, restore, private.adopted.as_ref(), |a| self.settings.weakens(a, prior));
    }

    fn remote_object(&self, planned: &S::State) -> Option<String> {
        self.settings.remote_object(planned)
    }

    async fn create(
        &self,
        ctx: &Ctx<S::Client>,
        planned: S::State,
        diags: &mut Diagnostics,
    ) -> Option<(S::State, Private<S>)> {
        let key = self.settings.key(&planned)?;
        let pin = self.settings.pin(ctx, &planned, &S::Pin::default(), diags).await?;
        let (state, before, unconfirmed) = match self.settings.apply(ctx, &key, None, &planned, diags).await {
            Applied::Done { before, now } => (self.settings.state(&key, &now, &planned), before, false),
            Applied::Failed => return None,
            // Kept with the error: Terraform marks it tainted and replaces it next time, and the
            // replacement adopts what was there before (see `delete`).
            Applied::Unconfirmed { before } => {
                (self.settings.state(&key, &before, &planned), self.settings.values(&before), true)
            }
        };
        // Looked up by the state as written: the plan may not have known the object (an
        // organization UUID computed from the API key) that the tainted predecessor knew.
        let adopted = Some(self.take_handed_over(&state).unwrap_or(before));
        Some((state, Adoption { adopted, pin, unconfirmed }))
    }

    async fn read(
        &self,
        ctx: &Ctx<S::Client>,
        current: S::State,
        mut private: Private<S>,
        diags: &mut Diagnostics,
    ) -> Option<Read<S::State, Private<S>>> {
        let key = self.settings.key(&current)?;
        private.pin = self.settings.pin(ctx, &current, &private.pin, diags).await?;
        Some(match self.settings.read(ctx, &key, diags).await? {
            // Tainted after a lost answer: its values stay the snapshot its replacement adopts.
            Some(_) if private.unconfirmed => Read::Found(current, private),
            Some(remote) => Read::Found(self.settings.state(&key, &remote, &current), private),
            None => Read::Gone,
        })
    }

    async fn update(
        &self,
        ctx: &Ctx<S::Client>,
        prior: S::State,
        planned: S::State,
        mut private: Private<S>,
        diags: &mut Diagnostics,
    ) -> Option<(S::State, Private<S>)> {
        // Only restore_on_destroy changed: it is read at destroy, nothing to send.
        if let Some(state) = self.only_restore_changed(&prior, &planned) {
            return Some((state, private));
        }
        let key = self.settings.key(&planned)?;
        private.pin = self.settings.pin(ctx, &prior, &private.pin, diags).await?;
        match self.settings.apply(ctx, &key, Some(&prior), &planned, diags).await {
            Applied::Done { now, .. } => {
                // An untainted unconfirmed create: confirmed now.
                private.unconfirmed = false;
                Some((self.settings.state(&key, &now, &planned), private))
            }
            Applied::Failed | Applied::Unconfirmed { .. } => None,
        }
    }

    async fn delete(
        &self,
        ctx: &Ctx<S::Client>,
        prior: S::State,
        private: Private<S>,
        diags: &mut Diagnostics,
    ) -> bool {
        let handed = match &private {
            // The destroy half of replacing a tainted object: no private state (see
            // `Settings::recorded`); its values are what it found before its lost write.
            Adoption { adopted: None, .. } => self.settings.recorded(&prior),
            // A plain destroy of an unconfirmed create forgets it (the plan said so).
            Adoption { adopted, unconfirmed: true, .. } => adopted.clone(),
            _ => None,
        };
        if let (Some(values), Some(object)) = (handed, self.settings.remote_object(&prior)) {
            self.handed_over.lock().expect("handed over").insert(object, values);
        }
        let Adoption { adopted: Some(adopted), pin, unconfirmed: false } = private else { return true };
        // Forget only (the plan said so): no call at all.
        let Some(key) = self.settings.key(&prior).filter(|_| self.restoring(&prior)) else { return true };
        if self.settings.pin(ctx, &prior, &pin, diags).await.is_none() {
            return false;
        }
        self.settings.restore(ctx, &key, &adopted, &prior, diags).await
    }

    async fn import(&self, ctx: &Ctx<S::Client>, id: &str, diags: &mut Diagnostics) -> Option<(S::State, Private<S>)> {
        let (key, pin) = self.settings.import_key(ctx, id, diags).await?;
        let Some(remote) = self.settings.read(ctx, &key, diags).await? else {
            self.settings.nothing_to_import(&key, diags);
            return None;
        };
        Some(listed(&self.settings, &key, &remote, pin))
    }
}

#[async_trait]
impl<S: Settings> ListResource for SettingsResource<S> {
    type ListConfig = S::ListConfig;

    fn list_schema(&self) -> Schema {
        self.settings.list_schema()
    }

    async fn list(
        &self,
        ctx: &Ctx<S::Client>,
        config: S::ListConfig,
        out: &mut ListSink<'_, Self>,
        diags: &mut Diagnostics,
    ) {
        self.settings.list(ctx, config, out, diags).await;
    }
}
