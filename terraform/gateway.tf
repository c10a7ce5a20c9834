# Rendered by `trellis generate` from trellis.toml: do not edit.
# Change trellis.toml and run `trellis generate`; `trellis check` fails while this file is stale.

# Verifies the bearer tokens of api, worker (trellis.authorizer).
module "jwt_authorizer_default" {
  source          = "./modules/lambda-service"
  name            = "acme-${var.environment}-jwt_authz"
  package_file    = "${var.artifacts_dir}/trellis_jwt_authorizer.zip"
  handler         = "trellis.authorizer.handler"
  memory_mb       = 256
  timeout_seconds = 5
  environment_variables = {
    TRELLIS_JWT_ISSUER   = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AcmeUsers"
    TRELLIS_JWT_AUDIENCE = "acme-web"
  }
  permissions_boundary_arn = local.permissions_boundary_arn
  log_retention_days       = var.log_retention_days
  alarm_actions            = local.alarm_actions
}

module "gateway" {
  source = "./modules/api-gateway"
  name   = "acme-${var.environment}"
  routes = {
    api = {
      path_part            = "api"
      lambda_function_name = module.api_service.invoke_function_name
      lambda_invoke_arn    = module.api_service.invoke_arn
      auth                 = "jwt"
      jwt_authorizer       = "default"
      paths = {
        health = {
          auth   = "none"
          greedy = false
        }
      }
    }
    worker = {
      path_part            = "worker"
      lambda_function_name = module.worker_service.invoke_function_name
      lambda_invoke_arn    = module.worker_service.invoke_arn
      auth                 = "jwt"
      jwt_authorizer       = "default"
      paths = {
        health = {
          auth   = "none"
          greedy = false
        }
        jobs = {
          auth           = "jwt"
          jwt_authorizer = "default"
        }
        "jobs/process" = {
          auth = "iam"
        }
      }
    }
  }
  jwt_authorizers = {
    default = {
      function_name = module.jwt_authorizer_default.function_name
      invoke_arn    = module.jwt_authorizer_default.invoke_arn
    }
  }
  log_retention_days = var.log_retention_days
  alarm_actions      = local.alarm_actions
}
