output "url" {
  description = "HTTPS base URL of the service's load balancer endpoint (the gateway's HTTP proxy target)."
  value       = "https://${trimprefix(aws_ecs_express_gateway_service.this.ingress_paths[0].endpoint, "https://")}"
}

output "arn" {
  description = "ARN of the Express service."
  value       = aws_ecs_express_gateway_service.this.service_arn
}

output "role_arn" {
  description = "ARN of the service's own task role."
  value       = aws_iam_role.this.arn
}
