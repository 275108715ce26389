terraform {
  required_providers {
    zitadel = {
      source = "registry.terraform.io/mfa-iac/zitadel"
    }
  }
}

# Credentials come from the environment: ZITADEL_ACCESS_TOKEN (a service user's personal access
# token) or ZITADEL_JWT_PROFILE_FILE (its key file). Never commit them.
provider "zitadel" {
  url = "https://acme.zitadel.cloud"
}
