# Every user of the instance must use a second factor or a passkey; postponing the set-up is
# allowed for a week, and a second-factor check lasts a working day.
resource "zitadel_login_mfa_settings" "instance" {
  force_mfa                    = true
  mfa_init_skip_lifetime       = "168h"
  second_factor_check_lifetime = "8h"
}

# One organization's own settings: MFA for password logins only (users of an external identity
# provider are checked there). Other lifetimes keep the values the settings hold.
resource "zitadel_login_mfa_settings" "payments" {
  org_id               = "200000000000000002"
  force_mfa            = true
  force_mfa_local_only = true
}

# Passkeys required: no username-and-password login, passkey login allowed, and the passkey
# factor enabled in the same organization (the provider refuses user_login = false where it would
# leave no way in).
resource "zitadel_login_multifactor" "treasury_passkeys" {
  org_id = "300000000000000003"
  type   = "MULTI_FACTOR_TYPE_U2F_WITH_VERIFICATION"
}

resource "zitadel_login_mfa_settings" "treasury" {
  org_id            = "300000000000000003"
  force_mfa         = true
  passwordless_type = "PASSWORDLESS_TYPE_ALLOWED"
  user_login        = false

  depends_on = [zitadel_login_multifactor.treasury_passkeys]
}
