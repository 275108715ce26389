//! What `terraform query` finds on an Akana platform: every business the administrator can see
//! (`GET /api/businesses`), each read with the resource's own call. A failure on one business is a
//! warning on that business; the rest of the listing goes on.

use std::future::Future;

use super::client::{AkanaClient, AkanaError};
use crate::plugin::diag::Diagnostics;
use crate::plugin::list::ListSink;
use crate::plugin::resource::{Ctx, Resource};

/// Walks the businesses, reading each with `read` (`None`: gone meanwhile) and sending what
/// `item` makes of it, until `out` wants no more. `what` names the settings in messages,
/// `resource` the resource type in the import hint.
pub async fn walk<R, T, F>(
    ctx: &Ctx<AkanaClient>,
    out: &mut ListSink<'_, R>,
    diags: &mut Diagnostics,
    (resource, what): (&str, &str),
    read: impl Fn(String) -> F,
    item: impl Fn(&str, T) -> (R::State, R::Private),
) where
    R: Resource<Client = AkanaClient>,
    F: Future<Output = Result<Option<T>, AkanaError>>,
{
    let businesses = match ctx.client.businesses(&ctx.cancel).await {
        Ok(Some(b)) => b,
        Ok(None) => {
            out.warn(
                "Akana's business list has a shape this provider does not know",
                format!(
                    "GET /api/businesses did not answer with an RSS channel (`channel.item[]`); nothing is listed. Import each \
                     business by its ID instead (`terraform import {resource}.<name> <business ID>`)."
                ),
            )
            .await;
            return;
        }
        Err(e) => return diags.report(&e),
    };
    for (id, name) in businesses {
        let value = match read(id.clone()).await {
            Ok(Some(v)) => v,
            Ok(None) => continue,
            Err(e) => {
                if !out.warn(format!("Could not read the {what} of {name} ({id})"), format!("{e}.")).await {
                    return;
                }
                continue;
            }
        };
        let (state, private) = item(&id, value);
        if !out.found(format!("{name} ({id})"), state, private).await {
            return;
        }
    }
}
