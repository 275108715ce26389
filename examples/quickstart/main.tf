# One MFA policy, enforced at every vendor: MFA on, passkeys required where the vendor has them,
# trusted devices remembered for 30 days. `scripts/quickstart` applies it to the sandbox; point the
# providers at real tenants with the environment variables in docs/<provider>/index.md.

terraform {
  required_providers {
    rhombus = {
      source = "registry.terraform.io/mfa-iac/rhombus"
    }
  }
}

variable "trusted_device_days" {
  description = "How long a trusted device may skip the second factor."
  type        = number
  default     = 30
}

# Settings come from RHOMBUS_ENDPOINT and RHOMBUS_API_KEY.
provider "rhombus" {}

resource "rhombus_mfa_settings" "org" {
  mfa_enabled              = true
  trusted_device_skip_days = var.trusted_device_days
}
