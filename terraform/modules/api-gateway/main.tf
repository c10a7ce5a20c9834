locals {
  # Resources below a route's prefix that have their own auth (route_auth, /health), with
  # their parent: "<route>/<path>", the path relative to the prefix ("jobs/process").
  path_nodes = { for n in flatten([
    for k, r in var.routes : [
      for p, spec in r.paths : merge(spec, {
        key    = "${k}/${p}"
        route  = k
        path   = p
        depth  = length(split("/", p))
        part   = element(split("/", p), length(split("/", p)) - 1)
        parent = length(split("/", p)) == 1 ? k : "${k}/${join("/", slice(split("/", p), 0, length(split("/", p)) - 1))}"
      })
    ]
  ]) : n.key => n }

  # One ANY method per resource: the prefix, everything below it ({proxy+}), each path node
  # and, when greedy, everything below that node. Static resources win over {proxy+}.
  methods = merge(
    { for k, r in var.routes : k => { route = k, path = "", proxy = false, auth = r.auth, jwt_authorizer = r.jwt_authorizer } },
    { for k, r in var.routes : "${k}/{proxy+}" => { route = k, path = "", proxy = true, auth = r.auth, jwt_authorizer = r.jwt_authorizer } },
    { for k, n in local.path_nodes : k => { route = n.route, path = n.path, proxy = false, auth = n.auth, jwt_authorizer = n.jwt_authorizer } },
    { for k, n in local.path_nodes : "${k}/{proxy+}" => { route = n.route, path = n.path, proxy = true, auth = n.auth, jwt_authorizer = n.jwt_authorizer } if n.greedy },
  )

  authorization = { none = "NONE", api_key = "NONE", iam = "AWS_IAM", jwt = "CUSTOM" }

  # What a container learns about the caller: the integration sets these headers (a client's
  # copies are replaced); the Trellis runtime trusts them only with the origin secret.
  principal_headers = {
    none    = {}
    api_key = { "integration.request.header.X-Trellis-Principal" = "context.identity.apiKeyId" }
    iam     = { "integration.request.header.X-Trellis-Principal" = "context.identity.userArn" }
    jwt = {
      "integration.request.header.X-Trellis-Principal" = "context.authorizer.principalId"
      "integration.request.header.X-Trellis-Claims"    = "context.authorizer.claims"
    }
  }

  lambda_routes = { for k, r in var.routes : k => r if r.lambda_invoke_arn != null }
  keyed_routes = { for k, r in var.routes : k => r if r.auth == "api_key" || anytrue([
    for p in values(r.paths) : p.auth == "api_key"
  ]) }

  # Gateway answers in the platform's error shape: {"error": {"code", "message", "request_id"}}.
  gateway_errors = {
    UNAUTHORIZED                   = "unauthorized"
    EXPIRED_TOKEN                  = "unauthorized"
    ACCESS_DENIED                  = "forbidden"
    MISSING_AUTHENTICATION_TOKEN   = "forbidden"
    INVALID_API_KEY                = "forbidden"
    INVALID_SIGNATURE              = "forbidden"
    AUTHORIZER_FAILURE             = "internal_error"
    AUTHORIZER_CONFIGURATION_ERROR = "internal_error"
    THROTTLED                      = "throttled"
    QUOTA_EXCEEDED                 = "throttled"
  }
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

# Path nodes, one resource block per depth (a for_each resource cannot be its own parent).
resource "aws_api_gateway_resource" "path1" {
  for_each = { for k, n in local.path_nodes : k => n if n.depth == 1 }

  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_resource.prefix[each.value.parent].id
  path_part   = each.value.part
}

resource "aws_api_gateway_resource" "path2" {
  for_each = { for k, n in local.path_nodes : k => n if n.depth == 2 }

  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_resource.path1[each.value.parent].id
  path_part   = each.value.part
}

resource "aws_api_gateway_resource" "path3" {
  for_each = { for k, n in local.path_nodes : k => n if n.depth == 3 }

  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_resource.path2[each.value.parent].id
  path_part   = each.value.part
}

resource "aws_api_gateway_resource" "path_proxy" {
  for_each = { for k, n in local.path_nodes : k => n if n.greedy }

  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id = merge(
    { for k, r in aws_api_gateway_resource.path1 : k => r.id },
    { for k, r in aws_api_gateway_resource.path2 : k => r.id },
    { for k, r in aws_api_gateway_resource.path3 : k => r.id },
  )[each.key]
  path_part = "{proxy+}"
}

locals {
  resource_ids = merge(
    { for k, r in aws_api_gateway_resource.prefix : k => r.id },
    { for k, r in aws_api_gateway_resource.proxy : "${k}/{proxy+}" => r.id },
    { for k, r in aws_api_gateway_resource.path1 : k => r.id },
    { for k, r in aws_api_gateway_resource.path2 : k => r.id },
    { for k, r in aws_api_gateway_resource.path3 : k => r.id },
    { for k, r in aws_api_gateway_resource.path_proxy : "${k}/{proxy+}" => r.id },
  )
}

# A TOKEN authorizer per JWT issuer: a Lambda function verifying signature, iss, aud and exp.
# A header that is not "Bearer <token>" is refused (401) without invoking it (trellis dev's
# gateway accepts the same two spellings of the scheme).
resource "aws_api_gateway_authorizer" "jwt" {
  for_each = var.jwt_authorizers

  name                             = "${var.name}-${each.key}"
  rest_api_id                      = aws_api_gateway_rest_api.this.id
  type                             = "TOKEN"
  authorizer_uri                   = each.value.invoke_arn
  identity_source                  = "method.request.header.Authorization"
  identity_validation_expression   = "^(Bearer|bearer) [-0-9A-Za-z._~+/]+=*$"
  authorizer_result_ttl_in_seconds = each.value.cache_ttl_seconds
}

resource "aws_lambda_permission" "authorizer" {
  for_each = var.jwt_authorizers

  statement_id  = "AllowApiGatewayAuthorizer"
  action        = "lambda:InvokeFunction"
  function_name = each.value.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_api_gateway_rest_api.this.execution_arn}/authorizers/${aws_api_gateway_authorizer.jwt[each.key].id}"
}

