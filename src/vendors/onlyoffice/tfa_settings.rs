//! `onlyoffice_tfa_settings`: the portal's two-factor authentication type, trusted IPs and the
//! users and groups that must always use TFA.
//!
//! A settings object on the shared lifecycle ([`crate::vendors::common::settings`]), one per
//! portal, pinned to its tenant ([`super::portal`]). Writes are sent only for a real change, because each enabling write
//! logs out every session of the portal; an uncertain write is read back before anything else, so
//! at most one enabling write lands per change; and a write counts as done only when reading back
//! shows the portal holds it. Lists are sets that default to empty: server order, and null versus
//! empty (DocSpace makes no difference), never show as a change — an import, or a configuration
//! that writes `[]`, plans nothing; a state of an earlier release that held null reads as `[]`.
//!
//! Values are checked against what DocSpace's server code does with them
//! (`common/ASC.Core.Common/Core/IPAddressRange.cs`, System.Text.Json's Guid binding): a trusted IP
//! DocSpace cannot parse breaks every login of the portal, and a GUID it cannot bind fails the
//! write, so both are refused at plan time with the corrected value.

use std::collections::BTreeSet;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use std::net::IpAddr;

use super::client::{AuthMethod, OnlyofficeClient, OnlyofficeError, TfaRead, TfaSettings, TfaType};
use super::portal::{self, AtPortal, Identity, Tenant};
use crate::http::Wrote;
use crate::plugin::diag::{AttrPath, Diagnostics, Reported};
use crate::plugin::list::{ListSink, NoConfig};
use crate::plugin::resource::{Ctx, Plan};
use crate::plugin::schema::{Attribute, IdentitySchema, Schema, Validator};
use crate::plugin::typed::Attr;
use crate::plugin::value::{Type, Value};
use crate::vendors::common::restore::{self, Names};
use crate::vendors::common::settings::{Adoption, Applied, Settings, SettingsResource, listed};

pub const TYPE_NAME: &str = "onlyoffice_tfa_settings";

const NAMES: Names = Names { what: "DocSpace TFA settings", resource: TYPE_NAME, owner: "portal" };

type StrSet = BTreeSet<String>;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct State {
    pub id: Attr<String>,
    #[serde(rename = "type")]
    pub tfa_type: Attr<String>,
    pub trusted_ips: Attr<StrSet>,
    pub mandatory_users: Attr<StrSet>,
    pub mandatory_groups: Attr<StrSet>,
    pub restore_on_destroy: Attr<bool>,
}

/// The settings as adoption records them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub tfa_type: String,
    pub trusted_ips: StrSet,
    pub mandatory_users: StrSet,
    pub mandatory_groups: StrSet,
}

impl Snapshot {
    fn of(s: &TfaSettings) -> Self {
        Snapshot {
            tfa_type: s.tfa_type.unwrap_or(TfaType::None).attr().into(),
            trusted_ips: s.trusted_ips.clone(),
            mandatory_users: s.mandatory_users.clone(),
            mandatory_groups: s.mandatory_groups.clone(),
        }
    }
    /// What writing these settings back over `now` would weaken.
    fn weakens(&self, now: &State) -> Vec<String> {
        let then = self.settings();
        let now = desired(now);
        let mut out = Vec::new();
        if then.tfa_type == Some(TfaType::None) && now.tfa_type != Some(TfaType::None) {
            out.push("TFA is switched off (type = \"none\")".to_string());
        }
        if then.tfa_type != Some(TfaType::None) {
            out.extend(restore::grows("trusted_ips", &canon(&now.trusted_ips), &canon(&then.trusted_ips)));
            out.extend(restore::shrinks(
                "mandatory_users",
                &canon(&now.mandatory_users),
                &canon(&then.mandatory_users),
            ));
            out.extend(restore::shrinks(
                "mandatory_groups",
                &canon(&now.mandatory_groups),
                &canon(&then.mandatory_groups),
            ));
        }
        out
    }

    fn settings(&self) -> TfaSettings {
        TfaSettings {
            tfa_type: TfaType::from_attr(&self.tfa_type),
            trusted_ips: self.trusted_ips.clone(),
            mandatory_users: self.mandatory_users.clone(),
            mandatory_groups: self.mandatory_groups.clone(),
        }
    }
}

