# The import ID is the portal host, as in the provider's portal_url.
terraform import onlyoffice_login_settings.this acme.onlyoffice.com
