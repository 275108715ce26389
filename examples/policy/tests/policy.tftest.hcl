# `terraform test` against mfa-sandbox: apply the policy, then read back what each vendor holds.
# Terraform destroys what the first run created when the test ends (the settings resources forget;
# nothing is switched off).

run "apply_the_policy" {
  command = apply

  assert {
    condition     = length(output.unsupported.zitadel) == 0
    error_message = "ZITADEL enforces every policy attribute."
  }

  assert {
    condition     = contains(keys(output.unsupported.rhombus), "passkeys") && contains(keys(output.unsupported.onlyoffice), "second_factors")
    error_message = "What Rhombus and DocSpace cannot enforce is listed: ${jsonencode(output.unsupported)}"
  }
}

run "vendors_hold_the_policy" {
  command = apply

  module {
    source = "./tests/verify"
  }

  variables {
    zitadel_org_id    = "200000000000000002"
    akana_business_id = "tenantbusiness.acmepaymentscorp"
  }

  assert {
    condition     = data.rhombus_mfa_settings.org.mfa_enabled && data.rhombus_mfa_settings.org.trusted_device_skip_days == 30
    error_message = "Rhombus: MFA on, trusted devices for 30 days."
  }

  assert {
    condition = alltrue([
      data.zitadel_login_policy.org.force_mfa,
      data.zitadel_login_policy.org.passwordless_type == "PASSWORDLESS_TYPE_ALLOWED",
      contains(data.zitadel_login_policy.org.multi_factors, "MULTI_FACTOR_TYPE_U2F_WITH_VERIFICATION"),
      contains(data.zitadel_login_policy.org.second_factors, "SECOND_FACTOR_TYPE_OTP"),
      contains(data.zitadel_login_policy.org.second_factors, "SECOND_FACTOR_TYPE_OTP_EMAIL"),
      data.zitadel_login_policy.org.second_factor_check_lifetime == "720h",
      data.zitadel_lockout_policy.org.max_otp_attempts == 3,
    ])
    error_message = "ZITADEL: MFA forced, passkeys, TOTP and e-mail codes, 30-day checks, 3 code attempts."
  }

  assert {
    condition     = data.onlyoffice_tfa_settings.portal.type == "app" && data.onlyoffice_login_settings.portal.attempt_count == 3
    error_message = "DocSpace: authenticator app, 3 attempts."
  }

  assert {
    condition = alltrue([
      data.akana_twofa_settings.business.enabled,
      data.akana_twofa_settings.business.max_attempts == 3,
      data.akana_twofa_settings.business.recurrence_mode == "twofa.once.each.interval",
      data.akana_twofa_settings.business.recurrence_interval_minutes == 43200,
    ])
    error_message = "Akana: 2FA on, 3 tries per code, asked once every 30 days."
  }
}
