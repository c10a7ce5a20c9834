variable "name" {
  description = "Name of the REST API, e.g. \"acme-prod\" (1-128 characters); also prefixes its log group and keys."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,128}$", var.name))
    error_message = "The name has 1-128 letters, digits, '-' or '_'."
  }
}

variable "routes" {
  description = "Path prefixes by service: /<path_part> and /<path_part>/{proxy+} go to a Lambda function (lambda_function_name + lambda_invoke_arn, Lambda proxy integration) or to a container service's base URL (http_url, HTTP proxy; the path below the prefix is forwarded, the prefix goes in X-Forwarded-Prefix). api_key_required makes callers send an x-api-key of the service's usage plan."
  type = map(object({
    path_part            = string
    lambda_function_name = optional(string)
    lambda_invoke_arn    = optional(string)
    http_url             = optional(string)
    api_key_required     = optional(bool, false)
  }))

  validation {
    condition     = alltrue([for r in values(var.routes) : can(regex("^[a-z0-9][a-z0-9._-]*$", r.path_part))])
    error_message = "A path_part is one path segment of lower-case letters, digits, '.', '_' or '-' (no '/')."
  }

  validation {
    condition     = alltrue([for r in values(var.routes) : (r.lambda_invoke_arn != null && r.lambda_function_name != null) != (r.http_url != null)])
    error_message = "A route has either lambda_function_name and lambda_invoke_arn, or http_url."
  }

  validation {
    condition     = alltrue([for r in values(var.routes) : r.http_url == null ? true : can(regex("^https://[^/]+$", r.http_url))])
    error_message = "http_url is an https:// base URL without a path or trailing slash."
  }
}

variable "stage_name" {
  description = "Name of the deployment stage, the first segment of the invoke URL."
  type        = string
  default     = "live"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,128}$", var.stage_name))
    error_message = "The stage name has 1-128 letters, digits, '-' or '_'."
  }
}

variable "throttling_rate_limit" {
  description = "Steady-state requests per second allowed on every method of the stage (> 0)."
  type        = number
  default     = 100

  validation {
    condition     = var.throttling_rate_limit > 0
    error_message = "The rate limit is above 0 requests per second."
  }
}

variable "throttling_burst_limit" {
  description = "Requests allowed in a burst on every method of the stage (> 0)."
  type        = number
  default     = 200

  validation {
    condition     = var.throttling_burst_limit > 0
    error_message = "The burst limit is above 0 requests."
  }
}

variable "usage_plan_quota_per_day" {
  description = "Requests per day and API key of a service that requires keys; null for no quota."
  type        = number
  default     = null

  validation {
    condition     = var.usage_plan_quota_per_day == null ? true : var.usage_plan_quota_per_day > 0
    error_message = "The daily quota is above 0 requests, or null."
  }
}

variable "execution_logging_level" {
  description = "Execution log level of the stage: OFF, ERROR or INFO. Needs API Gateway's account CloudWatch role (bootstrap/ sets it)."
  type        = string
  default     = "ERROR"

  validation {
    condition     = contains(["OFF", "ERROR", "INFO"], var.execution_logging_level)
    error_message = "The logging level is OFF, ERROR or INFO."
  }
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps the access logs (a value CloudWatch accepts, e.g. 14, 30, 90, 365)."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "The retention is a value CloudWatch accepts (1, 3, 5, 7, 14, 30, 60, 90, ... 3653 days)."
  }
}

variable "log_kms_key_arn" {
  description = "KMS key ARN to encrypt the access log group; null uses CloudWatch Logs' own encryption."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags added to every resource of the module."
  type        = map(string)
  default     = {}
}
