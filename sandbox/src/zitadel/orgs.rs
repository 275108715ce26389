//! ZITADEL's organization search, as `terraform query` pages through it:
//! `POST /v2/organizations/_search` (`zitadel.org.v2.OrganizationService.ListOrganizations`).
//!
//! - Any authenticated caller may search (the RPC's `authenticated` option); rows are then
//!   filtered by the caller's `org.read`, after counting, so `totalResult` counts every
//!   organization (`internal/query/org.go`, `orgsCheckPermission`).
//! - `query.offset` (uint64: a JSON string or number), `query.limit` (0: the default of 100; more
//!   than 1000 is InvalidArgument `QUERY-4M0fs`, `internal/config/systemdefaults`), `query.asc`
//!   (default descending); `sortingColumn` `ORGANIZATION_FIELD_NAME_NAME` orders by name, and
//!   without one the order is the emulator's insertion order, as undefined as ZITADEL's.
//! - The answer as the gateway renders it: `details.totalResult` a string, zero values omitted.

use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Value as J, json};

use super::auth;
use super::gateway::{ok, zitadel_error};
use super::{INSTANCE_ID, ZitadelEmulator};

const DEFAULT_LIMIT: u64 = 100;
const MAX_LIMIT: u64 = 1000;

impl ZitadelEmulator {
    pub(super) fn search_orgs(&self, h: HeaderMap, body: Bytes) -> Response {
        let mut s = self.state.lock().expect("state");
        let p = match s.tokens.principal(&h) {
            Ok(p) => p,
            Err(auth::Refusal::Missing) => return zitadel_error(16, "auth header missing", "AUTH-7fs1e"),
            Err(auth::Refusal::Invalid) => return zitadel_error(16, "Errors.Token.Invalid", "AUTH-7fs1e"),
        };
        let req: J = serde_json::from_slice(&body).unwrap_or(json!({}));
        let q = &req["query"];
        let num = |v: &J| v.as_u64().or_else(|| v.as_str().and_then(|s| s.parse().ok()));
        let offset = num(&q["offset"]).unwrap_or(0) as usize;
        let limit = match num(&q["limit"]).unwrap_or(0) {
            0 => DEFAULT_LIMIT,
            l if l > MAX_LIMIT => {
                return zitadel_error(
                    3,
                    &format!("Errors.Query.LimitExceeded (given: {l}, allowed: {MAX_LIMIT})"),
                    "QUERY-4M0fs",
                );
            }
            l => l,
        } as usize;
        let mut rows: Vec<(String, String)> = s.orgs.iter().map(|(id, o)| (id.clone(), o.name.clone())).collect();
        if req["sortingColumn"].as_str() == Some("ORGANIZATION_FIELD_NAME_NAME") {
            rows.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
            if q["asc"].as_bool() != Some(true) {
                rows.reverse();
            }
        }
        let total = rows.len();
        let seq = s.sequence;
        let result: Vec<J> = rows
            .into_iter()
            .skip(offset)
            .take(limit)
            // Counted above, filtered here: what the caller may not read is left out of the page.
            .filter(|(id, _)| p.iam_owner || p.owner_of.contains(id))
            .map(|(id, name)| {
                json!({"id": id, "name": name, "state": "ORGANIZATION_STATE_ACTIVE",
                       "primaryDomain": format!("{}.zitadel.example", name.to_lowercase().replace(' ', "-")),
                       "details": {"sequence": seq.to_string(), "resourceOwner": INSTANCE_ID}})
            })
            .collect();
        ok(json!({"details": {"totalResult": total.to_string(), "processedSequence": seq.to_string()},
                  "sortingColumn": req["sortingColumn"], "result": result}))
    }

    /// `n` more organizations, for rehearsals and the listing's paging: `Org 001`, `Org 002`, …;
    /// every other one has login settings of its own (the defaults, forcing MFA, with OTP).
    pub fn seed_orgs(&self, n: usize) {
        for i in 1..=n {
            let id = format!("9{i:017}");
            let policy = (i % 2 == 0).then(|| {
                let mut p = super::default_policy();
                p["forceMfa"] = json!(true);
                p["secondFactors"] = json!(["SECOND_FACTOR_TYPE_OTP"]);
                p["multiFactors"] = json!([]);
                p
            });
            self.insert_org(&id, &format!("Org {i:03}"), policy);
        }
    }
}
