terraform {
  required_providers {
    rhombus = { source = "registry.terraform.io/mfa-iac/rhombus" }
    zitadel = { source = "registry.terraform.io/mfa-iac/zitadel" }
    onlyoffice = { source = "registry.terraform.io/mfa-iac/onlyoffice" }
    akana = { source = "registry.terraform.io/mfa-iac/akana" }
  }
}

provider "rhombus" {}

# Require MFA for everyone in the organization; trusted devices skip the second factor for 30 days.
resource "rhombus_mfa_settings" "this" {
  mfa_enabled              = true
  trusted_device_skip_days = 30

  # On destroy, put back the settings found when Terraform adopted the organization.
  restore_on_destroy = false
}

provider "zitadel" {}

# Every organization that inherits the instance defaults: five wrong passwords or three wrong
# one-time codes of one kind in a row lock the user (an administrator unlocks them).
resource "zitadel_lockout_settings" "instance" {
  max_password_attempts = 5
  max_otp_attempts      = 3
}

# One organization's own settings: only the code limit is set; the password limit keeps the value
# the settings hold. When Terraform no longer manages it, the limits found at adoption come back.
resource "zitadel_lockout_settings" "payments" {
  org_id             = "200000000000000002"
  max_otp_attempts   = 3
  restore_on_destroy = true
}

# Every user of the instance must use a second factor or a passkey; postponing the set-up is
# allowed for a week, and a second-factor check lasts a working day.
resource "zitadel_login_mfa_settings" "instance" {
  force_mfa                    = true
  mfa_init_skip_lifetime       = "168h"
  second_factor_check_lifetime = "8h"
}

# One organization's own settings: MFA for password logins only (users of an external identity
# provider are checked there). Other lifetimes keep the values the settings hold.
resource "zitadel_login_mfa_settings" "payments" {
  org_id               = "200000000000000002"
  force_mfa            = true
  force_mfa_local_only = true
}

# Passkeys required: no username-and-password login, passkey login allowed, and the passkey
# factor enabled in the same organization (the provider refuses user_login = false where it would
# leave no way in).
resource "zitadel_login_multifactor" "treasury_passkeys" {
  org_id = "300000000000000003"
  type   = "MULTI_FACTOR_TYPE_U2F_WITH_VERIFICATION"
}

resource "zitadel_login_mfa_settings" "treasury" {
  org_id            = "300000000000000003"
  force_mfa         = true
  passwordless_type = "PASSWORDLESS_TYPE_ALLOWED"
  user_login        = false

  depends_on = [zitadel_login_multifactor.treasury_passkeys]
}

# Passkeys for every organization that uses the instance's default login settings.
resource "zitadel_login_multifactor" "passkeys_default" {
  type = "MULTI_FACTOR_TYPE_U2F_WITH_VERIFICATION"
}

# Passkeys in one organization's own login settings.
resource "zitadel_login_multifactor" "passkeys_payments" {
  type   = "MULTI_FACTOR_TYPE_U2F_WITH_VERIFICATION"
  org_id = "200000000000000002"
}

# Authenticator apps (TOTP) and security keys as second factors in the instance defaults.
resource "zitadel_login_second_factor" "totp" {
  type = "SECOND_FACTOR_TYPE_OTP"
}

resource "zitadel_login_second_factor" "security_key" {
  type = "SECOND_FACTOR_TYPE_U2F"
}

provider "onlyoffice" {}

# Three failed logins within ten minutes from one address block that login for fifteen minutes.
# DocSpace's defaults (5 attempts, 60 s, 60 s) come back when Terraform no longer manages it.
resource "onlyoffice_login_settings" "this" {
  attempt_count        = 3
  check_period_seconds = 600
  block_time_seconds   = 900
  restore_on_destroy   = true
}

# Authenticator-app TFA for everyone, except from the office network; administrators always.
resource "onlyoffice_tfa_settings" "this" {
  type        = "app"
  trusted_ips = ["203.0.113.0/24", "198.51.100.10-198.51.100.20"]

  mandatory_groups = ["44444444-4444-4444-8444-444444444444"]
}

provider "akana" {}

# Five failed logins in a row within 15 minutes suspend the account for 30 minutes; sessions end
# after 8 hours, or after 30 minutes without activity. Other fields keep what the business holds.
resource "akana_login_settings" "portal" {
  business_id                      = "tenantbusiness.acmepaymentscorp"
  max_failed_attempts              = 5
  attempts_period_minutes          = 15
  suspension_minutes               = 30
  active_session_timeout_minutes   = 480
  inactive_session_timeout_minutes = 30
}

# 2FA on the developer portal, asked again on every new device.
resource "akana_twofa_settings" "portal" {
  business_id        = "tenantbusiness.acmepaymentscorp"
  enabled            = true
  code_valid_seconds = 300
  max_attempts       = 3
  recurrence_mode    = "twofa.login.new.device"
  device_cookie_name = "acme_2fa_device"
}
