terraform {
  required_providers {
    akana = {
      source = "registry.terraform.io/mfa-iac/akana"
    }
  }
}

# The account's e-mail and password come from AKANA_EMAIL and AKANA_PASSWORD. Never commit them.
provider "akana" {
  base_url      = "https://acmepaymentscorp.apiportal.akana.com"
  fed_member_id = "acmepaymentscorp"
}
