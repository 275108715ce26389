# The controls of PCI DSS 4.0.1, and a stricter custom baseline made from them.
locals {
  pci = provider::PROVIDER::baseline("pci-dss-4.0.1")
  ours = merge(local.pci, {
    name     = "pci-dss-4.0.1-six-attempts"
    controls = [for c in local.pci.controls : c.id == "8.3.4.a" ? merge(c, { limit = 6 }) : c]
  })
}
