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
    FILES_TABLE_NAME    = module.files_table.name
    LOG_LEVEL           = "INFO"
    OTEL_SERVICE_NAME   = "acme-${var.environment}-api"
    TRELLIS_ENV         = var.environment
    TRELLIS_PROJECT     = "acme"
    TRELLIS_ROUTE       = "/api"
    TRELLIS_SERVICE     = "api"
    UPLOADS_BUCKET_NAME = module.uploads_bucket.name
    USERS_TABLE_NAME    = module.users_table.name
  }
  policy_json              = data.aws_iam_policy_document.api.json
  permissions_boundary_arn = local.permissions_boundary_arn
  log_retention_days       = var.log_retention_days
  alarm_actions            = local.alarm_actions
}
