output "unsupported" {
  description = "The policy attributes Rhombus cannot enforce, each with the reason."
  value = {
    max_failed_code_attempts = "Rhombus has no setting for failed second-factor codes per organization."
    passkeys                 = "Rhombus's organization MFA settings have no passkey (WebAuthn) login switch."
    second_factors           = "Rhombus chooses the second factor itself; an organization cannot select them."
  }
}

output "managed" {
  description = "The organizations whose MFA settings this module manages."
  value       = [for k, r in rhombus_mfa_settings.this : r.id]
}
