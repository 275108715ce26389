# The import ID is instance/<type> for the instance's default login settings,
# or <org_id>/<type> for an organization's own login settings.
terraform import zitadel_login_multifactor.passkeys_default instance/MULTI_FACTOR_TYPE_U2F_WITH_VERIFICATION
terraform import zitadel_login_multifactor.passkeys_payments 200000000000000002/MULTI_FACTOR_TYPE_U2F_WITH_VERIFICATION
