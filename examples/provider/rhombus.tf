terraform {
  required_providers {
    rhombus = {
      source = "registry.terraform.io/mfa-iac/rhombus"
    }
  }
}

# The API key comes from the RHOMBUS_API_KEY environment variable; never commit it.
provider "rhombus" {
  auth_scheme = "api-token"
}
