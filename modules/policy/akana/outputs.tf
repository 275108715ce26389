output "unsupported" {
  description = "The policy attributes Akana cannot enforce, each with the reason."
  value = merge(
    {
      passkeys       = "Akana's 2FA settings have no passkey (WebAuthn) login."
      second_factors = "Akana's 2FA sends a one-time code; which kinds of second factor are allowed is not a setting of its API."
    },
    local.p.max_failed_code_attempts == 0 ? {
      max_failed_code_attempts = "Akana always limits the tries of one code (max_attempts is 1 or more): 0, never lock, cannot be set; the business's limit is left as it is."
    } : {},
  )
}
