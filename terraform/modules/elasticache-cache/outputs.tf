output "endpoint" {
  description = "Host name of the cache's endpoint (TLS)."
  value       = aws_elasticache_serverless_cache.this.endpoint[0].address
}

output "port" {
  description = "Port of the endpoint (6379)."
  value       = aws_elasticache_serverless_cache.this.endpoint[0].port
}

output "arn" {
  description = "ARN of the serverless cache."
  value       = aws_elasticache_serverless_cache.this.arn
}

output "security_group_id" {
  description = "The cache's own security group."
  value       = aws_security_group.this.id
}
