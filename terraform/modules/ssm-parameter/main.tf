resource "aws_ssm_parameter" "this" {
  name        = var.name
  description = var.description
  type        = var.secure ? "SecureString" : "String"
  value       = var.value
  key_id      = var.secure ? var.kms_key_id : null
  tier        = "Standard"
  tags        = var.tags
}
