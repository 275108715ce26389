//! `rhombus_mfa_settings`: the organization's MFA switch and trusted-device window.
//!
//! A singleton per org, so create adopts what exists, and destroy never switches MFA off: it
//! forgets the settings, or with `restore_on_destroy` puts back what was there when Terraform
//! adopted them (kept in private state). The org is the API key's own, or with a partner key the
//! client organization named by `org_uuid` (sent as `x-auth-org`), so one provider block manages
//! many client organizations.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::client::{Org, RhombusClient, RhombusError, Target};
use crate::plugin::diag::ToDiagnostic;
use crate::plugin::diag::{AttrPath, Diagnostics};
use crate::plugin::list::{ListResource, ListSink, NoConfig};
use crate::plugin::resource::{Ctx, Plan, Read, Resource};
use crate::plugin::schema::{Attribute, IdentityAttribute, IdentitySchema, Schema, Validator};
use crate::plugin::typed::Attr;
use crate::plugin::value::Type;
use crate::vendors::singleton;

pub const TYPE_NAME: &str = "rhombus_mfa_settings";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct State {
    pub id: Attr<String>,
    pub org_uuid: Attr<String>,
    pub mfa_enabled: Attr<bool>,
    pub trusted_device_skip_days: Attr<i64>,
    pub restore_on_destroy: Attr<bool>,
}

/// What the org looked like when Terraform adopted it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Private {
    pub adopted: Option<Adopted>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Adopted {
    pub mfa_enabled: Option<bool>,
    pub trusted_device_skip_days: Option<i64>,
}

impl Adopted {
    fn from_org(org: &Org) -> Self {
        Adopted { mfa_enabled: org.mfa_enabled, trusted_device_skip_days: org.trusted_device_skip_days }
    }

    /// What writing these settings back over `now` would weaken.
    fn weakens(&self, now: &State) -> Vec<String> {
        let mut out = Vec::new();
        if self.mfa_enabled == Some(false) && now.mfa_enabled.known() == Some(&true) {
            out.push("MFA is switched off (mfa_enabled = false)".to_string());
        }
        // A negative number means forever: the most lenient.
        let lenient = |d: i64| if d < 0 { i64::MAX } else { d };
        if let (Some(then), Some(now)) = (self.trusted_device_skip_days, now.trusted_device_skip_days.known())
            && lenient(then) > lenient(*now)
        {
            out.push(format!("trusted devices skip the second factor for {} instead of {}", days(then), days(*now)));
        }
        out
    }
}

fn days(d: i64) -> String {
    match d {
        d if d < 0 => "ever".into(),
        0 => "no day (always asked)".into(),
        1 => "1 day".into(),
        d => format!("{d} days"),
    }
}

const KIND: singleton::Kind =
    singleton::Kind { what: "Rhombus MFA settings", resource: TYPE_NAME, owner: "organization" };

pub struct MfaSettings;

/// The organization, by the UUID Rhombus gives it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Identity {
    pub org_uuid: Attr<String>,
}

/// A Rhombus organization UUID: 22 characters of URL-safe base64.
fn check_org_uuid(v: &crate::plugin::value::Value) -> Result<(), String> {
    // Surrounding spaces are [`Validator::Trimmed`]'s to report.
    match v.as_str().map(str::trim) {
        Some(s) if s.len() == 22 && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') => Ok(()),
        _ => Err("must be a Rhombus organization UUID: 22 characters of letters, digits, - and _".into()),
    }
}

/// How to address the resource's organization, or the error on `org_uuid` saying why not.
async fn target(ctx: &Ctx<RhombusClient>, s: &State, diags: &mut Diagnostics) -> Option<Target> {
    ctx.client.target(s.org_uuid.known().map(String::as_str), &ctx.cancel).await.map_err(|e| diags.report(&e)).ok()
}

fn state_from(org: &Org, restore_on_destroy: Attr<bool>) -> State {
    State {
        id: org.uuid.clone().into(),
        org_uuid: org.uuid.clone().into(),
        mfa_enabled: org.mfa_enabled.into(),
        trusted_device_skip_days: org.trusted_device_skip_days.into(),
        restore_on_destroy,
    }
}

#[async_trait]
impl Resource for MfaSettings {
    type Client = RhombusClient;
    type State = State;
    type Private = Private;
    type Identity = Identity;

    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn identity_schema(&self) -> IdentitySchema {
        IdentitySchema::new(vec![IdentityAttribute::required(
            "org_uuid",
            Type::String,
            "The organization's UUID: the API key's own organization, or with a partner key a client organization.",
        )])
    }

