locals {
  # What the policy sets that the vendor cannot express: listed, and unknown in the baseline report.
  unsupported = merge(
    local.p.session_idle_minutes != null ? {
      session_idle_minutes = "ZITADEL's login settings have no idle timeout: a session lasts until its check lifetimes (session_max_hours) run out."
    } : {},
  )
}

output "unsupported" {
  description = "What the policy sets that ZITADEL cannot enforce, each with the reason. Empty: the policy is fully enforced."
  value       = local.unsupported
}

output "baseline_report" {
  description = "The policy judged against var.baseline, as ZITADEL enforces it: one finding per control (status met, gap, unknown or excepted). Empty without a baseline."
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
