variable "policy" {
  description = "The MFA policy, the same object for every vendor; an attribute left unset leaves the vendor's value as it is."
  type = object({
    require_mfa              = optional(bool)
    trusted_device_days      = optional(number)
    max_failed_code_attempts = optional(number)
    passkeys                 = optional(bool)
    second_factors           = optional(list(string))
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
}
