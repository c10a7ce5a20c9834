# Rendered by `trellis generate` from trellis.toml: do not edit.
# Change trellis.toml and run `trellis generate`; `trellis check` fails while this file is stale.

module "network" {
  source          = "./modules/network"
  name            = "acme-${var.environment}"
  cidr            = "10.0.0.0/16"
  az_count        = 2
  nat_gateway     = false
  security_groups = ["api", "db-admin"]
  endpoints = {
    dynamodb       = "Gateway"
    s3             = "Gateway"
    secretsmanager = "Interface"
  }
}
