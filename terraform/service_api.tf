# Rendered by `trellis generate` from trellis.toml: do not edit.
# Change trellis.toml and run `trellis generate`; `trellis check` fails while this file is stale.

# Exactly the access levels services.api.uses declares (trellis.iam).
data "aws_iam_policy_document" "api" {
  statement {
    sid = "UsersTable"
    actions = [
      "dynamodb:DeleteItem",
      "dynamodb:DescribeTable",
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:Query",
      "dynamodb:UpdateItem",
    ]
    resources = [
      "arn:${local.partition}:dynamodb:${local.region}:${local.account_id}:table/acme-${var.environment}-users",
      "arn:${local.partition}:dynamodb:${local.region}:${local.account_id}:table/acme-${var.environment}-users/index/*",
    ]
  }

  statement {
    sid = "FilesTable"
    actions = [
      "dynamodb:DeleteItem",
      "dynamodb:DescribeTable",
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:Query",
    ]
    resources = [
      "arn:${local.partition}:dynamodb:${local.region}:${local.account_id}:table/acme-${var.environment}-files",
      "arn:${local.partition}:dynamodb:${local.region}:${local.account_id}:table/acme-${var.environment}-files/index/*",
    ]
  }

  statement {
    sid       = "UploadsBucketList"
    actions   = ["s3:ListBucket"]
    resources = ["arn:${local.partition}:s3:::acme-${var.environment}-uploads"]

    condition {
      test     = "StringEquals"
      variable = "s3:ResourceAccount"
      values   = [local.account_id]
    }
  }

  statement {
    sid       = "UploadsBucketObjects"
    actions   = ["s3:DeleteObject", "s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"]
    resources = ["arn:${local.partition}:s3:::acme-${var.environment}-uploads/*"]

    condition {
      test     = "StringEquals"
      variable = "s3:ResourceAccount"
      values   = [local.account_id]
    }
  }

  statement {
    sid     = "AuditDatabase"
    actions = ["rds-db:connect"]
    resources = [
      "arn:${local.partition}:rds-db:${local.region}:${local.account_id}:dbuser:${module.audit_database.resource_id}/api",
    ]
  }

  statement {
    sid     = "ProfilesCache"
    actions = ["elasticache:Connect"]
    resources = [
      "arn:${local.partition}:elasticache:${local.region}:${local.account_id}:serverlesscache:acme-${var.environment}-profiles",
      "arn:${local.partition}:elasticache:${local.region}:${local.account_id}:user:acme-${var.environment}-api",
    ]
  }
}

module "api_service" {
  source = "./modules/lambda-service"
  name   = "acme-${var.environment}-api"
  tags = {
    Name = "acme-${var.environment}-api"
  }
  package_file    = "${var.artifacts_dir}/api.zip"
  handler         = "api.handler.handler"
  memory_mb       = 512
  timeout_seconds = 15
  environment_variables = {
    AUDIT_DATABASE_URL  = "postgresql://api@${module.audit_database.endpoint}:${module.audit_database.port}/audit?sslmode=require"
    FILES_TABLE_NAME    = module.files_table.name
    LOG_LEVEL           = "INFO"
    OTEL_SERVICE_NAME   = "acme-${var.environment}-api"
    PROFILES_CACHE_URL  = "rediss://acme-${var.environment}-api@${module.profiles_cache.endpoint}:${module.profiles_cache.port}?cache_name=acme-${var.environment}-profiles"
    TRELLIS_ENV         = var.environment
    TRELLIS_PROJECT     = "acme"
    TRELLIS_ROUTE       = "/api"
    TRELLIS_SERVICE     = "api"
    UPLOADS_BUCKET_NAME = module.uploads_bucket.name
    USERS_TABLE_NAME    = module.users_table.name
  }
  policy_json              = data.aws_iam_policy_document.api.json
  permissions_boundary_arn = local.permissions_boundary_arn
  vpc = {
    vpc_arn            = module.network.vpc_arn
    subnet_ids         = module.network.private_subnet_ids
    subnet_arns        = module.network.private_subnet_arns
    security_group_id  = module.network.security_group_ids["api"]
    security_group_arn = module.network.security_group_arns["api"]
  }
  log_retention_days = var.log_retention_days
  alarm_actions      = local.alarm_actions
}
