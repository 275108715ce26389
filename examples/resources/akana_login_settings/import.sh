# The import ID is the business ID; the tenant's root business is tenantbusiness.<fed_member_id>.
terraform import akana_login_settings.portal tenantbusiness.acmepaymentscorp
