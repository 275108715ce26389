# One MFA policy, enforced at every vendor: MFA on, passkeys required where the vendor has them,
# trusted devices remembered for 30 days. `scripts/quickstart` applies it to the sandbox; point the
# providers at real tenants with the environment variables in docs/<provider>/index.md.

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

# MFA is mandatory in the organization; a verified device counts for 30 days. Every other login
# setting stays as it is.
resource "zitadel_login_mfa_settings" "org" {
  org_id                       = var.zitadel_org_id
  force_mfa                    = true
  second_factor_check_lifetime = "${var.trusted_device_days * 24}h"
  multi_factor_check_lifetime  = "${var.trusted_device_days * 24}h"
}

# Settings come from ONLYOFFICE_PORTAL_URL and ONLYOFFICE_API_KEY.
provider "onlyoffice" {}

# Authenticator-app TFA for the whole portal; the office network is trusted.
resource "onlyoffice_tfa_settings" "portal" {
  type        = "app"
  trusted_ips = ["203.0.113.0/24"]
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
