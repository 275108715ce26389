# The same audit for Terraform before 1.5 (no `check` blocks): outputs list what does not comply,
# and `compliant` is false when anything is listed. Run `terraform apply` (it changes nothing) and
# read the outputs, or fail a pipeline on `terraform output -raw compliant`. Akana's `enabled` is
# null when 2FA was never configured, hence `== true`.

terraform {
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

output "zitadel_orgs_not_forcing_mfa" {
  value = sort([for id, p in data.zitadel_login_policy.org : id if !p.force_mfa])
}

output "akana_businesses_without_2fa" {
  value = sort([for id, b in data.akana_twofa_settings.business : id if b.enabled != true])
}

output "zitadel_orgs_not_locking_out_guessed_codes" {
  description = "Organizations whose max_otp_attempts is not between 1 and 5."
  value       = sort([for id, p in data.zitadel_lockout_policy.org : id if p.max_otp_attempts < 1 || p.max_otp_attempts > 5])
}

output "docspace_attempt_count" {
  description = "Failed logins DocSpace allows before it blocks; at most 5 complies."
  value       = data.onlyoffice_login_settings.portal.attempt_count
}

output "compliant" {
  value = alltrue(concat(
    [for p in data.zitadel_login_policy.org : p.force_mfa],
    [for p in data.zitadel_lockout_policy.org : p.max_otp_attempts >= 1 && p.max_otp_attempts <= 5],
    [data.onlyoffice_login_settings.portal.attempt_count <= 5],
    [for b in data.akana_twofa_settings.business : b.enabled == true],
  ))
}
