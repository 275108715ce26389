# Compliance without ownership: read the MFA and lock-out settings of several ZITADEL
# organizations, Akana businesses and the DocSpace portal, manage nothing, and let `check` blocks
# (Terraform 1.5 and later) report everything that does not comply — as warnings, on every plan
# and apply.
#
# Against the sandbox: start `mfa-sandbox --env-file sandbox.env`, `. ./sandbox.env`, then
# `terraform init && terraform plan`. In the sandbox four of the five checks fail, on purpose:
# "Acme Labs" (300000000000000003) inherits the instance defaults, which do not force MFA; "Acme
# Payments" (200000000000000002) forces MFA but allows no passkeys; no organization limits wrong
# one-time codes (a fresh ZITADEL never locks anyone out); and the Akana tenant's root business has
# 2FA off. DocSpace's default of 5 attempts complies. Akana's `enabled` is null when 2FA was never configured, hence `== true`.

terraform {
  required_version = ">= 1.5.0"
  required_providers {
    zitadel = {
      source = "registry.terraform.io/mfa-iac/zitadel"
    }
    akana = {
      source = "registry.terraform.io/mfa-iac/akana"
    }
    onlyoffice = {
      source = "registry.terraform.io/mfa-iac/onlyoffice"
    }
  }
}

variable "zitadel_org_ids" {
  description = "ZITADEL organizations that must force MFA."
  type        = set(string)
  default     = ["200000000000000002", "300000000000000003"]
}

variable "akana_business_ids" {
  description = "Akana businesses whose developer portal must require 2FA."
  type        = set(string)
  default     = ["tenantbusiness.acmepaymentscorp"]
}

# Settings come from ZITADEL_URL and ZITADEL_ACCESS_TOKEN; AKANA_* for Akana.
provider "zitadel" {}
provider "akana" {}
provider "onlyoffice" {}

data "zitadel_login_policy" "org" {
  for_each = var.zitadel_org_ids
  org_id   = each.key
}

# A second factor is only as strong as the limit on guessing it.
data "zitadel_lockout_policy" "org" {
  for_each = var.zitadel_org_ids
  org_id   = each.key
}

data "onlyoffice_login_settings" "portal" {}

data "akana_twofa_settings" "business" {
  for_each    = var.akana_business_ids
  business_id = each.key
}

check "zitadel_organizations_force_mfa" {
  assert {
    condition     = alltrue([for p in data.zitadel_login_policy.org : p.force_mfa])
    error_message = "ZITADEL organizations that do not force MFA: ${join(", ", [for id, p in data.zitadel_login_policy.org : id if !p.force_mfa])}."
  }
}

check "zitadel_organizations_allow_passkeys" {
  assert {
    condition     = alltrue([for p in data.zitadel_login_policy.org : contains(p.multi_factors, "MULTI_FACTOR_TYPE_U2F_WITH_VERIFICATION")])
    error_message = "ZITADEL organizations without passkeys: ${join(", ", [for id, p in data.zitadel_login_policy.org : id if !contains(p.multi_factors, "MULTI_FACTOR_TYPE_U2F_WITH_VERIFICATION")])}."
  }
}

check "zitadel_organizations_lock_out_guessed_codes" {
  assert {
    condition     = alltrue([for p in data.zitadel_lockout_policy.org : p.max_otp_attempts >= 1 && p.max_otp_attempts <= 5])
    error_message = "ZITADEL organizations whose max_otp_attempts is not between 1 and 5: ${join(", ", [for id, p in data.zitadel_lockout_policy.org : "${id} (${p.max_otp_attempts})" if p.max_otp_attempts < 1 || p.max_otp_attempts > 5])}."
  }
}

check "docspace_limits_failed_logins" {
  assert {
    condition     = data.onlyoffice_login_settings.portal.attempt_count <= 5
    error_message = "DocSpace allows ${data.onlyoffice_login_settings.portal.attempt_count} failed logins before it blocks; at most 5 complies."
  }
}

check "akana_businesses_require_2fa" {
  assert {
    condition     = alltrue([for b in data.akana_twofa_settings.business : b.enabled == true])
    error_message = "Akana businesses without 2FA: ${join(", ", [for id, b in data.akana_twofa_settings.business : id if b.enabled != true])}."
  }
}
