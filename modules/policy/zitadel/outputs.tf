output "unsupported" {
  description = "What the policy sets that ZITADEL cannot enforce, each with the reason. Empty: the policy is fully enforced (ZITADEL has a setting for every attribute)."
  value       = {}
}
