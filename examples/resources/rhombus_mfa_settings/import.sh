# The import ID is the UUID of the organization the API key belongs to
# (shown in the Rhombus console, or as org.uuid by POST /api/org/getOrgV2).
terraform import rhombus_mfa_settings.this AAAAAAAAAAAAAAAAAAAAAA