resource "aws_api_gateway_method" "this" {
  for_each = local.methods

  rest_api_id        = aws_api_gateway_rest_api.this.id
  resource_id        = local.resource_ids[each.key]
  http_method        = "ANY"
  authorization      = local.authorization[each.value.auth]
  authorizer_id      = each.value.auth == "jwt" ? aws_api_gateway_authorizer.jwt[each.value.jwt_authorizer].id : null
  api_key_required   = each.value.auth == "api_key"
  request_parameters = each.value.proxy ? { "method.request.path.proxy" = true } : {}
}

resource "aws_api_gateway_integration" "this" {
  for_each = local.methods

  rest_api_id             = aws_api_gateway_rest_api.this.id
  resource_id             = aws_api_gateway_method.this[each.key].resource_id
  http_method             = aws_api_gateway_method.this[each.key].http_method
  type                    = var.routes[each.value.route].lambda_invoke_arn != null ? "AWS_PROXY" : "HTTP_PROXY"
  integration_http_method = var.routes[each.value.route].lambda_invoke_arn != null ? "POST" : "ANY"
  # A container gets the path below the prefix and the public prefix (stage and route, as
  # in the invoke URL) in X-Forwarded-Prefix, which its self-links start with; a Lambda
  # function gets the whole path in its event (and the stage in requestContext.path).
  uri = (var.routes[each.value.route].lambda_invoke_arn != null ? var.routes[each.value.route].lambda_invoke_arn :
    each.value.proxy ? "${var.routes[each.value.route].http_url}/${each.value.path == "" ? "" : "${each.value.path}/"}{proxy}" :
  "${var.routes[each.value.route].http_url}/${each.value.path}")
  request_parameters = var.routes[each.value.route].lambda_invoke_arn != null ? {} : merge(
    {
      "integration.request.header.X-Forwarded-Prefix" = "'/${var.stage_name}/${var.routes[each.value.route].path_part}'"
      "integration.request.header.X-Trellis-Auth"     = "'${each.value.auth}'"
    },
    local.principal_headers[each.value.auth],
    var.origin_secret == null ? {} : { "integration.request.header.X-Trellis-Origin" = "'${var.origin_secret}'" },
    each.value.proxy ? { "integration.request.path.proxy" = "method.request.path.proxy" } : {},
  )
}

