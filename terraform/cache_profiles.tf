# Rendered by `trellis generate` from trellis.toml: do not edit.
# Change trellis.toml and run `trellis generate`; `trellis check` fails while this file is stale.

module "profiles_cache" {
  source                  = "./modules/elasticache-cache"
  name                    = "acme-${var.environment}-profiles"
  major_engine_version    = "8"
  max_storage_gb          = 1
  max_ecpu_per_second     = 5000
  snapshot_retention_days = 1
  default_user_id         = "acme-${var.environment}-profiles-default"
  user_ids                = [module.cache_users.user_ids["api"]]
  vpc_id                  = module.network.vpc_id
  subnet_ids              = module.network.private_subnet_ids
  client_security_group_ids = {
    api = module.network.security_group_ids["api"]
  }
  tags = {
    Name = "acme-${var.environment}-profiles"
  }
}
