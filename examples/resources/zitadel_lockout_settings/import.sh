# The import ID is "instance" or the organization's ID.
terraform import zitadel_lockout_settings.instance instance
terraform import zitadel_lockout_settings.payments 200000000000000002
