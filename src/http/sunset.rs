//! An API that announces its end: a vendor answer with `Deprecation` (RFC 9745: a structured-field
//! date, `@1688169599`; early drafts sent an HTTP-date or `true`) or `Sunset` (RFC 8594: an
//! HTTP-date) gives one warning per provider process and endpoint, naming both and the dates.
//! ZITADEL plans to mark its v1 APIs so in v5 (zitadel/zitadel#10899).

use http::header::HeaderMap;
use time::OffsetDateTime;

use super::call::Call;

/// A header's date as `2026-07-01`, or what it said when it is no date.
fn date(raw: &str) -> String {
    let raw = raw.trim();
    let at = raw
        .strip_prefix('@')
        .and_then(|s| s.parse::<i64>().ok())
        .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
        .or_else(|| httpdate::parse_http_date(raw).ok().map(OffsetDateTime::from));
    match at {
        Some(t) => format!("{}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day()),
        None => raw.to_string(),
    }
}

/// Queues the warning if `headers` announce the end of `call`'s API.
pub fn notice(vendor: &str, call: &Call, headers: &HeaderMap) {
    let get = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).map(date);
    let (deprecation, sunset) = (get("deprecation"), get("sunset"));
    if deprecation.is_none() && sunset.is_none() {
        return;
    }
    let endpoint = call.name();
    let mut said = Vec::new();
    match deprecation.as_deref() {
        Some("true") => said.push("marks it deprecated".to_string()),
        Some(d) => said.push(format!("marks it deprecated since {d}")),
        None => {}
    }
    if let Some(s) = &sunset {
        said.push(format!("says it stops working on {s}"));
    }
    crate::plugin::diag::notice_once(
        format!("{vendor} {endpoint}"),
        format!("{vendor} announces the end of an API this provider uses"),
        format!(
            "{vendor} answered {endpoint} with {} (the Deprecation and Sunset headers, RFC 9745 and RFC 8594): it {}. The \
             provider works as long as {vendor} serves it; look for a provider release that moves to its successor{}.",
            [deprecation.as_ref().map(|_| "Deprecation"), sunset.as_ref().map(|_| "Sunset")]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" and "),
            said.join(" and "),
            sunset.map(|s| format!(" before {s}")).unwrap_or_default()
        ),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_every_form_the_headers_take() {
        assert_eq!(date("@1688169599"), "2023-06-30");
        assert_eq!(date("Thu, 31 Dec 2026 23:59:59 GMT"), "2026-12-31");
        assert_eq!(date("true"), "true");
    }
}
