//! `zitadel_login_mfa_settings`: the switch that makes MFA mandatory — the login policy's
//! `forceMfa`, `forceMfaLocalOnly` and MFA lifetimes — and the login methods that decide whether
//! passkeys are required (`passwordlessType`, `allowUsernamePassword`, named `passwordless_type`
//! and `user_login` as the official ZITADEL provider names them), for the instance defaults or one
//! organization, leaving every other login setting exactly as it is.
//!
//! ZITADEL's login-policy updates (`PUT /admin/v1/policies/login`, `PUT
//! /management/v1/policies/login`; `UpdateLoginPolicyRequest` / `UpdateCustomLoginPolicyRequest`
//! in `proto/zitadel/admin.proto` and `management.proto`) replace the whole policy: an omitted
//! field becomes false, empty or `0s`. So every write is read → change these fields → write the
//! rest back as read. ZITADEL refuses a write that changes nothing (FailedPrecondition
//! `INSTANCE-5M9vdd` / `Org-5M9vdd`): none is sent, and that answer to a repeated write whose
//! first answer was lost means it is already applied.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};

use super::client::{Policy, Scope, settings_as_read};
use super::context::Zitadel;
use super::duration;
use super::guard::{self, Changes, PASSWORDLESS_ALLOWED, Rule};
use super::listing::{self, ScopeFilter, filter_schema};
use super::own_settings::ensure_own_settings;
use super::scope::{self, Identity, VISIBILITY_BUDGET};
use crate::plugin::diag::{AttrPath, Diagnostics, Reported};
use crate::plugin::list::ListSink;
use crate::plugin::resource::{Ctx, Plan};
use crate::plugin::schema::{Attribute, IdentitySchema, Schema, Validator};
use crate::plugin::typed::Attr;
use crate::plugin::value::Type;
use crate::vendors::common::restore::Names;
use crate::vendors::common::settings::{Adoption, Applied, Settings, SettingsResource, listed};

pub const TYPE_NAME: &str = "zitadel_login_mfa_settings";

const NAMES: Names = Names { what: "ZITADEL MFA settings", resource: TYPE_NAME, owner: "instance or organization" };

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct State {
    pub id: Attr<String>,
    pub org_id: Attr<String>,
    pub force_mfa: Attr<bool>,
    pub force_mfa_local_only: Attr<bool>,
    pub passwordless_type: Attr<String>,
    pub user_login: Attr<bool>,
    pub mfa_init_skip_lifetime: Attr<String>,
    pub second_factor_check_lifetime: Attr<String>,
    pub multi_factor_check_lifetime: Attr<String>,
    pub restore_on_destroy: Attr<bool>,
}

/// The MFA part of a login policy, lifetimes in nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Mfa {
    pub force_mfa: bool,
    pub force_mfa_local_only: bool,
    pub mfa_init_skip_lifetime: u128,
    pub second_factor_check_lifetime: u128,
    pub multi_factor_check_lifetime: u128,
    /// `passwordlessType` is ALLOWED, and `allowUsernamePassword`. `None` only in what an
    /// earlier release of the provider recorded at adoption: a restore keeps them as they are.
    #[serde(default)]
    pub passwordless: Option<bool>,
    #[serde(default)]
    pub user_login: Option<bool>,
}

const PASSWORDLESS_NOT_ALLOWED: &str = "PASSWORDLESS_TYPE_NOT_ALLOWED";

fn passwordless_name(allowed: bool) -> &'static str {
    if allowed { PASSWORDLESS_ALLOWED } else { PASSWORDLESS_NOT_ALLOWED }
}

/// (attribute, policy field) of the three lifetimes.
const LIFETIMES: [(&str, &str); 3] = [
    ("mfa_init_skip_lifetime", "mfaInitSkipLifetime"),
    ("second_factor_check_lifetime", "secondFactorCheckLifetime"),
    ("multi_factor_check_lifetime", "multiFactorCheckLifetime"),
];

