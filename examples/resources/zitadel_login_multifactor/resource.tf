# Passkeys for every organization that uses the instance's default login settings.
resource "zitadel_login_multifactor" "passkeys_default" {
  type = "MULTI_FACTOR_TYPE_U2F_WITH_VERIFICATION"
}

# Passkeys in one organization's own login settings.
resource "zitadel_login_multifactor" "passkeys_payments" {
  type   = "MULTI_FACTOR_TYPE_U2F_WITH_VERIFICATION"
  org_id = "200000000000000002"
}
