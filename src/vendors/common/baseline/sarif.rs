//! Findings as a SARIF 2.1.0 log that GitHub code scanning accepts (`github/codeql-action/
//! upload-sarif`): one rule per control with the standard's reference, one result per finding.
//!
//! - `shall` gap: level `error`; `should` gap: `warning`; `unknown` and `excepted`: `note`, an
//!   excepted one carrying an accepted external suppression with the exception's words;
//! - `met`: kind `pass`, and level `none` as SARIF §3.27.9 requires for any kind but `fail`;
//! - every result has a location, which GitHub requires: a path naming the provider type and
//!   scope (`mfa-baseline/zitadel/org/2000…`), line 1, and the scope as a logical location;
//! - `partialFingerprints` keep an alert the same alert from run to run.
//!
//! Rules carry `security-severity` (GitHub's severity: 7.0 for `shall`, 4.0 for `should`).
//! The format: https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html; GitHub's
//! subset: https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning

use std::collections::BTreeMap;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Value as Json, json};

use super::catalog::named;
use super::judge::Finding;

/// Characters kept as they are in a location path: unreserved ones, and `/` between segments.
const PATH: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~').remove(b'/');

fn rule_id(f: &Finding) -> String {
    format!("{}/{}", f.baseline, f.control)
}

fn rule(f: &Finding) -> Json {
    let severity = if f.level == "shall" { "7.0" } else { "4.0" };
    let level = if f.level == "shall" { "error" } else { "warning" };
    let mut rule = json!({
        "id": rule_id(f),
        "name": format!("{} {}", f.baseline, f.control),
        "shortDescription": {"text": format!("{}: {}", f.reference, f.requirement)},
        "fullDescription": {"text": format!("{} ({}, {}): {}", f.reference, f.baseline, f.level, f.requirement)},
        "help": {
            "text": format!("{} {} requires: {} Bring the setting into line, or record a time-limited exception in the policy object.", f.reference, f.level, f.requirement),
            "markdown": format!("**{}** ({}): {}\n\nBring the setting into line, or record a time-limited exception in the policy object.", f.reference, f.level, f.requirement),
        },
        "defaultConfiguration": {"level": level},
        "properties": {"tags": ["security", "mfa", f.baseline], "security-severity": severity},
    });
    // A named baseline links its standard.
    if let Some(b) = named(&f.baseline) {
        rule["helpUri"] = json!(b.url);
    }
    rule
}

fn location(f: &Finding) -> Json {
    let path = format!("mfa-baseline/{}", f.scope.replacen(':', "/", 1));
    json!({
        "physicalLocation": {
            "artifactLocation": {"uri": utf8_percent_encode(&path, PATH).to_string()},
            "region": {"startLine": 1},
        },
        "logicalLocations": [{"name": f.scope, "kind": "module"}],
    })
}

fn result(f: &Finding, rule_index: usize) -> Json {
    let message = format!("{} at {}: {} ({}: {}).", f.control, f.scope, f.actual, f.status, f.requirement);
    let mut r = json!({
        "ruleId": rule_id(f),
        "ruleIndex": rule_index,
        "message": {"text": message},
        "locations": [location(f)],
        "partialFingerprints": {"mfaBaselineFinding/v1": format!("{}|{}|{}", f.baseline, f.control, f.scope)},
        "properties": {"status": f.status, "actual": f.actual, "scope": f.scope},
    });
    let level = match (f.status.as_str(), f.level.as_str()) {
        ("met", _) => {
            r["kind"] = json!("pass");
            "none"
        }
        ("gap", "shall") => "error",
        ("gap", _) => "warning",
        ("excepted", _) => {
            r["suppressions"] = json!([{"kind": "external", "status": "accepted", "justification": f.actual}]);
            "note"
        }
        _ => "note",
    };
    r["level"] = json!(level);
    r
}

/// The SARIF log of `findings`, produced by `tool` (e.g. `terraform-provider-zitadel`).
pub fn log(tool: &str, version: &str, findings: &[Finding]) -> String {
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    let mut rules = Vec::new();
    for f in findings {
        index.entry(rule_id(f)).or_insert_with(|| {
            rules.push(rule(f));
            rules.len() - 1
        });
    }
    let results: Vec<Json> = findings.iter().map(|f| result(f, index[&rule_id(f)])).collect();
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": tool,
                "semanticVersion": version,
                "rules": rules,
            }},
            "results": results,
        }],
    });
    serde_json::to_string_pretty(&doc).expect("a JSON value always serialises")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(control: &str, level: &str, status: &str) -> Finding {
        Finding {
            baseline: "pci-dss-4.0.1".into(),
            control: control.into(),
            reference: "PCI DSS v4.0.1 Requirement 8.3.4".into(),
            level: level.into(),
            requirement: "At most 10.".into(),
            actual: "12 attempts".into(),
            status: status.into(),
            scope: "zitadel:org/200000000000000002".into(),
        }
    }

    #[test]
    fn levels_kinds_and_locations_as_sarif_and_github_want_them() {
        let fs = [
            finding("8.3.4.a", "shall", "gap"),
            finding("8.3.4.a", "shall", "met"),
            finding("x", "should", "gap"),
            finding("y", "shall", "unknown"),
            finding("z", "shall", "excepted"),
        ];
        let doc: Json = serde_json::from_str(&log("terraform-provider-zitadel", "0.2.0", &fs)).expect("JSON");
        assert_eq!(doc["version"], "2.1.0");
        let run = &doc["runs"][0];
        assert_eq!(run["tool"]["driver"]["rules"].as_array().expect("rules").len(), 4, "one rule per control");
        let r = run["results"].as_array().expect("results");
        let levels: Vec<&str> = r.iter().map(|x| x["level"].as_str().expect("level")).collect();
        assert_eq!(levels, ["error", "none", "warning", "note", "note"]);
        assert_eq!(r[1]["kind"], "pass");
        assert!(r[0].get("kind").is_none(), "a gap is the default kind, fail");
        assert_eq!(r[4]["suppressions"][0]["status"], "accepted");
        assert_eq!(r[0]["ruleIndex"], 0);
        assert_eq!(r[1]["ruleIndex"], 0);
        assert_eq!(
            r[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "mfa-baseline/zitadel/org/200000000000000002"
        );
        assert_eq!(run["tool"]["driver"]["rules"][0]["properties"]["security-severity"], "7.0");
    }
}
