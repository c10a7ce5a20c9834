# Rendered by `trellis generate` from trellis.toml: do not edit.
# Change trellis.toml and run `trellis generate`; `trellis check` fails while this file is stale.

module "users_table" {
  source        = "./modules/dynamodb-table"
  name          = "acme-${var.environment}-users"
  hash_key      = "user_id"
  hash_key_type = "S"
  global_secondary_indexes = {
    by_created = {
      hash_key        = "list_pk"
      hash_key_type   = "S"
      range_key       = "list_sk"
      range_key_type  = "S"
      projection_type = "ALL"
    }
  }
  billing_mode           = "PAY_PER_REQUEST"
  point_in_time_recovery = true
  deletion_protection    = var.deletion_protection
  alarm_actions          = local.alarm_actions
  tags = {
    Name = "acme-${var.environment}-users"
  }
}
