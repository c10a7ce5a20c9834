output "invoke_url" {
  description = "Base URL of the stage; a service is at \"<invoke_url>/<route>/...\"."
  value       = aws_api_gateway_stage.this.invoke_url
}

output "rest_api_id" {
  description = "ID of the REST API."
  value       = aws_api_gateway_rest_api.this.id
}

output "execution_arn" {
  description = "Execution ARN of the REST API (for invoke permissions)."
  value       = aws_api_gateway_rest_api.this.execution_arn
}

output "stage_name" {
  description = "Name of the stage."
  value       = aws_api_gateway_stage.this.stage_name
}

output "api_key_ids" {
  description = "IDs of the API keys by route (read a value with `aws apigateway get-api-key --include-value`)."
  value       = { for k, key in aws_api_gateway_api_key.this : k => key.id }
}