    fn identity(&self, state: &State, _: &Private) -> Option<Identity> {
        Some(Identity { org_uuid: state.org_uuid.clone() })
    }

    fn import_id(&self, identity: &Identity) -> Result<String, String> {
        identity.org_uuid.known().cloned().ok_or_else(|| "org_uuid is required".into())
    }

    fn schema(&self) -> Schema {
        Schema::new(
            "Manages the multi-factor authentication settings of the Rhombus organization the API key belongs to. \
             The organization always exists, so creating this resource adopts its current settings and applies yours; \
             destroying it leaves MFA as it is unless `restore_on_destroy` is set.",
            vec![
                Attribute::computed("id", Type::String, "The organization's UUID."),
                Attribute::optional_computed(
                    "org_uuid",
                    Type::String,
                    "The organization to manage. Unset: the API key's own organization. With a partner key \
                     (`auth_scheme = \"partner-api-token\"`), the UUID of a client organization, which the provider names in the \
                     `x-auth-org` header of every call for this resource, so one provider block manages many client \
                     organizations (`for_each`). With an organization API key it can only be the key's own organization.",
                )
                .force_new()
                .validate(Validator::Trimmed)
                .validate(Validator::Custom("22 characters of letters, digits, `-` and `_`.", check_org_uuid)),
                Attribute::required("mfa_enabled", Type::Bool, "Whether users of the organization must use multi-factor authentication."),
                Attribute::optional_computed(
                    "trusted_device_skip_days",
                    Type::Number,
                    "How long a trusted device may skip the second factor: a negative number means forever, `0` means \
                     always ask, a positive number is that many days. Left unset, the organization's current value is kept.",
                )
                .validate(Validator::IntRange(i32::MIN as i64, i32::MAX as i64)),
                singleton::restore_on_destroy_attribute("organization"),
            ],
        )
    }

    /// An organization API key can only manage its own organization: say so at plan time. And
    /// `restore_on_destroy` that would put weaker settings back is said now, not at destroy.
    async fn plan(&self, ctx: Option<&Ctx<RhombusClient>>, plan: &mut Plan<State, Private>, diags: &mut Diagnostics) {
        if singleton::restore_is_news(
            plan.prior.as_ref().map(|p| &p.restore_on_destroy),
            &plan.planned.restore_on_destroy,
        ) {
            let adopted = match (&plan.private.adopted, ctx, plan.prior.is_none()) {
                (Some(a), _, _) => Some(a.clone()),
                // Creating: what would be adopted is what the organization holds now.
                (None, Some(ctx), true) => match target(ctx, &plan.planned, &mut Diagnostics::new()).await {
                    Some(to) => ctx.client.get_org(&to, &ctx.cancel).await.ok().map(|o| Adopted::from_org(&o)),
                    None => None,
                },
                _ => None,
            };
            if let Some(a) = adopted {
                singleton::warn_restore_weakens(diags, &KIND, a.weakens(&plan.planned));
            }
        }
        let Some(ctx) = ctx else { return };
        let asked = plan.planned.org_uuid.known();
        if asked.is_none()
            || ctx.client.is_partner()
            || plan.prior.as_ref().is_some_and(|p| p.org_uuid.known() == asked)
        {
            return;
        }
        if let Ok(target) = ctx.client.target(asked.map(String::as_str), &ctx.cancel).await
            && let Err(e @ RhombusError::NotKeysOrg { .. }) = ctx.client.get_org(&target, &ctx.cancel).await
        {
            diags.report(&e);
        }
    }

    async fn plan_destroy(
        &self,
        _: Option<&Ctx<RhombusClient>>,
        prior: &State,
        private: &Private,
        diags: &mut Diagnostics,
    ) {
        let restore = prior.restore_on_destroy.known() == Some(&true);
        singleton::plan_destroy(diags, &KIND, restore, private.adopted.as_ref(), |a| a.weakens(prior));
    }

    fn remote_object(&self, planned: &State) -> Option<String> {
        Some(match planned.org_uuid.known() {
            Some(org) => format!("the MFA settings of Rhombus organization {org}"),
            None => "the MFA settings of the API key's own Rhombus organization".into(),
        })
    }

