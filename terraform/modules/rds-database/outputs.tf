output "endpoint" {
  description = "Host name services connect to (the cluster's writer endpoint, or the instance's address)."
  value       = local.serverless ? aws_rds_cluster.this[0].endpoint : aws_db_instance.this[0].address
}

output "port" {
  description = "PostgreSQL port."
  value       = local.serverless ? aws_rds_cluster.this[0].port : aws_db_instance.this[0].port
}

output "resource_id" {
  description = "The cluster (cluster-...) or instance (db-...) resource id: rds-db:connect ARNs name it."
  value       = local.serverless ? aws_rds_cluster.this[0].cluster_resource_id : aws_db_instance.this[0].resource_id
}

output "master_secret_arn" {
  description = "ARN of the RDS-managed secret holding the master user's credentials."
  value       = local.serverless ? aws_rds_cluster.this[0].master_user_secret[0].secret_arn : aws_db_instance.this[0].master_user_secret[0].secret_arn
}

output "arn" {
  description = "ARN of the cluster or instance."
  value       = local.serverless ? aws_rds_cluster.this[0].arn : aws_db_instance.this[0].arn
}

output "security_group_id" {
  description = "The database's own security group."
  value       = aws_security_group.this.id
}
