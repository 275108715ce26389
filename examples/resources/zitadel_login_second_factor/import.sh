# The import ID is instance/<type> or <org_id>/<type>.
terraform import zitadel_login_second_factor.totp instance/SECOND_FACTOR_TYPE_OTP