impl Mfa {
    /// From a policy as the gateway renders it: absent bools are false, lifetimes are always set.
    pub fn of(policy: &Json) -> Mfa {
        let flag = |f: &str| policy.get(f).and_then(Json::as_bool).unwrap_or(false);
        let life = |f: &str| policy.get(f).and_then(Json::as_str).and_then(duration::from_proto).unwrap_or(0);
        Mfa {
            force_mfa: flag("forceMfa"),
            force_mfa_local_only: flag("forceMfaLocalOnly"),
            mfa_init_skip_lifetime: life("mfaInitSkipLifetime"),
            second_factor_check_lifetime: life("secondFactorCheckLifetime"),
            multi_factor_check_lifetime: life("multiFactorCheckLifetime"),
            // NOT_ALLOWED is 0: the gateway leaves it out.
            passwordless: Some(policy.get("passwordlessType").and_then(Json::as_str) == Some(PASSWORDLESS_ALLOWED)),
            user_login: Some(flag("allowUsernamePassword")),
        }
    }

    /// Fills what was not recorded from `now`.
    fn or(mut self, now: &Mfa) -> Mfa {
        self.passwordless = self.passwordless.or(now.passwordless);
        self.user_login = self.user_login.or(now.user_login);
        self
    }

    /// The guard's view of writing this.
    fn changes(&self) -> Changes {
        Changes {
            force_mfa: Some(self.force_mfa),
            user_login: self.user_login,
            passwordless: self.passwordless,
            ..Default::default()
        }
    }

    fn lifetimes(&self) -> [u128; 3] {
        [self.mfa_init_skip_lifetime, self.second_factor_check_lifetime, self.multi_factor_check_lifetime]
    }

    /// `self` with what the plan sets (its known values) applied.
    fn with(mut self, s: &State) -> Mfa {
        if let Some(b) = s.force_mfa.known() {
            self.force_mfa = *b;
        }
        if let Some(b) = s.force_mfa_local_only.known() {
            self.force_mfa_local_only = *b;
        }
        if let Some(t) = s.passwordless_type.known() {
            self.passwordless = Some(t == PASSWORDLESS_ALLOWED);
        }
        if let Some(b) = s.user_login.known() {
            self.user_login = Some(*b);
        }
        let parse = |a: &Attr<String>| a.known().and_then(|v| duration::parse_go(v));
        if let Some(d) = parse(&s.mfa_init_skip_lifetime) {
            self.mfa_init_skip_lifetime = d;
        }
        if let Some(d) = parse(&s.second_factor_check_lifetime) {
            self.second_factor_check_lifetime = d;
        }
        if let Some(d) = parse(&s.multi_factor_check_lifetime) {
            self.multi_factor_check_lifetime = d;
        }
        self
    }

    /// What writing these settings back over `now` would weaken.
    fn weakens(&self, now: &State) -> Vec<String> {
        let now = Mfa::default().with(now);
        let mut out = Vec::new();
        if now.force_mfa && !self.force_mfa {
            out.push("MFA is no longer forced (force_mfa = false)".to_string());
        }
        if now.force_mfa && self.force_mfa && self.force_mfa_local_only && !now.force_mfa_local_only {
            out.push("MFA is forced only for password logins (force_mfa_local_only = true)".to_string());
        }
        if now.user_login == Some(false) && self.user_login == Some(true) {
            out.push("username and password logins are allowed again (user_login = true)".to_string());
        }
        if now.passwordless == Some(true) && self.passwordless == Some(false) {
            out.push(
                "passkey logins are no longer allowed (passwordless_type = PASSWORDLESS_TYPE_NOT_ALLOWED)".to_string(),
            );
        }
        for ((name, _), (then, was)) in LIFETIMES.iter().zip(self.lifetimes().into_iter().zip(now.lifetimes())) {
            if then > was {
                out.push(format!("{name} goes up from {} to {}", duration::format_go(was), duration::format_go(then)));
            }
        }
        out
    }

    fn describe(&self) -> String {
        let [a, b, c] = self.lifetimes().map(duration::format_go);
        let mut out = format!(
            "force_mfa = {}, force_mfa_local_only = {}, mfa_init_skip_lifetime = {a}, second_factor_check_lifetime = {b}, \
             multi_factor_check_lifetime = {c}",
            self.force_mfa, self.force_mfa_local_only
        );
        if let Some(p) = self.passwordless {
            out.push_str(&format!(", passwordless_type = {}", passwordless_name(p)));
        }
        if let Some(u) = self.user_login {
            out.push_str(&format!(", user_login = {u}"));
        }
        out
    }
}

