//! What ZITADEL's REST gateway does to JSON, as `internal/api/grpc/server/gateway.go` configures
//! grpc-gateway: protojson with `DiscardUnknown` on input and `EmitUnpopulated: false` on output
//! (false, "", zero enums and empty lists are omitted; set message fields such as Durations are
//! always written, `"0s"` included), `google.rpc.Status` errors — with ZITADEL's `ErrorDetail`
//! for errors raised by ZITADEL itself, without details for the gateway's own (routing, body
//! decoding, request validation).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value as J, json};

/// The HTTP status grpc-gateway maps a gRPC code to (`runtime/errors.go` HTTPStatusFromCode).
fn http_status(code: i64) -> StatusCode {
    match code {
        3 | 9 | 11 => StatusCode::BAD_REQUEST,
        4 => StatusCode::GATEWAY_TIMEOUT,
        5 => StatusCode::NOT_FOUND,
        6 | 10 => StatusCode::CONFLICT,
        7 => StatusCode::FORBIDDEN,
        8 => StatusCode::TOO_MANY_REQUESTS,
        12 => StatusCode::NOT_IMPLEMENTED,
        14 => StatusCode::SERVICE_UNAVAILABLE,
        16 => StatusCode::UNAUTHORIZED,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

fn respond(status: StatusCode, body: J) -> Response {
    (status, [("content-type", "application/json")], body.to_string()).into_response()
}

/// An error raised by ZITADEL (`zerrors`): message `"<text> (<id>)"` and an `ErrorDetail` with the
/// id (`internal/api/grpc/gerrors/zitadel_errors.go`). `text` is the translated message, or the
/// raw i18n key where en.yaml has none.
pub fn zitadel_error(code: i64, text: &str, id: &str) -> Response {
    respond(
        http_status(code),
        json!({
            "code": code,
            "message": format!("{text} ({id})"),
            "details": [{"@type": "type.googleapis.com/zitadel.v1.ErrorDetail", "id": id, "message": text}]
        }),
    )
}

/// An error of the gateway itself or of request validation: no details at all.
pub fn gateway_error(code: i64, message: &str) -> Response {
    respond(http_status(code), json!({"code": code, "message": message}))
}

/// The routing 404 (`runtime.DefaultRoutingErrorHandler`): what a misrouted call gets.
pub fn not_found_route() -> Response {
    gateway_error(5, "Not Found")
}

/// ZITADEL's override for a known path called with the wrong method.
pub fn method_not_allowed() -> Response {
    respond(StatusCode::METHOD_NOT_ALLOWED, json!({"code": 12, "message": "Method Not Allowed"}))
}

/// A 200 answer rendered as the gateway renders it.
pub fn ok(body: J) -> Response {
    respond(StatusCode::OK, omit_unpopulated(body))
}

/// `EmitUnpopulated: false`: scalar zero values and empty lists disappear.
pub fn omit_unpopulated(v: J) -> J {
    match v {
        J::Object(m) => J::Object(
            m.into_iter()
                .map(|(k, v)| (k, omit_unpopulated(v)))
                .filter(|(_, v)| match v {
                    J::Bool(false) | J::Null => false,
                    J::String(s) => {
                        !s.is_empty() && !s.ends_with("_UNSPECIFIED") && s != "PASSWORDLESS_TYPE_NOT_ALLOWED"
                    }
                    J::Array(a) => !a.is_empty(),
                    J::Number(n) => n.as_f64() != Some(0.0),
                    _ => true,
                })
                .collect(),
        ),
        J::Array(a) => J::Array(a.into_iter().map(omit_unpopulated).collect()),
        other => other,
    }
}

/// A request body as protojson reads it: unknown fields ignored, `null` meaning unset, and a value
/// of the wrong JSON type refused with the gateway's 400.
pub struct Body {
    fields: Map<String, J>,
    message: &'static str,
}

type Refused = Box<Response>;

impl Body {
    /// Parses a body for the request message `message` (for error texts).
    pub fn parse(bytes: &[u8], message: &'static str) -> Result<Body, Refused> {
        let v: J = if bytes.is_empty() {
            J::Object(Map::new())
        } else {
            serde_json::from_slice(bytes)
                .map_err(|e| Box::new(gateway_error(3, &format!("proto: syntax error: {e}"))))?
        };
        match v {
            J::Object(fields) => Ok(Body { fields, message }),
            _ => Err(Box::new(gateway_error(3, &format!("proto: {message}: expected a JSON object")))),
        }
    }

    fn get(&self, field: &str) -> Option<&J> {
        self.fields.get(field).filter(|v| !v.is_null())
    }

    fn bad(&self, field: &str, v: &J, what: &str) -> Refused {
        Box::new(gateway_error(3, &format!("proto: {}.{field}: invalid value for {what}: {v}", self.message)))
    }

    pub fn bool(&self, field: &str) -> Result<bool, Refused> {
        match self.get(field) {
            None => Ok(false),
            Some(J::Bool(b)) => Ok(*b),
            Some(v) => Err(self.bad(field, v, "bool type")),
        }
    }

    pub fn string(&self, field: &str) -> Result<String, Refused> {
        match self.get(field) {
            None => Ok(String::new()),
            Some(J::String(s)) => Ok(s.clone()),
            Some(v) => Err(self.bad(field, v, "string type")),
        }
    }

    /// A `uint32`: a JSON number or a decimal string (protojson `unmarshalUint`); negative, too
    /// large or fractional is the gateway's 400. Unset is 0.
    pub fn uint32(&self, field: &str) -> Result<u32, Refused> {
        let parsed = match self.get(field) {
            None => return Ok(0),
            Some(J::Number(n)) => n.as_u64(),
            Some(J::String(s)) => s.parse::<u64>().ok(),
            Some(_) => None,
        };
        match parsed.and_then(|n| u32::try_from(n).ok()) {
            Some(n) => Ok(n),
            None => Err(self.bad(field, self.get(field).expect("set"), "uint32 field")),
        }
    }

    /// A `google.protobuf.Duration`, rendered back as protojson renders it; unset is `"0s"`.
    pub fn duration(&self, field: &str) -> Result<String, Refused> {
        match self.get(field) {
            None => Ok("0s".into()),
            Some(J::String(s)) => match parse_duration(s) {
                Some((secs, nanos)) => Ok(format_duration(secs, nanos)),
                None => Err(Box::new(gateway_error(
                    3,
                    &format!("proto: {}.{field}: invalid google.protobuf.Duration value {s:?}", self.message),
                ))),
            },
            Some(v) => Err(self.bad(field, v, "google.protobuf.Duration")),
        }
    }

    /// An enum field: its number. An unknown name is ignored (the field stays 0), as protojson
    /// with `DiscardUnknown` does; any number is taken (open enum) and left to validation.
    pub fn enum_value(&self, field: &str, names: &[&str]) -> Result<i64, Refused> {
        match self.get(field) {
            None => Ok(0),
            Some(v) => enum_item(v, names).ok_or_else(|| self.bad(field, v, "enum")).map(|x| x.unwrap_or(0)),
        }
    }

    /// A repeated enum field: unknown names are silently dropped.
    pub fn enum_list(&self, field: &str, names: &[&str]) -> Result<Vec<i64>, Refused> {
        match self.get(field) {
            None => Ok(vec![]),
            Some(J::Array(items)) => {
                let mut out = Vec::new();
                for v in items {
                    match enum_item(v, names) {
                        Some(Some(n)) => out.push(n),
                        Some(None) => {}
                        None => return Err(self.bad(field, v, "enum")),
                    }
                }
                Ok(out)
            }
            Some(v) => Err(self.bad(field, v, "list")),
        }
    }

    /// A repeated message field as raw objects.
    pub fn objects(&self, field: &str) -> Result<Vec<Map<String, J>>, Refused> {
        match self.get(field) {
            None => Ok(vec![]),
            Some(J::Array(items)) => items
                .iter()
                .map(|v| match v {
                    J::Object(m) => Ok(m.clone()),
                    other => Err(self.bad(field, other, "message")),
                })
                .collect(),
            Some(v) => Err(self.bad(field, v, "list")),
        }
    }
}

/// `Some(Some(n))` a known value, `Some(None)` an unknown name (ignored), `None` not an enum.
fn enum_item(v: &J, names: &[&str]) -> Option<Option<i64>> {
    match v {
        J::String(s) => Some(names.iter().position(|n| n == s).map(|i| i as i64)),
        J::Number(n) => n.as_i64().filter(|n| i32::try_from(*n).is_ok()).map(Some),
        _ => None,
    }
}

/// protojson's Duration syntax: optional sign, seconds, optional fraction of up to 9 digits, `s`.
pub fn parse_duration(s: &str) -> Option<(i64, u32)> {
    let body = s.strip_suffix('s')?;
    let (neg, body) = match body.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, body.strip_prefix('+').unwrap_or(body)),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    if (int.is_empty() && frac.is_empty())
        || frac.len() > 9
        || !(int.chars().chain(frac.chars())).all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let secs: i64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    if secs > 315_576_000_000 {
        return None;
    }
    let nanos: u32 = if frac.is_empty() { 0 } else { format!("{frac:0<9}").parse().ok()? };
    Some(if neg { (-secs, nanos) } else { (secs, nanos) })
}

/// protojson's Duration rendering: whole seconds, or 3, 6 or 9 fractional digits.
pub fn format_duration(secs: i64, nanos: u32) -> String {
    if nanos == 0 {
        return format!("{secs}s");
    }
    let frac = format!("{nanos:09}");
    let frac = if frac.ends_with("000000") {
        &frac[..3]
    } else if frac.ends_with("000") {
        &frac[..6]
    } else {
        &frac[..]
    };
    format!("{secs}.{frac}s")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_follow_protojson() {
        assert_eq!(parse_duration("2592000s"), Some((2_592_000, 0)));
        assert_eq!(parse_duration("1.5s").map(|(s, n)| format_duration(s, n)), Some("1.500s".into()));
        assert_eq!(parse_duration(".000000001s").map(|(s, n)| format_duration(s, n)), Some("0.000000001s".into()));
        for bad in ["720h", "30m", "2592000", "", "s", "1.0000000001s", "1h30m"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }

    #[test]
    fn bodies_read_as_protojson_reads_them() {
        let b = Body::parse(
            br#"{"forceMfa": true, "unknown": 1, "passwordlessType": "NOPE", "mfaInitSkipLifetime": null}"#,
            "X",
        )
        .unwrap();
        assert!(b.bool("forceMfa").unwrap());
        assert_eq!(b.enum_value("passwordlessType", &["A", "B"]).unwrap(), 0, "unknown names are ignored");
        assert_eq!(b.duration("mfaInitSkipLifetime").unwrap(), "0s");
        assert!(Body::parse(br#"{"forceMfa": "yes"}"#, "X").unwrap().bool("forceMfa").is_err());
        let list = Body::parse(br#"{"l": ["B", "NOPE", 0]}"#, "X").unwrap();
        assert_eq!(list.enum_list("l", &["A", "B"]).unwrap(), [1, 0]);
    }

    #[test]
    fn responses_omit_unpopulated_fields_but_keep_durations() {
        let v = omit_unpopulated(
            json!({"a": false, "b": "", "c": [], "d": "PASSWORDLESS_TYPE_NOT_ALLOWED", "e": true, "f": {"g": 0, "h": "0s"}}),
        );
        assert_eq!(v, json!({"e": true, "f": {"h": "0s"}}));
    }
}
