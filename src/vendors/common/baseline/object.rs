//! Reading the objects a function receives: HCL hands an object literal over as an object or a
//! map, and a `dynamic` argument wraps it with its type.

use crate::plugin::value::Value;

/// Attribute access for objects and maps alike, through a dynamic wrapper.
pub trait AttrAny {
    fn attr_any(&self, name: &str) -> &Value;
    /// Whether the object has the attribute at all (null or not).
    fn has(&self, name: &str) -> bool;
}

impl AttrAny for Value {
    fn attr_any(&self, name: &str) -> &Value {
        match self {
            Value::Object(m) | Value::Map(m) => m.get(name).unwrap_or(&Value::Null),
            Value::Dynamic(_, inner) => inner.attr_any(name),
            _ => &Value::Null,
        }
    }
    fn has(&self, name: &str) -> bool {
        match self {
            Value::Object(m) | Value::Map(m) => m.contains_key(name),
            Value::Dynamic(_, inner) => inner.has(name),
            _ => false,
        }
    }
}

fn unwrap(v: &Value) -> &Value {
    match v {
        Value::Dynamic(_, inner) => unwrap(inner),
        other => other,
    }
}

pub fn text(v: &Value) -> Option<String> {
    unwrap(v).as_str().map(str::to_string)
}

pub fn number(v: &Value) -> Option<f64> {
    match unwrap(v) {
        Value::Number(n) => Some(n.as_f64()),
        _ => None,
    }
}

pub fn flag(v: &Value) -> Option<bool> {
    unwrap(v).as_bool()
}

/// The strings of a list, set or tuple; `None` when it is not one (null included).
pub fn strings(v: &Value) -> Option<Vec<String>> {
    match unwrap(v) {
        Value::List(items) | Value::Set(items) | Value::Tuple(items) => Some(items.iter().filter_map(text).collect()),
        _ => None,
    }
}
