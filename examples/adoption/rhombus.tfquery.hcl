# With a partner key (RHOMBUS_AUTH_SCHEME=partner-api-token): every client organization; with an
# organization key: its own organization.
list "rhombus_mfa_settings" "organizations" {
  provider = rhombus
  limit    = 1000
}
