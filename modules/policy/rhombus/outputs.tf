output "unsupported" {
  description = "What the policy sets that Rhombus cannot enforce, each with the reason. Empty: the policy is fully enforced."
  value = merge(
    local.p.max_failed_code_attempts != null ? {
      max_failed_code_attempts = "Rhombus has no setting for failed second-factor codes per organization."
    } : {},
    # Rhombus offers no passkey login, so `passkeys = false` is already met.
    local.p.passkeys == true ? {
      passkeys = "Rhombus's organization MFA settings have no passkey (WebAuthn) login switch."
    } : {},
    local.p.second_factors != null ? {
      second_factors = "Rhombus chooses the second factor itself; an organization cannot select them."
    } : {},
  )
}

output "managed" {
  description = "The organizations whose MFA settings this module manages."
  value       = [for k, r in rhombus_mfa_settings.this : r.id]
}
