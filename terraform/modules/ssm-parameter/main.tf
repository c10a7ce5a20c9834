locals {
  # What a secure parameter holds until `trellis parameter set` gives it its value;
  # the rendered accessors report it as "not set yet" rather than hand it to the service.
  unset_value = "trellis:unset"
}

resource "aws_ssm_parameter" "this" {
  name        = var.name
  description = var.description
  type        = var.secure ? "SecureString" : "String"
  value       = var.secure ? null : var.value
  # A SecureString's value is set out of band (`trellis parameter set`). Terraform writes
  # a placeholder once through the write-only argument and never keeps a value in the
  # state; with value_wo_version unchanged it never writes the value again.
  value_wo         = var.secure ? local.unset_value : null
  value_wo_version = var.secure ? 1 : null
  key_id           = var.secure ? var.kms_key_id : null
  tier             = "Standard"
  tags             = var.tags
}
