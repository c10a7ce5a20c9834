# Rendered by `trellis generate` from trellis.toml: do not edit.
# Change trellis.toml and run `trellis generate`; `trellis check` fails while this file is stale.

# The master secrets of this environment's databases, and nothing else.
data "aws_iam_policy_document" "db_admin" {
  statement {
    sid       = "ReadMasterSecrets"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [module.audit_database.master_secret_arn]
  }
}

# Invoked by the deploy workflow after apply: {"database": "<name>"}.
module "db_admin" {
  source          = "./modules/lambda-service"
  name            = "acme-${var.environment}-db-admin"
  package_file    = "${var.artifacts_dir}/db-admin.zip"
  handler         = "trellis.runtime.database.admin.handler"
  memory_mb       = 512
  timeout_seconds = 300
  environment_variables = {
    AUDIT_DATABASE_MASTER_SECRET_ARN = module.audit_database.master_secret_arn
    AUDIT_DATABASE_MIGRATIONS        = "api=migrations/api"
    AUDIT_DATABASE_URL               = "postgresql://trellis_admin@${module.audit_database.endpoint}:${module.audit_database.port}/audit?sslmode=require"
    AUDIT_DATABASE_USERS             = "api"
    LOG_LEVEL                        = "INFO"
    TRELLIS_ENV                      = var.environment
    TRELLIS_PROJECT                  = "acme"
    TRELLIS_SERVICE                  = "db-admin"
  }
  policy_json              = data.aws_iam_policy_document.db_admin.json
  permissions_boundary_arn = local.permissions_boundary_arn
  vpc = {
    vpc_arn            = module.network.vpc_arn
    subnet_ids         = module.network.private_subnet_ids
    subnet_arns        = module.network.private_subnet_arns
    security_group_id  = module.network.security_group_ids["db-admin"]
    security_group_arn = module.network.security_group_arns["db-admin"]
  }
  log_retention_days = var.log_retention_days
  alarm_actions      = local.alarm_actions
}
