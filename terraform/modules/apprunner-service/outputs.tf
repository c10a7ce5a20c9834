output "url" {
  description = "HTTPS base URL of the service (the gateway's HTTP proxy target)."
  value       = "https://${aws_apprunner_service.this.service_url}"
}

output "arn" {
  description = "ARN of the service."
  value       = aws_apprunner_service.this.arn
}

output "role_arn" {
  description = "ARN of the service's own instance role."
  value       = aws_iam_role.this.arn
}
