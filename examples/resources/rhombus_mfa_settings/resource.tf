# Require MFA for everyone in the organization; trusted devices skip the second factor for 30 days.
resource "rhombus_mfa_settings" "this" {
  mfa_enabled              = true
  trusted_device_skip_days = 30

  # On destroy, put back the settings found when Terraform adopted the organization.
  restore_on_destroy = false
}
