resource "aws_secretsmanager_secret" "this" {
  name                    = var.name
  description             = var.description
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = var.recovery_window_days
  tags                    = var.tags
}

# No value in the state: the value is written only through the write-only argument.
resource "aws_secretsmanager_secret_version" "initial" {
  count = var.set_initial_value ? 1 : 0

  secret_id                = aws_secretsmanager_secret.this.id
  secret_string_wo         = var.initial_value_wo
  secret_string_wo_version = var.initial_value_version
}
