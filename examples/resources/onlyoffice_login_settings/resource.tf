# Three failed logins within ten minutes from one address block that login for fifteen minutes.
# DocSpace's defaults (5 attempts, 60 s, 60 s) come back when Terraform no longer manages it.
resource "onlyoffice_login_settings" "this" {
  attempt_count        = 3
  check_period_seconds = 600
  block_time_seconds   = 900
  restore_on_destroy   = true
}
