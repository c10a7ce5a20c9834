# Rendered by `trellis generate` from trellis.toml: do not edit.
# Change trellis.toml and run `trellis generate`; `trellis check` fails while this file is stale.

output "gateway_url" {
  description = "Base URL of the API gateway; services are under /<route>/."
  value       = module.gateway.invoke_url
}

output "db_admin" {
  description = "The databases' admin function and the databases it migrates (the deploy workflow invokes it)."
  value = {
    function_name = module.db_admin.function_name
    databases     = ["audit"]
  }
}

output "service_role_arns" {
  description = "The own role of each service."
  value = {
    api    = module.api_service.role_arn
    worker = module.worker_service.role_arn
  }
}
