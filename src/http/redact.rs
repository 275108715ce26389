//! The one redaction every excerpt of an answer passes through before it reaches a message or a
//! log. The first rule is elsewhere: the answer of an authentication call is never quoted at all
//! ([`super::HttpResponse::json_secret`]). This is the second line, for error answers that echo
//! what they were sent: any value of a JSON field named like a secret, and anything shaped like a
//! token (a JWT, an `sk-` key, a long run of letters and digits, what follows `Bearer` or a
//! `name=` whose name is secret-like), becomes `(redacted)`.

use serde_json::Value;

const REDACTED: &str = "(redacted)";

/// Field and parameter names whose values are secrets (compared without case, as parts).
const SECRET_NAMES: [&str; 14] = [
    "token",
    "secret",
    "password",
    "passwd",
    "pwd",
    "key",
    "cookie",
    "session",
    "assertion",
    "authorization",
    "credential",
    "bearer",
    "jwt",
    "signature",
];

fn secret_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    SECRET_NAMES.iter().any(|s| n.contains(s))
}

/// A body excerpt of at most `max` characters, redacted; a body that is not text is described.
pub fn excerpt(body: &[u8], max: usize) -> String {
    let text = match std::str::from_utf8(body) {
        Ok(t) if !t.chars().any(|c| c.is_control() && !c.is_whitespace()) => t,
        _ => return format!("a binary body of {} bytes", body.len()),
    };
    let redacted = match serde_json::from_str::<Value>(text) {
        Ok(mut v) => {
            redact_json(&mut v);
            v.to_string()
        }
        Err(_) => redact_text(text),
    };
    let mut out: String = redacted.trim().chars().take(max).collect();
    if redacted.trim().chars().count() > max {
        out.push('…');
    }
    out
}

/// Redacts a JSON value in place: secret-named fields wholly, token-shaped strings anywhere.
pub fn redact_json(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                if secret_name(k) && !x.is_null() && !x.is_boolean() {
                    *x = Value::String(REDACTED.into());
                } else {
                    redact_json(x);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(redact_json),
        Value::String(s) => *s = redact_text(s),
        _ => {}
    }
}

/// Redacts token-shaped words in free text.
pub fn redact_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let mut after_bearer = false;
    let flush = |word: &mut String, out: &mut String, after_bearer: &mut bool| {
        if word.is_empty() {
            return;
        }
        let bearer_value = *after_bearer;
        *after_bearer = word.eq_ignore_ascii_case("bearer") || word.eq_ignore_ascii_case("basic");
        // `name=value`: judged by its name and its value (base64 padding is no such pair).
        let pair = word.split_once('=').filter(|(k, v)| !k.is_empty() && !v.is_empty() && !v.starts_with('='));
        match pair {
            Some((k, v)) if !bearer_value => {
                out.push_str(k);
                out.push('=');
                out.push_str(if secret_name(k) || token_shaped(v) { REDACTED } else { v });
            }
            _ if bearer_value || token_shaped(word) => out.push_str(REDACTED),
            _ => out.push_str(word),
        }
        word.clear();
    };
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || "-._~+/=".contains(c) {
            word.push(c);
        } else {
            flush(&mut word, &mut out, &mut after_bearer);
            out.push(c);
        }
    }
    flush(&mut word, &mut out, &mut after_bearer);
    out
}

/// A JWT, an `sk-` key, or a long run of letters and digits (not a path, a URL, a GUID or a
/// timestamp, which help a reader and are no secret).
fn token_shaped(w: &str) -> bool {
    let w = w.trim_end_matches(['.', ',']);
    if (w.starts_with("eyJ") && w.len() >= 16) || (w.starts_with("sk-") && w.len() >= 8) {
        return true;
    }
    if w.len() < 24 || w.starts_with('/') || w.contains("://") || is_guid(w) {
        return false;
    }
    let digits = w.chars().filter(char::is_ascii_digit).count();
    let letters = w.chars().filter(char::is_ascii_alphabetic).count();
    digits >= 2 && letters >= 4
}

fn is_guid(w: &str) -> bool {
    let w = w.trim_matches(['{', '}']);
    let parts: Vec<&str> = w.split('-').collect();
    parts.len() == 5
        && [8, 4, 4, 4, 12].iter().zip(&parts).all(|(n, p)| p.len() == *n && p.chars().all(|c| c.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const JWT: &str = "eyJhbGciOiJSUzI1NiIsImtpZCI6IjEyMyJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJlLWJ5dGVz";

    #[test]
    fn secrets_in_json_answers_are_redacted_by_name_and_by_shape() {
        let body = format!(
            r#"{{"error":"invalid_request","access_token":"abc","details":{{"Session":"s1","note":"got {JWT} and sk-1a2b3c4d5e"}},"id":"75a5f745-f697-4418-b38d-0fe0d277e258","ok":true}}"#
        );
        let e = excerpt(body.as_bytes(), 1000);
        assert!(!e.contains("abc") && !e.contains("s1") && !e.contains(JWT) && !e.contains("sk-1a2b"), "{e}");
        // What helps a reader stays: error codes, GUIDs, flags.
        assert!(
            e.contains("invalid_request") && e.contains("75a5f745-f697-4418-b38d-0fe0d277e258") && e.contains("true"),
            "{e}"
        );
    }

    #[test]
    fn tokens_in_text_are_redacted_and_words_paths_and_ids_kept() {
        let t = redact_text(
            "Bearer Zm9vYmFyYmF6cXV4 rejected; asc_auth_key=9f86d081884c7d659a2feaa0c55ad015 for /api/2.0/settings/tfaapp of tenantbusiness.acmepaymentscorp (code 401)",
        );
        assert!(!t.contains("Zm9vYmFy") && !t.contains("9f86d081"), "{t}");
        assert!(t.contains("asc_auth_key=(redacted)"), "{t}");
        assert!(
            t.contains("/api/2.0/settings/tfaapp")
                && t.contains("tenantbusiness.acmepaymentscorp")
                && t.contains("401"),
            "{t}"
        );
        assert!(redact_text(&format!("token {JWT}.")).starts_with("token (redacted)"));
    }

    #[test]
    fn binary_bodies_are_described_and_long_ones_cut() {
        assert_eq!(excerpt(&[0x1f, 0x8b, 8, 0, 0, 0], 100), "a binary body of 6 bytes");
        let long = "word ".repeat(100);
        let e = excerpt(long.as_bytes(), 20);
        assert!(e.ends_with('…') && e.chars().count() == 21, "{e}");
    }
}