pub struct TfaSettingsResource;

/// A trusted IP in a form DocSpace matches as written (`IPAddressRange.MatchIPs`):
/// - a single address, spelled as DocSpace writes the client's address (it compares text);
/// - an IPv4 CIDR block with no host bits set (`IPNetwork.Parse` throws otherwise, and every login
///   of the portal then answers HTTP 500);
/// - a range `a-b` of one family (compared byte by byte: the one form that works for IPv6).
///
/// IPv6 blocks are refused: DocSpace compares only the first 32 bits of an address with them.
fn check_ip(v: &Value) -> Result<(), String> {
    let raw = v.as_str().unwrap_or_default();
    let s = raw.trim();
    if s.is_empty() {
        return Err("is empty".into());
    }
    if s != raw {
        return Err(format!("has spaces around it, which DocSpace does not strip (did you mean {s:?})"));
    }
    if let Some((lo, hi)) = s.split_once('-').filter(|(lo, _)| !lo.is_empty()) {
        let (Ok(a), Ok(b)) = (lo.trim().parse::<IpAddr>(), hi.trim().parse::<IpAddr>()) else {
            return Err("is not a range of two IP addresses (e.g. 10.0.0.1-10.0.0.9)".into());
        };
        return if a.is_ipv4() == b.is_ipv4() && a <= b {
            Ok(())
        } else {
            Err("must be a range from a lower to a higher address of the same family".into())
        };
    }
    if let Some((addr, prefix)) = s.split_once('/') {
        let (Ok(addr), Ok(prefix)) = (addr.parse::<IpAddr>(), prefix.parse::<u8>()) else {
            return Err("is not a CIDR block (e.g. 10.0.0.0/8)".into());
        };
        let net = ipnet::IpNet::new(addr, prefix).map_err(|_| "has a prefix longer than the address".to_string())?;
        if addr.is_ipv6() {
            // `IsInRange` shifts a 32-bit mask by (32 - prefix), which C# takes modulo 32.
            let acts_as = 32 - (32 - i32::from(prefix)).rem_euclid(32);
            return Err(format!(
                "is an IPv6 block, which DocSpace does not match as written: it compares only the first 32 bits of an address \
                 with a block, so this /{prefix} acts as a /{acts_as} of them. Use the equivalent range instead: \"{}-{}\"",
                net.network(),
                net.broadcast()
            ));
        }
        if prefix == 0 {
            return Err(
                "is /0, which DocSpace matches against 0.0.0.0 alone, not every address (did you mean the range \
                        \"0.0.0.0-255.255.255.255\")"
                    .into(),
            );
        }
        if net.network() != addr {
            return Err(format!(
                "has host bits set after the /{prefix} prefix: DocSpace stores it and then answers HTTP 500 to every login of \
                 the portal (did you mean \"{}/{prefix}\")",
                net.network()
            ));
        }
        return Ok(());
    }
    match s.parse::<IpAddr>() {
        Ok(ip) if ip.to_string() == s => Ok(()),
        Ok(ip) => Err(format!(
            "is not spelled as DocSpace writes a client's address, and DocSpace compares single addresses as text (did you mean \
             \"{ip}\")"
        )),
        Err(_) => Err("must be an IP address, an IPv4 CIDR block (10.0.0.0/8) or a range (10.0.0.1-10.0.0.9)".into()),
    }
}

/// A GUID as DocSpace binds it (System.Text.Json): the hyphenated form only, either case.
fn check_uuid(v: &Value) -> Result<(), String> {
    let raw = v.as_str().unwrap_or_default();
    let hyphenated = |s: &str| {
        s.len() == 36
            && s.char_indices()
                .all(|(i, c)| if [8, 13, 18, 23].contains(&i) { c == '-' } else { c.is_ascii_hexdigit() })
    };
    if hyphenated(raw) {
        return Ok(());
    }
    match uuid::Uuid::try_parse(raw.trim()) {
        Ok(u) => Err(format!(
            "is not in the hyphenated form, the only one DocSpace reads (did you mean \"{}\")",
            u.hyphenated()
        )),
        Err(_) => Err("must be a GUID such as 75a5f745-f697-4418-b38d-0fe0d277e258".into()),
    }
}

