//! DynamicValue codec: msgpack (what Terraform always sends and what we always answer) and JSON
//! (raw state in UpgradeResourceState, and the DynamicValue.json fallback). Decoding is guided by
//! the schema type, because msgpack alone cannot tell a list from a set or a map from an object.
//!
//! The wire rules of `docs/plugin-protocol/object-wire-format.md` (hashicorp/terraform): null is msgpack nil, any msgpack extension is unknown,
//! numbers may be int, float or a decimal string, and objects carry every attribute.

use std::collections::BTreeMap;

use rmpv::Value as Mp;

use super::value::{Number, Type, Value, ValueError, kind_name};

/// The extension type of a plain unknown value as Terraform and cty write it: fixext1, type 0,
/// payload 0.
const UNKNOWN_EXT_TYPE: i8 = 0;

/// Decodes msgpack bytes as a value of `ty`. Empty input is null (an absent DynamicValue).
pub fn from_msgpack(bytes: &[u8], ty: &Type) -> Result<Value, ValueError> {
    if bytes.is_empty() {
        return Ok(Value::Null);
    }
    let mut rd = bytes;
    let mp = rmpv::decode::read_value(&mut rd).map_err(|e| ValueError::new("", format!("malformed msgpack: {e}")))?;
    if !rd.is_empty() {
        return Err(ValueError::new("", format!("{} trailing bytes after msgpack value", rd.len())));
    }
    mp_to_value(mp, ty, &mut String::new())
}

/// Encodes a value of `ty` as msgpack. The value must conform to the type: objects get every
/// attribute (missing ones as nil), so Terraform never sees a short object.
pub fn to_msgpack(v: &Value, ty: &Type) -> Result<Vec<u8>, ValueError> {
    let mp = value_to_mp(v, ty, &mut String::new())?;
    let mut out = Vec::with_capacity(64);
    rmpv::encode::write_value(&mut out, &mp).expect("writing to a Vec cannot fail");
    Ok(out)
}

fn child(path: &mut String, seg: impl std::fmt::Display) -> usize {
    let len = path.len();
    path.push_str(&seg.to_string());
    len
}

fn wrong(ty: &Type, mp: &Mp, path: &str) -> ValueError {
    ValueError::new(path, format!("expected {ty}, found msgpack {}", mp_kind(mp)))
}

fn mp_to_value(mp: Mp, ty: &Type, path: &mut String) -> Result<Value, ValueError> {
    match mp {
        Mp::Nil => return Ok(Value::Null),
        Mp::Ext(..) => return Ok(Value::Unknown),
        _ => {}
    }
    Ok(match (ty, mp) {
        (Type::Bool, Mp::Boolean(b)) => Value::Bool(b),
        (Type::String, Mp::String(s)) => match s.into_str() {
            Some(s) => Value::String(s),
            None => return Err(ValueError::new(path, "string is not valid UTF-8")),
        },
        (Type::Number, mp) => mp_to_number(mp, path)?,
        (Type::List(et) | Type::Set(et), Mp::Array(items)) => {
            let out = mp_items(items.into_iter().map(|item| (item, &**et)), path)?;
            if matches!(ty, Type::List(_)) { Value::List(out) } else { Value::Set(out) }
        }
        (Type::Tuple(ets), Mp::Array(items)) if items.len() == ets.len() => {
            Value::Tuple(mp_items(items.into_iter().zip(ets), path)?)
        }
        (Type::Map(et), Mp::Map(entries)) => {
            let mut out = BTreeMap::new();
            for (k, item) in entries {
                let key = mp_key(k, path)?;
                let len = child(path, format_args!("[{key:?}]"));
                let v = mp_to_value(item, et, path)?;
                path.truncate(len);
                out.insert(key, v);
            }
            Value::Map(out)
        }
        (Type::Object(attrs), Mp::Map(entries)) => mp_to_object(entries, attrs, path)?,
        (Type::Dynamic, Mp::Array(pair)) if pair.len() == 2 => mp_to_dynamic(pair, path)?,
        (ty, other) => return Err(wrong(ty, &other, path)),
    })
}

