# The 2FA settings of every business the administrator can see.
list "akana_twofa_settings" "businesses" {
  provider = akana
  limit    = 1000
}

# The login policy of every business.
list "akana_login_settings" "businesses" {
  provider = akana
  limit    = 1000
}