/// Canonical form for comparing: UUIDs lower-case, IPs trimmed.
fn canon(set: &StrSet) -> StrSet {
    set.iter().map(|s| s.trim().to_ascii_lowercase()).collect()
}

/// The state's view of a list the API returned: the reference's exact spelling when equivalent
/// (order, case), the API's otherwise; an empty list is `[]` (the attribute's default).
fn as_state_set(api: &StrSet, reference: &Attr<StrSet>) -> Attr<StrSet> {
    match reference {
        Attr::Known(r) if canon(r) == canon(api) => Attr::Known(r.clone()),
        _ => Attr::Known(api.clone()),
    }
}

fn state_from(host: String, s: &TfaSettings, reference: &State) -> State {
    State {
        id: Attr::Known(host),
        tfa_type: Attr::Known(s.tfa_type.unwrap_or(TfaType::None).attr().into()),
        trusted_ips: as_state_set(&s.trusted_ips, &reference.trusted_ips),
        mandatory_users: as_state_set(&s.mandatory_users, &reference.mandatory_users),
        mandatory_groups: as_state_set(&s.mandatory_groups, &reference.mandatory_groups),
        restore_on_destroy: reference.restore_on_destroy.clone(),
    }
}

fn desired(s: &State) -> TfaSettings {
    let set = |a: &Attr<StrSet>| a.known().cloned().unwrap_or_default();
    TfaSettings {
        tfa_type: s.tfa_type.known().and_then(|t| TfaType::from_attr(t)),
        trusted_ips: set(&s.trusted_ips),
        mandatory_users: set(&s.mandatory_users),
        mandatory_groups: set(&s.mandatory_groups),
    }
}

fn equivalent(a: &TfaSettings, b: &TfaSettings) -> bool {
    a.tfa_type == b.tfa_type
        && canon(&a.trusted_ips) == canon(&b.trusted_ips)
        && canon(&a.mandatory_users) == canon(&b.mandatory_users)
        && canon(&a.mandatory_groups) == canon(&b.mandatory_groups)
}

/// After an enabling write the provider's own session is logged out (token), or its user may
/// now need a second factor to log in (password): then nothing can be read back with it.
fn cannot_read_after_logout(client: &OnlyofficeClient, e: &OnlyofficeError) -> bool {
    client.auth_method() != AuthMethod::ApiKey
        && (e.is_session_rejected() || matches!(e, OnlyofficeError::LoginBlocked { .. }))
}

/// How a write of the settings came out.
#[derive(PartialEq)]
enum WriteOutcome {
    Done,
    Failed,
    /// Reading back could not tell whether it landed.
    Unknown,
}

