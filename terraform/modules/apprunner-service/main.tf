data "aws_partition" "current" {}

data "aws_iam_policy_document" "instance_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["tasks.apprunner.amazonaws.com"]
    }
  }
}

# The service's own role: what its code may do.
resource "aws_iam_role" "this" {
  name                 = "${var.name}-instance"
  description          = "Instance role of the ${var.name} App Runner service."
  assume_role_policy   = data.aws_iam_policy_document.instance_assume.json
  permissions_boundary = var.permissions_boundary_arn
  tags                 = var.tags
}

resource "aws_iam_role_policy" "service" {
  count = var.policy_json == null ? 0 : 1

  name   = "service"
  role   = aws_iam_role.this.id
  policy = var.policy_json
}

data "aws_iam_policy_document" "access_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["build.apprunner.amazonaws.com"]
    }
  }
}

# Lets App Runner pull the image from ECR.
resource "aws_iam_role" "access" {
  name                 = "${var.name}-ecr-access"
  description          = "Lets App Runner pull the ${var.name} image."
  assume_role_policy   = data.aws_iam_policy_document.access_assume.json
  permissions_boundary = var.permissions_boundary_arn
  tags                 = var.tags
}

resource "aws_iam_role_policy_attachment" "access" {
  role       = aws_iam_role.access.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AWSAppRunnerServicePolicyForECRAccess"
}

resource "aws_apprunner_auto_scaling_configuration_version" "this" {
  auto_scaling_configuration_name = substr(var.name, 0, 32)
  max_concurrency                 = var.max_concurrency
  min_size                        = var.min_instances
  max_size                        = var.max_instances
  tags                            = var.tags
}

# With a VPC: all the service's outbound traffic leaves through the private subnets
# (AWS APIs via the network's VPC endpoints, or its NAT gateway).
resource "aws_apprunner_vpc_connector" "this" {
  count = var.vpc == null ? 0 : 1

  vpc_connector_name = var.name
  subnets            = var.vpc.subnet_ids
  security_groups    = [var.vpc.security_group_id]
  tags               = var.tags
}

resource "aws_apprunner_service" "this" {
  service_name                   = var.name
  auto_scaling_configuration_arn = aws_apprunner_auto_scaling_configuration_version.this.arn

  source_configuration {
    auto_deployments_enabled = false

    authentication_configuration {
      access_role_arn = aws_iam_role.access.arn
    }

    image_repository {
      image_identifier      = var.image
      image_repository_type = "ECR"

      image_configuration {
        port                          = tostring(var.port)
        runtime_environment_variables = var.environment_variables
      }
    }
  }

  instance_configuration {
    cpu               = var.cpu
    memory            = var.memory
    instance_role_arn = aws_iam_role.this.arn
  }

  health_check_configuration {
    protocol            = "HTTP"
    path                = var.health_check_path
    interval            = 10
    timeout             = 5
    healthy_threshold   = 1
    unhealthy_threshold = 3
  }

  dynamic "network_configuration" {
    for_each = aws_apprunner_vpc_connector.this
    content {
      egress_configuration {
        egress_type       = "VPC"
        vpc_connector_arn = network_configuration.value.arn
      }

      ingress_configuration {
        is_publicly_accessible = true
      }
    }
  }

  dynamic "encryption_configuration" {
    for_each = var.kms_key_arn == null ? [] : [var.kms_key_arn]
    content {
      kms_key = encryption_configuration.value
    }
  }

  tags = var.tags

  depends_on = [aws_iam_role_policy_attachment.access, aws_iam_role_policy.service]
}

locals {
  # App Runner publishes its service metrics by ServiceName and ServiceID together.
  metric_dimensions = {
    ServiceName = aws_apprunner_service.this.service_name
    ServiceID   = aws_apprunner_service.this.service_id
  }
}

# Responses with a 5xx status from the instances (the app's own errors and App Runner's).
resource "aws_cloudwatch_metric_alarm" "http_5xx" {
  alarm_name          = "${var.name}-5xx"
  alarm_description   = "${var.name} answers with 5xx statuses."
  namespace           = "AWS/AppRunner"
  metric_name         = "5xxStatusResponses"
  dimensions          = local.metric_dimensions
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.http_5xx_alarm_threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
  tags                = var.tags
}

# Sustained CPU or memory pressure (App Runner scales on concurrency, not on these).
resource "aws_cloudwatch_metric_alarm" "utilization" {
  for_each = { cpu = "CPUUtilization", memory = "MemoryUtilization" }

  alarm_name          = "${var.name}-${each.key}-high"
  alarm_description   = "${var.name}'s ${each.key} utilization stays at ${var.utilization_alarm_percent}% or more."
  namespace           = "AWS/AppRunner"
  metric_name         = each.value
  dimensions          = local.metric_dimensions
  statistic           = "Average"
  period              = 300
  evaluation_periods  = 3
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = var.utilization_alarm_percent
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
  tags                = var.tags
}
