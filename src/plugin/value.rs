//! Terraform's type system (cty) as Rust data: [`Type`] describes a shape, [`Value`] holds data of
//! that shape. Null and unknown are first-class variants rather than sentinels, and numbers keep
//! the form they arrived in, because Terraform 1.0.3 compares planned numbers with config numbers
//! bit-for-bit (`internal/plans/objchange/plan_valid.go` in Terraform 1.0).

use std::collections::BTreeMap;
use std::fmt;

use thiserror::Error;

/// A cty type. Encoded in schemas as compact JSON (`"string"`, `["set","string"]`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Type {
    String,
    Number,
    Bool,
    /// Any type; values carry their concrete type on the wire.
    Dynamic,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    Object(BTreeMap<String, Type>),
    Tuple(Vec<Type>),
}

/// A problem converting between wire bytes, JSON, [`Value`]s and types.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("{path}: {message}")]
pub struct ValueError {
    /// Dotted location inside the value (`.trusted_ips[2]`), or `(root)`.
    pub path: String,
    pub message: String,
}

impl ValueError {
    pub fn new(path: &str, message: impl Into<String>) -> Self {
        let path = if path.is_empty() { "(root)".to_string() } else { path.to_string() };
        ValueError { path, message: message.into() }
    }
}

impl Type {
    pub fn list(t: Type) -> Type {
        Type::List(Box::new(t))
    }
    pub fn set(t: Type) -> Type {
        Type::Set(Box::new(t))
    }
    pub fn map(t: Type) -> Type {
        Type::Map(Box::new(t))
    }

    /// The cty JSON form used in `Schema.Attribute.type` (the quotes around primitive names are part
    /// of the value; Terraform 1.0.3 panics without them).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as Json;
        match self {
            Type::String => Json::String("string".into()),
            Type::Number => Json::String("number".into()),
            Type::Bool => Json::String("bool".into()),
            Type::Dynamic => Json::String("dynamic".into()),
            Type::List(t) => Json::Array(vec![Json::String("list".into()), t.to_json()]),
            Type::Set(t) => Json::Array(vec![Json::String("set".into()), t.to_json()]),
            Type::Map(t) => Json::Array(vec![Json::String("map".into()), t.to_json()]),
            Type::Object(attrs) => {
                let m = attrs.iter().map(|(k, t)| (k.clone(), t.to_json())).collect();
                Json::Array(vec![Json::String("object".into()), Json::Object(m)])
            }
            Type::Tuple(ts) => {
                Json::Array(vec![Json::String("tuple".into()), Json::Array(ts.iter().map(Type::to_json).collect())])
            }
        }
    }

    pub fn to_json_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(&self.to_json()).expect("type JSON always serialises")
    }

    /// Parses the cty JSON form. Optional-attribute markers (third element of an object type)
    /// are accepted and ignored.
    pub fn from_json(j: &serde_json::Value) -> Result<Type, ValueError> {
        use serde_json::Value as Json;
        let bad = || ValueError::new("", format!("not a cty type: {j}"));
        match j {
            Json::String(s) => match s.as_str() {
                "string" => Ok(Type::String),
                "number" => Ok(Type::Number),
                "bool" => Ok(Type::Bool),
                "dynamic" => Ok(Type::Dynamic),
                _ => Err(bad()),
            },
            Json::Array(a) if a.len() >= 2 => {
                let kind = a[0].as_str().ok_or_else(bad)?;
                match kind {
                    "list" => Ok(Type::list(Type::from_json(&a[1])?)),
                    "set" => Ok(Type::set(Type::from_json(&a[1])?)),
                    "map" => Ok(Type::map(Type::from_json(&a[1])?)),
                    "object" => {
                        let m = a[1].as_object().ok_or_else(bad)?;
                        let mut attrs = BTreeMap::new();
                        for (k, v) in m {
                            attrs.insert(k.clone(), Type::from_json(v)?);
                        }
                        Ok(Type::Object(attrs))
                    }
                    "tuple" => {
                        let ts = a[1].as_array().ok_or_else(bad)?;
                        Ok(Type::Tuple(ts.iter().map(Type::from_json).collect::<Result<_, _>>()?))
                    }
                    _ => Err(bad()),
                }
            }
            _ => Err(bad()),
        }
    }

    pub fn from_json_bytes(b: &[u8]) -> Result<Type, ValueError> {
        let j: serde_json::Value =
            serde_json::from_slice(b).map_err(|e| ValueError::new("", format!("type is not JSON: {e}")))?;
        Type::from_json(&j)
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_json())
    }
}

