//! Schema model: attributes with their flags, plus the few things Terraform's protocol has no
//! field for but every provider needs — plan-time validators, defaults, "forces replacement" and
//! environment-variable fallbacks for provider settings. The docs generator and the planner read
//! the same description, so what is documented is what is enforced.

use std::collections::BTreeMap;

use crate::proto::tfplugin5 as pb;

use super::diag::{AttrPath, Diagnostics};
use super::value::{Number, Type, Value};

/// A check run on a known, non-null value at `terraform validate` time. Collection attributes are
/// checked element by element.
#[derive(Clone)]
pub enum Validator {
    /// The string must be one of these.
    OneOf(&'static [&'static str]),
    /// Whole number in `min..=max`.
    IntRange(i64, i64),
    /// Non-empty string.
    NotEmpty,
    /// No spaces or line breaks around the value (an ID pasted with a newline): refused with the
    /// trimmed value, so it is never sent or stored.
    Trimmed,
    /// Anything else: a short description for the docs and a check returning the problem.
    Custom(&'static str, fn(&Value) -> Result<(), String>),
}

impl Validator {
    fn check(&self, v: &Value) -> Result<(), String> {
        match self {
            Validator::OneOf(allowed) => match v.as_str() {
                Some(s) if allowed.contains(&s) => Ok(()),
                _ => Err(format!(
                    "must be one of {}",
                    allowed.iter().map(|a| format!("{a:?}")).collect::<Vec<_>>().join(", ")
                )),
            },
            Validator::IntRange(min, max) => match v {
                Value::Number(n) => match n.as_i64() {
                    Some(i) if (*min..=*max).contains(&i) => Ok(()),
                    Some(i) => Err(range_message(i, *min, *max)),
                    // Whole, but beyond 64 bits.
                    None if n.as_f64().fract() == 0.0 => Err(range_message(i64::MAX, *min, *max)),
                    None => Err("must be a whole number".into()),
                },
                _ => Err("must be a number".into()),
            },
            Validator::NotEmpty => match v.as_str() {
                Some(s) if !s.trim().is_empty() => Ok(()),
                _ => Err("must not be empty".into()),
            },
            Validator::Trimmed => match v.as_str() {
                Some(s) if s.trim() != s && !s.trim().is_empty() => Err(format!(
                    "has spaces or a line break around it, which would be sent as part of it (did you mean {:?}?)",
                    s.trim()
                )),
                _ => Ok(()),
            },
            Validator::Custom(_, f) => f(v),
        }
    }

    /// One line for the generated docs.
    pub fn describe(&self) -> String {
        match self {
            Validator::OneOf(allowed) => format!("One of {}.", quoted(allowed)),
            Validator::IntRange(min, max)
                if *max == i64::MAX || (*max == i32::MAX as i64 && *min != i32::MIN as i64) =>
            {
                format!("At least {min}.")
            }
            Validator::IntRange(min, max) if *max == i32::MAX as i64 && *min == i32::MIN as i64 => {
                "A 32-bit whole number.".into()
            }
            Validator::IntRange(min, max) => format!("Between {min} and {max}."),
            Validator::NotEmpty => "Must not be empty.".into(),
            Validator::Trimmed => "No spaces or line breaks around it.".into(),
            Validator::Custom(doc, _) => doc.to_string(),
        }
    }
}

fn quoted(items: &[&str]) -> String {
    items.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ")
}

/// Names the bound a value is on the wrong side of: the largest value the API takes (e.g. a
/// 32-bit count) when it is too large, the smallest when it is too small.
fn range_message(got: i64, min: i64, max: i64) -> String {
    if got > max {
        let why = if max == i32::MAX as i64 { " (the API stores it as a 32-bit number)" } else { "" };
        format!("must be at most {max}{why}")
    } else if max == i64::MAX || (max == i32::MAX as i64 && min != i32::MIN as i64) {
        format!("must be at least {min}")
    } else {
        format!("must be between {min} and {max}")
    }
}

