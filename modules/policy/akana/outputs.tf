locals {
  # What the policy sets that the vendor cannot express: listed, and unknown in the baseline report.
  unsupported = merge(
    # Akana offers no passkey login, so `passkeys = false` is already met.
    local.p.passkeys == true ? {
      passkeys = "Akana's 2FA settings have no passkey (WebAuthn) login."
    } : {},
    local.p.second_factors != null ? {
      second_factors = "Akana's 2FA sends a one-time code; which kinds of second factor are allowed is not a setting of its API."
    } : {},
    local.p.phishing_resistant == true ? {
      phishing_resistant = "Akana's 2FA sends a one-time code, which is not phishing-resistant, and offers nothing else."
    } : {},
    local.p.lockout_minutes == 0 ? {
      lockout_minutes = "Akana suspends an account for a number of minutes; until an administrator unlocks it is not a setting. The business's suspension is left as it is."
    } : {},
    local.p.max_failed_code_attempts == 0 ? {
      max_failed_code_attempts = "Akana always limits the tries of one code (max_attempts is 1 or more): 0, never lock, cannot be set; the business's limit is left as it is."
    } : {},
  )
}

output "unsupported" {
  description = "What the policy sets that Akana cannot enforce, each with the reason. Empty: the policy is fully enforced."
  value       = local.unsupported
}

output "baseline_report" {
  description = "The policy judged against var.baseline, as Akana enforces it: one finding per control (status met, gap, unknown or excepted). Empty without a baseline."
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
