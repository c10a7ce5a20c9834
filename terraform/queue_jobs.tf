# Rendered by `trellis generate` from trellis.toml: do not edit.
# Change trellis.toml and run `trellis generate`; `trellis check` fails while this file is stale.

module "jobs_queue" {
  source                        = "./modules/sqs-queue"
  name                          = "acme-${var.environment}-jobs"
  fifo                          = false
  visibility_timeout_seconds    = 180
  message_retention_seconds     = 345600
  dlq_message_retention_seconds = 1209600
  max_message_size              = 1048576
  delay_seconds                 = 0
  receive_wait_time_seconds     = 20
  max_receive_count             = 3
  publishers = [
    {
      service    = "s3.amazonaws.com"
      source_arn = "arn:${local.partition}:s3:::acme-${var.environment}-uploads"
    },
  ]
  oldest_message_alarm_seconds = 300
  alarm_actions                = local.alarm_actions
  tags = {
    Name = "acme-${var.environment}-jobs"
  }
}