resource "aws_api_gateway_gateway_response" "this" {
  for_each = local.gateway_errors

  rest_api_id   = aws_api_gateway_rest_api.this.id
  response_type = each.key
  response_templates = {
    "application/json" = "{\"error\":{\"code\":\"${each.value}\",\"message\":$context.error.messageString,\"request_id\":\"$context.requestId\"}}"
  }
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
      [for a in aws_api_gateway_authorizer.jwt : a.id],
      [for g in aws_api_gateway_gateway_response.this : g.id],
    ]))
  }

  lifecycle {
    create_before_destroy = true
  }

  depends_on = [aws_api_gateway_integration.this, aws_api_gateway_gateway_response.this]
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
    rate_limit  = each.value.usage_plan == null ? var.throttling_rate_limit : each.value.usage_plan.rate_limit
    burst_limit = each.value.usage_plan == null ? var.throttling_burst_limit : each.value.usage_plan.burst_limit
  }

  dynamic "quota_settings" {
    for_each = each.value.usage_plan == null ? [] : each.value.usage_plan.quota_per_day == null ? [] : [each.value.usage_plan.quota_per_day]
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

# --- Alarms per route --------------------------------------------------------------------

# The stage's detailed metrics (metrics_enabled above) give each method its own series:
# ApiName, Stage, Resource (the resource path) and Method (ANY: the only method defined).
# A route's traffic goes through its "/<prefix>/{proxy+}" resource, except paths that have an
# auth of their own (route_auth, /health).
locals {
  route_metric_dimensions = { for k, r in var.routes : k => {
    ApiName  = aws_api_gateway_rest_api.this.name
    Stage    = aws_api_gateway_stage.this.stage_name
    Resource = "/${r.path_part}/{proxy+}"
    Method   = "ANY"
  } }
}

# 5xx responses (the service's, or the gateway's own: integration timeouts at 29 s, a Lambda
# throttled or failing) as a share of requests, once there are enough requests to tell.
resource "aws_cloudwatch_metric_alarm" "route_5xx_rate" {
  for_each = var.routes

  alarm_name          = "${var.name}-${each.key}-5xx-rate"
  alarm_description   = "More than ${var.error_rate_alarm_percent}% of requests to /${each.value.path_part} end in a 5xx (at least ${var.error_rate_min_requests} requests in 5 minutes)."
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.error_rate_alarm_percent
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
  tags                = var.tags

  metric_query {
    id          = "rate"
    expression  = "IF(requests >= ${var.error_rate_min_requests}, 100 * errors / requests, 0)"
    label       = "5xx responses (% of requests)"
    return_data = true
  }

  metric_query {
    id = "errors"
    metric {
      namespace   = "AWS/ApiGateway"
      metric_name = "5XXError"
      dimensions  = local.route_metric_dimensions[each.key]
      stat        = "Sum"
      period      = 300
    }
  }

  # 5XXError has one sample per request (0 or 1): its sample count is the request count.
  metric_query {
    id = "requests"
    metric {
      namespace   = "AWS/ApiGateway"
      metric_name = "5XXError"
      dimensions  = local.route_metric_dimensions[each.key]
      stat        = "SampleCount"
      period      = 300
    }
  }
}

# The slowest 1% of requests, as callers see them (the integration plus the gateway's share).
resource "aws_cloudwatch_metric_alarm" "route_latency" {
  for_each = var.routes

  alarm_name          = "${var.name}-${each.key}-latency-p99"
  alarm_description   = "p99 latency of /${each.value.path_part} is above ${var.latency_alarm_p99_ms} ms in two of three 5-minute periods."
  namespace           = "AWS/ApiGateway"
  metric_name         = "Latency"
  dimensions          = local.route_metric_dimensions[each.key]
  extended_statistic  = "p99"
  period              = 300
  evaluation_periods  = 3
  datapoints_to_alarm = 2
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.latency_alarm_p99_ms
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
  tags                = var.tags
}
