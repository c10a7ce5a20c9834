resource "aws_sns_topic" "this" {
  name                        = var.fifo ? "${var.name}.fifo" : var.name
  fifo_topic                  = var.fifo
  content_based_deduplication = var.fifo ? true : null
  kms_master_key_id           = var.kms_key_id
  tags                        = var.tags
}

data "aws_iam_policy_document" "this" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.this.arn]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_sns_topic_policy" "this" {
  arn    = aws_sns_topic.this.arn
  policy = data.aws_iam_policy_document.this.json
}

resource "aws_sns_topic_subscription" "queue" {
  for_each = var.queue_subscriptions

  topic_arn            = aws_sns_topic.this.arn
  protocol             = "sqs"
  endpoint             = each.value.queue_arn
  raw_message_delivery = each.value.raw_delivery
}