/// The update request: every settings field as read, these fields replaced.
fn update_body(policy: &Json, want: &Mfa) -> Json {
    let mut body = settings_as_read(policy);
    body.insert("forceMfa".into(), Json::Bool(want.force_mfa));
    body.insert("forceMfaLocalOnly".into(), Json::Bool(want.force_mfa_local_only));
    if let Some(p) = want.passwordless {
        body.insert("passwordlessType".into(), Json::String(passwordless_name(p).into()));
    }
    if let Some(u) = want.user_login {
        body.insert("allowUsernamePassword".into(), Json::Bool(u));
    }
    for ((_, field), ns) in LIFETIMES.iter().zip(want.lifetimes()) {
        body.insert((*field).to_string(), json!(duration::to_proto(ns)));
    }
    Json::Object(body)
}

pub struct LoginMfaSettings;

/// The state for `mfa`, keeping `reference`'s spelling of every lifetime that means the same.
fn state_from(scope: &Scope, mfa: &Mfa, reference: &State) -> State {
    let keep = |r: &Attr<String>, ns: u128| match r.known() {
        Some(v) if duration::parse_go(v) == Some(ns) => Attr::Known(v.clone()),
        _ => Attr::Known(duration::format_go(ns)),
    };
    State {
        id: Attr::Known(scope::id(scope)),
        org_id: scope::org_id(scope),
        force_mfa: Attr::Known(mfa.force_mfa),
        force_mfa_local_only: Attr::Known(mfa.force_mfa_local_only),
        passwordless_type: mfa.passwordless.map_or(Attr::Null, |p| Attr::Known(passwordless_name(p).to_string())),
        user_login: mfa.user_login.map_or(Attr::Null, Attr::Known),
        mfa_init_skip_lifetime: keep(&reference.mfa_init_skip_lifetime, mfa.mfa_init_skip_lifetime),
        second_factor_check_lifetime: keep(&reference.second_factor_check_lifetime, mfa.second_factor_check_lifetime),
        multi_factor_check_lifetime: keep(&reference.multi_factor_check_lifetime, mfa.multi_factor_check_lifetime),
        restore_on_destroy: reference.restore_on_destroy.clone(),
    }
}

/// What the plan changes in the scope's login, for the guard.
fn planned_changes(planned: &State) -> Changes {
    Changes {
        force_mfa: planned.force_mfa.known().copied(),
        user_login: planned.user_login.known().copied(),
        passwordless: planned.passwordless_type.known().map(|t| t == PASSWORDLESS_ALLOWED),
        ..Default::default()
    }
}

/// The attribute a guard verdict points at.
fn path_of(rule: Rule) -> AttrPath {
    match rule {
        Rule::ForcedMfa => AttrPath::attr("force_mfa"),
        Rule::LoginMethod => AttrPath::attr("user_login"),
    }
}

/// Applies the plan's MFA settings to its scope under the scope's lock, giving an inheriting
/// organization settings of its own first; what the scope held before anything was written is
/// what `restore_on_destroy` puts back.
async fn write(ctx: &Ctx<Zitadel>, scope: &Scope, planned: &State, diags: &mut Diagnostics) -> Applied<Mfa, Mfa> {
    let guarded = guard::lock_when_safe(ctx, scope, &planned_changes(planned), path_of, diags).await;
    let Some(Some((_serialised, mut policy))) = guarded.reported(diags) else { return Applied::Failed };
    let before = Mfa::of(&policy.json);
    if let Scope::Org(org) = scope
        && policy.inherits
    {
        if ensure_own_settings(ctx, org, policy, None, diags).await.reported(diags).is_none() {
            return Applied::Failed;
        }
        let Some(own) = ctx.client.policy(scope, &ctx.cancel).await.reported(diags) else { return Applied::Failed };
        policy = own;
    }
    let want = Mfa::of(&policy.json).with(planned);
    match apply(ctx, scope, &policy, &want, diags).await {
        Some(now) => Applied::Done { before, now },
        None => Applied::Failed,
    }
}

