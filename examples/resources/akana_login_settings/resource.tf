# Five failed logins in a row within 15 minutes suspend the account for 30 minutes; sessions end
# after 8 hours, or after 30 minutes without activity. Other fields keep what the business holds.
resource "akana_login_settings" "portal" {
  business_id                      = "tenantbusiness.acmepaymentscorp"
  max_failed_attempts              = 5
  attempts_period_minutes          = 15
  suspension_minutes               = 30
  active_session_timeout_minutes   = 480
  inactive_session_timeout_minutes = 30
}
