# The MFA policy at Rhombus: `rhombus_mfa_settings` of the API key's organization, or with a
# partner key of each client organization in `org_uuids`. See README.md for the mapping.

terraform {
  required_version = ">= 1.3.0"
  required_providers {
    rhombus = {
      source = "registry.terraform.io/mfa-iac/rhombus"
    }
  }
}

locals {
  p    = var.policy
  orgs = var.org_uuids == null ? { own = null } : { for u in var.org_uuids : u => u }
  # Only what the policy sets is written; with nothing to write, nothing is managed.
  manages = local.p.require_mfa != null || local.p.trusted_device_days != null
}

# mfa_enabled is required by the resource: when the policy leaves it unset, the value the
# organization holds is written back as it is.
data "rhombus_mfa_settings" "current" {
  for_each = local.manages && local.p.require_mfa == null ? local.orgs : {}
  org_uuid = each.value
}

resource "rhombus_mfa_settings" "this" {
  for_each                 = local.manages ? local.orgs : {}
  org_uuid                 = each.value
  mfa_enabled              = local.p.require_mfa != null ? local.p.require_mfa : data.rhombus_mfa_settings.current[each.key].mfa_enabled
  trusted_device_skip_days = local.p.trusted_device_days
}
