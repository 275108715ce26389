//! The managed fields of an Akana business settings object, each declared once: its wire name,
//! its type and where it lives in the typed struct. Reading, writing back and laying the plan over
//! what was read all walk that one table, so a new field is one line here and one in the struct.
//!
//! The platform's documented samples send every value as a JSON string ("false", "300") while its
//! object pages document Booleans and integers
//! (https://help.akana.com/content/current/cm/api/businesses/m_businesses_updateTwoFASettings.htm,
//! o_businesses_LoginPolicy): reads accept both, writes send strings as the samples do. Whether a
//! PUT keeps the fields it omits is not documented, so a write is always the object as read with
//! the managed fields replaced.

use serde_json::{Map, Value as Json};

/// One managed field: its wire name and the place of its value in `T`.
pub enum Field<T> {
    Bool(&'static str, fn(&mut T) -> &mut Option<bool>),
    Int(&'static str, fn(&mut T) -> &mut Option<i64>),
    Text(&'static str, fn(&mut T) -> &mut Option<String>),
}

/// A typed struct of managed fields and its wire table.
pub trait Fields: Default + Clone + 'static {
    /// Every managed field, once.
    const WIRE: &'static [Field<Self>];
    /// A field without a value is left out of a write (`true`), or left as it was read (`false`).
    const DROP_ABSENT: bool;
}

/// A settings object as read: the typed fields plus everything else, kept to write back.
#[derive(Debug, Clone, Default)]
pub struct Object<T> {
    pub fields: T,
    pub raw: Map<String, Json>,
}

fn as_bool(v: Option<&Json>) -> Option<bool> {
    match v? {
        Json::Bool(b) => Some(*b),
        Json::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

fn as_int(v: Option<&Json>) -> Option<i64> {
    match v? {
        Json::Number(n) => n.as_i64(),
        Json::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn as_text(v: Option<&Json>) -> Option<String> {
    match v? {
        Json::String(s) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

impl<T: Fields> Object<T> {
    pub fn parse(v: Json) -> Object<T> {
        let raw = match v {
            Json::Object(m) => m,
            _ => Map::new(),
        };
        let mut fields = T::default();
        for field in T::WIRE {
            match field {
                Field::Bool(name, at) => *at(&mut fields) = as_bool(raw.get(*name)),
                Field::Int(name, at) => *at(&mut fields) = as_int(raw.get(*name)),
                Field::Text(name, at) => *at(&mut fields) = as_text(raw.get(*name)),
            }
        }
        Object { fields, raw }
    }

    /// The complete object to PUT: everything read, with the managed fields replaced, as strings.
    pub fn with(&self, values: &T) -> Json {
        let mut m = self.raw.clone();
        let mut values = values.clone();
        for field in T::WIRE {
            let (name, text) = match field {
                Field::Bool(name, at) => (name, at(&mut values).map(|b| b.to_string())),
                Field::Int(name, at) => (name, at(&mut values).map(|n| n.to_string())),
                Field::Text(name, at) => (name, at(&mut values).clone()),
            };
            match text {
                Some(s) => {
                    m.insert(name.to_string(), Json::String(s));
                }
                None if T::DROP_ABSENT => {
                    m.remove(*name);
                }
                None => {}
            }
        }
        Json::Object(m)
    }
}

/// `top`'s values over `base`'s: a field `top` has no value for keeps `base`'s.
pub fn overlay<T: Fields>(base: &T, top: &T) -> T {
    let (mut out, mut top) = (base.clone(), top.clone());
    for field in T::WIRE {
        match field {
            Field::Bool(_, at) => *at(&mut out) = at(&mut top).or(*at(&mut out)),
            Field::Int(_, at) => *at(&mut out) = at(&mut top).or(*at(&mut out)),
            Field::Text(_, at) => *at(&mut out) = at(&mut top).clone().or(at(&mut out).clone()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vendors::akana::client::{LoginPolicy, TwoFa};

    #[test]
    fn the_plan_lies_over_what_was_read_field_by_field() {
        let read = TwoFa {
            enabled: Some(false),
            max_attempts: Some(3),
            recurrence_mode: Some("a".into()),
            ..TwoFa::default()
        };
        let plan = TwoFa { enabled: Some(true), recurrence_mode: Some("b".into()), ..TwoFa::default() };
        let out = overlay(&read, &plan);
        assert_eq!((out.enabled, out.max_attempts, out.recurrence_mode.as_deref()), (Some(true), Some(3), Some("b")));
        assert_eq!(out.device_cookie_name, None);
    }

    #[test]
    fn an_absent_value_is_dropped_or_kept_as_each_object_says() {
        let raw = serde_json::json!({"DeviceCookieName": "", "SuspensionMinutes": "soon", "Other": 1});
        let twofa = Object::<TwoFa>::parse(raw.clone());
        assert_eq!(twofa.fields.device_cookie_name, None);
        let out = twofa.with(&twofa.fields);
        assert!(out.get("DeviceCookieName").is_none());
        assert_eq!(out["Other"], 1);
        let policy = Object::<LoginPolicy>::parse(raw);
        assert_eq!(policy.fields.suspension_minutes, None);
        assert_eq!(policy.with(&policy.fields)["SuspensionMinutes"], "soon");
    }
}
