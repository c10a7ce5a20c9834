# Rendered by `trellis generate` from trellis.toml: do not edit.
# Change trellis.toml and run `trellis generate`; `trellis check` fails while this file is stale.

# [alarms.environments.<env>] emails: SNS mails each address a confirmation link;
# alarms reach it once followed (Terraform can neither confirm nor remove a pending one).
resource "aws_sns_topic_subscription" "alarm_email" {
  for_each  = toset(lookup(local.alarm_emails, var.environment, []))
  topic_arn = "arn:${local.partition}:sns:${local.region}:${local.account_id}:acme-${var.environment}-alarms"
  protocol  = "email"
  endpoint  = each.value
}
