# Does the business suspend accounts after repeated failed logins?
data "akana_login_settings" "portal" {
  business_id = "tenantbusiness.acmepaymentscorp"
}

output "akana_limits_failed_logins" {
  value = data.akana_login_settings.portal.max_failed_attempts > 0
}
