# Rendered by `trellis generate` from trellis.toml: do not edit.
# Change trellis.toml and run `trellis generate`; `trellis check` fails while this file is stale.

module "cache_users" {
  source = "./modules/elasticache-users"
  users = {
    api = "acme-${var.environment}-api"
  }
}
