# Adopting an existing estate with `terraform query` (Terraform 1.14 and later): the providers,
# configured from the environment, and one `.tfquery.hcl` file per vendor beside this file. See
# README.md for the commands and what comes out.

terraform {
  required_version = ">= 1.14.0"
  required_providers {
    zitadel    = { source = "registry.terraform.io/mfa-iac/zitadel" }
    akana      = { source = "registry.terraform.io/mfa-iac/akana" }
    rhombus    = { source = "registry.terraform.io/mfa-iac/rhombus" }
    onlyoffice = { source = "registry.terraform.io/mfa-iac/onlyoffice" }
  }
}

# ZITADEL_URL and ZITADEL_ACCESS_TOKEN, AKANA_*, RHOMBUS_API_KEY (a partner key lists every client
# organization), ONLYOFFICE_PORTAL_URL and ONLYOFFICE_API_KEY come from the environment.
provider "zitadel" {}
provider "akana" {}
provider "rhombus" {}
provider "onlyoffice" {}