/// Writes `want` over `policy` unless it already holds it, then reads back until the read side
/// shows it (reads come from projections that may lag behind the write).
async fn apply(ctx: &Ctx<Zitadel>, scope: &Scope, policy: &Policy, want: &Mfa, diags: &mut Diagnostics) -> Option<Mfa> {
    if Mfa::of(&policy.json) != *want {
        match ctx.client.update_policy(scope, update_body(&policy.json, want), &ctx.cancel).await {
            Ok(()) => {}
            // A repeat of a write whose answer was lost, or someone made the same change: the read
            // back below says whether the policy holds what was asked.
            Err(e) if e.is_not_changed() => {}
            Err(e) => {
                diags.report(&e);
                return None;
            }
        }
    }
    let read = || async { Ok(Mfa::of(&ctx.client.policy_fresh(scope, &ctx.cancel).await?.json)) };
    let now = scope::until_visible(&ctx.cancel, read, |now| now == want).await.reported(diags)?;
    if now != *want {
        diags.error(
            "ZITADEL did not apply the MFA settings",
            format!(
                "The update of {} was accepted, but reading it back for {} s shows {} instead of the requested {}.",
                scope.describe(),
                VISIBILITY_BUDGET.as_secs(),
                now.describe(),
                want.describe()
            ),
        );
        return None;
    }
    Some(now)
}

#[async_trait]
impl Settings for LoginMfaSettings {
    type Client = Zitadel;
    type State = State;
    type Values = Mfa;
    type Remote = Mfa;
    type Key = Scope;
    type Pin = scope::Instance;
    type Identity = Identity;
    type ListConfig = ScopeFilter;

