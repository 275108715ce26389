# The MFA policy at ONLYOFFICE DocSpace: the portal's TFA settings and its login limit. See
# README.md for the mapping.

terraform {
  # Provider functions (baseline_report): Terraform 1.8, OpenTofu 1.8.
  required_version = ">= 1.8.0"
  required_providers {
    onlyoffice = {
      source = "registry.terraform.io/mfa-iac/onlyoffice"
    }
  }
}

locals {
  p  = var.policy
  sf = local.p.second_factors == null ? [] : local.p.second_factors
  # DocSpace enforces one method for the whole portal: the authenticator app, or SMS codes when
  # the policy allows SMS and not TOTP.
  # The one scope an exception can name: the whole portal.
  exception_scopes = ["portal"]
  require          = local.p.require_mfa == true && contains(local.excepted, "portal") ? false : local.p.require_mfa
  tfa_type = local.require == null ? null : (
    !local.require ? "none" : (contains(local.sf, "sms") && !contains(local.sf, "totp") ? "sms" : "app")
  )
  # One attempt count caps failed logins and authenticator-code checks: the stricter policy value.
  counts   = [for n in [local.p.max_failed_code_attempts, local.p.max_failed_login_attempts] : n if n != null && n != 0]
  attempts = length(local.counts) == 0 ? null : min(local.counts...)
  # A blocked login stays blocked 1 to 9999 seconds.
  block_seconds = local.p.lockout_minutes == null || local.p.lockout_minutes == 0 || coalesce(local.p.lockout_minutes, 0) * 60 > 9999 ? null : local.p.lockout_minutes * 60
}

# Trusted addresses and mandatory users and groups are not part of the policy: kept as the portal
# holds them (they are cleared only when TFA is switched off, as DocSpace requires).
data "onlyoffice_tfa_settings" "current" {
  count = local.tfa_type == null ? 0 : 1
}

resource "onlyoffice_tfa_settings" "this" {
  count            = local.tfa_type == null ? 0 : 1
  type             = local.tfa_type
  trusted_ips      = local.tfa_type == "none" ? null : data.onlyoffice_tfa_settings.current[0].trusted_ips
  mandatory_users  = local.tfa_type == "none" ? null : data.onlyoffice_tfa_settings.current[0].mandatory_users
  mandatory_groups = local.tfa_type == "none" ? null : data.onlyoffice_tfa_settings.current[0].mandatory_groups
}

# The same attempt count caps authenticator-app code checks per user and minute.
resource "onlyoffice_login_settings" "this" {
  count              = local.attempts == null && local.block_seconds == null ? 0 : 1
  attempt_count      = local.attempts
  block_time_seconds = local.block_seconds
}

# ---- Judged against a baseline, and exceptions limited in time ----

locals {
  # Exceptions in force at this plan (plantimestamp(): the plan's own clock, the same at apply).
  excepted   = toset([for e in var.policy.exceptions : e.scope if timecmp(plantimestamp(), "${e.until}T00:00:00Z") < 0])
  expiring   = [for e in var.policy.exceptions : e if timecmp(plantimestamp(), "${e.until}T00:00:00Z") < 0 && timecmp(timeadd(plantimestamp(), "168h"), "${e.until}T00:00:00Z") >= 0]
  report     = var.baseline == null ? [] : provider::onlyoffice::baseline_report(var.baseline, merge(var.policy, { as_of = plantimestamp(), unsupported = local.unsupported }))
  shall_gaps = [for f in local.report : f if f.level == "shall" && f.status == "gap"]
}

check "exceptions_expiring" {
  assert {
    condition     = length(local.expiring) == 0
    error_message = "Exceptions ending within 7 days; from their until date the next plan enforces require_mfa again: ${join(", ", [for e in local.expiring : "${e.scope} (until ${e.until})"])}."
  }
}
