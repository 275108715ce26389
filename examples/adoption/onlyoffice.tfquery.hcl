# The portal's TFA settings: one object.
list "onlyoffice_tfa_settings" "portal" {
  provider = onlyoffice
}

# The portal's brute-force login limit: one object.
list "onlyoffice_login_settings" "portal" {
  provider = onlyoffice
}