fn mp_to_number(mp: Mp, path: &str) -> Result<Value, ValueError> {
    Ok(match mp {
        Mp::Integer(i) => match i.as_i64() {
            Some(v) => Value::Number(Number::Int(v)),
            None => Value::Number(Number::UInt(i.as_u64().expect("msgpack ints are i64 or u64"))),
        },
        Mp::F32(f) => Value::Number(Number::Float(f as f64)),
        Mp::F64(f) => Value::Number(Number::Float(f)),
        Mp::String(s) => {
            let text = s.as_str().unwrap_or_default().to_string();
            match Number::parse_decimal(&text) {
                Some(Number::Int(_)) | Some(Number::UInt(_)) | Some(Number::Decimal(_)) => {
                    // Keep the exact text Terraform sent so it is echoed byte for byte.
                    Value::Number(Number::Decimal(text))
                }
                _ => return Err(ValueError::new(path, format!("{text:?} is not a number"))),
            }
        }
        other => return Err(wrong(&Type::Number, &other, path)),
    })
}

/// The elements of a list, set or tuple, each decoded as its type.
fn mp_items<'t>(items: impl Iterator<Item = (Mp, &'t Type)>, path: &mut String) -> Result<Vec<Value>, ValueError> {
    let mut out = Vec::new();
    for (i, (item, et)) in items.enumerate() {
        let len = child(path, format_args!("[{i}]"));
        out.push(mp_to_value(item, et, path)?);
        path.truncate(len);
    }
    Ok(out)
}

fn mp_to_object(
    entries: Vec<(Mp, Mp)>,
    attrs: &BTreeMap<String, Type>,
    path: &mut String,
) -> Result<Value, ValueError> {
    let mut out = BTreeMap::new();
    for (k, item) in entries {
        let key = mp_key(k, path)?;
        let Some(at) = attrs.get(&key) else {
            return Err(ValueError::new(path, format!("unsupported attribute {key:?}")));
        };
        let len = child(path, format_args!(".{key}"));
        let v = mp_to_value(item, at, path)?;
        path.truncate(len);
        out.insert(key, v);
    }
    // Be strict on output, lenient on input: absent attributes read as null.
    for name in attrs.keys() {
        out.entry(name.clone()).or_insert(Value::Null);
    }
    Ok(Value::Object(out))
}

/// A dynamic value: msgpack `[type JSON, value]`.
fn mp_to_dynamic(mut pair: Vec<Mp>, path: &mut String) -> Result<Value, ValueError> {
    let inner = pair.pop().expect("len 2");
    let tj = match pair.pop().expect("len 2") {
        Mp::Binary(b) => b,
        Mp::String(s) => s.into_bytes(),
        other => return Err(wrong(&Type::Dynamic, &other, path)),
    };
    let concrete = Type::from_json_bytes(&tj).map_err(|e| ValueError::new(path, e.message))?;
    let v = mp_to_value(inner, &concrete, path)?;
    Ok(Value::Dynamic(concrete, Box::new(v)))
}

fn mp_key(k: Mp, path: &str) -> Result<String, ValueError> {
    match k {
        Mp::String(s) => s.into_str().ok_or_else(|| ValueError::new(path, "map key is not valid UTF-8")),
        other => Err(ValueError::new(path, format!("map key must be a string, found {}", mp_kind(&other)))),
    }
}

fn mp_kind(mp: &Mp) -> &'static str {
    match mp {
        Mp::Nil => "nil",
        Mp::Boolean(_) => "bool",
        Mp::Integer(_) => "integer",
        Mp::F32(_) | Mp::F64(_) => "float",
        Mp::String(_) => "string",
        Mp::Binary(_) => "binary",
        Mp::Array(_) => "array",
        Mp::Map(_) => "map",
        Mp::Ext(..) => "extension",
    }
}

