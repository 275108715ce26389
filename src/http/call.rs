//! A request described once (replayable for retries), and the answer that came back.

use std::time::Duration;

use http::header::{HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
use http::{Method, StatusCode};
use url::Url;

use super::error::HttpError;
use super::redact;

/// A request, described once and replayable for retries.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: Method,
    pub url: Url,
    pub headers: HeaderMap,
    pub body: Option<Vec<u8>>,
    pub content_type: Option<&'static str>,
    /// Safe to repeat even if it may have reached the server (reads, PUT of a whole object, ...).
    pub idempotent: bool,
}

impl Call {
    pub fn new(method: Method, url: Url) -> Self {
        let idempotent = matches!(method, Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS);
        Call { method, url, headers: HeaderMap::new(), body: None, content_type: None, idempotent }
    }
    pub fn get(url: Url) -> Self {
        Self::new(Method::GET, url)
    }
    pub fn json(mut self, body: &serde_json::Value) -> Self {
        self.body = Some(serde_json::to_vec(body).expect("JSON values serialise"));
        self.content_type = Some("application/json");
        self
    }
    pub fn form(mut self, pairs: &[(&str, &str)]) -> Self {
        let mut ser = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in pairs {
            ser.append_pair(k, v);
        }
        self.body = Some(ser.finish().into_bytes());
        self.content_type = Some("application/x-www-form-urlencoded");
        self
    }
    /// Replaces the content type (e.g. a vendor's versioned media type).
    pub fn content_type(mut self, ct: &'static str) -> Self {
        self.content_type = Some(ct);
        self
    }
    pub fn header(mut self, name: &str, value: &str) -> Self {
        if let (Ok(n), Ok(mut v)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            // Marked sensitive so nothing that prints headers (their Debug form) shows the value.
            v.set_sensitive(true);
            self.headers.insert(n, v);
        }
        self
    }
    /// Overrides the method-based default, e.g. a read done with POST.
    pub fn idempotent(mut self, yes: bool) -> Self {
        self.idempotent = yes;
        self
    }
    /// `POST /api/org/getOrgV2`, for messages. No query string: it never belongs in a diagnostic.
    pub fn name(&self) -> String {
        format!("{} {}", self.method, self.url.path())
    }
}

#[derive(Debug, Clone)]
pub struct HttpResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// Parses the body as JSON; a proxy's HTML page or truncated JSON becomes a clear error,
    /// with a redacted excerpt.
    pub fn json<T: serde::de::DeserializeOwned>(&self, vendor: &'static str, call: &Call) -> Result<T, HttpError> {
        self.parse(vendor, call, true)
    }

    /// Like [`HttpResponse::json`] for the answer of an authentication call, which may hold a
    /// fresh token or session: when it cannot be read, the error describes it and quotes nothing.
    pub fn json_secret<T: serde::de::DeserializeOwned>(
        &self,
        vendor: &'static str,
        call: &Call,
    ) -> Result<T, HttpError> {
        self.parse(vendor, call, false)
    }

    fn parse<T: serde::de::DeserializeOwned>(
        &self,
        vendor: &'static str,
        call: &Call,
        quote: bool,
    ) -> Result<T, HttpError> {
        if let Some(title) = self.html_title() {
            return Err(HttpError::Html { vendor, call: call.name(), status: self.status.as_u16(), title });
        }
        serde_json::from_slice(&self.body).map_err(|e| HttpError::BadBody {
            vendor,
            call: call.name(),
            status: self.status.as_u16(),
            what: if quote {
                describe_body(&self.headers, &self.body, &e.to_string())
            } else {
                format!(
                    "{} bytes ({}) that are not the JSON expected ({}); not shown, since an authentication answer may hold a \
                     token",
                    self.body.len(),
                    content_type(&self.headers),
                    e.classify_name()
                )
            },
        })
    }

    /// `Some(title)` when the body is an HTML page (its `<title>`, if it has one).
    pub fn html_title(&self) -> Option<Option<String>> {
        let text = String::from_utf8_lossy(&self.body[..self.body.len().min(64 * 1024)]);
        let html = content_type(&self.headers).contains("html") || text.trim_start().starts_with('<');
        html.then(|| page_title(&text))
    }

    /// The message of an error answer: the first of `json_keys` (a `/`-separated pointer such
    /// as `error/message`) found in a JSON body, else a description of the body (an HTML page's
    /// title, a short redacted excerpt).
    pub fn error_message(&self, json_keys: &[&str]) -> String {
        if let Ok(mut v) = serde_json::from_slice::<serde_json::Value>(&self.body) {
            redact::redact_json(&mut v);
            for k in json_keys {
                if let Some(m) = v.pointer(&format!("/{k}")).and_then(|m| m.as_str()).filter(|m| !m.trim().is_empty()) {
                    return m.to_string();
                }
            }
        }
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return "an empty body".into();
        }
        if let Some(title) = self.html_title() {
            return match title {
                Some(t) => {
                    format!("an HTML page titled {t:?} (a proxy or single-sign-on gateway in front of the API?)")
                }
                None => "an HTML page (a proxy or single-sign-on gateway in front of the API?)".into(),
            };
        }
        redact::excerpt(&self.body, 300)
    }

    /// `Retry-After` as a duration (seconds or HTTP date).
    pub fn retry_after(&self) -> Option<Duration> {
        retry_after(&self.headers)
    }
}

fn content_type(headers: &HeaderMap) -> &str {
    headers.get(http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("no content type")
}

fn page_title(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    let start = lower.find("<title")?;
    let open_end = start + lower[start..].find('>')? + 1;
    let close = open_end + lower[open_end..].find("</title>")?;
    let t: String = text[open_end..close].split_whitespace().collect::<Vec<_>>().join(" ");
    (!t.is_empty()).then(|| t.chars().take(120).collect())
}

trait ClassifyName {
    fn classify_name(&self) -> &'static str;
}

impl ClassifyName for serde_json::Error {
    fn classify_name(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => "malformed JSON",
            serde_json::error::Category::Data => "missing or mistyped fields",
            serde_json::error::Category::Io => "unreadable",
        }
    }
}

/// A short description of a body that is not the JSON we expected, without dumping it: an
/// HTML page by its title, anything else as a redacted excerpt.
pub fn describe_body(headers: &HeaderMap, body: &[u8], parse_error: &str) -> String {
    let ct = content_type(headers);
    let text = String::from_utf8_lossy(body);
    if ct.contains("html") || text.trim_start().starts_with('<') {
        return match page_title(&text) {
            Some(title) => format!("an HTML page titled {title:?} ({ct}) instead of JSON"),
            None => format!("an HTML page ({ct}) instead of JSON"),
        };
    }
    if body.is_empty() {
        return format!("an empty body ({ct}) instead of JSON");
    }
    format!("malformed JSON ({ct}: {parse_error}); body starts with {:?}", redact::excerpt(body, 120))
}

pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(v).ok()?;
    Some(when.duration_since(std::time::SystemTime::now()).unwrap_or(Duration::ZERO))
}
