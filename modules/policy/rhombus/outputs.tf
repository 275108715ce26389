locals {
  # What the policy sets that the vendor cannot express: listed, and unknown in the baseline report.
  unsupported = merge(
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
    local.p.phishing_resistant == true ? {
      phishing_resistant = "Rhombus offers no phishing-resistant factor (passkey or security key)."
    } : {},
    local.p.max_failed_login_attempts != null ? {
      max_failed_login_attempts = "Rhombus has no lock-out setting per organization."
    } : {},
    local.p.lockout_minutes != null ? {
      lockout_minutes = "Rhombus has no lock-out setting per organization."
    } : {},
    local.p.session_idle_minutes != null ? {
      session_idle_minutes = "Rhombus has no session setting per organization."
    } : {},
    local.p.session_max_hours != null ? {
      session_max_hours = "Rhombus has no session setting per organization."
    } : {},
  )
}

output "unsupported" {
  description = "What the policy sets that Rhombus cannot enforce, each with the reason. Empty: the policy is fully enforced."
  value       = local.unsupported
}

output "managed" {
  description = "The organizations whose MFA settings this module manages."
  value       = [for k, r in rhombus_mfa_settings.this : r.id]
}

output "baseline_report" {
  description = "The policy judged against var.baseline, as Rhombus enforces it: one finding per control (status met, gap, unknown or excepted). Empty without a baseline."
  value       = local.report

  precondition {
    condition     = length(local.shall_gaps) == 0
    error_message = "The policy leaves 'shall' controls of the baseline unmet: ${join("; ", [for f in local.shall_gaps : "${f.control} (${f.reference}) ${f.requirement} Actual: ${f.actual}"])}"
  }
}

output "exceptions" {
  description = "The scopes exempt from require_mfa at this plan, each until its date."
  value       = { for e in var.policy.exceptions : e.scope => e.until if contains(local.excepted, e.scope) }

  precondition {
    condition     = alltrue([for e in var.policy.exceptions : contains(local.exception_scopes, e.scope)])
    error_message = "An exception names a scope this module does not manage (${join(", ", [for e in var.policy.exceptions : e.scope if !contains(local.exception_scopes, e.scope)])}); its scopes are: ${join(", ", local.exception_scopes)}."
  }
}