/// A number in the representation it arrived in. cty sends integers as msgpack ints, exact binary
/// fractions as floats and everything else (e.g. HCL's `0.1`) as a decimal string.
#[derive(Debug, Clone, PartialEq)]
pub enum Number {
    Int(i64),
    UInt(u64),
    Float(f64),
    /// A decimal literal kept as text, e.g. `"0.1"` or `"1e400"`.
    Decimal(String),
}

impl Number {
    /// Parses a decimal string as Terraform writes it; rejects non-numbers such as `inf` or `nan`.
    pub fn parse_decimal(s: &str) -> Option<Number> {
        let t = s.trim();
        let ok_chars = !t.is_empty()
            && t.chars().all(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E'))
            && t.chars().any(|c| c.is_ascii_digit());
        if !ok_chars || t.parse::<f64>().is_err() {
            return None;
        }
        if let Ok(i) = t.parse::<i64>() {
            return Some(Number::Int(i));
        }
        if let Ok(u) = t.parse::<u64>() {
            return Some(Number::UInt(u));
        }
        Some(Number::Decimal(t.to_string()))
    }

    /// The value as an `i64` when it is exactly an integer in range.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Number::Int(i) => Some(*i),
            Number::UInt(u) => i64::try_from(*u).ok(),
            Number::Float(f) => {
                if f.fract() == 0.0 && *f >= i64::MIN as f64 && *f <= i64::MAX as f64 {
                    Some(*f as i64)
                } else {
                    None
                }
            }
            Number::Decimal(s) => {
                let f: f64 = s.parse().ok()?;
                // Only trust the float when it is an integer small enough to be exact.
                if f.fract() == 0.0 && f.abs() < 9.0e15 { Some(f as i64) } else { None }
            }
        }
    }

    pub fn as_f64(&self) -> f64 {
        match self {
            Number::Int(i) => *i as f64,
            Number::UInt(u) => *u as f64,
            Number::Float(f) => *f,
            Number::Decimal(s) => s.parse().unwrap_or(f64::NAN),
        }
    }

    /// Numeric equality regardless of representation (`30`, `30.0` and `"30"` are equal).
    pub fn numeric_eq(&self, other: &Number) -> bool {
        match (self.as_i64(), other.as_i64()) {
            (Some(a), Some(b)) => a == b,
            (None, None) => match (self, other) {
                (Number::Decimal(a), Number::Decimal(b)) if a == b => true,
                _ => self.as_f64() == other.as_f64(),
            },
            _ => false,
        }
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Number::Int(i) => write!(f, "{i}"),
            Number::UInt(u) => write!(f, "{u}"),
            Number::Float(x) => write!(f, "{x}"),
            Number::Decimal(s) => f.write_str(s),
        }
    }
}

/// A Terraform value. Collections hold elements in wire order; sets compare unordered in
/// [`Value::semantic_eq`].
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    /// Not known until apply. Refinements (msgpack ext 12) are read as plain unknown.
    Unknown,
    Bool(bool),
    Number(Number),
    String(String),
    List(Vec<Value>),
    Set(Vec<Value>),
    Tuple(Vec<Value>),
    Map(BTreeMap<String, Value>),
    Object(BTreeMap<String, Value>),
    /// A value of a `dynamic` attribute, carrying its concrete type.
    Dynamic(Type, Box<Value>),
}

