variable "policy" {
  description = "The MFA policy, the same object for every vendor; an attribute left unset leaves the vendor's value as it is."
  type = object({
    require_mfa               = optional(bool)
    trusted_device_days       = optional(number)
    max_failed_code_attempts  = optional(number)
    passkeys                  = optional(bool)
    second_factors            = optional(list(string))
    phishing_resistant        = optional(bool)
    max_failed_login_attempts = optional(number)
    lockout_minutes           = optional(number)
    session_idle_minutes      = optional(number)
    session_max_hours         = optional(number)
    exceptions = optional(list(object({
      scope  = string
      until  = string
      reason = optional(string)
    })), [])
  })
  default = {}

  validation {
    condition     = alltrue([for f in(var.policy.second_factors == null ? [] : var.policy.second_factors) : contains(["totp", "email", "sms", "security_key"], f)])
    error_message = "Each of policy.second_factors is one of \"totp\", \"email\", \"sms\" or \"security_key\"."
  }
  validation {
    condition     = var.policy.trusted_device_days == null || try(var.policy.trusted_device_days >= 0 && floor(var.policy.trusted_device_days) == var.policy.trusted_device_days, false)
    error_message = "policy.trusted_device_days is a whole number of days, 0 or more (0: always ask)."
  }
  validation {
    condition = alltrue([for n in [var.policy.max_failed_login_attempts, var.policy.lockout_minutes, var.policy.session_idle_minutes, var.policy.session_max_hours] :
    n == null || try(n >= 0 && floor(n) == n, false)])
    error_message = "policy.max_failed_login_attempts, lockout_minutes, session_idle_minutes and session_max_hours are whole numbers, 0 or more."
  }
  validation {
    condition     = alltrue([for e in var.policy.exceptions : try(trimspace(e.reason), "") != ""])
    error_message = "Every exception in policy.exceptions needs a reason: PCI DSS 8.5.1 accepts only documented exceptions."
  }
  validation {
    condition     = alltrue([for e in var.policy.exceptions : can(regex("^[0-9]{4}-[0-9]{2}-[0-9]{2}$", e.until)) && can(formatdate("YYYY", "${e.until}T00:00:00Z"))])
    error_message = "Every exception's until is a date, YYYY-MM-DD."
  }
  validation {
    # At most a year ahead: PCI DSS 8.5.1 accepts only exceptions limited in time.
    condition     = alltrue([for e in var.policy.exceptions : !can(timecmp("${e.until}T00:00:00Z", "2000-01-01T00:00:00Z")) || timecmp("${e.until}T00:00:00Z", timeadd(plantimestamp(), "8784h")) <= 0])
    error_message = "An exception's until is at most a year ahead: PCI DSS 8.5.1 accepts only exceptions limited in time."
  }
}

variable "baseline" {
  description = "A baseline to judge the policy against: a name (\"nist-800-63b-4-aal2\", \"nist-800-63b-4-aal3\", \"pci-dss-4.0.1\") or an object like provider::<type>::baseline() returns. A plan whose policy has a `shall` gap fails."
  type        = any
  default     = null
}

variable "org_uuids" {
  description = "With a partner key: the client organizations to manage. Unset: the API key's own organization."
  type        = set(string)
  default     = null
}
