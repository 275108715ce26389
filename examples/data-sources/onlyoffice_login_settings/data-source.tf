# How many wrong passwords does the portal allow before it blocks a login?
data "onlyoffice_login_settings" "this" {}

output "docspace_attempts_allowed" {
  value = data.onlyoffice_login_settings.this.attempt_count
}
