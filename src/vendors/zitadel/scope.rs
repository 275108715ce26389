//! What ZITADEL's resources share about the scope they live in — the instance's default login
//! settings, or one organization's own: the `org_id` argument, the identity and import ID of the
//! settings resources, the instance a state of the defaults is pinned to, and waiting until a
//! write shows in reads.

use std::future::Future;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use super::client::{Scope, ZitadelError, parse_scope};
use super::context::Zitadel;
use crate::plugin::diag::{Diagnostics, Reported};
use crate::plugin::resource::Ctx;
use crate::plugin::schema::{IdentityAttribute, IdentitySchema};
use crate::plugin::typed::Attr;
use crate::plugin::value::Type;

/// How long a read may lag behind a write: ZITADEL reads from projections, which older releases
/// bring up to date after the write is answered.
pub const VISIBILITY_BUDGET: Duration = Duration::from_secs(10);

/// The scope an `org_id` names: the organization's own settings, or the instance's defaults.
pub fn of(org_id: &Attr<String>) -> Scope {
    org_id.known().map_or(Scope::Instance, |o| Scope::Org(o.clone()))
}

/// `instance`, or the organization's ID: the settings resources' ID.
pub fn id(scope: &Scope) -> String {
    match scope {
        Scope::Instance => "instance".into(),
        Scope::Org(o) => o.clone(),
    }
}

/// The `org_id` a state holds for `scope`.
pub fn org_id(scope: &Scope) -> Attr<String> {
    match scope {
        Scope::Instance => Attr::Null,
        Scope::Org(o) => Attr::Known(o.clone()),
    }
}

/// What a state of the instance's default settings is pinned to: the instance, as ZITADEL answers
/// it — the owner of the default login policy (`details.resourceOwner`; `ModelLoginPolicyToPb` in
/// `internal/api/grpc/policy/login_policy.go`). States written before learn it on their next read.
/// An organization's settings need no pin: another instance has no organization of that ID, which
/// reads as gone and is never written.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Instance {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_id: Option<String>,
}

/// The instance behind the configured URL, checked against the one a state of the defaults pins
/// (`recorded`): another instance (another environment, a URL now pointing elsewhere) is an
/// error naming both, before anything is read into state or written — never drift, which apply
/// would "fix" by writing one instance's settings into another.
pub async fn pinned(
    ctx: &Ctx<Zitadel>,
    scope: &Scope,
    resource: &str,
    recorded: &Instance,
    diags: &mut Diagnostics,
) -> Option<Instance> {
    if *scope != Scope::Instance {
        return Some(recorded.clone());
    }
    let policy = ctx.client.policy(&Scope::Instance, &ctx.cancel).await.reported(diags)?;
    // An answer without its owner says nothing to compare.
    let Some(now) = policy.json.pointer("/details/resourceOwner").and_then(|v| v.as_str()).filter(|s| !s.is_empty())
    else {
        return Some(recorded.clone());
    };
    match &recorded.instance_id {
        Some(was) if was != now => {
            diags.error(
                "The provider points at another ZITADEL instance",
                format!(
                    "This {resource} manages the default settings of ZITADEL instance {was}, but the configured url reaches \
                     instance {now}: the provider block (url or ZITADEL_URL) points at another instance. Nothing was read into \
                     state or written. Point url back at instance {was}; or, if this resource is to manage instance {now} from \
                     now on, remove it from state (terraform state rm <address>) and import it there (terraform import \
                     <address> instance)."
                ),
            );
            None
        }
        _ => Some(Instance { instance_id: Some(now.to_string()) }),
    }
}

/// The scope of a settings resource as a user names it: the organization, or none for the
/// instance defaults.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Identity {
    pub org_id: Attr<String>,
}

impl Identity {
    pub fn schema(what: &str) -> IdentitySchema {
        IdentitySchema::new(vec![IdentityAttribute::optional(
            "org_id",
            Type::String,
            &format!("The organization whose own {what} these are; null (left out) for the instance's defaults."),
        )])
    }

    pub fn import_id(&self) -> Result<String, String> {
        Ok(self.org_id.known().cloned().unwrap_or_else(|| "instance".into()))
    }
}

/// The scope a settings resource's import ID names, or the error saying what it should be.
pub fn import_scope(id: &str, diags: &mut Diagnostics) -> Option<Scope> {
    let id = id.trim();
    match parse_scope(id) {
        Ok(s) => Some(s),
        Err(why) => {
            let hint = match id.split_once('/') {
                Some((scope, _)) => format!(" It is the scope alone, e.g. {scope:?}, without a factor type."),
                None => String::new(),
            };
            diags.error("Invalid import ID", format!("Expected \"instance\" or an organization ID: {why}.{hint}"));
            None
        }
    }
}

/// An organization that inherits (`inherits`: what from) has no settings of its own to import.
pub fn nothing_of_its_own(scope: &Scope, what: &str, inherits: &str, diags: &mut Diagnostics) {
    diags.error(
        "Nothing to import",
        format!(
            "Organization {} has no {what} of its own (it inherits {inherits}). Create the resource instead; the \
             provider will give the organization {what} of its own.",
            id(scope)
        ),
    );
}

/// Reads with `read` until `done` holds for what it shows, or [`VISIBILITY_BUDGET`] has passed,
/// or Terraform is stopping: the last read.
pub async fn until_visible<T, F, R>(
    cancel: &CancellationToken,
    mut read: R,
    done: impl Fn(&T) -> bool,
) -> Result<T, ZitadelError>
where
    R: FnMut() -> F,
    F: Future<Output = Result<T, ZitadelError>>,
{
    let started = tokio::time::Instant::now();
    let mut delay = Duration::from_millis(100);
    loop {
        let now = read().await?;
        if done(&now) || started.elapsed() + delay > VISIBILITY_BUDGET || cancel.is_cancelled() {
            return Ok(now);
        }
        tokio::select! {
            _ = cancel.cancelled() => {}
            _ = tokio::time::sleep(delay) => {}
        }
        delay = (delay * 2).min(Duration::from_secs(2));
    }
}
