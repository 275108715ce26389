output "unsupported" {
  description = "What the policy sets that Akana cannot enforce, each with the reason. Empty: the policy is fully enforced."
  value = merge(
    # Akana offers no passkey login, so `passkeys = false` is already met.
    local.p.passkeys == true ? {
      passkeys = "Akana's 2FA settings have no passkey (WebAuthn) login."
    } : {},
    local.p.second_factors != null ? {
      second_factors = "Akana's 2FA sends a one-time code; which kinds of second factor are allowed is not a setting of its API."
    } : {},
    local.p.max_failed_code_attempts == 0 ? {
      max_failed_code_attempts = "Akana always limits the tries of one code (max_attempts is 1 or more): 0, never lock, cannot be set; the business's limit is left as it is."
    } : {},
  )
}
