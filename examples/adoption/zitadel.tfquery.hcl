# Every factor, the MFA and the lock-out settings of the instance defaults and of every organization with login
# settings of its own. Organizations that inherit the instance defaults own nothing to import.
list "zitadel_login_second_factor" "second_factors" {
  provider = zitadel
  limit    = 1000
}

list "zitadel_login_multifactor" "passkeys" {
  provider = zitadel
  limit    = 1000
}

list "zitadel_login_mfa_settings" "mfa" {
  provider = zitadel
  limit    = 1000

  # Only some organizations:
  # config {
  #   org_ids          = ["200000000000000002"]
  #   include_instance = true
  # }
}

# Lock-out settings of the instance and of every organization with lock-out settings of its own.
list "zitadel_lockout_settings" "lockout" {
  provider = zitadel
  limit    = 1000
}
