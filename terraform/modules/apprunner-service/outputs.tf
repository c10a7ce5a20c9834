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

output "vpc_connector_arn" {
  description = "ARN of the service's VPC connector; null without a VPC."
  value       = one(aws_apprunner_vpc_connector.this[*].arn)
}
