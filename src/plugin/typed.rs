//! Typed state: lets a resource describe its state as a plain serde struct whose fields are
//! [`Attr<T>`] (known, null or unknown), and converts between such structs and [`Value`]s.
//!
//! `Attr` is recognised by name inside this module's serializer and deserializer; that is how
//! unknown travels through serde without a sentinel value.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, Visitor};
use serde::ser::{self, Serialize};
use serde::{Deserialize, Deserializer, Serializer};

use super::diag::{AttrPath, Diagnostics, PathStep};
use super::value::{Number, Type, Value};

const ATTR_ENUM: &str = "$tfplugin::Attr";
const ATTR_VARIANTS: &[&str] = &["Null", "Unknown", "Known"];

/// A Terraform attribute value as seen by typed code: null, not yet known, or known.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Attr<T> {
    #[default]
    Null,
    Unknown,
    Known(T),
}

impl<T> Attr<T> {
    pub fn known(&self) -> Option<&T> {
        match self {
            Attr::Known(t) => Some(t),
            _ => None,
        }
    }
    pub fn into_known(self) -> Option<T> {
        match self {
            Attr::Known(t) => Some(t),
            _ => None,
        }
    }
    pub fn is_null(&self) -> bool {
        matches!(self, Attr::Null)
    }
    pub fn is_unknown(&self) -> bool {
        matches!(self, Attr::Unknown)
    }
    pub fn is_known(&self) -> bool {
        matches!(self, Attr::Known(_))
    }
    pub fn as_ref(&self) -> Attr<&T> {
        match self {
            Attr::Null => Attr::Null,
            Attr::Unknown => Attr::Unknown,
            Attr::Known(t) => Attr::Known(t),
        }
    }
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Attr<U> {
        match self {
            Attr::Null => Attr::Null,
            Attr::Unknown => Attr::Unknown,
            Attr::Known(t) => Attr::Known(f(t)),
        }
    }
}

impl<T> From<Option<T>> for Attr<T> {
    fn from(o: Option<T>) -> Self {
        o.map_or(Attr::Null, Attr::Known)
    }
}

impl<T: Serialize> Serialize for Attr<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Attr::Null => s.serialize_unit_variant(ATTR_ENUM, 0, "Null"),
            Attr::Unknown => s.serialize_unit_variant(ATTR_ENUM, 1, "Unknown"),
            Attr::Known(t) => s.serialize_newtype_variant(ATTR_ENUM, 2, "Known", t),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Attr<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Attr<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a Terraform attribute value")
            }
            fn visit_enum<A: de::EnumAccess<'de>>(self, a: A) -> Result<Attr<T>, A::Error> {
                use de::VariantAccess;
                let (idx, v): (u32, _) = a.variant()?;
                match idx {
                    0 => v.unit_variant().map(|_| Attr::Null),
                    1 => v.unit_variant().map(|_| Attr::Unknown),
                    _ => v.newtype_variant().map(Attr::Known),
                }
            }
        }
        d.deserialize_enum(ATTR_ENUM, ATTR_VARIANTS, V(std::marker::PhantomData))
    }
}

/// A conversion problem, with the attribute it happened at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypedError {
    pub path: AttrPath,
    pub message: String,
}

impl fmt::Display for TypedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_root() { f.write_str(&self.message) } else { write!(f, "{}: {}", self.path, self.message) }
    }
}

impl std::error::Error for TypedError {}

impl de::Error for TypedError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        TypedError { path: AttrPath::root(), message: msg.to_string() }
    }
}

impl ser::Error for TypedError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        TypedError { path: AttrPath::root(), message: msg.to_string() }
    }
}

impl TypedError {
    fn within(mut self, step: PathStep) -> Self {
        self.path = self.path.prepend(step);
        self
    }

    /// Reports the problem as "Invalid {what}", on the attribute that did not fit, or on the
    /// whole object when it is the object.
    pub fn report(&self, diags: &mut Diagnostics, what: &str) {
        let summary = format!("Invalid {what}");
        if self.path.is_root() {
            diags.error(summary, self.message.clone());
        } else {
            diags.attr_error(self.path.clone(), summary, self.message.clone());
        }
    }
}

