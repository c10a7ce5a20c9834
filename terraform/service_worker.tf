# Rendered by `trellis generate` from trellis.toml: do not edit.
# Change trellis.toml and run `trellis generate`; `trellis check` fails while this file is stale.

# Exactly the access levels services.worker.uses declares (trellis.iam).
data "aws_iam_policy_document" "worker" {
  statement {
    sid = "JobsQueue"
    actions = [
      "sqs:ChangeMessageVisibility",
      "sqs:DeleteMessage",
      "sqs:GetQueueAttributes",
      "sqs:ReceiveMessage",
      "sqs:SendMessage",
    ]
    resources = [
      "arn:${local.partition}:sqs:${local.region}:${local.account_id}:acme-${var.environment}-jobs",
    ]
  }

  statement {
    sid     = "JobsQueueDeadLetter"
    actions = ["sqs:SendMessage"]
    resources = [
      "arn:${local.partition}:sqs:${local.region}:${local.account_id}:acme-${var.environment}-jobs-dlq",
    ]
  }

  statement {
    sid = "JobRecordsTable"
    actions = [
      "dynamodb:DeleteItem",
      "dynamodb:DescribeTable",
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:UpdateItem",
    ]
    resources = [
      "arn:${local.partition}:dynamodb:${local.region}:${local.account_id}:table/acme-${var.environment}-job_records",
      "arn:${local.partition}:dynamodb:${local.region}:${local.account_id}:table/acme-${var.environment}-job_records/index/*",
    ]
  }

  statement {
    sid     = "FilesTable"
    actions = ["dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:UpdateItem"]
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
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = ["arn:${local.partition}:s3:::acme-${var.environment}-uploads/*"]

    condition {
      test     = "StringEquals"
      variable = "s3:ResourceAccount"
      values   = [local.account_id]
    }
  }
}

module "worker_service" {
  source = "./modules/lambda-service"
  name   = "acme-${var.environment}-worker"
  tags = {
    Name = "acme-${var.environment}-worker"
  }
  package_file    = "${var.artifacts_dir}/worker.zip"
  handler         = "worker.handler.handler"
  memory_mb       = 512
  timeout_seconds = 30
  environment_variables = {
    FILES_TABLE_NAME       = module.files_table.name
    JOBS_QUEUE_URL         = module.jobs_queue.url
    JOB_RECORDS_TABLE_NAME = module.job_records_table.name
    LOG_LEVEL              = "INFO"
    OTEL_SERVICE_NAME      = "acme-${var.environment}-worker"
    TRELLIS_ENV            = var.environment
    TRELLIS_PROJECT        = "acme"
    TRELLIS_ROUTE          = "/worker"
    TRELLIS_SERVICE        = "worker"
    UPLOADS_BUCKET_NAME    = module.uploads_bucket.name
  }
  policy_json              = data.aws_iam_policy_document.worker.json
  permissions_boundary_arn = local.permissions_boundary_arn
  sqs_event_sources = {
    jobs = {
      queue_arn               = module.jobs_queue.arn
      batch_size              = 10
      batching_window_seconds = 0
      max_concurrency         = 10
    }
  }
  log_retention_days = var.log_retention_days
  alarm_actions      = local.alarm_actions
}
