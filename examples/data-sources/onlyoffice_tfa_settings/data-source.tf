data "onlyoffice_tfa_settings" "portal" {}

output "docspace_tfa" {
  value = data.onlyoffice_tfa_settings.portal.type
}
