# Authenticator-app TFA for everyone, except from the office network; administrators always.
resource "onlyoffice_tfa_settings" "this" {
  type        = "app"
  trusted_ips = ["203.0.113.0/24", "198.51.100.10-198.51.100.20"]

  mandatory_groups = ["44444444-4444-4444-8444-444444444444"]
}
