# The import ID is "instance" or the organization's ID.
terraform import zitadel_login_mfa_settings.instance instance
terraform import zitadel_login_mfa_settings.payments 200000000000000002
