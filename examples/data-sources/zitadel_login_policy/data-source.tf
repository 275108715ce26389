# Does the organization force MFA, and which factors may its users choose from? For an
# organization without settings of its own (inherits = true) these are the instance defaults.
data "zitadel_login_policy" "payments" {
  org_id = "200000000000000002"
}

output "payments_forces_mfa" {
  value = data.zitadel_login_policy.payments.force_mfa
}

output "payments_second_factors" {
  value = data.zitadel_login_policy.payments.second_factors
}