/// Reads a typed struct out of a value.
pub fn from_value<T: DeserializeOwned>(v: &Value) -> Result<T, TypedError> {
    T::deserialize(ValueDe(v))
}

/// Reads a typed struct out of a value, or reports why it does not fit as "Invalid {what}".
pub fn decode<T: DeserializeOwned>(v: &Value, what: &str, diags: &mut Diagnostics) -> Option<T> {
    from_value(v).map_err(|e| e.report(diags, what)).ok()
}

/// Writes a typed struct as a value shaped exactly like `ty` (every attribute present).
pub fn to_value<T: Serialize>(t: &T, ty: &Type) -> Result<Value, TypedError> {
    let raw = t.serialize(ValueSer)?;
    raw.conform(ty).map_err(|e| TypedError { path: AttrPath::root(), message: e.to_string() })
}

struct ValueDe<'a>(&'a Value);

impl ValueDe<'_> {
    fn integer(&self) -> Result<Option<i128>, TypedError> {
        match self.0 {
            Value::Number(n) => match n {
                Number::UInt(u) => Ok(Some(*u as i128)),
                other => match other.as_i64() {
                    Some(i) => Ok(Some(i as i128)),
                    None => Err(de::Error::custom(format!("must be a whole number, got {other}"))),
                },
            },
            Value::Dynamic(_, inner) => ValueDe(inner).integer(),
            _ => Ok(None),
        }
    }
}

macro_rules! de_int {
    ($($name:ident => $visit:ident : $t:ty),* $(,)?) => {$(
        fn $name<V: Visitor<'de>>(self, v: V) -> Result<V::Value, TypedError> {
            match self.integer()? {
                Some(i) => match <$t>::try_from(i) {
                    Ok(x) => v.$visit(x),
                    Err(_) => Err(de::Error::custom(format!("{i} is out of range"))),
                },
                None => self.deserialize_any(v),
            }
        }
    )*};
}

impl<'de> Deserializer<'de> for ValueDe<'de> {
    type Error = TypedError;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, TypedError> {
        match self.0 {
            Value::Null => v.visit_unit(),
            Value::Unknown => Err(de::Error::custom("value is not known yet")),
            Value::Bool(b) => v.visit_bool(*b),
            Value::Number(n) => match n {
                Number::Int(i) => v.visit_i64(*i),
                Number::UInt(u) => v.visit_u64(*u),
                other => match other.as_i64() {
                    Some(i) => v.visit_i64(i),
                    None => v.visit_f64(other.as_f64()),
                },
            },
            Value::String(s) => v.visit_borrowed_str(s),
            Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
                v.visit_seq(SeqDe { items: items.iter(), index: 0 })
            }
            Value::Map(m) | Value::Object(m) => {
                v.visit_map(MapDe { iter: m.iter(), pending: None, is_object: matches!(self.0, Value::Object(_)) })
            }
            Value::Dynamic(_, inner) => ValueDe(inner).deserialize_any(v),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, TypedError> {
        match self.0 {
            Value::Null => v.visit_none(),
            Value::Unknown => Err(de::Error::custom("value is not known yet")),
            _ => v.visit_some(self),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        _variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, TypedError> {
        if name == ATTR_ENUM {
            return v.visit_enum(AttrAccess(self.0));
        }
        match self.0 {
            Value::String(s) => v.visit_enum(s.as_str().into_deserializer()),
            other => Err(de::Error::custom(format!(
                "expected one of the allowed strings, found {}",
                super::value::kind_name(other)
            ))),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _: &'static str, v: V) -> Result<V::Value, TypedError> {
        v.visit_newtype_struct(self)
    }

    de_int! {
        deserialize_i8 => visit_i8: i8, deserialize_i16 => visit_i16: i16,
        deserialize_i32 => visit_i32: i32, deserialize_i64 => visit_i64: i64,
        deserialize_u8 => visit_u8: u8, deserialize_u16 => visit_u16: u16,
        deserialize_u32 => visit_u32: u32, deserialize_u64 => visit_u64: u64,
    }

    serde::forward_to_deserialize_any! {
        bool i128 u128 f32 f64 char str string bytes byte_buf unit unit_struct seq tuple
        tuple_struct map struct identifier ignored_any
    }
}

struct AttrAccess<'a>(&'a Value);

impl<'de> de::EnumAccess<'de> for AttrAccess<'de> {
    type Error = TypedError;
    type Variant = Self;
    fn variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, Self), TypedError> {
        // A collection holding an element that is not known yet (`[terraform_data.x.output]`) is
        // not known as a whole: its known elements are checked once all of them are.
        let idx: u32 = match self.0 {
            Value::Null => 0,
            v if !v.is_wholly_known() => 1,
            _ => 2,
        };
        let v = seed.deserialize(idx.into_deserializer())?;
        Ok((v, self))
    }
}

