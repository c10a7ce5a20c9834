# Rendered by `trellis generate` from trellis.toml: do not edit.
# Change trellis.toml and run `trellis generate`; `trellis check` fails while this file is stale.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  project    = "acme"
  region     = var.region
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  alarm_routes = {
    prod = [
      "arn:${local.partition}:sns:${local.region}:${local.account_id}:acme-prod-alarms",
    ]
  }
  alarm_emails = {
    prod = ["oncall@example.com"]
  }
  alarm_actions            = lookup(local.alarm_routes, var.environment, [])
  permissions_boundary_arn = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:policy/acme-boundary-${var.environment}"
  tags = {
    trellis-project     = "acme"
    trellis-environment = var.environment
    managed-by          = "trellis"
  }
}