impl Value {
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown)
    }

    /// True when no unknown appears anywhere inside.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Value::Unknown => false,
            Value::List(v) | Value::Set(v) | Value::Tuple(v) => v.iter().all(Value::is_wholly_known),
            Value::Map(m) | Value::Object(m) => m.values().all(Value::is_wholly_known),
            Value::Dynamic(_, v) => v.is_wholly_known(),
            _ => true,
        }
    }

    /// An attribute of an object value; null for a null object or a missing key.
    pub fn attr(&self, name: &str) -> &Value {
        match self {
            Value::Object(m) => m.get(name).unwrap_or(&Value::Null),
            _ => &Value::Null,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// Equality as Terraform means it for deciding whether something changed: numbers compare by
    /// value, sets ignore order and duplicates, unknown equals only unknown.
    pub fn semantic_eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Number(a), Value::Number(b)) => a.numeric_eq(b),
            (Value::List(a), Value::List(b)) | (Value::Tuple(a), Value::Tuple(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.semantic_eq(y))
            }
            (Value::Set(a), Value::Set(b)) => {
                a.iter().all(|x| b.iter().any(|y| x.semantic_eq(y)))
                    && b.iter().all(|y| a.iter().any(|x| x.semantic_eq(y)))
            }
            (Value::Map(a), Value::Map(b)) | (Value::Object(a), Value::Object(b)) => {
                a.len() == b.len() && a.iter().all(|(k, v)| b.get(k).is_some_and(|w| v.semantic_eq(w)))
            }
            (Value::Dynamic(ta, a), Value::Dynamic(tb, b)) => ta == tb && a.semantic_eq(b),
            _ => self == other,
        }
    }

    /// Reshapes a value built by generic code (e.g. the serde bridge, which only knows sequences
    /// and maps) into exactly `ty`: sequences become lists, sets or tuples, maps become objects
    /// with **every** attribute present (missing ones null), and types are checked.
    pub fn conform(self, ty: &Type) -> Result<Value, ValueError> {
        conform_at(self, ty, &mut String::new())
    }
}

fn conform_at(v: Value, ty: &Type, path: &mut String) -> Result<Value, ValueError> {
    let mismatch =
        |v: &Value, path: &str| ValueError::new(path, format!("expected a value of type {ty}, found {}", kind_name(v)));
    Ok(match (v, ty) {
        (Value::Null, _) => Value::Null,
        (Value::Unknown, _) => Value::Unknown,
        (v @ Value::Dynamic(..), Type::Dynamic) => v,
        (v, Type::Dynamic) => {
            return Err(ValueError::new(
                path,
                format!("a dynamic value needs its type; found a bare {}", kind_name(&v)),
            ));
        }
        (Value::Bool(b), Type::Bool) => Value::Bool(b),
        (Value::Number(n), Type::Number) => Value::Number(n),
        (Value::String(s), Type::String) => Value::String(s),
        (Value::List(items) | Value::Set(items) | Value::Tuple(items), Type::List(et) | Type::Set(et)) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.into_iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                out.push(conform_at(item, et, path)?);
                path.truncate(len);
            }
            if matches!(ty, Type::List(_)) {
                Value::List(out)
            } else {
                let mut dedup: Vec<Value> = Vec::with_capacity(out.len());
                for v in out {
                    if !dedup.iter().any(|d| d.semantic_eq(&v)) {
                        dedup.push(v);
                    }
                }
                Value::Set(dedup)
            }
        }
        (Value::List(items) | Value::Tuple(items), Type::Tuple(ets)) => {
            if items.len() != ets.len() {
                return Err(ValueError::new(
                    path,
                    format!("a tuple of {} elements is required ({} given)", ets.len(), items.len()),
                ));
            }
            let mut out = Vec::with_capacity(items.len());
            for (i, (item, et)) in items.into_iter().zip(ets).enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                out.push(conform_at(item, et, path)?);
                path.truncate(len);
            }
            Value::Tuple(out)
        }
        (Value::Map(m) | Value::Object(m), Type::Map(et)) => {
            let mut out = BTreeMap::new();
            for (k, item) in m {
                let len = path.len();
                path.push_str(&format!("[{k:?}]"));
                out.insert(k, conform_at(item, et, path)?);
                path.truncate(len);
            }
            Value::Map(out)
        }
        (Value::Map(mut m) | Value::Object(mut m), Type::Object(attrs)) => {
            if let Some(extra) = m.keys().find(|k| !attrs.contains_key(*k)) {
                return Err(ValueError::new(path, format!("unsupported attribute {extra:?}")));
            }
            let mut out = BTreeMap::new();
            for (name, at) in attrs {
                let item = m.remove(name).unwrap_or(Value::Null);
                let len = path.len();
                path.push('.');
                path.push_str(name);
                out.insert(name.clone(), conform_at(item, at, path)?);
                path.truncate(len);
            }
            Value::Object(out)
        }
        (v, _) => return Err(mismatch(&v, path)),
    })
}

