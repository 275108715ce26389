//! What destroying a settings resource does, said once for every such resource: settings objects
//! that always exist — an organization's MFA settings, a portal's or a business's 2FA settings,
//! lock-out policies — are adopted on create, and destroying the resource never weakens them
//! unless the user asked for it: destroy forgets them, or with `restore_on_destroy` writes back
//! what was found at adoption, and then the plan says so when that is weaker.

use crate::plugin::diag::{AttrPath, Diagnostics};
use crate::plugin::schema::Attribute;
use crate::plugin::value::Type;

/// How a settings resource is named in messages.
pub struct Names {
    /// `Rhombus MFA settings`: plural, as in "… will be left as they are".
    pub what: &'static str,
    /// `rhombus_mfa_settings`.
    pub resource: &'static str,
    /// `organization`: what holds the settings.
    pub owner: &'static str,
}

/// The `restore_on_destroy` argument every such resource has.
pub fn restore_on_destroy_attribute(owner: &str) -> Attribute {
    Attribute::optional_computed(
        "restore_on_destroy",
        Type::Bool,
        &format!(
            "On destroy, write back the settings the {owner} had when Terraform adopted them (created or imported this \
             resource); the plan warns when those are weaker than what it holds then. Defaults to `false`: destroy only \
             removes the resource from state and leaves the settings as they are."
        ),
    )
    .default_bool(false)
}

/// What destroying does, said once: at plan where the CLI plans destroys, else right before the
/// delete at apply. `weakens` lists what writing `adopted` back would weaken (empty: nothing).
pub fn plan_destroy<A>(
    diags: &mut Diagnostics,
    kind: &Names,
    restore: bool,
    adopted: Option<&A>,
    weakens: impl FnOnce(&A) -> Vec<String>,
) {
    let Names { what, resource, owner } = kind;
    match (restore, adopted) {
        (false, _) => diags.warning(
            format!("{what} will be left as they are"),
            format!(
                "Destroying {resource} only removes it from Terraform state; the {owner} keeps its current settings. Set \
                 restore_on_destroy = true to put back the settings found when Terraform adopted them."
            ),
        ),
        (true, None) => diags.warning(
            "Nothing to restore",
            format!(
                "restore_on_destroy is set, but the settings found at adoption were not recorded (the resource was adopted by \
                 an older provider version). The {owner}'s settings are left as they are."
            ),
        ),
        (true, Some(a)) => {
            let weaker = weakens(a);
            if !weaker.is_empty() {
                diags.warning(
                    format!("Destroying {resource} weakens the {owner}'s settings"),
                    format!(
                        "restore_on_destroy = true writes back the settings found when Terraform adopted them, and those are \
                         weaker: {}. Set restore_on_destroy = false before destroying to leave the settings as they are.",
                        weaker.join("; ")
                    ),
                );
            }
        }
    }
}

/// Whether a plan sets `restore_on_destroy = true` anew — on create, or turning it on — and so
/// should say whether that will weaken the settings at destroy. A plan that keeps it on says
/// nothing: the warning is news once, and again at the plan that destroys.
pub fn restore_is_news(
    prior: Option<&crate::plugin::typed::Attr<bool>>,
    planned: &crate::plugin::typed::Attr<bool>,
) -> bool {
    planned.known() == Some(&true) && prior.and_then(|p| p.known()) != Some(&true)
}

/// `restore_on_destroy = true` in a create or update plan whose adopted settings are weaker than
/// what is planned: a warning on the attribute, long before anyone destroys.
pub fn warn_restore_weakens(diags: &mut Diagnostics, kind: &Names, weaker: Vec<String>) {
    if weaker.is_empty() {
        return;
    }
    diags.attr_warning(
        AttrPath::attr("restore_on_destroy"),
        format!("Destroying {} will weaken the {}'s settings", kind.resource, kind.owner),
        format!(
            "restore_on_destroy = true puts back the settings found when Terraform adopted them, and those are weaker: {}.",
            weaker.join("; ")
        ),
    );
}

/// Writing `then` over `now` would add entries to the list `name`: for weakening messages.
pub fn grows<T: Ord + Clone + std::fmt::Display>(
    name: &str,
    now: &std::collections::BTreeSet<T>,
    then: &std::collections::BTreeSet<T>,
) -> Option<String> {
    let added: Vec<String> = then.difference(now).map(ToString::to_string).collect();
    (!added.is_empty()).then(|| format!("{name} gains {}", added.join(", ")))
}

/// Writing `then` over `now` would take entries out of the list `name`.
pub fn shrinks<T: Ord + Clone + std::fmt::Display>(
    name: &str,
    now: &std::collections::BTreeSet<T>,
    then: &std::collections::BTreeSet<T>,
) -> Option<String> {
    let lost: Vec<String> = now.difference(then).map(ToString::to_string).collect();
    (!lost.is_empty()).then(|| format!("{name} loses {}", lost.join(", ")))
}
