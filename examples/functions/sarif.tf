# Every gap as a code-scanning alert: terraform output -raw sarif > mfa.sarif
output "sarif" {
  value = provider::PROVIDER::sarif(provider::PROVIDER::baseline_report("pci-dss-4.0.1", OBJECTS))
}