/// Writes `want` and reads it back. An uncertain write is read back before anything else and
/// resent only if the portal does not hold it, so at most one enabling write lands per change.
async fn write_and_read_back(ctx: &Ctx<OnlyofficeClient>, want: &TfaSettings, diags: &mut Diagnostics) -> WriteOutcome {
    let (client, cancel) = (&ctx.client, &ctx.cancel);
    let enabling = want.tfa_type != Some(TfaType::None);
    let outcome = client
        .http()
        .write_verified(
            "PUT /api/2.0/settings/tfaapp",
            cancel,
            move || client.write(want, cancel),
            move || async move {
                match client.read(cancel).await {
                    Ok(r) => Ok(equivalent(want, &r.settings)),
                    // A session that worked a moment ago is logged out: only an enabling write
                    // does that, so it landed.
                    Err(e) if enabling && cannot_read_after_logout(client, &e) => Ok(true),
                    Err(e) => Err(e),
                }
            },
        )
        .await;
    match outcome {
        Ok(Wrote::Answered(_) | Wrote::Confirmed) => {}
        Err(e) => {
            diags.report(&e);
            return if matches!(e, OnlyofficeError::Unknown(_)) { WriteOutcome::Unknown } else { WriteOutcome::Failed };
        }
    }
    // Done only when the portal holds what was asked.
    let mut verified = true;
    match client.read(cancel).await {
        Ok(r) if equivalent(want, &r.settings) => {}
        Ok(r) => {
            diags.error(
                "DocSpace did not apply the TFA settings",
                format!(
                    "PUT /api/2.0/settings/tfaapp was accepted, but reading the settings back shows the portal holds {} instead \
                     of the requested {}. The server may be an older DocSpace that reads these values differently, or someone \
                     changed the settings at the same moment. Nothing is recorded as applied; check the portal's TFA settings.",
                    r.settings.describe(),
                    want.describe()
                ),
            );
            return WriteOutcome::Failed;
        }
        Err(e) if enabling && cannot_read_after_logout(client, &e) => verified = false,
        Err(e) => {
            diags.report(&e);
            return WriteOutcome::Failed;
        }
    }
    if enabling {
        let unverified = if verified {
            ""
        } else {
            " The change could not be read back for the same reason; the next run reads it with the new credentials."
        };
        match client.auth_method() {
            AuthMethod::ApiKey => {}
            AuthMethod::Token => diags.warning(
                "DocSpace logged out every session of the portal",
                format!(
                    "Enabling or changing TFA makes DocSpace log out every session of the portal, including the session token this \
                     provider used: the next terraform run needs a new token. An API key (api_key / ONLYOFFICE_API_KEY) is not \
                     affected.{unverified}"
                ),
            ),
            AuthMethod::Password => diags.warning(
                "DocSpace logged out every session of the portal",
                format!(
                    "Enabling or changing TFA makes DocSpace log out every session of the portal, including the provider's. The \
                     provider logs in again when it needs to, but once TFA applies to its user DocSpace no longer issues a token \
                     without a second factor. Use an API key (api_key / ONLYOFFICE_API_KEY), which is not affected.{unverified}"
                ),
            ),
        }
    }
    WriteOutcome::Done
}

#[async_trait]
impl Settings for TfaSettingsResource {
    type Client = OnlyofficeClient;
    type State = State;
    type Values = Snapshot;
    type Remote = AtPortal<TfaRead>;
    /// The portal, one per provider configuration.
    type Key = ();
    type Pin = Tenant;
    type Identity = Identity;
    type ListConfig = NoConfig;

