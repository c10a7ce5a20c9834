resource "aws_cloudwatch_event_bus" "this" {
  name        = var.name
  description = var.description
  tags        = var.tags
}

resource "aws_cloudwatch_event_rule" "this" {
  for_each = var.rules

  name           = each.value.name
  description    = each.value.description
  event_bus_name = aws_cloudwatch_event_bus.this.name
  event_pattern  = each.value.event_pattern
  state          = "ENABLED"
  tags           = var.tags
}

# Queue targets need no role: each queue's policy admits events.amazonaws.com from its rule
# (sqs-queue's publishers). Lambda targets are admitted by the permission below.
resource "aws_cloudwatch_event_target" "this" {
  for_each = var.targets

  event_bus_name = aws_cloudwatch_event_bus.this.name
  rule           = aws_cloudwatch_event_rule.this[each.value.rule].name
  target_id      = each.key
  arn            = each.value.arn

  retry_policy {
    maximum_event_age_in_seconds = var.maximum_event_age_seconds
    maximum_retry_attempts       = var.maximum_retry_attempts
  }

  dynamic "input_transformer" {
    for_each = each.value.input_template == null ? [] : [each.value.input_template]
    content {
      input_template = input_transformer.value
    }
  }
}

resource "aws_lambda_permission" "this" {
  for_each = { for key, target in var.targets : key => target if target.kind == "lambda" }

  statement_id  = "events-${each.key}"
  action        = "lambda:InvokeFunction"
  function_name = each.value.arn
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.this[each.value.rule].arn
}