impl<'de> de::VariantAccess<'de> for AttrAccess<'de> {
    type Error = TypedError;
    fn unit_variant(self) -> Result<(), TypedError> {
        Ok(())
    }
    fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<S::Value, TypedError> {
        seed.deserialize(ValueDe(self.0))
    }
    fn tuple_variant<V: Visitor<'de>>(self, _: usize, _: V) -> Result<V::Value, TypedError> {
        Err(de::Error::custom("unexpected tuple variant"))
    }
    fn struct_variant<V: Visitor<'de>>(self, _: &'static [&'static str], _: V) -> Result<V::Value, TypedError> {
        Err(de::Error::custom("unexpected struct variant"))
    }
}

struct SeqDe<'a> {
    items: std::slice::Iter<'a, Value>,
    index: i64,
}

impl<'de> de::SeqAccess<'de> for SeqDe<'de> {
    type Error = TypedError;
    fn next_element_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<Option<S::Value>, TypedError> {
        match self.items.next() {
            None => Ok(None),
            Some(item) => {
                let i = self.index;
                self.index += 1;
                seed.deserialize(ValueDe(item)).map(Some).map_err(|e| e.within(PathStep::Index(i)))
            }
        }
    }
}

struct MapDe<'a> {
    iter: std::collections::btree_map::Iter<'a, String, Value>,
    pending: Option<(&'a String, &'a Value)>,
    is_object: bool,
}

impl<'de> de::MapAccess<'de> for MapDe<'de> {
    type Error = TypedError;
    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, TypedError> {
        match self.iter.next() {
            None => Ok(None),
            Some((k, v)) => {
                self.pending = Some((k, v));
                seed.deserialize(de::value::BorrowedStrDeserializer::new(k)).map(Some)
            }
        }
    }
    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, TypedError> {
        let (k, v) = self.pending.take().ok_or_else(|| de::Error::custom("value without key"))?;
        let step = if self.is_object { PathStep::Attr(k.clone()) } else { PathStep::Key(k.clone()) };
        seed.deserialize(ValueDe(v)).map_err(|e| e.within(step))
    }
}

/// Serializes typed data into a loosely shaped [`Value`]; [`to_value`] then conforms it to the type.
struct ValueSer;

impl Serializer for ValueSer {
    type Ok = Value;
    type Error = TypedError;
    type SerializeSeq = SeqSer;
    type SerializeTuple = SeqSer;
    type SerializeTupleStruct = SeqSer;
    type SerializeTupleVariant = ser::Impossible<Value, TypedError>;
    type SerializeMap = MapSer;
    type SerializeStruct = MapSer;
    type SerializeStructVariant = ser::Impossible<Value, TypedError>;

