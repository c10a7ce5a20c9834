data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  name                 = "${var.name}-schedule"
  description          = "Lets EventBridge Scheduler deliver ${var.name} to its target."
  assume_role_policy   = data.aws_iam_policy_document.assume.json
  permissions_boundary = var.permissions_boundary_arn
  tags                 = var.tags
}

data "aws_iam_policy_document" "target" {
  statement {
    sid       = "DeliverToTarget"
    actions   = var.target_kind == "sqs" ? ["sqs:SendMessage"] : ["lambda:InvokeFunction"]
    resources = [var.target_arn]
  }

  # A send to a queue encrypted with a customer key asks KMS for a data key, as the sender.
  dynamic "statement" {
    for_each = var.target_kms_key_arn == null ? [] : [var.target_kms_key_arn]
    content {
      sid       = "EncryptForTarget"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = [statement.value]

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["sqs.${data.aws_region.current.region}.amazonaws.com"]
      }
    }
  }
}

data "aws_region" "current" {}

resource "aws_iam_role_policy" "this" {
  name   = "target"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.target.json
}

resource "aws_scheduler_schedule" "this" {
  name                         = var.name
  schedule_expression          = var.schedule_expression
  schedule_expression_timezone = var.timezone
  kms_key_arn                  = var.kms_key_arn

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = var.target_arn
    role_arn = aws_iam_role.this.arn
    input    = var.input

    retry_policy {
      maximum_retry_attempts = var.retry_attempts
    }

    dynamic "sqs_parameters" {
      for_each = var.message_group_id == null ? [] : [var.message_group_id]
      content {
        message_group_id = sqs_parameters.value
      }
    }
  }
}
