# One MFA policy, written once, enforced at four vendors through the policy modules. Each module
# enforces what its vendor can and lists the rest in its `unsupported` output.
#
# Terraform 1.8 or later (the modules call provider functions). Rehearse it against the sandbox:
#   mfa-sandbox --env-file sandbox.env & . ./sandbox.env
#   terraform init && terraform test        # applies, checks what each vendor holds, destroys
#   terraform apply && terraform plan -detailed-exitcode

terraform {
  required_version = ">= 1.8.0"
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

locals {
  policy = {
    require_mfa              = true
    trusted_device_days      = 30
    max_failed_code_attempts = 3
    passkeys                 = true
    second_factors           = ["totp", "email"]
  }
}

variable "zitadel_org_ids" {
  description = "ZITADEL organizations with settings of their own (the sandbox's \"Acme Payments\"); null: the instance defaults."
  type        = set(string)
  default     = ["200000000000000002"]
}

variable "akana_business_ids" {
  description = "Akana businesses (the sandbox's tenant root business)."
  type        = set(string)
  default     = ["tenantbusiness.acmepaymentscorp"]
}

# Each provider's settings come from its environment variables (docs/<provider>/index.md).
provider "rhombus" {}
provider "zitadel" {}
provider "onlyoffice" {}
provider "akana" {}

module "rhombus" {
  source = "../../modules/policy/rhombus"
  policy = local.policy
}

module "zitadel" {
  source  = "../../modules/policy/zitadel"
  policy  = local.policy
  org_ids = var.zitadel_org_ids
}

module "onlyoffice" {
  source = "../../modules/policy/onlyoffice"
  policy = local.policy
}

module "akana" {
  source       = "../../modules/policy/akana"
  policy       = local.policy
  business_ids = var.akana_business_ids
}

output "unsupported" {
  description = "What each vendor cannot enforce of the policy, and why."
  value = {
    rhombus    = module.rhombus.unsupported
    zitadel    = module.zitadel.unsupported
    onlyoffice = module.onlyoffice.unsupported
    akana      = module.akana.unsupported
  }
}
