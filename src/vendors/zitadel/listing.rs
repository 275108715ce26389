//! What `terraform query` finds in ZITADEL: the instance's default login settings and every
//! organization's own, for the list resources of the factor and MFA-settings resources. An
//! organization that inherits the instance defaults owns nothing and is left out, so every listed
//! item becomes an import.
//!
//! Organizations come from ZITADEL's organization search, page by page; their login policies are
//! read a few at a time, in the search's order. A failure on one organization is a warning on that
//! organization: the rest of the listing goes on.

use futures::StreamExt;
use serde::Deserialize;

use super::client::{Policy, Scope, ZitadelClient};
use crate::plugin::diag::Diagnostics;
use crate::plugin::list::ListSink;
use crate::plugin::resource::{Ctx, Resource};
use crate::plugin::schema::{Attribute, Schema, Validator};
use crate::plugin::typed::Attr;
use crate::plugin::value::Type;

/// Organizations per search page (ZITADEL's default page; its maximum is 1000).
const PAGE: u32 = 100;
/// Login policies read at once.
const READS_AT_ONCE: usize = 8;

/// The `config` block of the ZITADEL list resources.
#[derive(Debug, Clone, Deserialize)]
pub struct ScopeFilter {
    pub org_ids: Attr<Vec<String>>,
    pub include_instance: Attr<bool>,
}

/// The schema of [`ScopeFilter`].
pub fn filter_schema(what: &str) -> Schema {
    Schema::new(
        &format!(
            "Lists {what} of the instance's default login settings and of every organization that has login settings of its \
             own (an organization that inherits the instance defaults owns none)."
        ),
        vec![
            Attribute::optional(
                "org_ids",
                Type::list(Type::String),
                "Only these organizations. Unset: every organization the credentials can read.",
            )
            .validate(Validator::NotEmpty)
            .validate(Validator::Trimmed),
            Attribute::optional(
                "include_instance",
                Type::Bool,
                "Whether to list the instance's default login settings too. Defaults to `true`, or `false` when `org_ids` is set.",
            ),
        ],
    )
}

/// One scope with settings of its own: how to show it, and its policy.
pub struct Found {
    pub scope: Scope,
    /// `Acme Payments (200000000000000002)`, or `instance defaults`.
    pub name: String,
    pub policy: Policy,
}

/// Walks the scopes `filter` selects, turning each into list results with `items`, until `out`
/// wants no more.
pub async fn walk<R: Resource<Client = ZitadelClient>>(
    ctx: &Ctx<ZitadelClient>,
    filter: &ScopeFilter,
    out: &mut ListSink<'_, R>,
    diags: &mut Diagnostics,
    items: impl Fn(&Found) -> Vec<(String, R::State, R::Private)>,
) {
    let only = filter.org_ids.known();
    let with_instance = filter.include_instance.known().copied().unwrap_or(only.is_none());
    if with_instance {
        match ctx.client.policy(&Scope::Instance, &ctx.cancel).await {
            Ok(policy) => {
                let found = Found { scope: Scope::Instance, name: "instance defaults".into(), policy };
                if !send(out, items(&found)).await {
                    return;
                }
            }
            Err(e) => {
                diags.report(&e);
                return;
            }
        }
    }
    let mut offset = 0u64;
    while out.wants_more() {
        let (page, total) = match ctx.client.organizations(offset, PAGE, &ctx.cancel).await {
            Ok(p) => p,
            Err(e) => {
                diags.report(&e);
                return;
            }
        };
        let seen = page.len() as u64;
        let wanted: Vec<_> = page.into_iter().filter(|o| only.is_none_or(|ids| ids.contains(&o.id))).collect();
        let mut reads = futures::stream::iter(wanted)
            .map(|org| async move {
                let scope = Scope::Org(org.id.clone());
                let read = ctx.client.policy(&scope, &ctx.cancel).await;
                (org, scope, read)
            })
            .buffered(READS_AT_ONCE);
        while let Some((org, scope, read)) = reads.next().await {
            let name = format!("{} ({})", org.name, org.id);
            let policy = match read {
                Ok(p) if p.inherits => continue,
                Ok(p) => p,
                // Deleted between the search and the read.
                Err(e) if e.is_org_missing() => continue,
                Err(e) => {
                    let detail = format!("{e}. The listing goes on without this organization.");
                    if !out.warn(format!("Could not read the login settings of {name}"), detail).await {
                        return;
                    }
                    continue;
                }
            };
            if !send(out, items(&Found { scope, name, policy })).await {
                return;
            }
        }
        offset += seen;
        if seen == 0 || offset >= total {
            return;
        }
    }
}

async fn send<R: Resource>(out: &mut ListSink<'_, R>, items: Vec<(String, R::State, R::Private)>) -> bool {
    for (name, state, private) in items {
        if !out.found(name, state, private).await {
            return false;
        }
    }
    out.wants_more()
}
