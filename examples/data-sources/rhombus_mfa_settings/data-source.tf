# The API key's own organization.
data "rhombus_mfa_settings" "org" {}

output "rhombus_mfa_on" {
  value = data.rhombus_mfa_settings.org.mfa_enabled
}
