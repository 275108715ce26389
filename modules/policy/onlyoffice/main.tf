# The MFA policy at ONLYOFFICE DocSpace: the portal's TFA settings and its login limit. See
# README.md for the mapping.

terraform {
  required_version = ">= 1.3.0"
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
  tfa_type = local.p.require_mfa == null ? null : (
    !local.p.require_mfa ? "none" : (contains(local.sf, "sms") && !contains(local.sf, "totp") ? "sms" : "app")
  )
  attempts = local.p.max_failed_code_attempts == null || local.p.max_failed_code_attempts == 0 ? null : local.p.max_failed_code_attempts
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
  count         = local.attempts == null ? 0 : 1
  attempt_count = local.attempts
}
