//! Settings objects that always exist — an organization's MFA settings, a portal's or a
//! business's 2FA settings — are adopted on create, and destroying the resource must never weaken
//! them: it forgets them, or with `restore_on_destroy` writes back what was found at adoption.
//! The wording of those outcomes, shared by every such resource.

use crate::plugin::diag::Diagnostics;
use crate::plugin::schema::Attribute;
use crate::plugin::value::Type;

/// The `restore_on_destroy` argument every such resource has.
pub fn restore_on_destroy_attribute(owner: &str) -> Attribute {
    Attribute::optional_computed(
        "restore_on_destroy",
        Type::Bool,
        &format!(
            "On destroy, write back the settings the {owner} had when Terraform adopted it (created or imported this \
             resource). Defaults to `false`: destroy only removes the resource from state and leaves the settings as they are."
        ),
    )
    .default_bool(false)
}

/// Destroy without `restore_on_destroy`: the settings stay; say so.
pub fn warn_left_as_is(diags: &mut Diagnostics, what: &str, resource: &str, owner: &str) {
    diags.warning(
        format!("{what} will be left as they are"),
        format!(
            "Destroying {resource} only removes it from Terraform state; the {owner} keeps its current settings. Set \
             restore_on_destroy = true to put back the settings found when Terraform adopted them."
        ),
    );
}

/// `restore_on_destroy` is set but the settings at adoption were never recorded.
pub fn warn_nothing_to_restore(diags: &mut Diagnostics, owner: &str) {
    diags.warning(
        "Nothing to restore",
        format!(
            "restore_on_destroy is set, but the settings found at adoption were not recorded (the resource was adopted by an \
             older provider version). The {owner}'s settings are left as they are."
        ),
    );
}
