terraform {
  required_providers {
    onlyoffice = {
      source = "registry.terraform.io/mfa-iac/onlyoffice"
    }
  }
}

# The API key comes from ONLYOFFICE_API_KEY (recommended: unlike session tokens it survives the
# portal-wide logout that enabling TFA causes). Never commit it.
provider "onlyoffice" {
  portal_url = "https://acme.onlyoffice.com"
}
