output "function_name" {
  description = "Name of the function."
  value       = aws_lambda_function.this.function_name
}

output "arn" {
  description = "ARN of the function."
  value       = aws_lambda_function.this.arn
}

output "invoke_arn" {
  description = "ARN API Gateway uses to invoke the function (Lambda proxy integration): the live alias's with SnapStart."
  value       = local.invoke_arn
}

output "invoke_function_name" {
  description = "What a resource-based permission names (API Gateway's): the live alias's ARN with SnapStart, else the function's name."
  value       = var.snap_start ? aws_lambda_alias.live[0].arn : aws_lambda_function.this.function_name
}

output "target_arn" {
  description = "ARN invocations address (gateway permission, schedules): the live alias with SnapStart, else the function."
  value       = local.target_arn
}

output "role_arn" {
  description = "ARN of the function's own execution role."
  value       = aws_iam_role.this.arn
}

output "role_name" {
  description = "Name of the function's own execution role."
  value       = aws_iam_role.this.name
}

output "log_group_name" {
  description = "CloudWatch log group of the function."
  value       = aws_cloudwatch_log_group.this.name
}
