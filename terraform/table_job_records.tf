# Rendered by `trellis generate` from trellis.toml: do not edit.
# Change trellis.toml and run `trellis generate`; `trellis check` fails while this file is stale.

module "job_records_table" {
  source                 = "./modules/dynamodb-table"
  name                   = "acme-${var.environment}-job_records"
  hash_key               = "job_id"
  hash_key_type          = "S"
  ttl_attribute          = "expires_at"
  billing_mode           = "PAY_PER_REQUEST"
  point_in_time_recovery = true
  deletion_protection    = var.deletion_protection
  alarm_actions          = local.alarm_actions
  tags = {
    Name = "acme-${var.environment}-job_records"
  }
}
