# The MFA policy at Akana: the 2FA settings of each business in `business_ids`. See README.md for
# the mapping.

terraform {
  # Provider functions (baseline_report): Terraform 1.8, OpenTofu 1.8.
  required_version = ">= 1.8.0"
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
  # An exception names a business of business_ids.
  exception_scopes = keys(local.ids)
  # 2FA as the policy requires it, off for a business while an exception for it is in force.
  enabled = { for k, v in local.ids : k => local.p.require_mfa == true && contains(local.excepted, k) ? false : local.p.require_mfa }
  # The business's login policy: failed logins, how long a suspension lasts (0, until an
  # administrator, is not an Akana setting), session timeouts in minutes.
  suspension = local.p.lockout_minutes == 0 ? null : local.p.lockout_minutes
  login = {
    max_failed_attempts              = local.p.max_failed_login_attempts
    suspension_minutes               = local.suspension
    inactive_session_timeout_minutes = local.p.session_idle_minutes
    active_session_timeout_minutes   = local.p.session_max_hours == null ? null : local.p.session_max_hours * 60
  }
  manages_login = anytrue([for v in values(local.login) : v != null])
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
  enabled      = local.enabled[each.key] != null ? local.enabled[each.key] : coalesce(data.akana_twofa_settings.current[each.key].enabled, false)
  max_attempts = local.attempts
  # A verified session skips 2FA for the period: asked once per interval, or at every login.
  recurrence_mode             = local.days == null ? null : (local.days == 0 ? "twofa.each.login" : "twofa.once.each.interval")
  recurrence_interval_minutes = local.days == null || local.days == 0 ? null : local.days * 24 * 60
}

resource "akana_login_settings" "this" {
  for_each                         = local.manages_login ? local.ids : {}
  business_id                      = each.key
  max_failed_attempts              = local.login.max_failed_attempts
  suspension_minutes               = local.login.suspension_minutes
  inactive_session_timeout_minutes = local.login.inactive_session_timeout_minutes
  active_session_timeout_minutes   = local.login.active_session_timeout_minutes
}

# ---- Judged against a baseline, and exceptions limited in time ----

locals {
  # Exceptions in force at this plan (plantimestamp(): the plan's own clock, the same at apply).
  excepted   = toset([for e in var.policy.exceptions : e.scope if timecmp(plantimestamp(), "${e.until}T00:00:00Z") < 0])
  expiring   = [for e in var.policy.exceptions : e if timecmp(plantimestamp(), "${e.until}T00:00:00Z") < 0 && timecmp(timeadd(plantimestamp(), "168h"), "${e.until}T00:00:00Z") >= 0]
  report     = var.baseline == null ? [] : provider::akana::baseline_report(var.baseline, merge(var.policy, { as_of = plantimestamp(), unsupported = local.unsupported }))
  shall_gaps = [for f in local.report : f if f.level == "shall" && f.status == "gap"]
}

check "exceptions_expiring" {
  assert {
    condition     = length(local.expiring) == 0
    error_message = "Exceptions ending within 7 days; from their until date the next plan enforces require_mfa again: ${join(", ", [for e in local.expiring : "${e.scope} (until ${e.until})"])}."
  }
}
