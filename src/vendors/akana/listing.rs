//! What `terraform query` finds on an Akana platform: every business the administrator can see
//! (`GET /api/businesses`), each read with its resource's own read. A failure on one business is a
//! warning on that business; the rest of the listing goes on.

use super::client::AkanaClient;
use crate::plugin::diag::Diagnostics;
use crate::plugin::list::ListSink;
use crate::plugin::resource::Ctx;
use crate::vendors::common::settings::{NoPin, Settings, SettingsResource, listed};

/// Walks the businesses, sending each one's settings, until `out` wants no more.
pub async fn walk<S>(
    s: &S,
    ctx: &Ctx<AkanaClient>,
    out: &mut ListSink<'_, SettingsResource<S>>,
    diags: &mut Diagnostics,
) where
    S: Settings<Client = AkanaClient, Key = String, Pin = NoPin>,
{
    let names = s.names();
    let businesses = match ctx.client.businesses(&ctx.cancel).await {
        Ok(Some(b)) => b,
        Ok(None) => {
            out.warn(
                "Akana's business list has a shape this provider does not know",
                format!(
                    "GET /api/businesses did not answer with an RSS channel (`channel.item[]`); nothing is listed. Import each \
                     business by its ID instead (`terraform import {}.<name> <business ID>`).",
                    names.resource
                ),
            )
            .await;
            return;
        }
        Err(e) => return diags.report(&e),
    };
    for (id, name) in businesses {
        let mut failed = Diagnostics::new();
        let remote = match s.read(ctx, &id, &mut failed).await {
            Some(Some(r)) => r,
            // Gone since the list was read.
            Some(None) => continue,
            None => {
                let why: Vec<String> = failed.0.iter().map(|d| d.detail.clone()).collect();
                if !out.warn(format!("Could not read the {} of {name} ({id})", names.what), why.join(" ")).await {
                    return;
                }
                continue;
            }
        };
        let (state, private) = listed(s, &id, &remote, NoPin {});
        if !out.found(format!("{name} ({id})"), state, private).await {
            return;
        }
    }
}
