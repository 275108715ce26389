# 2FA on the developer portal, asked again on every new device.
resource "akana_twofa_settings" "portal" {
  business_id        = "tenantbusiness.acmepaymentscorp"
  enabled            = true
  code_valid_seconds = 300
  max_attempts       = 3
  recurrence_mode    = "twofa.login.new.device"
  device_cookie_name = "acme_2fa_device"
}
