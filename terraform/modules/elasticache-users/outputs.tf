output "user_ids" {
  description = "User id of each service, by service name."
  value       = { for s, u in aws_elasticache_user.service : s => u.user_id }
}
