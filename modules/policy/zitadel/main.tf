# The MFA policy at ZITADEL: the login settings, factors and lock-out settings of the instance
# defaults, or of each organization in `org_ids`. See README.md for the mapping.

terraform {
  required_version = ">= 1.3.0"
  required_providers {
    zitadel = {
      source = "registry.terraform.io/mfa-iac/zitadel"
    }
  }
}

locals {
  p      = var.policy
  scopes = var.org_ids == null ? { instance = null } : { for id in var.org_ids : id => id }
  second_factor = {
    totp         = "SECOND_FACTOR_TYPE_OTP"
    email        = "SECOND_FACTOR_TYPE_OTP_EMAIL"
    sms          = "SECOND_FACTOR_TYPE_OTP_SMS"
    security_key = "SECOND_FACTOR_TYPE_U2F"
  }
  factors = {
    for pair in setproduct(keys(local.scopes), local.p.second_factors == null ? [] : local.p.second_factors) :
    "${pair[0]}/${pair[1]}" => { scope = pair[0], type = local.second_factor[pair[1]] }
  }
  # A verified device skips the second factor as long as the check lasts: both check lifetimes.
  lifetime = local.p.trusted_device_days == null ? null : (
    local.p.trusted_device_days == 0 ? "0s" : "${local.p.trusted_device_days * 24}h"
  )
  manages_settings = local.p.require_mfa != null || local.p.trusted_device_days != null || local.p.passkeys != null
}

resource "zitadel_login_second_factor" "this" {
  for_each = local.factors
  org_id   = local.scopes[each.value.scope]
  type     = each.value.type
}

# Passkey login needs the passkey multi-factor enabled as well as passkeys allowed.
resource "zitadel_login_multifactor" "passkey" {
  for_each = local.p.passkeys == true ? local.scopes : {}
  org_id   = each.value
  type     = "MULTI_FACTOR_TYPE_U2F_WITH_VERIFICATION"
}

# force_mfa is required by the resource: when the policy leaves it unset, the value the scope
# holds is written back as it is.
data "zitadel_login_policy" "current" {
  for_each = local.manages_settings && local.p.require_mfa == null ? local.scopes : {}
  org_id   = each.value
}

resource "zitadel_login_mfa_settings" "this" {
  for_each                     = local.manages_settings ? local.scopes : {}
  org_id                       = each.value
  force_mfa                    = local.p.require_mfa != null ? local.p.require_mfa : data.zitadel_login_policy.current[each.key].force_mfa
  second_factor_check_lifetime = local.lifetime
  multi_factor_check_lifetime  = local.lifetime
  passwordless_type            = local.p.passkeys == null ? null : (local.p.passkeys ? "PASSWORDLESS_TYPE_ALLOWED" : "PASSWORDLESS_TYPE_NOT_ALLOWED")

  # Factors first: forcing MFA where none is allowed yet is refused.
  depends_on = [zitadel_login_second_factor.this, zitadel_login_multifactor.passkey]
}

resource "zitadel_lockout_settings" "this" {
  for_each         = local.p.max_failed_code_attempts == null ? {} : local.scopes
  org_id           = each.value
  max_otp_attempts = local.p.max_failed_code_attempts
}
