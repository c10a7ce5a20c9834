# Validations of modules/lambda-service, run by `terraform test` on its variables alone.
variables {
  name         = "acme-dev-api"
  package_file = "dist/api.zip"
  handler      = "api.handler.handler"
}

run "lambda_accepts_service_env_vars_and_a_windowed_large_batch" {
  command = plan
  module {
    source = "./m/lambda-service"
  }
  variables {
    environment_variables = { JOBS_QUEUE_URL = "https://sqs", TRELLIS_ENV = "dev" }
    sqs_event_sources     = { jobs = { queue_arn = "arn:aws:sqs:us-east-1:1:q", batch_size = 100, batching_window_seconds = 5 } }
  }
}

run "lambda_rejects_the_reserved_aws_region" {
  command = plan
  module {
    source = "./m/lambda-service"
  }
  variables {
    environment_variables = { AWS_REGION = "us-east-1" }
  }
  expect_failures = [var.environment_variables]
}

run "lambda_rejects_other_reserved_names" {
  command = plan
  module {
    source = "./m/lambda-service"
  }
  variables {
    environment_variables = { AWS_LAMBDA_FUNCTION_NAME = "x", _HANDLER = "y" }
  }
  expect_failures = [var.environment_variables]
}

run "lambda_rejects_a_large_batch_without_a_window" {
  command = plan
  module {
    source = "./m/lambda-service"
  }
  variables {
    sqs_event_sources = { jobs = { queue_arn = "arn:aws:sqs:us-east-1:1:q", batch_size = 100 } }
  }
  expect_failures = [var.sqs_event_sources]
}

run "lambda_rejects_out_of_range_memory_and_architecture" {
  command = plan
  module {
    source = "./m/lambda-service"
  }
  variables {
    memory_mb    = 64
    architecture = "arm"
  }
  expect_failures = [var.memory_mb, var.architecture]
}
