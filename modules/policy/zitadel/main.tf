# The MFA policy at ZITADEL: the login settings, factors and lock-out settings of the instance
# defaults, or of each organization in `org_ids`. See README.md for the mapping.

terraform {
  # Provider functions (baseline_report): Terraform 1.8, OpenTofu 1.8.
  required_version = ">= 1.8.0"
  required_providers {
    zitadel = {
      source = "registry.terraform.io/mfa-iac/zitadel"
    }
  }
}

locals {
  p      = var.policy
  scopes = var.org_ids == null ? { instance = null } : { for id in var.org_ids : id => id }
  # An exception names an organization of org_ids, or "instance" for the instance defaults.
  exception_scopes = keys(local.scopes)
  second_factor = {
    totp         = "SECOND_FACTOR_TYPE_OTP"
    email        = "SECOND_FACTOR_TYPE_OTP_EMAIL"
    sms          = "SECOND_FACTOR_TYPE_OTP_SMS"
    security_key = "SECOND_FACTOR_TYPE_U2F"
  }
  # Phishing-resistant only: the security key (WebAuthn) is the second factor, passkeys are allowed.
  resistant    = local.p.phishing_resistant == true
  factor_names = distinct(concat(local.p.second_factors == null ? [] : local.p.second_factors, local.resistant ? ["security_key"] : []))
  factors = {
    for pair in setproduct(keys(local.scopes), local.factor_names) :
    "${pair[0]}/${pair[1]}" => { scope = pair[0], type = local.second_factor[pair[1]] }
  }
  passkeys = local.resistant ? true : local.p.passkeys
  # A check lasts as long as a verified device skips the second factor and at most a session's
  # maximum: both check lifetimes, the shorter of the two when both are set.
  hours            = [for h in [local.p.trusted_device_days == null ? null : local.p.trusted_device_days * 24, local.p.session_max_hours] : h if h != null]
  lifetime         = length(local.hours) == 0 ? null : (min(local.hours...) == 0 ? "0s" : "${min(local.hours...)}h")
  manages_settings = local.p.require_mfa != null || local.lifetime != null || local.passkeys != null
  # MFA as the policy requires it, off for a scope while an exception for it is in force.
  force_mfa = { for k, v in local.scopes : k => local.p.require_mfa == true && contains(local.excepted, k) ? false : local.p.require_mfa }
  lockout   = local.p.max_failed_code_attempts != null || local.p.max_failed_login_attempts != null
}

resource "zitadel_login_second_factor" "this" {
  for_each = local.factors
  org_id   = local.scopes[each.value.scope]
  type     = each.value.type
}

# Passkey login needs the passkey multi-factor enabled as well as passkeys allowed.
resource "zitadel_login_multifactor" "passkey" {
  for_each = local.passkeys == true ? local.scopes : {}
  org_id   = each.value
  type     = "MULTI_FACTOR_TYPE_U2F_WITH_VERIFICATION"
}

# force_mfa is required by the resource: when the policy leaves it unset, the value the scope
# holds is written back as it is.
data "zitadel_login_policy" "current" {
  for_each = local.manages_settings && local.p.require_mfa == null ? local.scopes : {}
  org_id   = each.value
}

resource "zitadel_login_mfa_settings" "this" {
  for_each                     = local.manages_settings ? local.scopes : {}
  org_id                       = each.value
  force_mfa                    = local.force_mfa[each.key] != null ? local.force_mfa[each.key] : data.zitadel_login_policy.current[each.key].force_mfa
  second_factor_check_lifetime = local.lifetime
  multi_factor_check_lifetime  = local.lifetime
  passwordless_type            = local.passkeys == null ? null : (local.passkeys ? "PASSWORDLESS_TYPE_ALLOWED" : "PASSWORDLESS_TYPE_NOT_ALLOWED")

  # Factors first: forcing MFA where none is allowed yet is refused.
  depends_on = [zitadel_login_second_factor.this, zitadel_login_multifactor.passkey]

  lifecycle {
    precondition {
      condition     = !local.resistant || alltrue([for f in local.factor_names : f == "security_key"])
      error_message = "policy.phishing_resistant = true allows only \"security_key\" among policy.second_factors (one-time codes are not phishing-resistant)."
    }
  }
}

resource "zitadel_lockout_settings" "this" {
  for_each              = local.lockout ? local.scopes : {}
  org_id                = each.value
  max_otp_attempts      = local.p.max_failed_code_attempts
  max_password_attempts = local.p.max_failed_login_attempts
}

# ---- Judged against a baseline, and exceptions limited in time ----

locals {
  # Exceptions in force at this plan (plantimestamp(): the plan's own clock, the same at apply).
  excepted   = toset([for e in var.policy.exceptions : e.scope if timecmp(plantimestamp(), "${e.until}T00:00:00Z") < 0])
  expiring   = [for e in var.policy.exceptions : e if timecmp(plantimestamp(), "${e.until}T00:00:00Z") < 0 && timecmp(timeadd(plantimestamp(), "168h"), "${e.until}T00:00:00Z") >= 0]
  report     = var.baseline == null ? [] : provider::zitadel::baseline_report(var.baseline, merge(var.policy, { as_of = plantimestamp(), unsupported = local.unsupported }))
  shall_gaps = [for f in local.report : f if f.level == "shall" && f.status == "gap"]
}

check "exceptions_expiring" {
  assert {
    condition     = length(local.expiring) == 0
    error_message = "Exceptions ending within 7 days; from their until date the next plan enforces require_mfa again: ${join(", ", [for e in local.expiring : "${e.scope} (until ${e.until})"])}."
  }
}
