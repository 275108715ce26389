# Authenticator apps (TOTP) and security keys as second factors in the instance defaults.
resource "zitadel_login_second_factor" "totp" {
  type = "SECOND_FACTOR_TYPE_OTP"
}

resource "zitadel_login_second_factor" "security_key" {
  type = "SECOND_FACTOR_TYPE_U2F"
}
