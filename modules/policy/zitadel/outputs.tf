output "unsupported" {
  description = "The policy attributes ZITADEL cannot enforce, each with the reason: ZITADEL has a setting for every one."
  value       = {}
}
