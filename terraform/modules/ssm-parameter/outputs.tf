output "name" {
  description = "Name of the parameter (what <NAME>_PARAMETER_NAME env vars carry)."
  value       = aws_ssm_parameter.this.name
}

output "arn" {
  description = "ARN of the parameter."
  value       = aws_ssm_parameter.this.arn
}
