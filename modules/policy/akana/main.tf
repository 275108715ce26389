# The MFA policy at Akana: the 2FA settings of each business in `business_ids`. See README.md for
# the mapping.

terraform {
  required_version = ">= 1.3.0"
  required_providers {
    akana = {
      source = "registry.terraform.io/mfa-iac/akana"
    }
  }
}

locals {
  p        = var.policy
  ids      = { for id in var.business_ids : id => id }
  attempts = local.p.max_failed_code_attempts == null || local.p.max_failed_code_attempts == 0 ? null : local.p.max_failed_code_attempts
  manages  = local.p.require_mfa != null || local.p.trusted_device_days != null || local.attempts != null
  days     = local.p.trusted_device_days
}

# enabled is required by the resource: when the policy leaves it unset, the value the business
# holds is written back (never configured reads as off).
data "akana_twofa_settings" "current" {
  for_each    = local.manages && local.p.require_mfa == null ? local.ids : {}
  business_id = each.key
}

resource "akana_twofa_settings" "this" {
  for_each     = local.manages ? local.ids : {}
  business_id  = each.key
  enabled      = local.p.require_mfa != null ? local.p.require_mfa : coalesce(data.akana_twofa_settings.current[each.key].enabled, false)
  max_attempts = local.attempts
  # A verified session skips 2FA for the period: asked once per interval, or at every login.
  recurrence_mode             = local.days == null ? null : (local.days == 0 ? "twofa.each.login" : "twofa.once.each.interval")
  recurrence_interval_minutes = local.days == null || local.days == 0 ? null : local.days * 24 * 60
}