pub(crate) fn kind_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Unknown => "unknown",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::List(_) => "list",
        Value::Set(_) => "set",
        Value::Tuple(_) => "tuple",
        Value::Map(_) => "map",
        Value::Object(_) => "object",
        Value::Dynamic(..) => "dynamic value",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_json_round_trip_keeps_quotes_on_primitives() {
        assert_eq!(Type::String.to_json_bytes(), br#""string""#);
        let t = Type::Object(BTreeMap::from([
            ("a".into(), Type::set(Type::String)),
            ("b".into(), Type::Tuple(vec![Type::Number, Type::Bool])),
            ("c".into(), Type::map(Type::Dynamic)),
        ]));
        assert_eq!(
            String::from_utf8(t.to_json_bytes()).unwrap(),
            r#"["object",{"a":["set","string"],"b":["tuple",["number","bool"]],"c":["map","dynamic"]}]"#
        );
        assert_eq!(Type::from_json_bytes(&t.to_json_bytes()).unwrap(), t);
        assert!(Type::from_json_bytes(b"string").is_err());
        assert!(Type::from_json_bytes(br#""float""#).is_err());
    }

    #[test]
    fn numbers_compare_by_value_not_form() {
        let n = |s| Number::parse_decimal(s).unwrap();
        assert!(Number::Int(30).numeric_eq(&Number::Float(30.0)));
        assert!(Number::Int(30).numeric_eq(&n("30")));
        assert!(n("0.1").numeric_eq(&Number::Decimal("0.1".into())));
        assert!(!Number::Int(30).numeric_eq(&Number::Int(31)));
        assert!(!n("0.1").numeric_eq(&n("0.2")));
        assert_eq!(n("-7"), Number::Int(-7));
        assert!(Number::parse_decimal("inf").is_none());
        assert!(Number::parse_decimal("nan").is_none());
        assert!(Number::parse_decimal("").is_none());
        assert!(Number::parse_decimal("1e400").is_some());
    }

    #[test]
    fn conform_fills_every_object_attribute_and_shapes_sets() {
        let ty = Type::Object(BTreeMap::from([
            ("id".into(), Type::String),
            ("ips".into(), Type::set(Type::String)),
            ("n".into(), Type::Number),
        ]));
        let v = Value::Map(BTreeMap::from([(
            "ips".into(),
            Value::List(vec![Value::String("a".into()), Value::String("a".into())]),
        )]));
        let c = v.conform(&ty).unwrap();
        assert_eq!(c.attr("id"), &Value::Null);
        assert_eq!(c.attr("n"), &Value::Null);
        assert_eq!(c.attr("ips"), &Value::Set(vec![Value::String("a".into())]));
        let bad = Value::Map(BTreeMap::from([("nope".into(), Value::Null)]));
        assert!(bad.conform(&ty).unwrap_err().message.contains("unsupported attribute"));
        let wrong = Value::Map(BTreeMap::from([("n".into(), Value::String("x".into()))]));
        assert_eq!(wrong.conform(&ty).unwrap_err().path, ".n");
    }

    #[test]
    fn sets_compare_unordered() {
        let a = Value::Set(vec![Value::String("x".into()), Value::String("y".into())]);
        let b = Value::Set(vec![Value::String("y".into()), Value::String("x".into())]);
        assert!(a.semantic_eq(&b));
        assert_ne!(a, b);
        assert!(!a.semantic_eq(&Value::Set(vec![Value::String("x".into())])));
    }
}