#[derive(Clone)]
pub struct Attribute {
    pub name: &'static str,
    pub ty: Type,
    pub description: String,
    pub required: bool,
    pub optional: bool,
    pub computed: bool,
    pub sensitive: bool,
    /// A change to this attribute plans a replacement.
    pub force_new: bool,
    /// Planned when the configuration leaves the attribute null (needs `computed` on resources).
    pub default: Option<Value>,
    /// Provider settings only: environment variable read when the attribute is null.
    pub env: Option<String>,
    pub validators: Vec<Validator>,
    /// Two spellings of one value (e.g. `720h` and `43200m`): a configuration that says the same
    /// as the state in another spelling plans the state's, so it shows no diff.
    pub equivalent: Option<fn(&Value, &Value) -> bool>,
}

impl Attribute {
    fn new(name: &'static str, ty: Type, description: &str) -> Self {
        Attribute {
            name,
            ty,
            description: description.to_string(),
            required: false,
            optional: false,
            computed: false,
            sensitive: false,
            force_new: false,
            default: None,
            env: None,
            validators: Vec::new(),
            equivalent: None,
        }
    }
    pub fn required(name: &'static str, ty: Type, description: &str) -> Self {
        Attribute { required: true, ..Self::new(name, ty, description) }
    }
    pub fn optional(name: &'static str, ty: Type, description: &str) -> Self {
        Attribute { optional: true, ..Self::new(name, ty, description) }
    }
    pub fn computed(name: &'static str, ty: Type, description: &str) -> Self {
        Attribute { computed: true, ..Self::new(name, ty, description) }
    }
    pub fn optional_computed(name: &'static str, ty: Type, description: &str) -> Self {
        Attribute { optional: true, computed: true, ..Self::new(name, ty, description) }
    }
    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }
    pub fn force_new(mut self) -> Self {
        self.force_new = true;
        self
    }
    pub fn default(mut self, v: Value) -> Self {
        self.default = Some(v);
        self
    }
    pub fn default_bool(self, b: bool) -> Self {
        self.default(Value::Bool(b))
    }
    pub fn default_int(self, i: i64) -> Self {
        self.default(Value::Number(Number::Int(i)))
    }
    pub fn env(mut self, var: impl Into<String>) -> Self {
        self.env = Some(var.into());
        self
    }
    pub fn validate(mut self, v: Validator) -> Self {
        self.validators.push(v);
        self
    }
    pub fn equivalent(mut self, same: fn(&Value, &Value) -> bool) -> Self {
        self.equivalent = Some(same);
        self
    }

    pub fn to_proto(&self) -> pb::schema::Attribute {
        pb::schema::Attribute {
            name: self.name.to_string(),
            r#type: self.ty.to_json_bytes(),
            description: self.description.clone(),
            required: self.required,
            optional: self.optional,
            computed: self.computed,
            sensitive: self.sensitive,
            description_kind: pb::StringKind::Markdown as i32,
            ..Default::default()
        }
    }
}

/// A check across attributes (one needs another, two must belong together), run on the whole
/// configuration once every attribute's own validators passed; like terraform-plugin-framework's
/// `ConfigValidators`. It reports on the attribute to fix and skips values not known yet.
pub type CrossCheck = fn(&Value, &mut Diagnostics);

/// The schema of a provider configuration or of one resource type.
#[derive(Clone)]
pub struct Schema {
    pub version: i64,
    pub description: String,
    pub attributes: Vec<Attribute>,
    pub checks: Vec<CrossCheck>,
}

impl Schema {
    pub fn new(description: &str, attributes: Vec<Attribute>) -> Self {
        Schema { version: 0, description: description.to_string(), attributes, checks: Vec::new() }
    }

    pub fn with_check(mut self, check: CrossCheck) -> Self {
        self.checks.push(check);
        self
    }

    pub fn with_version(mut self, version: i64) -> Self {
        self.version = version;
        self
    }

    /// The object type of a value of this schema.
    pub fn ty(&self) -> Type {
        Type::Object(self.attributes.iter().map(|a| (a.name.to_string(), a.ty.clone())).collect())
    }

    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    pub fn to_proto(&self) -> pb::Schema {
        pb::Schema {
            version: self.version,
            block: Some(pb::schema::Block {
                version: self.version,
                attributes: self.attributes.iter().map(Attribute::to_proto).collect(),
                block_types: Vec::new(),
                description: self.description.clone(),
                description_kind: pb::StringKind::Markdown as i32,
                deprecated: false,
                deprecation_message: String::new(),
            }),
        }
    }

