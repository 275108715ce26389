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

use std::future::Future;

use super::client::{Policy, Scope, ZitadelError};
use super::context::Zitadel;
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

/// One scope with settings of its own: how to show it, and what was read there.
pub struct Found<T> {
    pub scope: Scope,
    /// `Acme Payments (200000000000000002)`, or `instance defaults`.
    pub name: String,
    pub value: T,
}

/// Walks the scopes `filter` selects whose login policy is their own, turning each into list
/// results with `items`, until `out` wants no more.
pub async fn walk<R: Resource<Client = Zitadel>>(
    ctx: &Ctx<Zitadel>,
    filter: &ScopeFilter,
    out: &mut ListSink<'_, R>,
    diags: &mut Diagnostics,
    items: impl Fn(&Found<Policy>) -> Vec<(String, R::State, R::Private)>,
) {
    let read = |scope: Scope| async move {
        let p = ctx.client.policy(&scope, &ctx.cancel).await?;
        Ok((!p.inherits).then_some(p))
    };
    walk_with(ctx, filter, out, diags, "login settings", read, items).await;
}

/// Walks the scopes `filter` selects, reading each with `read` (`None`: the scope inherits and
/// owns nothing) and turning what was read into list results with `items`.
pub async fn walk_with<R, T, F>(
    ctx: &Ctx<Zitadel>,
    filter: &ScopeFilter,
    out: &mut ListSink<'_, R>,
    diags: &mut Diagnostics,
    what: &str,
    read: impl Fn(Scope) -> F,
    items: impl Fn(&Found<T>) -> Vec<(String, R::State, R::Private)>,
) where
    R: Resource<Client = Zitadel>,
    F: Future<Output = Result<Option<T>, ZitadelError>>,
{
    let only = filter.org_ids.known();
    let with_instance = filter.include_instance.known().copied().unwrap_or(only.is_none());
    if with_instance {
        match read(Scope::Instance).await {
            Ok(Some(value)) => {
                let found = Found { scope: Scope::Instance, name: "instance defaults".into(), value };
                if !send(out, items(&found)).await {
                    return;
                }
            }
            Ok(None) => {}
            Err(e) => {
                diags.report(&e);
                return;
            }
        }
    }
    let read = &read;
    let mut offset = 0u64;
    while out.wants_more() {
        let (page, total) = match ctx.client.organizations(offset, PAGE, &ctx.cancel).await {
            Ok(Some(p)) => p,
            Ok(None) => {
                out.warn(
                    "ZITADEL's organization search has a shape this provider does not know",
                    format!(
                        "POST /v2/organizations/_search did not answer with details.totalResult and a result list of \
                         organizations with an id; no organization is listed from offset {offset} on. Import each \
                         organization's settings by its ID instead (terraform import <address> <organization ID>)."
                    ),
                )
                .await;
                return;
            }
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
                let got = read(scope.clone()).await;
                (org, scope, got)
            })
            .buffered(READS_AT_ONCE);
        while let Some((org, scope, got)) = reads.next().await {
            let name = format!("{} ({})", org.name, org.id);
            let value = match got {
                Ok(Some(v)) => v,
                Ok(None) => continue,
                // Deleted between the search and the read.
                Err(e) if e.is_org_missing() => continue,
                Err(e) => {
                    let detail = format!("{e}. The listing goes on without this organization.");
                    if !out.warn(format!("Could not read the {what} of {name}"), detail).await {
                        return;
                    }
                    continue;
                }
            };
            if !send(out, items(&Found { scope, name, value })).await {
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
