# Reads back, with the project's data sources, what the vendors hold after the policy was applied.

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
  type = string
}

variable "akana_business_id" {
  type = string
}

data "rhombus_mfa_settings" "org" {}

data "zitadel_login_policy" "org" {
  org_id = var.zitadel_org_id
}

data "zitadel_lockout_policy" "org" {
  org_id = var.zitadel_org_id
}

data "onlyoffice_tfa_settings" "portal" {}

data "onlyoffice_login_settings" "portal" {}

data "akana_twofa_settings" "business" {
  business_id = var.akana_business_id
}