    async fn create(
        &self,
        ctx: &Ctx<RhombusClient>,
        planned: State,
        diags: &mut Diagnostics,
    ) -> Option<(State, Private)> {
        let to = target(ctx, &planned, diags).await?;
        let current = ctx.client.get_org(&to, &ctx.cancel).await.map_err(|e| diags.report(&e)).ok()?;
        let private = Private { adopted: Some(Adopted::from_org(&current)) };
        let org = write(ctx, &to, &current, &planned, diags).await?;
        Some((state_from(&org, planned.restore_on_destroy), private))
    }

    async fn read(
        &self,
        ctx: &Ctx<RhombusClient>,
        current: State,
        private: Private,
        diags: &mut Diagnostics,
    ) -> Option<Read<State, Private>> {
        // State from before org_uuid existed manages the key's own organization.
        let to = target(ctx, &current, diags).await?;
        let org = match ctx.client.get_org(&to, &ctx.cancel).await {
            Ok(o) => o,
            Err(RhombusError::NotKeysOrg { asked, own }) => return pinned_elsewhere(diags, &asked, &own),
            Err(e) => {
                diags.report(&e);
                return None;
            }
        };
        if let (Some(was), Some(now)) = (current.id.known(), org.uuid.as_ref())
            && was != now
        {
            return pinned_elsewhere(diags, was, now);
        }
        Some(Read::Found(state_from(&org, current.restore_on_destroy), private))
    }

    async fn update(
        &self,
        ctx: &Ctx<RhombusClient>,
        prior: State,
        planned: State,
        private: Private,
        diags: &mut Diagnostics,
    ) -> Option<(State, Private)> {
        let unchanged = prior.mfa_enabled == planned.mfa_enabled
            && prior.trusted_device_skip_days == planned.trusted_device_skip_days;
        if unchanged {
            // Only restore_on_destroy changed: nothing to send.
            let mut s = prior;
            s.restore_on_destroy = planned.restore_on_destroy;
            return Some((s, private));
        }
        let known = Org {
            uuid: prior.id.known().cloned(),
            name: None,
            mfa_enabled: prior.mfa_enabled.known().copied(),
            trusted_device_skip_days: prior.trusted_device_skip_days.known().copied(),
        };
        let to = target(ctx, &prior, diags).await?;
        let org = write(ctx, &to, &known, &planned, diags).await?;
        Some((state_from(&org, planned.restore_on_destroy), private))
    }

    async fn delete(&self, ctx: &Ctx<RhombusClient>, prior: State, private: Private, diags: &mut Diagnostics) -> bool {
        // Forget only (the plan said so), or nothing recorded to restore.
        let (true, Some(adopted)) = (prior.restore_on_destroy.known() == Some(&true), private.adopted) else {
            return true;
        };
        let Some(to) = target(ctx, &prior, diags).await else { return false };
        match ctx.client.update_mfa(&to, adopted.mfa_enabled, adopted.trusted_device_skip_days, &ctx.cancel).await {
            Ok(w) => {
                if let Some(msg) = w.warning {
                    diags.warning("Rhombus warning", msg);
                }
                true
            }
            Err(e) => {
                diags.report(&e);
                false
            }
        }
    }

    async fn import(&self, ctx: &Ctx<RhombusClient>, id: &str, diags: &mut Diagnostics) -> Option<(State, Private)> {
        let id = id.trim();
        let to = match ctx.client.target(Some(id), &ctx.cancel).await {
            Ok(t) => t,
            Err(e) => {
                diags.report(&e);
                return None;
            }
        };
        let org = match ctx.client.get_org(&to, &ctx.cancel).await {
            Ok(o) => o,
            Err(RhombusError::NotKeysOrg { own, .. }) => {
                diags.error(
                    "Import ID is not this API key's organization",
                    format!(
                        "rhombus_mfa_settings is imported by organization UUID, and the configured API key belongs to organization \
                         {own:?}, not {id:?}. Import it with ID {own:?} instead (terraform import with the resource's address and \
                         {own}, or an import block with id = \"{own}\"); client organizations need a partner key: auth_scheme = \
                         \"partner-api-token\"."
                    ),
                );
                return None;
            }
            Err(e) => {
                diags.report(&e);
                return None;
            }
        };
        Some((state_from(&org, Attr::Known(false)), Private { adopted: Some(Adopted::from_org(&org)) }))
    }
}

