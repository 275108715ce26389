output "unsupported" {
  description = "What the policy sets that DocSpace cannot enforce, each with the reason. Empty: the policy is fully enforced."
  value = merge(
    # DocSpace asks for the code at every login (it remembers no device): 0 days is already met.
    coalesce(local.p.trusted_device_days, 0) != 0 ? {
      trusted_device_days = "DocSpace does not remember verified devices; trusted_ips (addresses) is the closest it has."
    } : {},
    # DocSpace offers no passkey login, so `passkeys = false` is already met.
    local.p.passkeys == true ? {
      passkeys = "DocSpace has no passkey (WebAuthn) login."
    } : {},
    local.p.max_failed_code_attempts == 0 ? {
      max_failed_code_attempts = "DocSpace always limits failed attempts (1 to 9999): 0, never lock, cannot be set; the portal's limit is left as it is."
    } : {},
    length(setsubtract(local.sf, ["totp", "sms"])) > 0 || (contains(local.sf, "totp") && contains(local.sf, "sms")) ? {
      second_factors = "DocSpace enforces one method for the whole portal, the authenticator app (totp) or SMS codes; e-mail codes and security keys it does not offer. This module uses ${local.tfa_type == null ? "none (require_mfa is unset)" : local.tfa_type}."
    } : {},
  )
}
