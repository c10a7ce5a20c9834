data "aws_partition" "current" {}

data "aws_iam_policy_document" "tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "ecs_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ecs.amazonaws.com"]
    }
  }
}

# The service's own role: what its code may do.
resource "aws_iam_role" "this" {
  name                 = "${var.name}-task"
  description          = "Task role of the ${var.name} ECS Express service."
  assume_role_policy   = data.aws_iam_policy_document.tasks_assume.json
  permissions_boundary = var.permissions_boundary_arn
  tags                 = var.tags
}

resource "aws_iam_role_policy" "service" {
  count = var.policy_json == null ? 0 : 1

  name   = "service"
  role   = aws_iam_role.this.id
  policy = var.policy_json
}

# Pulls the image and writes the container logs.
resource "aws_iam_role" "execution" {
  name                 = "${var.name}-execution"
  description          = "Task execution role of the ${var.name} ECS Express service."
  assume_role_policy   = data.aws_iam_policy_document.tasks_assume.json
  permissions_boundary = var.permissions_boundary_arn
  tags                 = var.tags
}

resource "aws_iam_role_policy_attachment" "execution" {
  role       = aws_iam_role.execution.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

# Lets ECS manage the load balancer, target group, security groups and scaling of the service.
resource "aws_iam_role" "infrastructure" {
  count = var.infrastructure_role_arn == null ? 1 : 0

  name                 = "${var.name}-infrastructure"
  description          = "Infrastructure role of the ${var.name} ECS Express service."
  assume_role_policy   = data.aws_iam_policy_document.ecs_assume.json
  permissions_boundary = var.permissions_boundary_arn
  tags                 = var.tags
}

resource "aws_iam_role_policy_attachment" "infrastructure" {
  count = var.infrastructure_role_arn == null ? 1 : 0

  role       = aws_iam_role.infrastructure[0].name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonECSInfrastructureRoleforExpressGatewayServices"
}

resource "aws_cloudwatch_log_group" "this" {
  name              = "/ecs/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn
  tags              = var.tags
}

resource "aws_ecs_express_gateway_service" "this" {
  service_name            = var.name
  cluster                 = var.cluster
  execution_role_arn      = aws_iam_role.execution.arn
  infrastructure_role_arn = var.infrastructure_role_arn == null ? aws_iam_role.infrastructure[0].arn : var.infrastructure_role_arn
  task_role_arn           = aws_iam_role.this.arn
  cpu                     = var.cpu
  memory                  = var.memory
  health_check_path       = var.health_check_path
  wait_for_steady_state   = var.wait_for_steady_state

  primary_container {
    image          = var.image
    container_port = var.port

    aws_logs_configuration = [{
      log_group         = aws_cloudwatch_log_group.this.name
      log_stream_prefix = "app"
    }]

    dynamic "environment" {
      for_each = var.environment_variables
      content {
        name  = environment.key
        value = environment.value
      }
    }
  }

  scaling_target = [{
    auto_scaling_metric       = var.scaling_metric
    auto_scaling_target_value = var.scaling_target_percent
    min_task_count            = var.min_instances
    max_task_count            = var.max_instances
  }]

  network_configuration = length(var.subnet_ids) == 0 ? null : [{
    subnets         = var.subnet_ids
    security_groups = var.security_group_ids
  }]

  tags = var.tags

  # Deleting the policies first would leave the service stuck in DRAINING.
  depends_on = [
    aws_iam_role_policy.service,
    aws_iam_role_policy_attachment.execution,
    aws_iam_role_policy_attachment.infrastructure,
  ]
}

# Sustained CPU or memory pressure across the service's tasks. The ARN is
# arn:...:service/<cluster>/<name>: the cluster's name is its second segment.
# The load balancer's 5xx (AWS/ApplicationELB) is not alarmed here: its LoadBalancer
# dimension (app/<name>/<id>) is no attribute of aws_ecs_express_gateway_service.
locals {
  metric_dimensions = {
    ClusterName = split("/", aws_ecs_express_gateway_service.this.service_arn)[1]
    ServiceName = aws_ecs_express_gateway_service.this.service_name
  }
}

resource "aws_cloudwatch_metric_alarm" "utilization" {
  for_each = { cpu = "CPUUtilization", memory = "MemoryUtilization" }

  alarm_name          = "${var.name}-${each.key}-high"
  alarm_description   = "${var.name}'s ${each.key} utilization stays at ${var.utilization_alarm_percent}% or more."
  namespace           = "AWS/ECS"
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
