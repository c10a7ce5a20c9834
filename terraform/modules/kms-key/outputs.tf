output "arn" {
  description = "ARN of the key: what resources are encrypted with and IAM policies name."
  value       = aws_kms_key.this.arn
}

output "alias_arn" {
  description = "ARN of the key's alias."
  value       = aws_kms_alias.this.arn
}
