# Rendered by `trellis generate` from trellis.toml: do not edit.
# Change trellis.toml and run `trellis generate`; `trellis check` fails while this file is stale.

module "gateway" {
  source = "./modules/api-gateway"
  name   = "acme-${var.environment}"
  routes = {
    api = {
      path_part            = "api"
      lambda_function_name = module.api_service.function_name
      lambda_invoke_arn    = module.api_service.invoke_arn
    }
    worker = {
      path_part            = "worker"
      lambda_function_name = module.worker_service.function_name
      lambda_invoke_arn    = module.worker_service.invoke_arn
    }
  }
  log_retention_days = var.log_retention_days
}
