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

data "zitadel_login_policy" "org" {
  for_each = var.zitadel_org_ids
  org_id   = each.key
}

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

output "compliant" {
  value = alltrue(concat(
    [for p in data.zitadel_login_policy.org : p.force_mfa],
    [for b in data.akana_twofa_settings.business : b.enabled == true],
  ))
}
