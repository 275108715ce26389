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
