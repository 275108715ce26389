//! Durations as users write them (Terraform's usual Go syntax: `720h`, `1h30m`, `90s`, `1.5h`)
//! and as ZITADEL's gateway speaks them (protojson `google.protobuf.Duration`: seconds with an `s`
//! suffix, `"2592000s"`, fractions in 3, 6 or 9 digits). Compared in nanoseconds, so the same
//! duration spelt differently is the same value.

use crate::plugin::value::Value;

const NS: u128 = 1;
const US: u128 = 1_000;
const MS: u128 = 1_000_000;
const S: u128 = 1_000_000_000;
const M: u128 = 60 * S;
const H: u128 = 60 * M;

/// Parses Go's `time.ParseDuration` syntax, without a sign (ZITADEL lifetimes are never
/// negative). `None` when it is not a duration.
pub fn parse_go(s: &str) -> Option<u128> {
    if s == "0" {
        return Some(0);
    }
    let mut rest = s;
    let mut total: u128 = 0;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let num_len = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        let (num, after) = rest.split_at(num_len);
        if num.is_empty() || num == "." || num.matches('.').count() > 1 {
            return None;
        }
        let unit_len = after.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(after.len());
        let (unit, next) = after.split_at(unit_len);
        let scale = match unit {
            "ns" => NS,
            "us" | "µs" | "μs" => US,
            "ms" => MS,
            "s" => S,
            "m" => M,
            "h" => H,
            _ => return None,
        };
        let (int, frac) = num.split_once('.').unwrap_or((num, ""));
        let int: u128 = if int.is_empty() { 0 } else { int.parse().ok()? };
        let mut value = int.checked_mul(scale)?;
        if !frac.is_empty() {
            // Fractions are exact to the nanosecond (at most 9 + 4 digits of precision matter).
            let digits: String = frac.chars().take(20).collect();
            let f: u128 = digits.parse().ok()?;
            value += f * scale / 10u128.pow(digits.len() as u32);
        }
        total = total.checked_add(value)?;
        rest = next;
    }
    Some(total)
}

/// The shortest Go spelling: `720h`, `1h30m`, `1m30s`, `1.5s`, `500ms`, `0s`.
pub fn format_go(ns: u128) -> String {
    if ns == 0 {
        return "0s".into();
    }
    if ns < S {
        let (unit, scale) = if ns.is_multiple_of(MS) {
            ("ms", MS)
        } else if ns.is_multiple_of(US) {
            ("us", US)
        } else {
            ("ns", NS)
        };
        return format!("{}{unit}", ns / scale);
    }
    let (h, rem) = (ns / H, ns % H);
    let (m, rem) = (rem / M, rem % M);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if rem > 0 {
        let (secs, frac) = (rem / S, rem % S);
        if frac == 0 {
            out.push_str(&format!("{secs}s"));
        } else {
            let f = format!("{frac:09}");
            out.push_str(&format!("{secs}.{}s", f.trim_end_matches('0')));
        }
    }
    out
}

/// protojson's Duration rendering (what the gateway takes).
pub fn to_proto(ns: u128) -> String {
    let (secs, frac) = (ns / S, ns % S);
    if frac == 0 {
        return format!("{secs}s");
    }
    let f = format!("{frac:09}");
    let f = if f.ends_with("000000") {
        &f[..3]
    } else if f.ends_with("000") {
        &f[..6]
    } else {
        &f[..]
    };
    format!("{secs}.{f}s")
}

/// protojson's Duration as ZITADEL answers it (`"864000s"`, `"0.500s"`); `None` otherwise.
pub fn from_proto(s: &str) -> Option<u128> {
    let body = s.strip_suffix('s')?;
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    if int.is_empty() || frac.len() > 9 || !int.chars().chain(frac.chars()).all(|c| c.is_ascii_digit()) {
        return None;
    }
    let nanos: u128 = if frac.is_empty() { 0 } else { format!("{frac:0<9}").parse().ok()? };
    Some(int.parse::<u128>().ok()? * S + nanos)
}

/// Schema equivalence: two spellings of one duration (`720h`, `43200m`).
pub fn same(a: &Value, b: &Value) -> bool {
    let ns = |v: &Value| v.as_str().and_then(parse_go);
    ns(a).is_some() && ns(a) == ns(b)
}

/// The longest duration ZITADEL stores: a Go `time.Duration` counts nanoseconds in an int64.
pub const MAX_NS: u128 = i64::MAX as u128;

/// Schema validator: a non-negative Go duration that fits a Go `time.Duration`.
pub fn check(v: &Value) -> Result<(), String> {
    let s = v.as_str().unwrap_or_default();
    match parse_go(s) {
        Some(ns) if ns <= MAX_NS => return Ok(()),
        Some(_) => {
            return Err(format!(
                "is longer than ZITADEL can store: a Go time.Duration holds at most {} (about {}h)",
                format_go(MAX_NS),
                MAX_NS / H
            ));
        }
        None => {}
    }
    let hint = match s.strip_suffix('d').and_then(|d| d.parse::<u64>().ok()) {
        Some(days) => format!(" (Go has no days: {days} days is \"{}h\")", days * 24),
        None => String::new(),
    };
    Err(format!("must be a duration such as \"720h\", \"1h30m\" or \"90s\"{hint}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_spellings_mean_the_same_nanoseconds() {
        assert_eq!(parse_go("720h"), Some(720 * H));
        assert_eq!(parse_go("2592000s"), parse_go("720h"));
        assert_eq!(parse_go("43200m"), parse_go("720h"));
        assert_eq!(parse_go("1h30m"), Some(90 * M));
        assert_eq!(parse_go("1.5h"), Some(90 * M));
        assert_eq!(parse_go("300ms"), Some(300 * MS));
        assert_eq!(parse_go("0"), Some(0));
        for bad in ["", "30d", "-5s", "h", "1.2.3s", "5", "1h 30m"] {
            assert_eq!(parse_go(bad), None, "{bad}");
        }
    }

    #[test]
    fn formats_round_trip() {
        for (ns, go, proto) in [
            (720 * H, "720h", "2592000s"),
            (90 * M, "1h30m", "5400s"),
            (90 * S, "1m30s", "90s"),
            (1_500 * MS, "1.5s", "1.500s"),
            (500 * MS, "500ms", "0.500s"),
            (0, "0s", "0s"),
        ] {
            assert_eq!((format_go(ns).as_str(), to_proto(ns).as_str()), (go, proto));
            assert_eq!(parse_go(go), Some(ns));
            assert_eq!(from_proto(proto), Some(ns));
        }
        assert!(check(&Value::String("30d".into())).unwrap_err().contains("\"720h\""));
        assert!(check(&Value::String("2562047h".into())).is_ok());
        let e = check(&Value::String("2562048h".into())).unwrap_err();
        assert!(e.contains("2562047h47m16.854775807s") && e.contains("2562047h"), "{e}");
        assert!(same(&Value::String("720h".into()), &Value::String("43200m".into())));
        assert!(!same(&Value::String("720h".into()), &Value::String("72h".into())));
        assert!(!same(&Value::String("bad".into()), &Value::String("bad".into())));
    }
}
