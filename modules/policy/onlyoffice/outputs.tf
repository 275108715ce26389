locals {
  # What the policy sets that the vendor cannot express: listed, and unknown in the baseline report.
  unsupported = merge(
    # DocSpace asks for the code at every login (it remembers no device): 0 days is already met.
    coalesce(local.p.trusted_device_days, 0) != 0 ? {
      trusted_device_days = "DocSpace does not remember verified devices; trusted_ips (addresses) is the closest it has."
    } : {},
    # DocSpace offers no passkey login, so `passkeys = false` is already met.
    local.p.passkeys == true ? {
      passkeys = "DocSpace has no passkey (WebAuthn) login."
    } : {},
    local.p.phishing_resistant == true ? {
      phishing_resistant = "DocSpace's TFA is an authenticator app or SMS codes, neither phishing-resistant."
    } : {},
    local.p.lockout_minutes == 0 || coalesce(local.p.lockout_minutes, 0) * 60 > 9999 ? {
      lockout_minutes = "DocSpace blocks a login for 1 to 9999 seconds (at most 166 minutes); until an administrator unlocks it is not a setting. The portal's block time is left as it is."
    } : {},
    local.p.session_idle_minutes != null ? {
      session_idle_minutes = "DocSpace's session lifetime is not among the settings this provider manages."
    } : {},
    local.p.session_max_hours != null ? {
      session_max_hours = "DocSpace's session lifetime is not among the settings this provider manages."
    } : {},
    local.p.max_failed_code_attempts == 0 ? {
      max_failed_code_attempts = "DocSpace always limits failed attempts (1 to 9999): 0, never lock, cannot be set; the portal's limit is left as it is."
    } : {},
    length(setsubtract(local.sf, ["totp", "sms"])) > 0 || (contains(local.sf, "totp") && contains(local.sf, "sms")) ? {
      second_factors = "DocSpace enforces one method for the whole portal, the authenticator app (totp) or SMS codes; e-mail codes and security keys it does not offer. This module uses ${local.tfa_type == null ? "none (require_mfa is unset)" : local.tfa_type}."
    } : {},
  )
}

output "unsupported" {
  description = "What the policy sets that DocSpace cannot enforce, each with the reason. Empty: the policy is fully enforced."
  value       = local.unsupported
}

output "baseline_report" {
  description = "The policy judged against var.baseline, as DocSpace enforces it: one finding per control (status met, gap, unknown or excepted). Empty without a baseline."
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
