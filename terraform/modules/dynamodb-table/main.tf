locals {
  provisioned = var.billing_mode == "PROVISIONED"

  # Every key attribute of the table and its indexes, declared once.
  attributes = merge(
    { (var.hash_key) = var.hash_key_type },
    var.range_key == null ? {} : { (var.range_key) = var.range_key_type },
    { for i in values(var.global_secondary_indexes) : i.hash_key => i.hash_key_type },
    { for i in values(var.global_secondary_indexes) : i.range_key => i.range_key_type if i.range_key != null },
  )
}

resource "aws_dynamodb_table" "this" {
  name                        = var.name
  billing_mode                = var.billing_mode
  read_capacity               = local.provisioned ? var.read_capacity : null
  write_capacity              = local.provisioned ? var.write_capacity : null
  hash_key                    = var.hash_key
  range_key                   = var.range_key
  table_class                 = var.table_class
  deletion_protection_enabled = var.deletion_protection

  dynamic "attribute" {
    for_each = local.attributes
    content {
      name = attribute.key
      type = attribute.value
    }
  }

  dynamic "global_secondary_index" {
    for_each = var.global_secondary_indexes
    content {
      name            = global_secondary_index.key
      hash_key        = global_secondary_index.value.hash_key
      range_key       = global_secondary_index.value.range_key
      projection_type = global_secondary_index.value.projection_type
      read_capacity   = local.provisioned ? global_secondary_index.value.read_capacity : null
      write_capacity  = local.provisioned ? global_secondary_index.value.write_capacity : null
    }
  }

  dynamic "ttl" {
    for_each = var.ttl_attribute == null ? [] : [var.ttl_attribute]
    content {
      attribute_name = ttl.value
      enabled        = true
    }
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery
  }

  server_side_encryption {
    enabled     = var.kms_key_arn != null
    kms_key_arn = var.kms_key_arn
  }

  tags = var.tags
}

locals {
  # SystemErrors is published per operation only (TableName, Operation): the alarm sums the
  # operations Trellis's runtime calls (CloudWatch bills each metric of an alarm, so not all).
  system_error_operations = [
    "GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan",
    "BatchWriteItem", "TransactWriteItems",
  ]
}

# Throttled reads or writes (on-demand tables throttle too, past their partition limits or
# a sudden doubling of traffic): callers see ProvisionedThroughputExceeded/ThrottlingException.
resource "aws_cloudwatch_metric_alarm" "throttles" {
  alarm_name          = "${var.name}-throttles"
  alarm_description   = "Requests to ${aws_dynamodb_table.this.name} are throttled (read or write throttle events)."
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.throttle_alarm_threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
  tags                = var.tags

  metric_query {
    id          = "throttles"
    expression  = "FILL(reads, 0) + FILL(writes, 0)"
    label       = "Read and write throttle events"
    return_data = true
  }

  dynamic "metric_query" {
    for_each = { reads = "ReadThrottleEvents", writes = "WriteThrottleEvents" }
    content {
      id = metric_query.key
      metric {
        namespace   = "AWS/DynamoDB"
        metric_name = metric_query.value
        dimensions  = { TableName = aws_dynamodb_table.this.name }
        stat        = "Sum"
        period      = 300
      }
    }
  }
}

# Errors on DynamoDB's side (HTTP 500): the runtime retries them, so any is worth a look.
resource "aws_cloudwatch_metric_alarm" "system_errors" {
  alarm_name          = "${var.name}-system-errors"
  alarm_description   = "DynamoDB answers requests to ${aws_dynamodb_table.this.name} with internal errors."
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
  tags                = var.tags

  metric_query {
    id          = "errors"
    expression  = "SUM(METRICS())"
    label       = "System errors, all operations"
    return_data = true
  }

  dynamic "metric_query" {
    for_each = local.system_error_operations
    content {
      id = "op${metric_query.key}"
      metric {
        namespace   = "AWS/DynamoDB"
        metric_name = "SystemErrors"
        dimensions  = { TableName = aws_dynamodb_table.this.name, Operation = metric_query.value }
        stat        = "Sum"
        period      = 300
      }
    }
  }
}
