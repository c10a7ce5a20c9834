output "name" {
  description = "Name of the bus."
  value       = aws_cloudwatch_event_bus.this.name
}

output "arn" {
  description = "ARN of the bus: what publishing services get as <BUS>_BUS_ARN."
  value       = aws_cloudwatch_event_bus.this.arn
}

output "rule_arns" {
  description = "ARN of each rule, by its key."
  value       = { for key, rule in aws_cloudwatch_event_rule.this : key => rule.arn }
}
