data "akana_twofa_settings" "portal" {
  business_id = "tenantbusiness.acmepaymentscorp"
}

output "akana_2fa_each_login" {
  value = data.akana_twofa_settings.portal.enabled && data.akana_twofa_settings.portal.recurrence_mode == "twofa.each.login"
}
