# Validations of the other modules.
run "bucket_rejects_an_underscore_name_and_a_wildcard_origin" {
  command = plan
  module {
    source = "./m/s3-bucket"
  }
  variables {
    name                 = "acme_dev_uploads"
    cors_allowed_origins = ["*"]
  }
  expect_failures = [var.name, var.cors_allowed_origins]
}

run "table_rejects_a_bad_key_type_and_projection" {
  command = plan
  module {
    source = "./m/dynamodb-table"
  }
  variables {
    name                     = "acme-dev-users"
    hash_key                 = "id"
    hash_key_type            = "X"
    global_secondary_indexes = { by_x = { hash_key = "x", projection_type = "INCLUDE" } }
  }
  expect_failures = [var.hash_key_type, var.global_secondary_indexes]
}

run "gateway_accepts_lambda_and_http_routes" {
  command = plan
  module {
    source = "./m/api-gateway"
  }
  variables {
    name = "acme-dev"
    routes = {
      api = { path_part = "api", lambda_function_name = "f", lambda_invoke_arn = "arn:aws:apigateway:x" }
      web = { path_part = "web", http_url = "https://web.example.com" }
    }
  }
}

run "gateway_rejects_a_route_with_two_targets_or_two_segments" {
  command = plan
  module {
    source = "./m/api-gateway"
  }
  variables {
    name = "acme-dev"
    routes = {
      api = { path_part = "v1/api", lambda_function_name = "f", lambda_invoke_arn = "arn", http_url = "https://x/y" }
    }
  }
  expect_failures = [var.routes]
}

run "gateway_accepts_auth_paths_and_authorizers" {
  command = plan
  module {
    source = "./m/api-gateway"
  }
  variables {
    name = "acme-dev"
    routes = {
      api = {
        path_part = "api", lambda_function_name = "f", lambda_invoke_arn = "arn", auth = "jwt", jwt_authorizer = "default"
        paths = {
          health         = { auth = "none", greedy = false }
          jobs           = { auth = "jwt", jwt_authorizer = "default" }
          "jobs/process" = { auth = "iam" }
        }
      }
      partners = { path_part = "partners", http_url = "https://p.example.com", auth = "api_key", usage_plan = { rate_limit = 5, burst_limit = 10 } }
    }
    jwt_authorizers = { default = { function_name = "authz", invoke_arn = "arn:authz" } }
    origin_secret   = "abcdefghijklmnopqrstuvwxyz0123456789ABCD"
  }
}

run "gateway_rejects_an_unknown_auth_an_orphan_path_and_a_quoted_origin_secret" {
  command = plan
  module {
    source = "./m/api-gateway"
  }
  variables {
    name = "acme-dev"
    routes = {
      api = {
        path_part = "api", lambda_function_name = "f", lambda_invoke_arn = "arn", auth = "open"
        paths     = { "jobs/process" = { auth = "iam" } }
      }
    }
    jwt_authorizers = { default = { function_name = "authz", invoke_arn = "arn:authz", cache_ttl_seconds = 7200 } }
    origin_secret   = "it's-short"
  }
  expect_failures = [var.routes, var.jwt_authorizers, var.origin_secret]
}

run "schedule_rejects_a_bad_expression_and_non_json_input" {
  command = plan
  module {
    source = "./m/schedule"
  }
  variables {
    name                = "acme-dev-nightly"
    schedule_expression = "every 5 minutes"
    target_kind         = "sqs"
    target_arn          = "arn:aws:sqs:us-east-1:1:q"
    input               = "not json"
  }
  expect_failures = [var.schedule_expression, var.input]
}

run "ecs_express_rejects_one_subnet_and_too_much_memory" {
  command = plan
  module {
    source = "./m/ecs-express-service"
  }
  variables {
    name        = "acme-dev-web"
    image       = "123456789012.dkr.ecr.us-east-1.amazonaws.com/acme-web:1"
    policy_json = "{}"
    subnet_ids  = ["subnet-1"]
    memory      = "16384"
  }
  expect_failures = [var.subnet_ids, var.memory]
}

run "apprunner_rejects_an_image_outside_ecr" {
  command = plan
  module {
    source = "./m/apprunner-service"
  }
  variables {
    name  = "acme-dev-legacy"
    image = "nginx:latest"
  }
  expect_failures = [var.image]
}

run "secret_rejects_a_short_recovery_window" {
  command = plan
  module {
    source = "./m/secret"
  }
  variables {
    name                 = "acme/dev/key"
    recovery_window_days = 3
  }
  expect_failures = [var.recovery_window_days]
}

run "parameter_refuses_a_value_for_a_secure_parameter_and_none_for_a_plain_one" {
  command = plan
  module {
    source = "./m/ssm-parameter"
  }
  variables {
    name   = "/acme/dev/signing-key"
    secure = true
    value  = "would-be-in-the-state"
  }
  expect_failures = [var.value]
}

run "parameter_plain_without_value_is_refused" {
  command = plan
  module {
    source = "./m/ssm-parameter"
  }
  variables {
    name = "/acme/dev/flags"
  }
  expect_failures = [var.value]
}

run "parameter_accepts_a_plain_and_a_secure_parameter" {
  command = plan
  module {
    source = "./m/ssm-parameter"
  }
  variables {
    name   = "/acme/dev/signing-key"
    secure = true
  }
}

run "kms_key_accepts_the_rendered_environment_key" {
  command = plan
  module {
    source = "./m/kms-key"
  }
  variables {
    alias                = "alias/acme-dev-key"
    description          = "Data at rest of acme-dev (Trellis)."
    deletion_window_days = 7
  }
}

run "kms_key_rejects_an_aws_alias_a_short_window_and_a_fast_rotation" {
  command = plan
  module {
    source = "./m/kms-key"
  }
  variables {
    alias                = "alias/aws/sqs"
    description          = "x"
    deletion_window_days = 3
    rotation_period_days = 30
  }
  expect_failures = [var.alias, var.deletion_window_days, var.rotation_period_days]
}

run "kms_key_rejects_an_alias_without_its_prefix_and_a_long_window" {
  command = plan
  module {
    source = "./m/kms-key"
  }
  variables {
    alias                = "acme-dev-key"
    description          = "x"
    deletion_window_days = 31
  }
  expect_failures = [var.alias, var.deletion_window_days]
}
