# One MFA policy, enforced at every vendor: MFA on, passkeys required where the vendor has them,
# trusted devices remembered for 30 days, and a limit on guessing codes and passwords beside it.
# `scripts/quickstart` applies it to the sandbox; point the providers at real tenants with the
# environment variables in docs/<provider>/index.md.

terraform {
  required_providers {
    rhombus = {
      source = "registry.terraform.io/mfa-iac/rhombus"
    }
    zitadel = {
      source = "registry.terraform.io/mfa-iac/zitadel"
    }
    onlyoffice = {
      source = "registry.terraform.io/mfa-iac/onlyoffice"
    }
    akana = {
      source = "registry.terraform.io/mfa-iac/akana"
    }
  }
}

variable "zitadel_org_id" {
  description = "The ZITADEL organization whose login settings require passkeys (the sandbox's \"Acme Labs\")."
  type        = string
  default     = "300000000000000003"
}

variable "trusted_device_days" {
  description = "How long a trusted device may skip the second factor."
  type        = number
  default     = 30
}

# Settings come from RHOMBUS_ENDPOINT and RHOMBUS_API_KEY.
provider "rhombus" {}

resource "rhombus_mfa_settings" "org" {
  mfa_enabled              = true
  trusted_device_skip_days = var.trusted_device_days
}

# Settings come from ZITADEL_URL and ZITADEL_ACCESS_TOKEN.
provider "zitadel" {}

# Passkeys for the organization, and one-time codes by e-mail as a second factor.
resource "zitadel_login_multifactor" "passkeys" {
  type   = "MULTI_FACTOR_TYPE_U2F_WITH_VERIFICATION"
  org_id = var.zitadel_org_id
}

resource "zitadel_login_second_factor" "email_otp" {
  type   = "SECOND_FACTOR_TYPE_OTP_EMAIL"
  org_id = var.zitadel_org_id
}

# MFA is mandatory in the organization and passkeys are required: no username-and-password login
# (the apply warns that users without a passkey, or a linked identity provider, can no longer log
# in). A verified device counts for 30 days. Every other login setting stays as it is.
resource "zitadel_login_mfa_settings" "org" {
  org_id                       = var.zitadel_org_id
  force_mfa                    = true
  passwordless_type            = "PASSWORDLESS_TYPE_ALLOWED"
  user_login                   = false
  second_factor_check_lifetime = "${var.trusted_device_days * 24}h"
  multi_factor_check_lifetime  = "${var.trusted_device_days * 24}h"

  depends_on = [zitadel_login_multifactor.passkeys]
}

# Three wrong one-time codes (or five wrong passwords) in a row lock the user until an
# administrator unlocks them.
resource "zitadel_lockout_settings" "org" {
  org_id                = var.zitadel_org_id
  max_password_attempts = 5
  max_otp_attempts      = 3
}

# Settings come from ONLYOFFICE_PORTAL_URL and ONLYOFFICE_API_KEY.
provider "onlyoffice" {}

# Authenticator-app TFA for the whole portal; the office network is trusted.
resource "onlyoffice_tfa_settings" "portal" {
  type        = "app"
  trusted_ips = ["203.0.113.0/24"]
}

# Three failed logins from one address within ten minutes block that login for fifteen minutes.
resource "onlyoffice_login_settings" "portal" {
  attempt_count        = 3
  check_period_seconds = 600
  block_time_seconds   = 900
}

# Settings come from AKANA_BASE_URL, AKANA_FED_MEMBER_ID, AKANA_EMAIL and AKANA_PASSWORD.
provider "akana" {}

# 2FA on the developer portal; a trusted device is remembered by a cookie.
resource "akana_twofa_settings" "portal" {
  business_id        = "tenantbusiness.acmepaymentscorp"
  enabled            = true
  recurrence_mode    = "twofa.login.new.device"
  device_cookie_name = "acme_2fa_device"
}

# Five failed logins in a row within 15 minutes suspend the account for 30 minutes. (The plan warns
# that this can lock out the provider's own account, which logs in with a password.)
resource "akana_login_settings" "portal" {
  business_id             = "tenantbusiness.acmepaymentscorp"
  max_failed_attempts     = 5
  attempts_period_minutes = 15
  suspension_minutes      = 30
}
