data "aws_region" "current" {}

data "aws_availability_zones" "available" {
  state = "available"

  filter {
    name   = "opt-in-status"
    values = ["opt-in-not-required"]
  }
}

locals {
  azs = slice(data.aws_availability_zones.available.names, 0, var.az_count)
  # Public subnets: one per zone for services whose load balancer faces the internet
  # (ECS Express), else one for the NAT gateway. The first keeps the NAT subnet's range.
  public_count = var.public_subnets ? var.az_count : (var.nat_gateway ? 1 : 0)
  gateway      = { for s, t in var.endpoints : s => t if t == "Gateway" }
  interface    = { for s, t in var.endpoints : s => t if t == "Interface" }
}

resource "aws_vpc" "this" {
  cidr_block           = var.cidr
  enable_dns_support   = true
  enable_dns_hostnames = true # private DNS of the interface endpoints
  tags                 = merge(var.tags, { Name = var.name })
}

# Nothing may use the default security group (CKV2_AWS_12): it is emptied.
resource "aws_default_security_group" "this" {
  vpc_id = aws_vpc.this.id
  tags   = merge(var.tags, { Name = "${var.name}-default-unused" })
}

resource "aws_subnet" "private" {
  count = var.az_count

  vpc_id                  = aws_vpc.this.id
  availability_zone       = local.azs[count.index]
  cidr_block              = cidrsubnet(var.cidr, 4, count.index)
  map_public_ip_on_launch = false
  tags                    = merge(var.tags, { Name = "${var.name}-private-${local.azs[count.index]}" })
}

resource "aws_route_table" "private" {
  vpc_id = aws_vpc.this.id
  tags   = merge(var.tags, { Name = "${var.name}-private" })
}

resource "aws_route_table_association" "private" {
  count = var.az_count

  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private.id
}

# --- public subnets: ECS Express load balancers, and the optional NAT gateway --------------

resource "aws_subnet" "public" {
  count = local.public_count

  vpc_id                  = aws_vpc.this.id
  availability_zone       = local.azs[count.index]
  cidr_block              = cidrsubnet(var.cidr, 4, 15 - count.index)
  map_public_ip_on_launch = false
  tags                    = merge(var.tags, { Name = "${var.name}-public-${local.azs[count.index]}" })
}

resource "aws_internet_gateway" "this" {
  count = local.public_count > 0 ? 1 : 0

  vpc_id = aws_vpc.this.id
  tags   = merge(var.tags, { Name = var.name })
}

resource "aws_route_table" "public" {
  count = local.public_count > 0 ? 1 : 0

  vpc_id = aws_vpc.this.id
  tags   = merge(var.tags, { Name = "${var.name}-public" })
}

resource "aws_route" "public_internet" {
  count = local.public_count > 0 ? 1 : 0

  route_table_id         = aws_route_table.public[0].id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.this[0].id
}

resource "aws_route_table_association" "public" {
  count = local.public_count

  subnet_id      = aws_subnet.public[count.index].id
  route_table_id = aws_route_table.public[0].id
}

resource "aws_eip" "nat" {
  count = var.nat_gateway ? 1 : 0

  domain = "vpc"
  tags   = merge(var.tags, { Name = "${var.name}-nat" })
}

resource "aws_nat_gateway" "this" {
  count = var.nat_gateway ? 1 : 0

  allocation_id = aws_eip.nat[0].id
  subnet_id     = aws_subnet.public[0].id
  tags          = merge(var.tags, { Name = var.name })

  depends_on = [aws_internet_gateway.this]
}

resource "aws_route" "private_nat" {
  count = var.nat_gateway ? 1 : 0

  route_table_id         = aws_route_table.private.id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = aws_nat_gateway.this[0].id
}

# --- one security group per service in the network ----------------------------------------

resource "aws_security_group" "service" {
  for_each = toset(var.security_groups)

  name        = "${var.name}-${each.key}"
  description = "The ${each.key} service: what it may reach (databases and caches admit it by this group)."
  vpc_id      = aws_vpc.this.id
  tags        = merge(var.tags, { Name = "${var.name}-${each.key}" })
}

# A service behind a load balancer ECS Express places in the public subnets: its port,
# from inside the VPC only (the load balancer's nodes; never from the internet directly).
resource "aws_vpc_security_group_ingress_rule" "service_port" {
  for_each = var.ingress_ports

  security_group_id = aws_security_group.service[each.key].id
  description       = "Port ${each.value} from the load balancer in the VPC"
  ip_protocol       = "tcp"
  from_port         = each.value
  to_port           = each.value
  cidr_ipv4         = var.cidr
  tags              = var.tags
}

# HTTPS to the VPC endpoints (and, with the NAT gateway, to the internet); gateway
# endpoints are public addresses routed through the route table, hence 0.0.0.0/0.
resource "aws_vpc_security_group_egress_rule" "service_https" {
  for_each = aws_security_group.service

  security_group_id = each.value.id
  description       = "HTTPS to AWS APIs (VPC endpoints)"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
  tags              = var.tags
}

# PostgreSQL and Valkey inside the VPC; the databases and caches admit only their users' groups.
resource "aws_vpc_security_group_egress_rule" "service_postgres" {
  for_each = aws_security_group.service

  security_group_id = each.value.id
  description       = "PostgreSQL in the VPC"
  ip_protocol       = "tcp"
  from_port         = 5432
  to_port           = 5432
  cidr_ipv4         = var.cidr
  tags              = var.tags
}

resource "aws_vpc_security_group_egress_rule" "service_valkey" {
  for_each = aws_security_group.service

  security_group_id = each.value.id
  description       = "Valkey in the VPC"
  ip_protocol       = "tcp"
  from_port         = 6379
  to_port           = 6380
  cidr_ipv4         = var.cidr
  tags              = var.tags
}

# --- VPC endpoints: the AWS services the network's services call ---------------------------------

resource "aws_security_group" "endpoints" {
  count = length(local.interface) > 0 ? 1 : 0

  name        = "${var.name}-endpoints"
  description = "Interface endpoints: HTTPS from the network's services only."
  vpc_id      = aws_vpc.this.id
  tags        = merge(var.tags, { Name = "${var.name}-endpoints" })
}

resource "aws_vpc_security_group_ingress_rule" "endpoints" {
  for_each = length(local.interface) > 0 ? aws_security_group.service : {}

  security_group_id            = aws_security_group.endpoints[0].id
  description                  = "HTTPS from ${each.key}"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = each.value.id
  tags                         = var.tags
}

resource "aws_vpc_endpoint" "gateway" {
  for_each = local.gateway

  vpc_id            = aws_vpc.this.id
  service_name      = "com.amazonaws.${data.aws_region.current.region}.${each.key}"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = concat([aws_route_table.private.id], aws_route_table.public[*].id)
  tags              = merge(var.tags, { Name = "${var.name}-${each.key}" })
}

resource "aws_vpc_endpoint" "interface" {
  for_each = local.interface

  vpc_id              = aws_vpc.this.id
  service_name        = "com.amazonaws.${data.aws_region.current.region}.${each.key}"
  vpc_endpoint_type   = "Interface"
  private_dns_enabled = true
  subnet_ids          = aws_subnet.private[*].id
  security_group_ids  = [aws_security_group.endpoints[0].id]
  tags                = merge(var.tags, { Name = "${var.name}-${each.key}" })
}
