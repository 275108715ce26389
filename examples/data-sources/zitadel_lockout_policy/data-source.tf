# Does the organization lock users out after repeated wrong codes? For an organization without
# settings of its own (inherits = true) these are the instance's values.
data "zitadel_lockout_policy" "payments" {
  org_id = "200000000000000002"
}

output "payments_limits_code_guessing" {
  value = data.zitadel_lockout_policy.payments.max_otp_attempts > 0
}