fn value_to_mp(v: &Value, ty: &Type, path: &mut String) -> Result<Mp, ValueError> {
    let mismatch = |v: &Value, path: &str| ValueError::new(path, format!("cannot encode a {} as {ty}", kind_name(v)));
    Ok(match (v, ty) {
        (Value::Null, _) => Mp::Nil,
        (Value::Unknown, _) => Mp::Ext(UNKNOWN_EXT_TYPE, vec![0]),
        (Value::Bool(b), Type::Bool) => Mp::Boolean(*b),
        (Value::String(s), Type::String) => Mp::String(s.as_str().into()),
        (Value::Number(n), Type::Number) => match n {
            Number::Int(i) => Mp::from(*i),
            Number::UInt(u) => Mp::from(*u),
            Number::Float(f) => Mp::F64(*f),
            Number::Decimal(s) => Mp::String(s.as_str().into()),
        },
        (Value::List(items) | Value::Set(items), Type::List(et) | Type::Set(et)) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let len = child(path, format_args!("[{i}]"));
                out.push(value_to_mp(item, et, path)?);
                path.truncate(len);
            }
            Mp::Array(out)
        }
        (Value::Tuple(items), Type::Tuple(ets)) if items.len() == ets.len() => {
            let mut out = Vec::with_capacity(items.len());
            for (i, (item, et)) in items.iter().zip(ets).enumerate() {
                let len = child(path, format_args!("[{i}]"));
                out.push(value_to_mp(item, et, path)?);
                path.truncate(len);
            }
            Mp::Array(out)
        }
        (Value::Map(m), Type::Map(et)) => {
            let mut out = Vec::with_capacity(m.len());
            for (k, item) in m {
                let len = child(path, format_args!("[{k:?}]"));
                out.push((Mp::String(k.as_str().into()), value_to_mp(item, et, path)?));
                path.truncate(len);
            }
            Mp::Map(out)
        }
        (Value::Object(m), Type::Object(attrs)) => {
            if let Some(extra) = m.keys().find(|k| !attrs.contains_key(*k)) {
                return Err(ValueError::new(path, format!("unsupported attribute {extra:?}")));
            }
            let mut out = Vec::with_capacity(attrs.len());
            for (name, at) in attrs {
                let len = child(path, format_args!(".{name}"));
                let item = m.get(name).unwrap_or(&Value::Null);
                out.push((Mp::String(name.as_str().into()), value_to_mp(item, at, path)?));
                path.truncate(len);
            }
            Mp::Map(out)
        }
        (Value::Dynamic(concrete, inner), Type::Dynamic) => {
            Mp::Array(vec![Mp::Binary(concrete.to_json_bytes()), value_to_mp(inner, concrete, path)?])
        }
        (v, _) => return Err(mismatch(v, path)),
    })
}

/// Decodes JSON (raw state or DynamicValue.json) as a value of `ty`. Attributes missing from an
/// object read as null and attributes the type does not know are dropped: that is exactly what
/// UpgradeResourceState needs when a stored state predates the current schema.
pub fn from_json(j: &serde_json::Value, ty: &Type) -> Result<Value, ValueError> {
    json_to_value(j, ty, &mut String::new())
}

pub fn from_json_bytes(bytes: &[u8], ty: &Type) -> Result<Value, ValueError> {
    if bytes.is_empty() {
        return Ok(Value::Null);
    }
    let j: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| ValueError::new("", format!("malformed JSON: {e}")))?;
    from_json(&j, ty)
}