/// The state pins organization `was`, and the configured key belongs to `now`: an error naming
/// both, before anything is read into state or written — never drift, which apply would "fix" in
/// the wrong organization.
fn pinned_elsewhere<T>(diags: &mut Diagnostics, was: &str, now: &str) -> Option<T> {
    diags.error(
        "API key belongs to another Rhombus organization",
        format!(
            "This resource manages organization {was}, but the configured API key belongs to organization {now}. Nothing \
             was read into state or written. Use a key of organization {was} (api_key or RHOMBUS_API_KEY), or a partner key \
             with org_uuid = \"{was}\"; or, if this resource is to manage {now} from now on, remove it from state \
             (terraform state rm <address>) and import it with ID {now}."
        ),
    );
    None
}

/// Sends what the plan asks for, skipping the call when the org already matches.
async fn write(
    ctx: &Ctx<RhombusClient>,
    to: &Target,
    current: &Org,
    planned: &State,
    diags: &mut Diagnostics,
) -> Option<Org> {
    let want_enabled = planned.mfa_enabled.known().copied();
    let want_days = planned.trusted_device_skip_days.known().copied();
    let needed = want_enabled.is_some_and(|w| current.mfa_enabled != Some(w))
        || want_days.is_some_and(|w| current.trusted_device_skip_days != Some(w));
    if !needed && current.uuid.is_some() && current.mfa_enabled.is_some() {
        return Some(current.clone());
    }
    match ctx.client.update_mfa(to, want_enabled, want_days, &ctx.cancel).await {
        Ok(w) => {
            if let Some(msg) = w.warning {
                diags.warning("Rhombus warning", msg);
            }
            // Rhombus echoes the saved org; a value it did not echo is taken from the request.
            let mut org = w.org;
            if org.mfa_enabled.is_none() {
                org.mfa_enabled = want_enabled;
            }
            if org.trusted_device_skip_days.is_none() {
                org.trusted_device_skip_days = want_days.or(current.trusted_device_skip_days);
            }
            if org.uuid.is_none() {
                org.uuid = current.uuid.clone();
            }
            if want_enabled.is_some_and(|w| org.mfa_enabled != Some(w))
                || want_days.is_some_and(|w| org.trusted_device_skip_days != Some(w))
            {
                diags.attr_error(
                    AttrPath::attr("mfa_enabled"),
                    "Rhombus did not apply the MFA settings",
                    format!(
                        "updateMFASettings succeeded, but the organization now reports mfaEnabled={:?}, trusted-device days={:?}. \
                         The API key's role may not be allowed to change these settings.",
                        org.mfa_enabled, org.trusted_device_skip_days
                    ),
                );
                return None;
            }
            Some(org)
        }
        Err(e) => {
            diags.report(&e);
            None
        }
    }
}

/// `terraform query`: with a partner key every client organization, with an organization key its
/// own organization.
#[async_trait]
impl ListResource for MfaSettings {
    type ListConfig = NoConfig;

    fn list_schema(&self) -> Schema {
        Schema::new(
            "Lists the MFA settings of the API key's organization, or with a partner key of every client organization.",
            vec![],
        )
    }

    async fn list(&self, ctx: &Ctx<RhombusClient>, _: NoConfig, out: &mut ListSink<'_, Self>, diags: &mut Diagnostics) {
        let targets = if ctx.client.is_partner() {
            match ctx.client.partner_clients(&ctx.cancel).await {
                Ok(Some(c)) => c.into_iter().map(|(uuid, name)| (Target::Client(uuid), Some(name))).collect(),
                Ok(None) => {
                    out.warn(
                        "Rhombus's client list has a shape this provider does not know",
                        "POST /api/partner/getClientsV2 did not answer with a list of clients (`clients` or \
                         `partnerClients`, each with `clientOrgUuid`); no client organization is listed. Import each by its \
                         UUID instead (terraform import rhombus_mfa_settings.<name> <organization UUID>).",
                    )
                    .await;
                    return;
                }
                Err(e) => return diags.report(&e),
            }
        } else {
            vec![(Target::Own, None)]
        };
        for (to, name) in targets {
            let org = match ctx.client.get_org(&to, &ctx.cancel).await {
                Ok(o) => o,
                Err(e) => {
                    let who = name.clone().unwrap_or_else(|| "the API key's organization".into());
                    if !out.warn(format!("Could not read the MFA settings of {who}"), e.detail()).await {
                        return;
                    }
                    continue;
                }
            };
            let shown = name.or(org.name.clone()).unwrap_or_default();
            let display = format!("{shown} ({})", org.uuid.clone().unwrap_or_default());
            let private = Private { adopted: Some(Adopted::from_org(&org)) };
            if !out.found(display, state_from(&org, Attr::Known(false)), private).await {
                return;
            }
        }
    }
}
