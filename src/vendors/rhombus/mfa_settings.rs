//! `rhombus_mfa_settings`: the organization's MFA switch and trusted-device window, a settings
//! object on the shared lifecycle ([`crate::vendors::common::settings`]). The org is the API
//! key's own, or with a partner key the client organization named by `org_uuid` (sent as
//! `x-auth-org`), so one provider block manages many client organizations; a state is pinned to
//! its organization by UUID.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::client::{Org, RhombusClient, RhombusError, Target};
use crate::plugin::diag::{AttrPath, Diagnostics, Reported, ToDiagnostic};
use crate::plugin::list::{ListSink, NoConfig};
use crate::plugin::resource::{Ctx, Plan};
use crate::plugin::schema::{Attribute, IdentityAttribute, IdentitySchema, Schema, Validator};
use crate::plugin::typed::Attr;
use crate::plugin::value::Type;
use crate::vendors::common::restore::Names;
use crate::vendors::common::settings::{Adoption, Applied, NoPin, Settings, SettingsResource, listed};

pub const TYPE_NAME: &str = "rhombus_mfa_settings";

const NAMES: Names = Names { what: "Rhombus MFA settings", resource: TYPE_NAME, owner: "organization" };

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct State {
    pub id: Attr<String>,
    pub org_uuid: Attr<String>,
    pub mfa_enabled: Attr<bool>,
    pub trusted_device_skip_days: Attr<i64>,
    pub restore_on_destroy: Attr<bool>,
}

/// The managed values, as adoption records them.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Mfa {
    pub mfa_enabled: Option<bool>,
    pub trusted_device_skip_days: Option<i64>,
}