fn json_to_value(j: &serde_json::Value, ty: &Type, path: &mut String) -> Result<Value, ValueError> {
    use serde_json::Value as Json;
    let wrong = |path: &str| ValueError::new(path, format!("expected {ty}, found JSON {j}"));
    if j.is_null() {
        return Ok(Value::Null);
    }
    Ok(match ty {
        Type::Bool => Value::Bool(j.as_bool().ok_or_else(|| wrong(path))?),
        Type::String => Value::String(j.as_str().ok_or_else(|| wrong(path))?.to_string()),
        Type::Number => match j {
            // With serde_json's arbitrary_precision, the number keeps its source text.
            Json::Number(n) => Value::Number(Number::parse_decimal(&n.to_string()).ok_or_else(|| wrong(path))?),
            Json::String(s) => Value::Number(Number::parse_decimal(s).ok_or_else(|| wrong(path))?),
            _ => return Err(wrong(path)),
        },
        Type::List(et) | Type::Set(et) => {
            let items = j.as_array().ok_or_else(|| wrong(path))?;
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let len = child(path, format_args!("[{i}]"));
                out.push(json_to_value(item, et, path)?);
                path.truncate(len);
            }
            if matches!(ty, Type::List(_)) { Value::List(out) } else { Value::Set(out) }
        }
        Type::Tuple(ets) => {
            let items = j.as_array().filter(|a| a.len() == ets.len()).ok_or_else(|| wrong(path))?;
            let mut out = Vec::with_capacity(items.len());
            for (i, (item, et)) in items.iter().zip(ets).enumerate() {
                let len = child(path, format_args!("[{i}]"));
                out.push(json_to_value(item, et, path)?);
                path.truncate(len);
            }
            Value::Tuple(out)
        }
        Type::Map(et) => {
            let m = j.as_object().ok_or_else(|| wrong(path))?;
            let mut out = BTreeMap::new();
            for (k, item) in m {
                let len = child(path, format_args!("[{k:?}]"));
                out.insert(k.clone(), json_to_value(item, et, path)?);
                path.truncate(len);
            }
            Value::Map(out)
        }
        Type::Object(attrs) => {
            let m = j.as_object().ok_or_else(|| wrong(path))?;
            let mut out = BTreeMap::new();
            for (name, at) in attrs {
                let len = child(path, format_args!(".{name}"));
                let v = match m.get(name) {
                    Some(item) => json_to_value(item, at, path)?,
                    None => Value::Null,
                };
                path.truncate(len);
                out.insert(name.clone(), v);
            }
            Value::Object(out)
        }
        Type::Dynamic => {
            let m = j.as_object().ok_or_else(|| wrong(path))?;
            let (Some(tj), Some(vj)) = (m.get("type"), m.get("value")) else {
                return Err(wrong(path));
            };
            let concrete = Type::from_json(tj).map_err(|e| ValueError::new(path, e.message))?;
            Value::Dynamic(concrete.clone(), Box::new(json_to_value(vj, &concrete, path)?))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn obj(attrs: &[(&str, Type)]) -> Type {
        Type::Object(attrs.iter().map(|(k, t)| (k.to_string(), t.clone())).collect())
    }

    #[test]
    fn unknown_is_fixext1_zero_and_any_extension_reads_as_unknown() {
        assert_eq!(to_msgpack(&Value::Unknown, &Type::String).unwrap(), vec![0xd4, 0x00, 0x00]);
        // Terraform >= 1.6 sends refined unknowns as ext type 12 carrying a map.
        let refined = [0xc7, 0x03, 0x0c, 0x81, 0x01, 0xc2];
        assert_eq!(from_msgpack(&refined, &Type::String).unwrap(), Value::Unknown);
        assert_eq!(from_msgpack(&[0xd4, 0x05, 0x00], &Type::Number).unwrap(), Value::Unknown);
    }

    #[test]
    fn every_object_attribute_is_encoded_even_when_null() {
        let ty = obj(&[("a", Type::String), ("b", Type::Number), ("c", Type::set(Type::String))]);
        let v = Value::Object(BTreeMap::from([("a".into(), Value::String("x".into()))]));
        let bytes = to_msgpack(&v, &ty).unwrap();
        let raw = rmpv::decode::read_value(&mut &bytes[..]).unwrap();
        assert_eq!(raw.as_map().unwrap().len(), 3);
        let back = from_msgpack(&bytes, &ty).unwrap();
        assert_eq!(back.attr("b"), &Value::Null);
        assert_eq!(back.attr("a"), &Value::String("x".into()));
    }

    #[test]
    fn numbers_come_back_in_the_form_they_arrived() {
        for (bytes, expect) in [
            (vec![0x1e], Number::Int(30)),
            (vec![0xcb, 0x3f, 0xb9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9a], Number::Float(0.1)),
            (vec![0xa3, b'0', b'.', b'1'], Number::Decimal("0.1".into())),
            (vec![0xa2, b'3', b'0'], Number::Decimal("30".into())),
            (vec![0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], Number::UInt(u64::MAX)),
        ] {
            let v = from_msgpack(&bytes, &Type::Number).unwrap();
            assert_eq!(v, Value::Number(expect));
            assert_eq!(to_msgpack(&v, &Type::Number).unwrap(), bytes, "re-encoded differently");
        }
        assert!(from_msgpack(&[0xa3, b'a', b'b', b'c'], &Type::Number).is_err());
    }

    #[test]
    fn malformed_input_is_an_error_not_a_panic() {
        let ty = obj(&[("a", Type::String)]);
        for bad in [
            &[0x81][..],                         // map header with no entries
            &[0x81, 0xa1, b'z', 0xc0][..],       // unknown attribute
            &[0x81, 0xa1, b'a', 0x05][..],       // int where string expected
            &[0xc0, 0xc0][..],                   // trailing data
            &[0x82, 0x01, 0x02, 0x03, 0x04][..], // non-string keys
        ] {
            assert!(from_msgpack(bad, &ty).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn dynamic_values_carry_their_type() {
        let v = Value::Dynamic(Type::list(Type::String), Box::new(Value::List(vec![Value::String("x".into())])));
        let b = to_msgpack(&v, &Type::Dynamic).unwrap();
        assert_eq!(from_msgpack(&b, &Type::Dynamic).unwrap(), v);
        let j = serde_json::json!({"type": ["list", "string"], "value": ["x"]});
        assert_eq!(from_json(&j, &Type::Dynamic).unwrap(), v);
    }

    #[test]
    fn json_state_fills_missing_and_drops_removed_attributes() {
        let ty = obj(&[("id", Type::String), ("days", Type::Number), ("new_attr", Type::Bool)]);
        let v = from_json_bytes(br#"{"id":"o1","days":0.1,"old_attr":"gone"}"#, &ty).unwrap();
        assert_eq!(v.attr("id"), &Value::String("o1".into()));
        assert_eq!(v.attr("days"), &Value::Number(Number::Decimal("0.1".into())));
        assert_eq!(v.attr("new_attr"), &Value::Null);
        assert!(from_json_bytes(b"{not json", &ty).is_err());
    }

    fn arb_type() -> impl Strategy<Value = Type> {
        let leaf = prop_oneof![Just(Type::String), Just(Type::Number), Just(Type::Bool)];
        leaf.prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                inner.clone().prop_map(Type::list),
                inner.clone().prop_map(Type::set),
                inner.clone().prop_map(Type::map),
                prop::collection::btree_map("[a-z_]{1,6}", inner.clone(), 0..4).prop_map(Type::Object),
                prop::collection::vec(inner, 0..3).prop_map(Type::Tuple),
            ]
        })
    }

    fn arb_value(ty: Type) -> BoxedStrategy<Value> {
        let special = prop_oneof![Just(Value::Null), Just(Value::Unknown)];
        let known: BoxedStrategy<Value> = match ty {
            Type::String => ".{0,8}".prop_map(Value::String).boxed(),
            Type::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
            Type::Number => prop_oneof![
                any::<i64>().prop_map(|i| Value::Number(Number::Int(i))),
                any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| Value::Number(Number::Float(f))),
                "-?[0-9]{1,3}\\.[0-9]{1,4}".prop_map(|s| Value::Number(Number::Decimal(s))),
            ]
            .boxed(),
            Type::List(et) => prop::collection::vec(arb_value(*et), 0..4).prop_map(Value::List).boxed(),
            Type::Set(et) => prop::collection::vec(arb_value(*et), 0..4).prop_map(Value::Set).boxed(),
            Type::Map(et) => prop::collection::btree_map(".{0,4}", arb_value(*et), 0..4).prop_map(Value::Map).boxed(),
            Type::Tuple(ets) => ets.into_iter().map(arb_value).collect::<Vec<_>>().prop_map(Value::Tuple).boxed(),
            Type::Object(attrs) => attrs
                .into_iter()
                .map(|(k, t)| arb_value(t).prop_map(move |v| (k.clone(), v)))
                .collect::<Vec<_>>()
                .prop_map(|kvs| Value::Object(kvs.into_iter().collect()))
                .boxed(),
            Type::Dynamic => Just(Value::Null).boxed(),
        };
        prop_oneof![1 => special, 4 => known].boxed()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]
        /// Any value, with null and unknown anywhere inside, survives encode -> decode unchanged
        /// (including the wire form of every number).
        #[test]
        fn msgpack_round_trip((ty, v) in arb_type().prop_flat_map(|t| (Just(t.clone()), arb_value(t)))) {
            let bytes = to_msgpack(&v, &ty).unwrap();
            let back = from_msgpack(&bytes, &ty).unwrap();
            prop_assert_eq!(back, v);
        }

        /// Random bytes never panic the decoder.
        #[test]
        fn msgpack_garbage_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..64), ty in arb_type()) {
            let _ = from_msgpack(&bytes, &ty);
        }
    }
}