    fn names(&self) -> &'static Names {
        &NAMES
    }

    fn schema(&self) -> Schema {
        let list = |name: &'static str, doc: &str| {
            Attribute::optional_computed(name, Type::set(Type::String), &format!("{doc} Defaults to none (`[]`)."))
                .default(Value::Set(Vec::new()))
        };
        let guid = || {
            Validator::Custom(
                "Each a GUID in the hyphenated form (`75a5f745-f697-4418-b38d-0fe0d277e258`).",
                check_uuid,
            )
        };
        Schema::new(
            "Manages the two-factor authentication settings of an ONLYOFFICE DocSpace portal. The settings always exist, so \
             creating this resource adopts them; destroying it leaves them as they are unless `restore_on_destroy` is set.",
            vec![
                Attribute::computed("id", Type::String, "The portal host, e.g. `acme.onlyoffice.com`; also the import ID."),
                Attribute::required(
                    "type",
                    Type::String,
                    "`app` (authenticator app), `sms` (codes by text message; needs an SMS provider on the portal) or `none`. Neither method is phishing-resistant (NIST SP 800-63B-4 §3.2.5): the codes are typed in.",
                )
                .validate(Validator::OneOf(&["none", "sms", "app"])),
                list(
                    "trusted_ips",
                    "Addresses from which users skip the second factor (except mandatory users and members of mandatory groups): \
                     single addresses (`203.0.113.7`, `2001:db8::7`), IPv4 CIDR blocks (`10.0.0.0/8`) and ranges \
                     (`10.0.0.1-10.0.0.9`, `2001:db8::-2001:db8::ffff`). See the forms DocSpace accepts below.",
                )
                .validate(Validator::Custom(
                    "Each a single address as DocSpace writes it, an IPv4 CIDR block without host bits, or a range; no IPv6 blocks.",
                    check_ip,
                )),
                list(
                    "mandatory_users",
                    "IDs of users who must always use the second factor, even from trusted IPs. DocSpace 3.7.1 and later refuse the \
                     portal owner here.",
                )
                .validate(guid()),
                list("mandatory_groups", "IDs of groups whose members must always use the second factor.").validate(guid()),
            ],
        )
    }

    fn key_attributes(&self) -> &'static [&'static str] {
        &[]
    }

    fn key(&self, _: &State) -> Option<()> {
        Some(())
    }

    async fn read(
        &self,
        ctx: &Ctx<OnlyofficeClient>,
        _: &(),
        diags: &mut Diagnostics,
    ) -> Option<Option<AtPortal<TfaRead>>> {
        let r = ctx.client.read(&ctx.cancel).await.reported(diags)?;
        Some(Some(AtPortal::of(ctx, r)))
    }

    fn recorded(&self, s: &State) -> Option<Snapshot> {
        s.tfa_type.known().map(|_| Snapshot::of(&desired(s)))
    }

    fn values(&self, r: &AtPortal<TfaRead>) -> Snapshot {
        Snapshot::of(&r.read.settings)
    }

    fn state(&self, _: &(), r: &AtPortal<TfaRead>, reference: &State) -> State {
        state_from(r.host.clone(), &r.read.settings, reference)
    }

    async fn apply(
        &self,
        ctx: &Ctx<OnlyofficeClient>,
        _: &(),
        prior: Option<&State>,
        planned: &State,
        diags: &mut Diagnostics,
    ) -> Applied<Snapshot, AtPortal<TfaRead>> {
        // On update the refresh has just read the portal: no second read before the write.
        let current = match prior {
            Some(p) => TfaRead { settings: desired(p), ..Default::default() },
            None => match ctx.client.read(&ctx.cancel).await.reported(diags) {
                Some(r) => r,
                None => return Applied::Failed,
            },
        };
        let want = desired(planned);
        let outcome = if equivalent(&want, &current.settings) {
            WriteOutcome::Done
        } else {
            write_and_read_back(ctx, &want, diags).await
        };
        let before = Snapshot::of(&current.settings);
        match outcome {
            WriteOutcome::Done => {
                Applied::Done { before, now: AtPortal::of(ctx, TfaRead { settings: want, ..current }) }
            }
            WriteOutcome::Failed => Applied::Failed,
            WriteOutcome::Unknown => Applied::Unconfirmed { before: AtPortal::of(ctx, current) },
        }
    }

    async fn restore(
        &self,
        ctx: &Ctx<OnlyofficeClient>,
        _: &(),
        adopted: &Snapshot,
        prior: &State,
        diags: &mut Diagnostics,
    ) -> bool {
        let want = adopted.settings();
        equivalent(&want, &desired(prior)) || write_and_read_back(ctx, &want, diags).await == WriteOutcome::Done
    }

    fn weakens(&self, adopted: &Snapshot, now: &State) -> Vec<String> {
        adopted.weakens(now)
    }

    /// The portal always exists.
    fn missing(&self, _: &(), _: &mut Diagnostics) {}

    /// One portal per provider configuration.
    fn remote_object(&self, _: &State) -> Option<String> {
        Some("the TFA settings of the provider's DocSpace portal".into())
    }

    async fn pin(
        &self,
        ctx: &Ctx<OnlyofficeClient>,
        _: &State,
        recorded: &Tenant,
        diags: &mut Diagnostics,
    ) -> Option<Tenant> {
        portal::pinned(ctx, TYPE_NAME, recorded, diags).await
    }

    fn identity_schema(&self) -> IdentitySchema {
        Identity::schema()
    }

    fn identity(&self, _: &State, pin: &Tenant) -> Option<Identity> {
        pin.tenant_id.map(Identity::of)
    }

    fn import_id(&self, identity: &Identity) -> Result<String, String> {
        identity.import_id()
    }

    async fn import_key(&self, ctx: &Ctx<OnlyofficeClient>, id: &str, diags: &mut Diagnostics) -> Option<((), Tenant)> {
        portal::imported(ctx, TYPE_NAME, id, diags).await.map(|t| ((), t))
    }

    fn nothing_to_import(&self, _: &(), _: &mut Diagnostics) {}

    fn validate(&self, config: &State, diags: &mut Diagnostics) {
        if config.tfa_type.known().map(String::as_str) != Some("none") {
            return;
        }
        for (name, set) in [
            ("trusted_ips", &config.trusted_ips),
            ("mandatory_users", &config.mandatory_users),
            ("mandatory_groups", &config.mandatory_groups),
        ] {
            if set.known().is_some_and(|s| !s.is_empty()) {
                diags.attr_error(
                    AttrPath::attr(name),
                    format!("{name} needs TFA"),
                    format!("{name} applies only when type is \"app\" or \"sms\"; with type = \"none\" DocSpace discards it."),
                );
            }
        }
    }

    async fn plan_notes(
        &self,
        ctx: Option<&Ctx<OnlyofficeClient>>,
        plan: &mut Plan<State, Adoption<Snapshot, Tenant>>,
        diags: &mut Diagnostics,
    ) {
        let Some(ctx) = ctx else { return };
        if plan.prior.is_none() {
            plan.planned.id = Attr::Known(ctx.client.portal_host());
        }
        let enabling = plan.planned.tfa_type.known().is_some_and(|t| t != "none")
            && plan.prior.as_ref().is_none_or(|p| p.tfa_type.known() != plan.planned.tfa_type.known());
        if enabling {
            warn_about_own_session(ctx.client.auth_method(), diags);
        }
        // SMS needs an SMS provider on the portal: say so now rather than half-way through apply.
        let wants_sms = plan.planned.tfa_type.known().map(String::as_str) == Some("sms");
        let had_sms = plan.prior.as_ref().and_then(|p| p.tfa_type.known()).map(String::as_str) == Some("sms");
        if wants_sms && !had_sms {
            match ctx.client.read(&ctx.cancel).await {
                Ok(r) if !r.sms_available => diags.attr_error(
                    AttrPath::attr("type"),
                    "SMS two-factor authentication is not available on this portal",
                    "DocSpace offers type \"sms\" only when SMS settings are shown and an SMS provider is enabled on the portal. \
                     Enable an SMS provider first, or use type = \"app\".",
                ),
                Ok(_) => {}
                Err(e) => diags.report(&e),
            }
        }
    }

    fn list_schema(&self) -> Schema {
        Schema::new("Lists the TFA settings of the provider's portal (there is one).", vec![])
    }

    /// The portal, one object.
    async fn list(
        &self,
        ctx: &Ctx<OnlyofficeClient>,
        _: NoConfig,
        out: &mut ListSink<'_, SettingsResource<Self>>,
        diags: &mut Diagnostics,
    ) {
        let (Some(tenant_id), Some(Some(r))) = (portal::tenant(ctx, diags).await, self.read(ctx, &(), diags).await)
        else {
            return;
        };
        let display = format!("{} (tenant {tenant_id})", r.host);
        let (state, private) = listed(self, &(), &r, Tenant { tenant_id: Some(tenant_id) });
        out.found(display, state, private).await;
    }

    fn data_description(&self) -> &'static str {
        "The two-factor authentication settings of the configured ONLYOFFICE DocSpace portal, read-only."
    }

    fn data_extras(&self) -> Vec<Attribute> {
        vec![Attribute::computed(
            "sms_available",
            Type::Bool,
            "Whether the portal offers SMS codes (an SMS provider is enabled). The tariff, which DocSpace checks only when \
             SMS is switched on, is not part of it.",
        )]
    }

    fn data_extra_values(&self, r: &AtPortal<TfaRead>) -> Vec<(&'static str, Value)> {
        vec![("sms_available", Value::Bool(r.read.sms_available))]
    }
}

