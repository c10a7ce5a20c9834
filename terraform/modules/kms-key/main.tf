data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id

  # The key policy. "Resource": "*" in a key policy means this key.
  #
  # It admits the account, so that IAM policies decide who uses the key: each service's
  # role gets exactly the kms: actions its access levels need, through the service that
  # uses the key (kms:ViaService). AWS services that act on their own (CloudWatch Logs,
  # deliveries into encrypted queues) are named here, each pinned to the environment's
  # own resources.
  account_statement = {
    Sid       = "AccountAdministersThroughIam"
    Effect    = "Allow"
    Principal = { AWS = "arn:${data.aws_partition.current.partition}:iam::${local.account_id}:root" }
    Action    = "kms:*"
    Resource  = "*"
  }
  logs_statements = [
    for arns in(length(var.log_group_arns) == 0 ? [] : [var.log_group_arns]) : {
      Sid       = "CloudWatchLogsEncryptsOwnLogGroups"
      Effect    = "Allow"
      Principal = { Service = "logs.${data.aws_region.current.region}.amazonaws.com" }
      Action    = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"]
      Resource  = "*"
      Condition = { ArnLike = { "kms:EncryptionContext:aws:logs:arn" = arns } }
    }
  ]
  delivery_statements = [
    for service, sources in var.deliveries : {
      Sid       = "DeliveryBy${join("", [for part in split(".", service) : title(part)])}"
      Effect    = "Allow"
      Principal = { Service = service }
      Action    = ["kms:Decrypt", "kms:GenerateDataKey"]
      Resource  = "*"
      # Bucket ARNs name no account: the delivery must be on behalf of this account.
      Condition = {
        ArnLike      = { "aws:SourceArn" = sources }
        StringEquals = { "aws:SourceAccount" = local.account_id }
      }
    }
  ]
}

resource "aws_kms_key" "this" {
  description             = var.description
  enable_key_rotation     = true
  rotation_period_in_days = var.rotation_period_days
  deletion_window_in_days = var.deletion_window_days
  tags                    = var.tags

  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = concat([local.account_statement], local.logs_statements, local.delivery_statements)
  })
}

resource "aws_kms_alias" "this" {
  name          = var.alias
  target_key_id = aws_kms_key.this.key_id
}
