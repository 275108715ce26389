# The portal's TFA settings: one object.
list "onlyoffice_tfa_settings" "portal" {
  provider = onlyoffice
}