    /// Runs every attribute's validators on a configuration value, then the cross-attribute
    /// checks; unknown and null values are skipped (they are checked again at plan time once
    /// known).
    pub fn validate_config(&self, config: &Value, diags: &mut Diagnostics) {
        self.validate_attributes(config, diags);
        if !diags.has_errors() {
            for check in &self.checks {
                check(config, diags);
            }
        }
    }

    fn validate_attributes(&self, config: &Value, diags: &mut Diagnostics) {
        for a in &self.attributes {
            if a.validators.is_empty() {
                continue;
            }
            let v = config.attr(a.name);
            let path = AttrPath::attr(a.name);
            match v {
                Value::Null | Value::Unknown => {}
                Value::List(items) | Value::Set(items) => {
                    let is_list = matches!(v, Value::List(_));
                    for (i, item) in items.iter().enumerate() {
                        if item.is_null() || item.is_unknown() {
                            continue;
                        }
                        // Set elements have no index Terraform can point at: name the value instead.
                        let p = if is_list { path.clone().then_index(i as i64) } else { path.clone() };
                        run(a, item, p, diags);
                    }
                }
                Value::Map(m) => {
                    for (k, item) in m {
                        if !(item.is_null() || item.is_unknown()) {
                            run(a, item, path.clone().then_key(k.clone()), diags);
                        }
                    }
                }
                _ => run(a, v, path, diags),
            }
        }
    }

    /// Problems that would make Terraform reject the schema; checked by a unit test for every
    /// schema the binary serves (`internal/configs/configschema/internal_validate.go`).
    pub fn check(&self, is_resource: bool) -> Vec<String> {
        let mut problems = Vec::new();
        let mut seen = BTreeMap::new();
        for a in &self.attributes {
            let name_ok =
                !a.name.is_empty() && a.name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !name_ok {
                problems.push(format!("{}: invalid name", a.name));
            }
            if seen.insert(a.name, ()).is_some() {
                problems.push(format!("{}: duplicate", a.name));
            }
            if !(a.required || a.optional || a.computed) {
                problems.push(format!("{}: none of required/optional/computed", a.name));
            }
            if a.required && (a.optional || a.computed) {
                problems.push(format!("{}: required cannot be optional or computed", a.name));
            }
            if is_resource && a.default.is_some() && !(a.optional && a.computed) {
                problems.push(format!("{}: a resource default needs optional+computed", a.name));
            }
            if a.description.trim().is_empty() {
                problems.push(format!("{}: no description", a.name));
            }
        }
        problems
    }
}

/// A resource identity (Terraform 1.12+, OpenTofu 1.12+): primitive attributes that name the
/// remote object the way a user would, from identifiers the vendor keeps stable. Terraform stores
/// it beside the state, takes it in `import { identity = { ... } }`, and `terraform query` lists by
/// it. Terraform rejects maps, sets and objects, and wants each attribute either required or
/// optional for import (`loadschemas/plugins.go`, `configschema` `InternalValidate`).
#[derive(Clone)]
pub struct IdentitySchema {
    pub version: i64,
    pub attributes: Vec<IdentityAttribute>,
}

#[derive(Clone)]
pub struct IdentityAttribute {
    pub name: &'static str,
    pub ty: Type,
    /// Required in an `import` block's `identity`; otherwise optional (null means a default
    /// scope, such as ZITADEL's instance).
    pub required: bool,
    pub description: String,
}

impl IdentityAttribute {
    pub fn required(name: &'static str, ty: Type, description: &str) -> Self {
        IdentityAttribute { name, ty, required: true, description: description.to_string() }
    }
    pub fn optional(name: &'static str, ty: Type, description: &str) -> Self {
        IdentityAttribute { name, ty, required: false, description: description.to_string() }
    }
}

impl IdentitySchema {
    pub fn new(attributes: Vec<IdentityAttribute>) -> Self {
        IdentitySchema { version: 0, attributes }
    }

    pub fn ty(&self) -> Type {
        Type::Object(self.attributes.iter().map(|a| (a.name.to_string(), a.ty.clone())).collect())
    }

