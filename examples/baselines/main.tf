# Audit what nobody manages: read every vendor's MFA, lock-out and session settings through the
# data sources, judge each against a baseline with the providers' own functions, report every gap
# as a warning on every plan (`check` blocks), and write the findings as one SARIF document for
# code scanning. Nothing is written to any vendor.
#
# Terraform 1.8 or later (provider functions), or OpenTofu 1.8. Against the sandbox:
#   mfa-sandbox --env-file sandbox.env & . ./sandbox.env
#   terraform init && terraform plan                      # the gaps, as warnings
#   terraform apply -auto-approve                         # records the outputs; changes nothing
#   terraform output -raw sarif > mfa.sarif               # for github/codeql-action/upload-sarif

terraform {
  required_version = ">= 1.8.0"
  required_providers {
    rhombus = {
      source = "registry.terraform.io/mfa-iac/rhombus"
    }
    zitadel = {
      source = "registry.terraform.io/mfa-iac/zitadel"
    }
    onlyoffice = {
      source = "registry.terraform.io/mfa-iac/onlyoffice"
    }
    akana = {
      source = "registry.terraform.io/mfa-iac/akana"
    }
  }
}

variable "baseline" {
  description = "The baseline to judge against: \"pci-dss-4.0.1\", \"nist-800-63b-4-aal2\", \"nist-800-63b-4-aal3\", or an object like provider::zitadel::baseline() returns."
  type        = any
  default     = "pci-dss-4.0.1"
}

variable "zitadel_org_ids" {
  description = "ZITADEL organizations to audit (the sandbox's \"Acme Payments\" and \"Acme Labs\")."
  type        = set(string)
  default     = ["200000000000000002", "300000000000000003"]
}

variable "akana_business_ids" {
  description = "Akana businesses to audit (the sandbox's tenant root business)."
  type        = set(string)
  default     = ["tenantbusiness.acmepaymentscorp"]
}

# Each provider's settings come from its environment variables (docs/<provider>/index.md).
provider "rhombus" {}
provider "zitadel" {}
provider "onlyoffice" {}
provider "akana" {}

data "rhombus_mfa_settings" "own" {}

data "zitadel_login_policy" "org" {
  for_each = var.zitadel_org_ids
  org_id   = each.key
}

data "zitadel_lockout_policy" "org" {
  for_each = var.zitadel_org_ids
  org_id   = each.key
}

data "onlyoffice_tfa_settings" "portal" {}
data "onlyoffice_login_settings" "portal" {}

data "akana_twofa_settings" "business" {
  for_each    = var.akana_business_ids
  business_id = each.key
}

data "akana_login_settings" "business" {
  for_each    = var.akana_business_ids
  business_id = each.key
}

locals {
  # Each vendor's objects judged as that vendor means them.
  reports = {
    rhombus    = provider::rhombus::baseline_report(var.baseline, [data.rhombus_mfa_settings.own])
    zitadel    = provider::zitadel::baseline_report(var.baseline, concat(values(data.zitadel_login_policy.org), values(data.zitadel_lockout_policy.org)))
    onlyoffice = provider::onlyoffice::baseline_report(var.baseline, [data.onlyoffice_tfa_settings.portal, data.onlyoffice_login_settings.portal])
    akana      = provider::akana::baseline_report(var.baseline, concat(values(data.akana_twofa_settings.business), values(data.akana_login_settings.business)))
  }
  findings = flatten(values(local.reports))
  # One line per gap: the control, its scope, the standard's words and what the vendor holds.
  gaps = { for vendor, report in local.reports : vendor => [
    for f in report : "${f.level} ${f.control} at ${f.scope}: ${f.requirement} Actual: ${f.actual}" if f.status == "gap"
  ] }
}

check "rhombus" {
  assert {
    condition     = length(local.gaps.rhombus) == 0
    error_message = "Rhombus misses ${length(local.gaps.rhombus)} controls:\n${join("\n", local.gaps.rhombus)}"
  }
}

check "zitadel" {
  assert {
    condition     = length(local.gaps.zitadel) == 0
    error_message = "ZITADEL misses ${length(local.gaps.zitadel)} controls:\n${join("\n", local.gaps.zitadel)}"
  }
}

check "onlyoffice" {
  assert {
    condition     = length(local.gaps.onlyoffice) == 0
    error_message = "DocSpace misses ${length(local.gaps.onlyoffice)} controls:\n${join("\n", local.gaps.onlyoffice)}"
  }
}

check "akana" {
  assert {
    condition     = length(local.gaps.akana) == 0
    error_message = "Akana misses ${length(local.gaps.akana)} controls:\n${join("\n", local.gaps.akana)}"
  }
}

output "findings" {
  description = "Every finding of every vendor: control, scope, status (met, gap, unknown) and what the vendor holds."
  value       = local.findings
}

output "sarif" {
  description = "The findings as a SARIF 2.1.0 document: terraform output -raw sarif > mfa.sarif"
  value       = provider::zitadel::sarif(local.findings)
}
