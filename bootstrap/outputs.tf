output "state_bucket" {
  description = "Terraform state bucket: pass it to `terraform init -backend-config=bucket=...` (CI variable TF_STATE_BUCKET)."
  value       = module.state_bucket.name
}

output "deploy_role_arns" {
  description = "Deploy role of each environment (CI variable AWS_DEPLOY_ROLE_ARN of that GitHub environment)."
  value       = { for env, role in aws_iam_role.deploy : env => role.arn }
}

output "permissions_boundary_arns" {
  description = "Boundary of each environment: every role that environment's deploy role creates carries it."
  value       = { for env, policy in aws_iam_policy.boundary : env => policy.arn }
}

output "plan_role_arn" {
  description = "Role of the pull-request plans (repository variable AWS_PLAN_ROLE_ARN): reads one environment's state."
  value       = aws_iam_role.plan.arn
}

output "alarm_topic_arns" {
  description = "Alarm topic of each environment; subscribe the on-call address to production's."
  value       = { for env, topic in aws_sns_topic.alarms : env => topic.arn }
}

output "ecs_infrastructure_role_arns" {
  description = "ECS Express infrastructure role of each environment (the root configuration's ecs_infrastructure_role_arn)."
  value       = { for env, role in aws_iam_role.ecs_infrastructure : env => role.arn }
}
