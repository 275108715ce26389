# The policy object, judged as this vendor would enforce it (exceptions are judged at as_of).
output "policy_report" {
  value = provider::PROVIDER::baseline_report("pci-dss-4.0.1", {
    require_mfa               = true
    max_failed_login_attempts = 10
    lockout_minutes           = 30
    exceptions                = [{ scope = "SCOPE", until = "2027-03-31", reason = "migration of the shop floor" }]
    as_of                     = plantimestamp()
  })
}

# What the vendor holds, read through the data sources, judged as the vendor means it.
output "held_report" {
  value = provider::PROVIDER::baseline_report("nist-800-63b-4-aal2", OBJECTS)
}