impl Mfa {
    fn of(org: &Org) -> Self {
        Mfa { mfa_enabled: org.mfa_enabled, trusted_device_skip_days: org.trusted_device_skip_days }
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

/// The organization a state names (`None`: the key's own), and how to address it.
async fn target(ctx: &Ctx<RhombusClient>, org: &Option<String>, diags: &mut Diagnostics) -> Option<Target> {
    ctx.client.target(org.as_deref(), &ctx.cancel).await.reported(diags)
}

/// Sends what the plan asks for, skipping the call when the org already matches; the org as
/// Rhombus then holds it, and its warning.
async fn write(
    ctx: &Ctx<RhombusClient>,
    to: &Target,
    current: &Org,
    planned: &State,
) -> Result<(Org, Option<String>), RhombusError> {
    let want_enabled = planned.mfa_enabled.known().copied();
    let want_days = planned.trusted_device_skip_days.known().copied();
    let needed = want_enabled.is_some_and(|w| current.mfa_enabled != Some(w))
        || want_days.is_some_and(|w| current.trusted_device_skip_days != Some(w));
    if !needed && current.uuid.is_some() && current.mfa_enabled.is_some() {
        return Ok((current.clone(), None));
    }
    let w = ctx.client.update_mfa(to, want_enabled, want_days, &ctx.cancel).await?;
    // Rhombus echoes the saved org; a value it did not echo is taken from the request.
    let mut org = w.org;
    org.mfa_enabled = org.mfa_enabled.or(want_enabled);
    org.trusted_device_skip_days = org.trusted_device_skip_days.or(want_days).or(current.trusted_device_skip_days);
    org.uuid = org.uuid.or(current.uuid.clone());
    Ok((org, w.warning))
}

/// Whether Rhombus holds what was asked; an error on `mfa_enabled` otherwise.
fn applied(org: &Org, planned: &State, diags: &mut Diagnostics) -> bool {
    let (want_enabled, want_days) = (planned.mfa_enabled.known(), planned.trusted_device_skip_days.known());
    if want_enabled.is_some_and(|w| org.mfa_enabled != Some(*w))
        || want_days.is_some_and(|w| org.trusted_device_skip_days != Some(*w))
    {
        diags.attr_error(
            AttrPath::attr("mfa_enabled"),
            "Rhombus did not apply the MFA settings",
            format!(
                "updateMFASettings succeeded, but the organization now reports mfaEnabled={:?}, trusted-device days={:?}. The \
                 API key's role may not be allowed to change these settings.",
                org.mfa_enabled, org.trusted_device_skip_days
            ),
        );
        return false;
    }
    true
}

pub struct MfaSettings;

#[async_trait]
impl Settings for MfaSettings {
    type Client = RhombusClient;
    type State = State;
    type Values = Mfa;
    type Remote = Org;
    /// The organization's UUID; `None`: the key's own.
    type Key = Option<String>;
    type Pin = NoPin;
    type Identity = Identity;
    type ListConfig = NoConfig;

    fn names(&self) -> &'static Names {
        &NAMES
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
                    "The organization. Unset: the API key's own organization. With a partner key \
                     (`auth_scheme = \"partner-api-token\"`), the UUID of a client organization, which the provider names in the \
                     `x-auth-org` header of every call for this resource, so one provider block manages many client \
                     organizations (`for_each`). With an organization API key it can only be the key's own organization.",
                )
                .force_new()
                .validate(Validator::Trimmed)
                .validate(Validator::Custom("22 characters of letters, digits, `-` and `_`.", check_org_uuid)),
                Attribute::required("mfa_enabled", Type::Bool, "Whether users of the organization must use multi-factor authentication (Rhombus chooses the second factor; it offers no phishing-resistant one to require)."),
                Attribute::optional_computed(
                    "trusted_device_skip_days",
                    Type::Number,
                    "How long a trusted device may skip the second factor: a negative number means forever, `0` means \
                     always ask, a positive number is that many days. Left unset, the organization's current value is kept.",
                )
                .validate(Validator::IntRange(i32::MIN as i64, i32::MAX as i64)),
            ],
        )
    }

    fn key_attributes(&self) -> &'static [&'static str] {
        &["org_uuid"]
    }

    /// State from before org_uuid existed names its organization by `id`.
    fn key(&self, s: &State) -> Option<Option<String>> {
        if s.org_uuid.is_unknown() {
            return Some(None);
        }
        Some(s.org_uuid.known().or(s.id.known()).cloned())
    }

    async fn read(
        &self,
        ctx: &Ctx<RhombusClient>,
        key: &Option<String>,
        diags: &mut Diagnostics,
    ) -> Option<Option<Org>> {
        let to = target(ctx, key, diags).await?;
        ctx.client.get_org(&to, &ctx.cancel).await.reported(diags).map(Some)
    }

    /// A state pins the organization it recorded (`id`); an organization key of another one is
    /// the error naming both. A partner key reaches its clients by `x-auth-org`, which names the
    /// organization itself.
    async fn pin(&self, ctx: &Ctx<RhombusClient>, state: &State, _: &NoPin, diags: &mut Diagnostics) -> Option<NoPin> {
        let (Some(was), false) = (state.id.known(), ctx.client.is_partner()) else { return Some(NoPin {}) };
        let own = ctx.client.own_org(&ctx.cancel).await.reported(diags)?;
        if *was != own {
            return pinned_elsewhere(diags, was, &own);
        }
        Some(NoPin {})
    }

    fn recorded(&self, s: &State) -> Option<Mfa> {
        Some(Mfa {
            mfa_enabled: s.mfa_enabled.known().copied(),
            trusted_device_skip_days: s.trusted_device_skip_days.known().copied(),
        })
    }

    fn values(&self, org: &Org) -> Mfa {
        Mfa::of(org)
    }

    fn state(&self, _: &Option<String>, org: &Org, reference: &State) -> State {
        State {
            id: org.uuid.clone().into(),
            org_uuid: org.uuid.clone().into(),
            mfa_enabled: org.mfa_enabled.into(),
            trusted_device_skip_days: org.trusted_device_skip_days.into(),
            restore_on_destroy: reference.restore_on_destroy.clone(),
        }
    }

    async fn apply(
        &self,
        ctx: &Ctx<RhombusClient>,
        key: &Option<String>,
        _: Option<&State>,
        planned: &State,
        diags: &mut Diagnostics,
    ) -> Applied<Mfa, Org> {
        let Some(to) = target(ctx, key, diags).await else { return Applied::Failed };
        let Some(current) = ctx.client.get_org(&to, &ctx.cancel).await.reported(diags) else { return Applied::Failed };
        match write(ctx, &to, &current, planned).await {
            Ok((org, warning)) => {
                if let Some(msg) = warning {
                    diags.warning("Rhombus warning", msg);
                }
                if !applied(&org, planned, diags) {
                    return Applied::Failed;
                }
                Applied::Done { before: Mfa::of(&current), now: org }
            }
            Err(e) => Applied::failed(&e, current, diags),
        }
    }

    async fn restore(
        &self,
        ctx: &Ctx<RhombusClient>,
        key: &Option<String>,
        adopted: &Mfa,
        _: &State,
        diags: &mut Diagnostics,
    ) -> bool {
        let Some(to) = target(ctx, key, diags).await else { return false };
        let written =
            ctx.client.update_mfa(&to, adopted.mfa_enabled, adopted.trusted_device_skip_days, &ctx.cancel).await;
        match written.reported(diags) {
            Some(w) => {
                if let Some(msg) = w.warning {
                    diags.warning("Rhombus warning", msg);
                }
                true
            }
            None => false,
        }
    }

    fn weakens(&self, then: &Mfa, now: &State) -> Vec<String> {
        let mut out = Vec::new();
        if then.mfa_enabled == Some(false) && now.mfa_enabled.known() == Some(&true) {
            out.push("MFA is switched off (mfa_enabled = false)".to_string());
        }
        // A negative number means forever: the most lenient.
        let lenient = |d: i64| if d < 0 { i64::MAX } else { d };
        if let (Some(then), Some(now)) = (then.trusted_device_skip_days, now.trusted_device_skip_days.known())
            && lenient(then) > lenient(*now)
        {
            out.push(format!("trusted devices skip the second factor for {} instead of {}", days(then), days(*now)));
        }
        out
    }

    /// Rhombus organizations always exist: a read answers or fails.
    fn missing(&self, _: &Option<String>, _: &mut Diagnostics) {}

    fn remote_object(&self, planned: &State) -> Option<String> {
        Some(match planned.org_uuid.known() {
            Some(org) => format!("the MFA settings of Rhombus organization {org}"),
            None => "the MFA settings of the API key's own Rhombus organization".into(),
        })
    }

    fn identity_schema(&self) -> IdentitySchema {
        IdentitySchema::new(vec![IdentityAttribute::required(
            "org_uuid",
            Type::String,
            "The organization's UUID: the API key's own organization, or with a partner key a client organization.",
        )])
    }

    fn identity(&self, state: &State, _: &NoPin) -> Option<Identity> {
        Some(Identity { org_uuid: state.org_uuid.clone() })
    }

    fn import_id(&self, identity: &Identity) -> Result<String, String> {
        identity.org_uuid.known().cloned().ok_or_else(|| "org_uuid is required".into())
    }

    async fn import_key(
        &self,
        ctx: &Ctx<RhombusClient>,
        id: &str,
        diags: &mut Diagnostics,
    ) -> Option<(Option<String>, NoPin)> {
        let id = id.trim();
        let to = ctx.client.target(Some(id), &ctx.cancel).await.reported(diags)?;
        match ctx.client.get_org(&to, &ctx.cancel).await {
            Ok(_) => Some((Some(id.to_string()), NoPin {})),
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
                None
            }
            Err(e) => {
                diags.report(&e);
                None
            }
        }
    }

    fn nothing_to_import(&self, _: &Option<String>, _: &mut Diagnostics) {}

    /// An organization API key can only manage its own organization: said at plan time.
    async fn plan_notes(
        &self,
        ctx: Option<&Ctx<RhombusClient>>,
        plan: &mut Plan<State, Adoption<Mfa, NoPin>>,
        diags: &mut Diagnostics,
    ) {
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

    fn list_schema(&self) -> Schema {
        Schema::new(
            "Lists the MFA settings of the API key's organization, or with a partner key of every client organization.",
            vec![],
        )
    }

    /// With a partner key every client organization, with an organization key its own.
    async fn list(
        &self,
        ctx: &Ctx<RhombusClient>,
        _: NoConfig,
        out: &mut ListSink<'_, SettingsResource<Self>>,
        diags: &mut Diagnostics,
    ) {
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
            let (state, private) = listed(self, &org.uuid.clone(), &org, NoPin {});
            if !out.found(display, state, private).await {
                return;
            }
        }
    }

    fn data_description(&self) -> &'static str {
        "The MFA settings of a Rhombus organization, read-only: the API key's own, or with a partner key a client \
         organization's (`org_uuid`, sent as `x-auth-org`)."
    }
}
