locals {
  # Two methods per route: the prefix itself and everything below it.
  methods = merge(
    { for k, r in var.routes : "${k}/prefix" => merge(r, { route = k, proxy = false }) },
    { for k, r in var.routes : "${k}/proxy" => merge(r, { route = k, proxy = true }) },
  )
  lambda_routes = { for k, r in var.routes : k => r if r.lambda_invoke_arn != null }
  keyed_routes  = { for k, r in var.routes : k => r if r.api_key_required }
}

resource "aws_api_gateway_rest_api" "this" {
  name        = var.name
  description = "Routes of ${var.name}: one path prefix per service."

  endpoint_configuration {
    types = ["REGIONAL"]
  }

  tags = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_api_gateway_resource" "prefix" {
  for_each = var.routes

  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_rest_api.this.root_resource_id
  path_part   = each.value.path_part
}

resource "aws_api_gateway_resource" "proxy" {
  for_each = var.routes

  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_resource.prefix[each.key].id
  path_part   = "{proxy+}"
}

resource "aws_api_gateway_method" "this" {
  for_each = local.methods

  rest_api_id        = aws_api_gateway_rest_api.this.id
  resource_id        = each.value.proxy ? aws_api_gateway_resource.proxy[each.value.route].id : aws_api_gateway_resource.prefix[each.value.route].id
  http_method        = "ANY"
  authorization      = "NONE"
  api_key_required   = each.value.api_key_required
  request_parameters = each.value.proxy ? { "method.request.path.proxy" = true } : {}
}

resource "aws_api_gateway_integration" "this" {
  for_each = local.methods

  rest_api_id             = aws_api_gateway_rest_api.this.id
  resource_id             = aws_api_gateway_method.this[each.key].resource_id
  http_method             = aws_api_gateway_method.this[each.key].http_method
  type                    = each.value.lambda_invoke_arn != null ? "AWS_PROXY" : "HTTP_PROXY"
  integration_http_method = each.value.lambda_invoke_arn != null ? "POST" : "ANY"
  # A container gets the path below the prefix and the prefix in X-Forwarded-Prefix
  # (as from the local gateway); a Lambda function gets the whole path in its event.
  uri = (each.value.lambda_invoke_arn != null ? each.value.lambda_invoke_arn :
  each.value.proxy ? "${each.value.http_url}/{proxy}" : "${each.value.http_url}/")
  request_parameters = each.value.lambda_invoke_arn != null ? {} : merge(
    { "integration.request.header.X-Forwarded-Prefix" = "'/${each.value.path_part}'" },
    each.value.proxy ? { "integration.request.path.proxy" = "method.request.path.proxy" } : {},
  )
}

resource "aws_lambda_permission" "this" {
  for_each = local.lambda_routes

  statement_id  = "AllowApiGateway${replace(title(replace(each.key, "-", " ")), " ", "")}"
  action        = "lambda:InvokeFunction"
  function_name = each.value.lambda_function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_api_gateway_rest_api.this.execution_arn}/*/*/${each.value.path_part}*"
}

resource "aws_api_gateway_deployment" "this" {
  rest_api_id = aws_api_gateway_rest_api.this.id

  triggers = {
    redeployment = sha1(jsonencode([
      var.routes,
      [for m in aws_api_gateway_method.this : m.id],
      [for i in aws_api_gateway_integration.this : i.id],
    ]))
  }

  lifecycle {
    create_before_destroy = true
  }

  depends_on = [aws_api_gateway_integration.this]
}

resource "aws_cloudwatch_log_group" "access" {
  name              = "/aws/apigateway/${var.name}/access"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn
  tags              = var.tags
}

resource "aws_api_gateway_stage" "this" {
  rest_api_id          = aws_api_gateway_rest_api.this.id
  deployment_id        = aws_api_gateway_deployment.this.id
  stage_name           = var.stage_name
  xray_tracing_enabled = true

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access.arn
    format = jsonencode({
      requestId         = "$context.requestId"
      extendedRequestId = "$context.extendedRequestId"
      requestTime       = "$context.requestTimeEpoch"
      ip                = "$context.identity.sourceIp"
      userAgent         = "$context.identity.userAgent"
      httpMethod        = "$context.httpMethod"
      path              = "$context.path"
      resourcePath      = "$context.resourcePath"
      status            = "$context.status"
      responseLength    = "$context.responseLength"
      latencyMs         = "$context.responseLatency"
      integrationStatus = "$context.integration.status"
      integrationError  = "$context.integration.error"
      apiKeyId          = "$context.identity.apiKeyId"
      xrayTraceId       = "$context.xrayTraceId"
    })
  }

  tags = var.tags
}

resource "aws_api_gateway_method_settings" "all" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  stage_name  = aws_api_gateway_stage.this.stage_name
  method_path = "*/*"

  settings {
    metrics_enabled        = true
    logging_level          = var.execution_logging_level
    data_trace_enabled     = false
    throttling_rate_limit  = var.throttling_rate_limit
    throttling_burst_limit = var.throttling_burst_limit
  }
}

resource "aws_api_gateway_api_key" "this" {
  for_each = local.keyed_routes

  name        = "${var.name}-${each.key}"
  description = "Key of the callers of ${each.key} (/${each.value.path_part})."
  tags        = var.tags
}

resource "aws_api_gateway_usage_plan" "this" {
  for_each = local.keyed_routes

  name = "${var.name}-${each.key}"

  api_stages {
    api_id = aws_api_gateway_rest_api.this.id
    stage  = aws_api_gateway_stage.this.stage_name
  }

  throttle_settings {
    rate_limit  = var.throttling_rate_limit
    burst_limit = var.throttling_burst_limit
  }

  dynamic "quota_settings" {
    for_each = var.usage_plan_quota_per_day == null ? [] : [var.usage_plan_quota_per_day]
    content {
      limit  = quota_settings.value
      period = "DAY"
    }
  }

  tags = var.tags
}

resource "aws_api_gateway_usage_plan_key" "this" {
  for_each = local.keyed_routes

  key_id        = aws_api_gateway_api_key.this[each.key].id
  key_type      = "API_KEY"
  usage_plan_id = aws_api_gateway_usage_plan.this[each.key].id
}