    fn serialize_bool(self, v: bool) -> Result<Value, TypedError> {
        Ok(Value::Bool(v))
    }
    fn serialize_i8(self, v: i8) -> Result<Value, TypedError> {
        self.serialize_i64(v as i64)
    }
    fn serialize_i16(self, v: i16) -> Result<Value, TypedError> {
        self.serialize_i64(v as i64)
    }
    fn serialize_i32(self, v: i32) -> Result<Value, TypedError> {
        self.serialize_i64(v as i64)
    }
    fn serialize_i64(self, v: i64) -> Result<Value, TypedError> {
        Ok(Value::Number(Number::Int(v)))
    }
    fn serialize_u8(self, v: u8) -> Result<Value, TypedError> {
        self.serialize_i64(v as i64)
    }
    fn serialize_u16(self, v: u16) -> Result<Value, TypedError> {
        self.serialize_i64(v as i64)
    }
    fn serialize_u32(self, v: u32) -> Result<Value, TypedError> {
        self.serialize_i64(v as i64)
    }
    fn serialize_u64(self, v: u64) -> Result<Value, TypedError> {
        Ok(Value::Number(i64::try_from(v).map_or(Number::UInt(v), Number::Int)))
    }
    fn serialize_f32(self, v: f32) -> Result<Value, TypedError> {
        self.serialize_f64(v as f64)
    }
    fn serialize_f64(self, v: f64) -> Result<Value, TypedError> {
        if v.is_finite() {
            Ok(Value::Number(Number::Float(v)))
        } else {
            Err(ser::Error::custom("Terraform numbers cannot be infinite or NaN"))
        }
    }
    fn serialize_char(self, v: char) -> Result<Value, TypedError> {
        Ok(Value::String(v.to_string()))
    }
    fn serialize_str(self, v: &str) -> Result<Value, TypedError> {
        Ok(Value::String(v.to_string()))
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<Value, TypedError> {
        Err(ser::Error::custom("byte strings have no Terraform type"))
    }
    fn serialize_none(self) -> Result<Value, TypedError> {
        Ok(Value::Null)
    }
    fn serialize_some<T: ?Sized + Serialize>(self, v: &T) -> Result<Value, TypedError> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<Value, TypedError> {
        Ok(Value::Null)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<Value, TypedError> {
        Ok(Value::Null)
    }
    fn serialize_unit_variant(self, name: &'static str, _: u32, variant: &'static str) -> Result<Value, TypedError> {
        if name == ATTR_ENUM {
            return Ok(if variant == "Unknown" { Value::Unknown } else { Value::Null });
        }
        Ok(Value::String(variant.to_string()))
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, _: &'static str, v: &T) -> Result<Value, TypedError> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        _: u32,
        variant: &'static str,
        v: &T,
    ) -> Result<Value, TypedError> {
        if name == ATTR_ENUM {
            return v.serialize(self);
        }
        Err(ser::Error::custom(format!("enum variant {variant} with data has no Terraform type")))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<SeqSer, TypedError> {
        Ok(SeqSer(Vec::with_capacity(len.unwrap_or(0))))
    }
    fn serialize_tuple(self, len: usize) -> Result<SeqSer, TypedError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<SeqSer, TypedError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, TypedError> {
        Err(ser::Error::custom("tuple variants have no Terraform type"))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<MapSer, TypedError> {
        Ok(MapSer { map: BTreeMap::new(), key: None })
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<MapSer, TypedError> {
        self.serialize_map(None)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, TypedError> {
        Err(ser::Error::custom("struct variants have no Terraform type"))
    }
}

struct SeqSer(Vec<Value>);

impl ser::SerializeSeq for SeqSer {
    type Ok = Value;
    type Error = TypedError;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, v: &T) -> Result<(), TypedError> {
        self.0.push(v.serialize(ValueSer)?);
        Ok(())
    }
    fn end(self) -> Result<Value, TypedError> {
        Ok(Value::List(self.0))
    }
}

impl ser::SerializeTuple for SeqSer {
    type Ok = Value;
    type Error = TypedError;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, v: &T) -> Result<(), TypedError> {
        ser::SerializeSeq::serialize_element(self, v)
    }
    fn end(self) -> Result<Value, TypedError> {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeTupleStruct for SeqSer {
    type Ok = Value;
    type Error = TypedError;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, v: &T) -> Result<(), TypedError> {
        ser::SerializeSeq::serialize_element(self, v)
    }
    fn end(self) -> Result<Value, TypedError> {
        ser::SerializeSeq::end(self)
    }
}

struct MapSer {
    map: BTreeMap<String, Value>,
    key: Option<String>,
}

impl ser::SerializeMap for MapSer {
    type Ok = Value;
    type Error = TypedError;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, k: &T) -> Result<(), TypedError> {
        match k.serialize(ValueSer)? {
            Value::String(s) => {
                self.key = Some(s);
                Ok(())
            }
            _ => Err(ser::Error::custom("map keys must be strings")),
        }
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, v: &T) -> Result<(), TypedError> {
        let k = self.key.take().ok_or_else(|| ser::Error::custom("value without key"))?;
        let val = v.serialize(ValueSer).map_err(|e: TypedError| e.within(PathStep::Key(k.clone())))?;
        self.map.insert(k, val);
        Ok(())
    }
    fn end(self) -> Result<Value, TypedError> {
        Ok(Value::Map(self.map))
    }
}

impl ser::SerializeStruct for MapSer {
    type Ok = Value;
    type Error = TypedError;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, k: &'static str, v: &T) -> Result<(), TypedError> {
        let val = v.serialize(ValueSer).map_err(|e: TypedError| e.within(PathStep::Attr(k.into())))?;
        self.map.insert(k.to_string(), val);
        Ok(())
    }
    fn end(self) -> Result<Value, TypedError> {
        Ok(Value::Object(self.map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
    struct State {
        id: Attr<String>,
        enabled: Attr<bool>,
        days: Attr<i64>,
        ips: Attr<BTreeSet<String>>,
        mode: Attr<Mode>,
    }

    #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
    #[serde(rename_all = "lowercase")]
    enum Mode {
        None,
        App,
    }

    fn ty() -> Type {
        Type::Object(BTreeMap::from([
            ("id".into(), Type::String),
            ("enabled".into(), Type::Bool),
            ("days".into(), Type::Number),
            ("ips".into(), Type::set(Type::String)),
            ("mode".into(), Type::String),
        ]))
    }

    #[test]
    fn round_trip_with_null_unknown_and_known() {
        let s = State {
            id: Attr::Unknown,
            enabled: Attr::Known(true),
            days: Attr::Null,
            ips: Attr::Known(BTreeSet::from(["10.0.0.0/8".to_string()])),
            mode: Attr::Known(Mode::App),
        };
        let v = to_value(&s, &ty()).unwrap();
        assert_eq!(v.attr("id"), &Value::Unknown);
        assert_eq!(v.attr("days"), &Value::Null);
        assert_eq!(v.attr("mode"), &Value::String("app".into()));
        assert!(matches!(v.attr("ips"), Value::Set(_)));
        let back: State = from_value(&v).unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn decimal_strings_and_floats_read_as_integers_when_whole() {
        let mut v = to_value(
            &State { id: Attr::Null, enabled: Attr::Null, days: Attr::Known(1), ips: Attr::Null, mode: Attr::Null },
            &ty(),
        )
        .unwrap();
        if let Value::Object(m) = &mut v {
            m.insert("days".into(), Value::Number(Number::Decimal("30".into())));
        }
        let s: State = from_value(&v).unwrap();
        assert_eq!(s.days, Attr::Known(30));
        if let Value::Object(m) = &mut v {
            m.insert("days".into(), Value::Number(Number::Decimal("1.5".into())));
        }
        let e = from_value::<State>(&v).unwrap_err();
        assert_eq!(e.path, AttrPath::attr("days"));
        assert!(e.message.contains("whole number"), "{e}");
    }

    #[test]
    fn wrong_enum_string_names_the_attribute() {
        let mut v = Value::Object(BTreeMap::new()).conform(&ty()).unwrap();
        if let Value::Object(m) = &mut v {
            m.insert("mode".into(), Value::String("sms".into()));
        }
        let e = from_value::<State>(&v).unwrap_err();
        assert_eq!(e.path, AttrPath::attr("mode"));
    }

    /// `trusted_ips = [terraform_data.office.output]`: the set is not known as a whole until
    /// apply, so it reads as unknown instead of failing.
    #[test]
    fn a_collection_with_an_unknown_element_is_unknown() {
        let mut v = Value::Object(BTreeMap::new()).conform(&ty()).unwrap();
        if let Value::Object(m) = &mut v {
            m.insert("ips".into(), Value::Set(vec![Value::String("10.0.0.1".into()), Value::Unknown]));
        }
        let s: State = from_value(&v).unwrap();
        assert_eq!(s.ips, Attr::Unknown);
    }
}
