# Compliance without ownership: read the MFA settings of several ZITADEL organizations and Akana
# businesses, manage nothing, and let `check` blocks (Terraform 1.5 and later) report every
# organization or business that does not force MFA — as warnings, on every plan and apply.
#
# Against the sandbox: start `mfa-sandbox --env-file sandbox.env`, `. ./sandbox.env`, then
# `terraform init && terraform plan`. In the sandbox all three checks fail, on purpose: "Acme Labs"
# (300000000000000003) inherits the instance defaults, which do not force MFA; "Acme Payments"
# (200000000000000002) forces MFA but allows no passkeys; and the Akana tenant's root business has
# 2FA off. Akana's `enabled` is null when 2FA was never configured, hence `== true`.

terraform {
  required_version = ">= 1.5.0"
  required_providers {
    zitadel = {
      source = "registry.terraform.io/mfa-iac/zitadel"
    }
    akana = {
      source = "registry.terraform.io/mfa-iac/akana"
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

data "zitadel_login_policy" "org" {
  for_each = var.zitadel_org_ids
  org_id   = each.key
}

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

check "akana_businesses_require_2fa" {
  assert {
    condition     = alltrue([for b in data.akana_twofa_settings.business : b.enabled == true])
    error_message = "Akana businesses without 2FA: ${join(", ", [for id, b in data.akana_twofa_settings.business : id if b.enabled != true])}."
  }
}
