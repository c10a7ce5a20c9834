output "arn" {
  description = "ARN of the secret (what <NAME>_SECRET_ARN env vars carry)."
  value       = aws_secretsmanager_secret.this.arn
}

output "name" {
  description = "Name of the secret."
  value       = aws_secretsmanager_secret.this.name
}