    fn names(&self) -> &'static Names {
        &NAMES
    }

    fn schema(&self) -> Schema {
        let lifetime = |name: &'static str, what: &str| {
            Attribute::optional_computed(
                name,
                Type::String,
                &format!(
                    "{what}, as a duration in Terraform's usual Go syntax (`720h`, `18h`, `1h30m`). The same duration spelt \
                     differently is the same value. Unset: the value the settings hold is kept."
                ),
            )
            .validate(Validator::Custom("A duration such as `720h`, `1h30m` or `90s`.", duration::check))
            .equivalent(duration::same)
        };
        Schema::new(
            "Makes multi-factor authentication mandatory in ZITADEL's login settings — `force_mfa` and the MFA lifetimes of \
             the instance's default login settings, or of one organization's own — and leaves every other login setting as \
             it is. Destroying it leaves the settings as they are unless `restore_on_destroy` is set.",
            vec![
                Attribute::computed("id", Type::String, "`instance`, or the organization's ID; also the import ID."),
                Attribute::optional(
                    "org_id",
                    Type::String,
                    "ID of the organization whose own login settings this changes. Unset: the instance's default login settings, \
                     which every organization without settings of its own inherits.",
                )
                .force_new()
                .validate(Validator::NotEmpty)
                .validate(Validator::Trimmed),
                Attribute::required(
                    "force_mfa",
                    Type::Bool,
                    "Whether every user must authenticate with a second factor or a passkey (`forceMfa`).",
                ),
                Attribute::optional_computed(
                    "force_mfa_local_only",
                    Type::Bool,
                    "With `force_mfa`: require it only for users who log in with a password, not through an external identity \
                     provider (`forceMfaLocalOnly`). Unset: the value the settings hold is kept.",
                ),
                Attribute::optional_computed(
                    "passwordless_type",
                    Type::String,
                    "Whether users may log in with a passkey instead of a password: `PASSWORDLESS_TYPE_ALLOWED` or \
                     `PASSWORDLESS_TYPE_NOT_ALLOWED` (`passwordlessType`). A passkey is the multi-factor \
                     `MULTI_FACTOR_TYPE_U2F_WITH_VERIFICATION` (a `zitadel_login_multifactor`). Unset: the value the settings \
                     hold is kept.",
                )
                .validate(Validator::OneOf(&[PASSWORDLESS_ALLOWED, PASSWORDLESS_NOT_ALLOWED])),
                Attribute::optional_computed(
                    "user_login",
                    Type::Bool,
                    "Whether users may log in with username and password (`allowUsernamePassword`). `false` with passkeys \
                     allowed makes passkeys required: users without one can no longer log in. The provider refuses `false` \
                     where it would leave no way in (no passkey login possible and no usable external identity provider). \
                     Unset: the value the settings hold is kept.",
                ),
                lifetime(
                    "mfa_init_skip_lifetime",
                    "How long a user may postpone setting up a second factor (`mfaInitSkipLifetime`; `0s` never asks)",
                ),
                lifetime(
                    "second_factor_check_lifetime",
                    "How long a second-factor check stays valid (`secondFactorCheckLifetime`)",
                ),
                lifetime(
                    "multi_factor_check_lifetime",
                    "How long a passwordless (passkey) check stays valid (`multiFactorCheckLifetime`)",
                ),
            ],
        )
    }

    fn key_attributes(&self) -> &'static [&'static str] {
        &["org_id"]
    }

    fn key(&self, s: &State) -> Option<Scope> {
        (!s.org_id.is_unknown()).then(|| scope::of(&s.org_id))
    }

    /// An organization back to inheriting (reset in the console) has no settings of its own.
    async fn read(&self, ctx: &Ctx<Zitadel>, scope: &Scope, diags: &mut Diagnostics) -> Option<Option<Mfa>> {
        match ctx.client.policy(scope, &ctx.cancel).await {
            Ok(p) => Some((!p.inherits).then(|| Mfa::of(&p.json))),
            Err(e) if e.is_org_missing() => Some(None),
            Err(e) => {
                diags.report(&e);
                None
            }
        }
    }

    fn recorded(&self, s: &State) -> Option<Mfa> {
        s.force_mfa.known().map(|_| Mfa::default().with(s))
    }

    fn values(&self, mfa: &Mfa) -> Mfa {
        *mfa
    }

    fn state(&self, scope: &Scope, mfa: &Mfa, reference: &State) -> State {
        state_from(scope, mfa, reference)
    }

    async fn apply(
        &self,
        ctx: &Ctx<Zitadel>,
        scope: &Scope,
        _: Option<&State>,
        planned: &State,
        diags: &mut Diagnostics,
    ) -> Applied<Mfa, Mfa> {
        write(ctx, scope, planned, diags).await
    }

    /// Puts the adopted MFA settings back, through the guard like any other change.
    async fn restore(
        &self,
        ctx: &Ctx<Zitadel>,
        scope: &Scope,
        adopted: &Mfa,
        _: &State,
        diags: &mut Diagnostics,
    ) -> bool {
        let path = |_| AttrPath::attr("restore_on_destroy");
        let (_serialised, p) = match guard::lock_when_safe(ctx, scope, &adopted.changes(), path, diags).await {
            Ok(Some((held, p))) if !p.inherits => (held, p),
            Ok(Some(_)) => return true,
            Ok(None) => return false,
            // A deleted organization has nothing to restore.
            Err(e) if e.is_org_missing() => return true,
            Err(e) => {
                diags.report(&e);
                return false;
            }
        };
        apply(ctx, scope, &p, &adopted.or(&Mfa::of(&p.json)), diags).await.is_some()
    }

    fn weakens(&self, adopted: &Mfa, now: &State) -> Vec<String> {
        adopted.weakens(now)
    }

    /// `apply` gives an inheriting organization settings of its own: nothing is ever missing.
    fn missing(&self, _: &Scope, _: &mut Diagnostics) {}

    fn remote_object(&self, planned: &State) -> Option<String> {
        Some(format!("the MFA settings (force_mfa and lifetimes) of {}", scope::of(&planned.org_id).describe()))
    }

    async fn pin(
        &self,
        ctx: &Ctx<Zitadel>,
        state: &State,
        recorded: &scope::Instance,
        diags: &mut Diagnostics,
    ) -> Option<scope::Instance> {
        scope::pinned(ctx, &scope::of(&state.org_id), "zitadel_login_mfa_settings", recorded, diags).await
    }

    fn identity_schema(&self) -> IdentitySchema {
        Identity::schema("login settings")
    }

    fn identity(&self, state: &State, _: &scope::Instance) -> Option<Identity> {
        Some(Identity { org_id: state.org_id.clone() })
    }

    fn import_id(&self, identity: &Identity) -> Result<String, String> {
        identity.import_id()
    }

    async fn import_key(
        &self,
        _: &Ctx<Zitadel>,
        id: &str,
        diags: &mut Diagnostics,
    ) -> Option<(Scope, scope::Instance)> {
        scope::import_scope(id, diags).map(|s| (s, scope::Instance::default()))
    }

    fn nothing_to_import(&self, scope: &Scope, diags: &mut Diagnostics) {
        scope::nothing_of_its_own(scope, "login settings", "the instance defaults", diags);
    }

    /// Forcing MFA where no factor is allowed is said now (and refused at apply).
    async fn plan_notes(
        &self,
        ctx: Option<&Ctx<Zitadel>>,
        plan: &mut Plan<State, Adoption<Mfa, scope::Instance>>,
        diags: &mut Diagnostics,
    ) {
        let Some(ctx) = ctx else { return };
        let scope = scope::of(&plan.planned.org_id);
        let planned = planned_changes(&plan.planned);
        ctx.client.plans.plan_change(&scope, |c| {
            c.force_mfa = planned.force_mfa;
            c.user_login = planned.user_login;
            c.passwordless = planned.passwordless;
        });
        if planned.force_mfa == Some(true) || planned.user_login == Some(false) || planned.passwordless == Some(false) {
            guard::warn_at_plan(ctx, &scope, path_of, diags).await;
        }
    }

    fn list_schema(&self) -> Schema {
        filter_schema("the MFA settings")
    }

    async fn list(
        &self,
        ctx: &Ctx<Zitadel>,
        filter: ScopeFilter,
        out: &mut ListSink<'_, SettingsResource<Self>>,
        diags: &mut Diagnostics,
    ) {
        listing::walk(ctx, &filter, out, diags, |found| {
            let (state, private) = listed(self, &found.scope, &Mfa::of(&found.value.json), scope::Instance::default());
            vec![(found.name.clone(), state, private)]
        })
        .await;
    }
}

