//! Giving an inheriting organization login settings of its own, shared by every resource that
//! writes to an organization's login policy.
//!
//! ZITADEL ignores changes made to an organization that still inherits the instance defaults
//! (zitadel/zitadel#9047: a factor added then is recorded but never shown). So before its first
//! write to such an organization the provider creates the organization's own policy — a copy of
//! what it inherits — under the scope's lock, and says so in a warning. The copy is made with
//! `AddCustomLoginPolicy`, which is not idempotent: it goes through
//! [`crate::http::HttpClient::write_verified`].

use serde_json::Value as Json;

use super::client::{
    FactorKind, NOTIFICATION_LINKS, Policy, SETTINGS_FIELDS, Scope, ZitadelError, custom_policy_from_inherited,
};
use super::context::Zitadel;
use crate::http::Wrote;
use crate::plugin::diag::Diagnostics;
use crate::plugin::resource::Ctx;

/// What the organization has after [`ensure_own_settings`].
pub enum Owned {
    /// It already had settings of its own (this policy).
    Already(Policy),
    /// The provider gave it settings of its own just now.
    Created,
}

/// Makes sure organization `org` has login settings of its own, creating them from the
/// inherited ones (plus `adding`, a factor to include) if it inherits. Call with the scope's lock
/// held; `current` is the policy as read under it.
pub async fn ensure_own_settings(
    ctx: &Ctx<Zitadel>,
    org: &str,
    current: Policy,
    adding: Option<(FactorKind, &str)>,
    diags: &mut Diagnostics,
) -> Result<Owned, ZitadelError> {
    if !current.inherits {
        return Ok(Owned::Already(current));
    }
    let list = |kind: FactorKind| current.effective_factors(kind);
    let (kind, mut factors) = match adding {
        Some((kind, _)) => (kind, list(kind)),
        None => (FactorKind::Second, list(FactorKind::Second)),
    };
    if let Some((_, ty)) = adding
        && !factors.iter().any(|f| f == ty)
    {
        factors.push(ty.to_string());
    }
    let mut inherited = list(kind);
    inherited.extend(list(kind.other()));
    let body = custom_policy_from_inherited(&current.json, kind, &factors);
    let scope = Scope::Org(org.to_string());
    let (client, cancel, scope_ref, body_ref) = (&ctx.client, &ctx.cancel, &scope, &body);
    let created = client
        .http()
        .write_verified(
            "POST /management/v1/policies/login",
            cancel,
            move || client.add_custom_policy(org, body_ref.clone(), cancel),
            move || async move { Ok(!client.policy_fresh(scope_ref, cancel).await?.inherits) },
        )
        .await;
    match created {
        Ok(Wrote::Answered(())) | Ok(Wrote::Confirmed) => {}
        // Someone else gave the organization settings of its own meanwhile: use those.
        Err(e) if e.is_policy_exists() => return Ok(Owned::Already(client.policy(&scope, &ctx.cancel).await?)),
        Err(e) => return Err(e),
    }
    let lost = match client.policy(&scope, &ctx.cancel).await {
        Ok(now) => not_carried_over(&current.json, &now.json),
        Err(e) => {
            log::warn!("ZITADEL: could not read back the settings created for organization {org}: {e}");
            vec![]
        }
    };
    let adding_text = adding
        .filter(|(_, ty)| !inherited.iter().any(|f| f == ty))
        .map(|(_, ty)| format!(", with {ty} added"))
        .unwrap_or_default();
    let mut detail = format!(
        "Organization {org} inherited the instance's default login settings. ZITADEL ignores changes made to an inheriting \
         organization (zitadel/zitadel#9047), so the provider created the organization's own login settings: a copy of the \
         inherited values (factors: {}){adding_text}. From now on the organization no longer follows changes to the instance \
         defaults.",
        if inherited.is_empty() { "none".to_string() } else { inherited.join(", ") }
    );
    if !lost.is_empty() {
        detail.push_str(&format!(
            " ZITADEL did not keep these inherited settings in the copy: {}. Set them again in the organization's login settings \
             if they matter.",
            lost.join(", ")
        ));
    }
    diags.warning(format!("Organization {org} now has login settings of its own"), detail);
    Ok(Owned::Created)
}

/// Settings the inherited policy had that the organization's new copy does not show, as
/// `name = value`.
fn not_carried_over(inherited: &Json, created: &Json) -> Vec<String> {
    SETTINGS_FIELDS
        .iter()
        .chain(&[NOTIFICATION_LINKS])
        .filter_map(|f| {
            let was = inherited.get(*f).filter(|v| !matches!(v, Json::Bool(false) | Json::Null));
            let now = created.get(*f).filter(|v| !matches!(v, Json::Bool(false) | Json::Null));
            (was.is_some() && was != now).then(|| format!("{f} = {}", was.expect("checked")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn settings_lost_in_the_copy_are_named_with_their_value() {
        let inherited =
            json!({"forceMfa": true, "useDefaultUriForNotificationLinks": true, "passwordCheckLifetime": "864000s"});
        let created = json!({"forceMfa": true, "passwordCheckLifetime": "864000s"});
        assert_eq!(not_carried_over(&inherited, &created), ["useDefaultUriForNotificationLinks = true"]);
        assert!(not_carried_over(&inherited, &inherited).is_empty());
    }
}
