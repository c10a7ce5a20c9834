# Rendered by `trellis generate` from trellis.toml: do not edit.
# Change trellis.toml and run `trellis generate`; `trellis check` fails while this file is stale.

module "audit_database" {
  source                = "./modules/rds-database"
  identifier            = "acme-${var.environment}-audit"
  database_name         = "audit"
  mode                  = "serverless"
  engine_version        = "18"
  min_capacity          = 0.0
  max_capacity          = 4
  multi_az              = false
  backup_retention_days = var.production ? 7 : 1
  production            = var.production
  deletion_protection   = var.deletion_protection
  vpc_id                = module.network.vpc_id
  subnet_ids            = module.network.private_subnet_ids
  client_security_group_ids = {
    api      = module.network.security_group_ids["api"]
    db-admin = module.network.security_group_ids["db-admin"]
  }
  tags = {
    Name = "acme-${var.environment}-audit"
  }
}