/// Enabling TFA logs out the provider's own session (token), or asks its user for a second factor
/// at the next login (password): said at plan, on `type`.
fn warn_about_own_session(method: AuthMethod, diags: &mut Diagnostics) {
    match method {
        AuthMethod::Password => diags.attr_warning(
            AttrPath::attr("type"),
            "The provider's own login will need a second factor",
            "This provider logs in with username and password. Once TFA is on, DocSpace asks that user for a second factor \
             at the next login (unless its address is in trusted_ips and it is in neither mandatory list), and a provider \
             cannot enter one: the next terraform run fails to log in. Use an API key instead (api_key / \
             ONLYOFFICE_API_KEY), which TFA does not affect. To forget this resource later without logging in, run \
             terraform destroy -refresh=false.",
        ),
        AuthMethod::Token => diags.attr_warning(
            AttrPath::attr("type"),
            "The session token stops working with this change",
            "Enabling or changing TFA makes DocSpace log out every session of the portal, including the token this provider \
             uses: the next terraform run needs a new token. Use an API key (api_key / ONLYOFFICE_API_KEY), which is not \
             affected.",
        ),
        AuthMethod::ApiKey => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_forms_docspace_accepts() {
        let check = |s: &str| check_ip(&Value::String(s.into()));
        for ok in [
            "10.0.0.1",
            "10.0.0.0/8",
            "10.0.0.1-10.0.0.9",
            "10.0.0.1 - 10.0.0.9",
            "::1",
            "2001:db8::-2001:db8::ffff",
            "::ffff:10.0.0.1",
        ] {
            assert!(check(ok).is_ok(), "{ok}: {:?}", check(ok));
        }
        for bad in ["10.0.0", "10.0.0.9-10.0.0.1", "10.0.0.1-::1", "example.com", "10.0.0.*", "10.0.0.0/33", ""] {
            assert!(check(bad).is_err(), "{bad}");
        }
        // The corrected value is in the message.
        assert!(check("10.0.0.1/8").unwrap_err().contains("\"10.0.0.0/8\""));
        assert!(check(" 192.168.1.1 ").unwrap_err().contains("\"192.168.1.1\""));
        assert!(check("2001:DB8::0001").unwrap_err().contains("\"2001:db8::1\""));
        assert!(check("0.0.0.0/0").unwrap_err().contains("0.0.0.0-255.255.255.255"));
        let v6 = check("2001:db8::/32").unwrap_err();
        assert!(
            v6.contains("first 32 bits") && v6.contains("\"2001:db8::-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff\""),
            "{v6}"
        );
        assert!(check("2001:db8::/48").unwrap_err().contains("this /48 acts as a /16"));
        assert!(check("2001:db8::/64").unwrap_err().contains("this /64 acts as a /32"));
    }

    #[test]
    fn guids_only_in_the_form_docspace_binds() {
        let check = |s: &str| check_uuid(&Value::String(s.into()));
        assert!(check("75a5f745-f697-4418-b38d-0fe0d277e258").is_ok());
        assert!(check("75A5F745-F697-4418-B38D-0FE0D277E258").is_ok());
        for (bad, fix) in [
            ("{75a5f745-f697-4418-b38d-0fe0d277e258}", "75a5f745-f697-4418-b38d-0fe0d277e258"),
            ("urn:uuid:75a5f745-f697-4418-b38d-0fe0d277e258", "75a5f745-f697-4418-b38d-0fe0d277e258"),
            ("75a5f745f6974418b38d0fe0d277e258", "75a5f745-f697-4418-b38d-0fe0d277e258"),
            (" 75a5f745-f697-4418-b38d-0fe0d277e258", "75a5f745-f697-4418-b38d-0fe0d277e258"),
        ] {
            assert!(check(bad).unwrap_err().contains(fix), "{bad}");
        }
        assert!(check("not-a-uuid").is_err());
    }

    #[test]
    fn server_spelling_and_order_do_not_change_state() {
        let reference = Attr::Known(StrSet::from(["75A5F745-F697-4418-B38D-0FE0D277E258".to_string()]));
        let api = StrSet::from(["75a5f745-f697-4418-b38d-0fe0d277e258".to_string()]);
        assert_eq!(as_state_set(&api, &reference), reference);
        assert_eq!(as_state_set(&StrSet::new(), &Attr::Null), Attr::Known(StrSet::new()));
        assert_eq!(as_state_set(&StrSet::new(), &Attr::Known(StrSet::new())), Attr::Known(StrSet::new()));
        assert_eq!(as_state_set(&api, &Attr::Null), Attr::Known(api.clone()));
    }
}