#[cfg(test)]
mod tests {
    use super::super::client::NOTIFICATION_LINKS;
    use super::*;

    #[test]
    fn a_state_records_the_values_it_was_made_from() {
        let policy = json!({
            "forceMfa": true, "forceMfaLocalOnly": false, "allowUsernamePassword": true,
            "passwordlessType": "PASSWORDLESS_TYPE_NOT_ALLOWED", "mfaInitSkipLifetime": "2592000s",
            "secondFactorCheckLifetime": "64800s", "multiFactorCheckLifetime": "43200.5s"
        });
        let mfa = Mfa::of(&policy);
        let scope = Scope::Org("281".into());
        let state =
            state_from(&scope, &mfa, &crate::vendors::common::settings::blank(&LoginMfaSettings, Attr::Known(true)));
        assert_eq!(LoginMfaSettings.recorded(&state), Some(mfa));
    }

    #[test]
    fn updates_write_back_every_other_field_as_read() {
        let policy = json!({
            "allowUsernamePassword": true, "allowRegister": true, "passwordlessType": "PASSWORDLESS_TYPE_ALLOWED",
            "defaultRedirectUri": "https://acme.example", "passwordCheckLifetime": "864000s",
            "externalLoginCheckLifetime": "3600s", "mfaInitSkipLifetime": "2592000s",
            "secondFactorCheckLifetime": "64800s", "multiFactorCheckLifetime": "43200s",
            "secondFactors": ["SECOND_FACTOR_TYPE_OTP"], "idps": [{"idpId": "1"}], "details": {"sequence": "5"},
            "useDefaultUriForNotificationLinks": true
        });
        let want = Mfa { force_mfa: true, mfa_init_skip_lifetime: 0, ..Mfa::of(&policy) };
        let body = update_body(&policy, &want);
        assert_eq!(body["forceMfa"], true);
        assert_eq!(body["mfaInitSkipLifetime"], "0s");
        assert_eq!(body["externalLoginCheckLifetime"], "3600s");
        assert_eq!(body["defaultRedirectUri"], "https://acme.example");
        assert_eq!(body[NOTIFICATION_LINKS], true);
        // Factors, IdPs and details are not part of the update request.
        assert!(body.get("secondFactors").is_none() && body.get("idps").is_none() && body.get("details").is_none());
    }

    #[test]
    fn the_state_keeps_the_users_spelling_of_an_equal_duration() {
        let mut reference = crate::vendors::common::settings::blank(&LoginMfaSettings, Attr::Null);
        reference.mfa_init_skip_lifetime = Attr::Known("43200m".into());
        reference.second_factor_check_lifetime = Attr::Known("1h".into());
        let mfa = Mfa {
            mfa_init_skip_lifetime: 720 * 3_600_000_000_000,
            second_factor_check_lifetime: 18 * 3_600_000_000_000,
            ..Mfa::default()
        };
        let s = state_from(&Scope::Instance, &mfa, &reference);
        assert_eq!(s.mfa_init_skip_lifetime, Attr::Known("43200m".into()), "same duration, user's spelling");
        assert_eq!(s.second_factor_check_lifetime, Attr::Known("18h".into()), "drift shows the server's value");
    }
}