    pub fn to_proto(&self) -> pb::ResourceIdentitySchema {
        pb::ResourceIdentitySchema {
            version: self.version,
            identity_attributes: self
                .attributes
                .iter()
                .map(|a| pb::resource_identity_schema::IdentityAttribute {
                    name: a.name.to_string(),
                    r#type: a.ty.to_json_bytes(),
                    required_for_import: a.required,
                    optional_for_import: !a.required,
                    description: a.description.clone(),
                })
                .collect(),
        }
    }

    /// Problems that would make Terraform reject the identity schema.
    pub fn check(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.attributes.is_empty() {
            problems.push("an identity needs at least one attribute".to_string());
        }
        for a in &self.attributes {
            if !matches!(a.ty, Type::String | Type::Number | Type::Bool) {
                problems.push(format!("{}: identity attributes are primitives", a.name));
            }
            if a.description.trim().is_empty() {
                problems.push(format!("{}: no description", a.name));
            }
        }
        if !self.attributes.iter().any(|a| a.required) && self.attributes.len() > 1 {
            problems.push("an identity of several attributes needs one required for import".into());
        }
        problems
    }
}

fn run(a: &Attribute, v: &Value, path: AttrPath, diags: &mut Diagnostics) {
    for val in &a.validators {
        if let Err(problem) = val.check(v) {
            let shown = if a.sensitive { "(sensitive value)".to_string() } else { short(v) };
            diags.attr_error(
                path.clone(),
                format!("Invalid value for {}", a.name),
                format!("Got {shown}; the value {problem}."),
            );
        }
    }
}

fn short(v: &Value) -> String {
    match v {
        Value::String(s) => format!("{s:?}"),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => "value".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> Schema {
        Schema::new(
            "test",
            vec![
                Attribute::required("type", Type::String, "t").validate(Validator::OneOf(&["none", "app"])),
                Attribute::optional("ips", Type::list(Type::String), "i").validate(Validator::NotEmpty),
                Attribute::optional_computed("days", Type::Number, "d").validate(Validator::IntRange(1, i64::MAX)),
            ],
        )
    }

    #[test]
    fn validators_report_attribute_paths() {
        let s = schema();
        let cfg = Value::Object(BTreeMap::from([
            ("type".into(), Value::String("sms".into())),
            ("ips".into(), Value::List(vec![Value::String("a".into()), Value::String(" ".into())])),
            ("days".into(), Value::Number(Number::Int(0))),
        ]));
        let mut d = Diagnostics::new();
        s.validate_config(&cfg, &mut d);
        let paths: Vec<String> = d.0.iter().map(|x| x.path.as_ref().unwrap().to_string()).collect();
        assert_eq!(paths, ["type", "ips[1]", "days"]);
        assert_eq!(d.0[0].detail, "Got \"sms\"; the value must be one of \"none\", \"app\".");
        assert!(d.0[2].detail.contains("at least 1"), "{}", d.0[2].detail);
    }

    #[test]
    fn bounds_are_the_real_ones_and_ids_are_trimmed() {
        let count = Validator::IntRange(1, i32::MAX as i64);
        let too_big = count.check(&Value::Number(Number::Int(1 << 31))).unwrap_err();
        assert!(too_big.contains("at most 2147483647") && too_big.contains("32-bit"), "{too_big}");
        assert!(count.check(&Value::Number(Number::Decimal("1e30".into()))).unwrap_err().contains("at most"));
        assert!(count.check(&Value::Number(Number::Int(0))).unwrap_err().contains("at least 1"));
        let e = Validator::Trimmed.check(&Value::String("4242\n".into())).unwrap_err();
        assert!(e.contains("did you mean \"4242\"?"), "{e}");
        assert!(Validator::Trimmed.check(&Value::String("4242".into())).is_ok());
    }

    #[test]
    fn unknown_values_are_not_validated_yet() {
        let cfg = Value::Object(BTreeMap::from([("type".into(), Value::Unknown)]));
        let mut d = Diagnostics::new();
        schema().validate_config(&cfg, &mut d);
        assert!(d.0.is_empty());
    }

    #[test]
    fn check_catches_invalid_schemas() {
        let bad = Schema::new(
            "x",
            vec![
                Attribute::required("Bad", Type::String, "d").default_bool(true),
                Attribute { required: false, ..Attribute::required("nothing", Type::String, "") },
            ],
        );
        let problems = bad.check(true);
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert!(schema().check(true).is_empty());
    }
}
