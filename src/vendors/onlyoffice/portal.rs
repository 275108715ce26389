//! What every DocSpace resource needs of the portal itself: its tenant ID (the identity of each
//! resource, since a portal's address can change and its tenant ID cannot, and the tenant each
//! state is pinned to), the check that an import names the configured portal, and what a read
//! of the portal's settings carries (the host, which is each resource's ID).

use serde::{Deserialize, Serialize};

use super::client::OnlyofficeClient;
use crate::plugin::diag::{Diagnostics, Reported};
use crate::plugin::resource::Ctx;
use crate::plugin::schema::{IdentityAttribute, IdentitySchema};
use crate::plugin::typed::Attr;
use crate::plugin::value::Type;

/// The portal, by DocSpace's own tenant ID: a portal's address can change, its tenant ID does not.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Identity {
    pub tenant_id: Attr<i64>,
}

impl Identity {
    pub fn schema() -> IdentitySchema {
        IdentitySchema::new(vec![IdentityAttribute::required(
            "tenant_id",
            Type::Number,
            "The portal's tenant ID, as DocSpace reports it (`GET /api/2.0/portal`, `tenantId`); it stays the same when the \
             portal's address changes.",
        )])
    }

    pub fn of(tenant_id: i64) -> Self {
        Identity { tenant_id: Attr::Known(tenant_id) }
    }

    pub fn import_id(&self) -> Result<String, String> {
        self.tenant_id.known().map(i64::to_string).ok_or_else(|| "tenant_id is required".into())
    }
}

/// What a state is pinned to: the portal's tenant ID, in private state (`tenant_id`; states of
/// releases before identities existed have none, and learn it on their next read).
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct Tenant {
    #[serde(default)]
    pub tenant_id: Option<i64>,
}

/// One of the portal's settings objects as read, with the portal's host (the resources' ID).
pub struct AtPortal<T> {
    pub host: String,
    pub read: T,
}

impl<T> AtPortal<T> {
    pub fn of(ctx: &Ctx<OnlyofficeClient>, read: T) -> Self {
        AtPortal { host: ctx.client.portal_host(), read }
    }
}

/// The tenant ID for private state, read once per provider process.
pub async fn tenant(ctx: &Ctx<OnlyofficeClient>, diags: &mut Diagnostics) -> Option<i64> {
    ctx.client.tenant_id(&ctx.cancel).await.reported(diags)
}

/// The portal behind the configured URL, checked against the one a resource's state pins
/// (`recorded`): another portal (another environment, a wrong alias, a URL now pointing
/// elsewhere) is an error naming both, before anything is read into state or written — never
/// drift, which `apply` would "fix" by writing one portal's policy into another. States that
/// recorded no tenant learn it now. Every read, update and delete of a DocSpace resource passes
/// through here.
pub async fn pinned(
    ctx: &Ctx<OnlyofficeClient>,
    resource: &str,
    recorded: &Tenant,
    diags: &mut Diagnostics,
) -> Option<Tenant> {
    let now = tenant(ctx, diags).await?;
    match recorded.tenant_id {
        Some(was) if was != now => {
            let host = ctx.client.portal_host();
            diags.error(
                "The provider points at another DocSpace portal",
                format!(
                    "This {resource} manages the portal with tenant ID {was}, but {host} is the portal with tenant ID {now}: \
                     the provider block (portal_url or ONLYOFFICE_PORTAL_URL) points at another portal. Nothing was read into \
                     state or written. Point portal_url back at the portal with tenant ID {was}; or, if this resource is to \
                     manage {host} from now on, remove it from state (terraform state rm <address>) and import it there \
                     (terraform import <address> {host})."
                ),
            );
            None
        }
        _ => Some(Tenant { tenant_id: Some(now) }),
    }
}

/// The tenant ID when `id` — the portal host, or (from an import block's identity) the tenant
/// ID — names the configured portal; otherwise an error that says what to import instead.
pub async fn imported(
    ctx: &Ctx<OnlyofficeClient>,
    resource: &str,
    id: &str,
    diags: &mut Diagnostics,
) -> Option<Tenant> {
    let host = ctx.client.portal_host();
    let id = id.trim();
    let tenant_id = tenant(ctx, diags).await?;
    let names_portal = match id.parse::<i64>() {
        Ok(t) => t == tenant_id,
        Err(_) => id.eq_ignore_ascii_case(&host),
    };
    if !names_portal {
        diags.error(
            "Import ID is not the configured portal",
            format!(
                "{resource} is imported by portal host (or its tenant ID), and the provider is configured for {host:?} \
                 (tenant ID {tenant_id}), not {id:?}. Import it with ID {host:?} (terraform import with the resource's \
                 address and {host}, or an import block with id = \"{host}\")."
            ),
        );
        return None;
    }
    Some(Tenant { tenant_id: Some(tenant_id) })
}
