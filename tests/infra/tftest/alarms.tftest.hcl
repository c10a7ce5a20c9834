# Validations of the modules' alarm thresholds, run by `terraform test` on their variables alone.

run "lambda_rejects_a_duration_alarm_outside_half_to_all_of_the_timeout" {
  command = plan
  module {
    source = "./m/lambda-service"
  }
  variables {
    name                   = "acme-dev-api"
    package_file           = "dist/api.zip"
    handler                = "api.handler.handler"
    duration_alarm_percent = 120
  }
  expect_failures = [var.duration_alarm_percent]
}

run "lambda_accepts_a_duration_alarm_at_the_timeout" {
  command = plan
  module {
    source = "./m/lambda-service"
  }
  variables {
    name                   = "acme-dev-api"
    package_file           = "dist/api.zip"
    handler                = "api.handler.handler"
    duration_alarm_percent = 100
  }
}

run "queue_rejects_an_oldest_message_alarm_under_a_minute" {
  command = plan
  module {
    source = "./m/sqs-queue"
  }
  variables {
    name                         = "acme-dev-jobs"
    oldest_message_alarm_seconds = 30
  }
  expect_failures = [var.oldest_message_alarm_seconds]
}

run "table_rejects_a_negative_throttle_threshold" {
  command = plan
  module {
    source = "./m/dynamodb-table"
  }
  variables {
    name                     = "acme-dev-users"
    hash_key                 = "id"
    throttle_alarm_threshold = -1
  }
  expect_failures = [var.throttle_alarm_threshold]
}

run "gateway_rejects_alarm_thresholds_out_of_range" {
  command = plan
  module {
    source = "./m/api-gateway"
  }
  variables {
    name                     = "acme-dev"
    routes                   = { api = { path_part = "api", lambda_function_name = "f", lambda_invoke_arn = "arn:aws:apigateway:x" } }
    error_rate_alarm_percent = 101
    error_rate_min_requests  = 0
    latency_alarm_p99_ms     = 30000
  }
  expect_failures = [var.error_rate_alarm_percent, var.error_rate_min_requests, var.latency_alarm_p99_ms]
}

run "containers_reject_utilization_alarms_over_100_percent" {
  command = plan
  module {
    source = "./m/apprunner-service"
  }
  variables {
    name                      = "acme-dev-legacy"
    image                     = "123456789012.dkr.ecr.us-east-1.amazonaws.com/acme-legacy:1"
    utilization_alarm_percent = 150
    http_5xx_alarm_threshold  = -1
  }
  expect_failures = [var.utilization_alarm_percent, var.http_5xx_alarm_threshold]
}

run "ecs_express_rejects_a_zero_utilization_alarm" {
  command = plan
  module {
    source = "./m/ecs-express-service"
  }
  variables {
    name                      = "acme-dev-web"
    image                     = "123456789012.dkr.ecr.us-east-1.amazonaws.com/acme-web:1"
    utilization_alarm_percent = 0
  }
  expect_failures = [var.utilization_alarm_percent]
}
