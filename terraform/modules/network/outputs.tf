output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "vpc_arn" {
  description = "ARN of the VPC (the services' network-interface permissions name it)."
  value       = aws_vpc.this.arn
}

output "private_subnet_ids" {
  description = "Private subnets, one per availability zone."
  value       = aws_subnet.private[*].id
}

output "private_subnet_arns" {
  description = "ARNs of the private subnets."
  value       = aws_subnet.private[*].arn
}

output "public_subnet_ids" {
  description = "Public subnets (one per availability zone with public_subnets; the NAT gateway's alone otherwise)."
  value       = aws_subnet.public[*].id
}

output "security_group_ids" {
  description = "Security group of each service in the network, by service name."
  value       = { for k, sg in aws_security_group.service : k => sg.id }
}

output "security_group_arns" {
  description = "ARN of each service's security group, by service name."
  value       = { for k, sg in aws_security_group.service : k => sg.arn }
}

output "endpoint_services" {
  description = "AWS services reachable through a VPC endpoint."
  value       = sort(keys(var.endpoints))
}
