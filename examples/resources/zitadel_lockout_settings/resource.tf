# Every organization that inherits the instance defaults: five wrong passwords or three wrong
# one-time codes of one kind in a row lock the user (an administrator unlocks them).
resource "zitadel_lockout_settings" "instance" {
  max_password_attempts = 5
  max_otp_attempts      = 3
}

# One organization's own settings: only the code limit is set; the password limit keeps the value
# the settings hold. When Terraform no longer manages it, the limits found at adoption come back.
resource "zitadel_lockout_settings" "payments" {
  org_id             = "200000000000000002"
  max_otp_attempts   = 3
  restore_on_destroy = true
}
