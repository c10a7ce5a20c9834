output "name" {
  description = "Name of the table (what USERS_TABLE_NAME-style env vars carry)."
  value       = aws_dynamodb_table.this.name
}

output "arn" {
  description = "ARN of the table; its indexes are \"<arn>/index/*\"."
  value       = aws_dynamodb_table.this.arn
}
