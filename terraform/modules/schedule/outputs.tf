output "name" {
  description = "Name of the schedule."
  value       = aws_scheduler_schedule.this.name
}

output "arn" {
  description = "ARN of the schedule."
  value       = aws_scheduler_schedule.this.arn
}

output "role_arn" {
  description = "ARN of the role the scheduler assumes to reach the target."
  value       = aws_iam_role.this.arn
}
