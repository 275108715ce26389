//! The data source of a settings resource, derived from it: the same attributes — those that
//! name the object stay arguments, the rest become computed — read with the same client and
//! mapped to state by the same code, so a field is declared once. `restore_on_destroy` has no
//! place in a read; a vendor may add attributes only a read has (`data_extras`).

use async_trait::async_trait;

use super::settings::Settings;
use crate::plugin::data_source::{DynDataSource, finish};
use crate::plugin::diag::Diagnostics;
use crate::plugin::resource::Ctx;
use crate::plugin::schema::{Attribute, Schema};
use crate::plugin::typed::{self, Attr};
use crate::plugin::value::{Type, Value};

/// A [`Settings`] as a Terraform data source.
pub struct SettingsData<S: Settings> {
    settings: S,
    schema: Schema,
    ty: Type,
    /// The resource's state type, which the shared state mapping produces.
    resource_ty: Type,
}

impl<S: Settings> SettingsData<S> {
    pub fn boxed(settings: S) -> Box<dyn DynDataSource<S::Client>> {
        let resource = settings.schema();
        let mut with_restore = resource.clone();
        with_restore.attributes.push(super::restore::restore_on_destroy_attribute(settings.names().owner));
        let schema = derived(&settings, resource);
        Box::new(SettingsData { ty: schema.ty(), resource_ty: with_restore.ty(), schema, settings })
    }
}

/// The data source schema: key attributes as arguments, the others computed, plus the extras.
fn derived<S: Settings>(s: &S, resource: Schema) -> Schema {
    let keys = s.key_attributes();
    let mut attributes: Vec<Attribute> = resource
        .attributes
        .into_iter()
        .map(|a| if keys.contains(&a.name) { argument(a) } else { computed(a) })
        .collect();
    attributes.extend(s.data_extras());
    Schema::new(s.data_description(), attributes)
}

/// A key attribute as a data source argument: what it accepts, without what only a managed
/// resource has (replacement, defaults).
fn argument(mut a: Attribute) -> Attribute {
    a.force_new = false;
    a.default = None;
    a.computed = false;
    a.optional = !a.required;
    a
}

/// A managed attribute as a data source result.
fn computed(a: Attribute) -> Attribute {
    Attribute::computed(a.name, a.ty, &read_only(&a.description))
}

/// A resource attribute's description without the sentences about configuring it ("Unset: …",
/// "Defaults to …"), which a read has nothing to do with.
fn read_only(description: &str) -> String {
    let about_config = |s: &str| s.starts_with("Unset") || s.starts_with("Defaults to") || s.starts_with("Left unset");
    let sentences: Vec<&str> = description.split_inclusive(". ").map(str::trim).filter(|s| !about_config(s)).collect();
    sentences.join(" ")
}

#[async_trait]
impl<S: Settings> DynDataSource<S::Client> for SettingsData<S> {
    fn type_name(&self) -> &'static str {
        self.settings.names().resource
    }
    fn schema(&self) -> &Schema {
        &self.schema
    }
    fn ty(&self) -> &Type {
        &self.ty
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        self.schema.validate_config(config, diags);
    }

    async fn read(&self, ctx: &Ctx<S::Client>, config: &Value, diags: &mut Diagnostics) -> Option<Value> {
        // Values unknown at validate time are known now: check them again.
        self.validate(config, diags);
        if diags.has_errors() {
            return None;
        }
        // The configuration names the object the way the resource's state does.
        let mut as_state = config.clone();
        if let (Value::Object(m), Type::Object(attrs)) = (&mut as_state, &self.resource_ty) {
            m.retain(|k, _| attrs.contains_key(k));
            m.insert("restore_on_destroy".into(), Value::Null);
        }
        let reference: S::State = typed::decode(&as_state, "configuration", diags)?;
        let key = self.settings.key(&reference)?;
        let Some(remote) = self.settings.read(ctx, &key, diags).await? else {
            self.settings.missing(&key, diags);
            return None;
        };
        let state = self.settings.state(&key, &remote, &super::settings::blank(&self.settings, Attr::Null));
        let mut v = match typed::to_value(&state, &self.resource_ty) {
            Ok(v) => v,
            Err(e) => {
                diags.error("Provider bug: state does not fit the schema", format!("{}: {e}.", self.type_name()));
                return None;
            }
        };
        if let Value::Object(m) = &mut v {
            m.remove("restore_on_destroy");
            m.extend(self.settings.data_extra_values(&remote).into_iter().map(|(k, x)| (k.to_string(), x)));
        }
        finish(self.type_name(), &self.schema, config, v, diags)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_only_description_drops_what_is_about_configuring() {
        assert_eq!(
            read_only("How many seconds a code stays valid. Unset: the value the business holds is kept."),
            "How many seconds a code stays valid."
        );
        assert_eq!(read_only("`0` never locks. Defaults to `30`."), "`0` never locks.");
    }
}
