# The MFA policy at Rhombus: `rhombus_mfa_settings` of the API key's organization, or with a
# partner key of each client organization in `org_uuids`. See README.md for the mapping.

terraform {
  # Provider functions (baseline_report): Terraform 1.8, OpenTofu 1.8.
  required_version = ">= 1.8.0"
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
  # An exception names an organization of org_uuids, or "own" for the API key's organization.
  exception_scopes = keys(local.orgs)
  # MFA as the policy requires it, off for an organization while an exception for it is in force.
  mfa = { for k, v in local.orgs : k => local.p.require_mfa == true && contains(local.excepted, k) ? false : local.p.require_mfa }
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
  mfa_enabled              = local.mfa[each.key] != null ? local.mfa[each.key] : data.rhombus_mfa_settings.current[each.key].mfa_enabled
  trusted_device_skip_days = local.p.trusted_device_days
}

# ---- Judged against a baseline, and exceptions limited in time ----

locals {
  # Exceptions in force at this plan (plantimestamp(): the plan's own clock, the same at apply).
  excepted   = toset([for e in var.policy.exceptions : e.scope if timecmp(plantimestamp(), "${e.until}T00:00:00Z") < 0])
  expiring   = [for e in var.policy.exceptions : e if timecmp(plantimestamp(), "${e.until}T00:00:00Z") < 0 && timecmp(timeadd(plantimestamp(), "168h"), "${e.until}T00:00:00Z") >= 0]
  report     = var.baseline == null ? [] : provider::rhombus::baseline_report(var.baseline, merge(var.policy, { as_of = plantimestamp(), unsupported = local.unsupported }))
  shall_gaps = [for f in local.report : f if f.level == "shall" && f.status == "gap"]
}

check "exceptions_expiring" {
  assert {
    condition     = length(local.expiring) == 0
    error_message = "Exceptions ending within 7 days; from their until date the next plan enforces require_mfa again: ${join(", ", [for e in local.expiring : "${e.scope} (until ${e.until})"])}."
  }
}
