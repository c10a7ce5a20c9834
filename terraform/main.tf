# Rendered by `trellis generate` from trellis.toml: do not edit.
# Change trellis.toml and run `trellis generate`; `trellis check` fails while this file is stale.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_sns_topic" "alarms" {
  count = var.alarm_actions_enabled ? 1 : 0
  name  = "acme-${var.environment}-alarms"
}

locals {
  project                  = "acme"
  region                   = var.region
  account_id               = data.aws_caller_identity.current.account_id
  partition                = data.aws_partition.current.partition
  alarm_actions            = [for t in data.aws_sns_topic.alarms : t.arn]
  permissions_boundary_arn = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:policy/acme-boundary-${var.environment}"
  tags = {
    trellis-project     = "acme"
    trellis-environment = var.environment
    managed-by          = "trellis"
  }
}
