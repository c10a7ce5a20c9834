variable "name" {
  description = "Name of the REST API, e.g. \"acme-prod\" (1-128 characters); also prefixes its log group and keys."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,128}$", var.name))
    error_message = "The name has 1-128 letters, digits, '-' or '_'."
  }
}

variable "routes" {
  description = <<-EOT
    Path prefixes by service: /<path_part> and /<path_part>/{proxy+} go to a Lambda function
    (lambda_function_name + lambda_invoke_arn, Lambda proxy integration) or to a container
    service's base URL (http_url, HTTP proxy; the path below the prefix is forwarded, the prefix
    goes in X-Forwarded-Prefix).
    auth: who may call the route: "none", "iam" (SigV4, AWS_IAM: execute-api:Invoke), "api_key"
    (x-api-key of a usage plan; usage_plan sets its throttling in requests per second and burst,
    and an optional daily quota) or "jwt" (a bearer token checked by jwt_authorizer, a key of
    var.jwt_authorizers).
    paths: resources below the prefix with an auth of their own, keyed by their path relative to
    the prefix ("health", "jobs/process", at most 3 segments; every parent path listed too);
    greedy also covers everything below the path.
  EOT
  type = map(object({
    path_part            = string
    lambda_function_name = optional(string)
    lambda_invoke_arn    = optional(string)
    http_url             = optional(string)
    auth                 = optional(string, "iam")
    jwt_authorizer       = optional(string)
    paths = optional(map(object({
      auth           = string
      jwt_authorizer = optional(string)
      greedy         = optional(bool, true)
    })), {})
    usage_plan = optional(object({
      rate_limit    = number
      burst_limit   = number
      quota_per_day = optional(number)
    }))
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

  validation {
    condition = alltrue(flatten([for r in values(var.routes) : [
      for a in concat([r.auth], [for p in values(r.paths) : p.auth]) : contains(["none", "iam", "api_key", "jwt"], a)
    ]]))
    error_message = "auth is one of none, iam, api_key, jwt."
  }

  validation {
    condition = alltrue(flatten([for r in values(var.routes) : [
      for p in keys(r.paths) : can(regex("^[a-z0-9][a-z0-9._-]*(/[a-z0-9][a-z0-9._-]*){0,2}$", p)) && (
        length(split("/", p)) == 1 || contains(keys(r.paths), join("/", slice(split("/", p), 0, length(split("/", p)) - 1)))
      )
    ]]))
    error_message = "A path has 1-3 segments without a leading '/', and its parent path is listed too."
  }
}

variable "jwt_authorizers" {
  description = "Lambda TOKEN authorizers by name: function_name and invoke_arn of a function verifying bearer tokens (Trellis's JWT authorizer); cache_ttl_seconds (0-3600) caches its answer per token."
  type = map(object({
    function_name     = string
    invoke_arn        = string
    cache_ttl_seconds = optional(number, 300)
  }))
  default = {}

  validation {
    condition     = alltrue([for a in values(var.jwt_authorizers) : a.cache_ttl_seconds >= 0 && a.cache_ttl_seconds <= 3600])
    error_message = "cache_ttl_seconds is 0-3600."
  }
}

variable "origin_secret" {
  description = "Value sent as X-Trellis-Origin to container services (their runtime refuses requests without it); null sends none. Letters and digits only: it becomes a quoted mapping value."
  type        = string
  default     = null
  sensitive   = true

  validation {
    condition     = var.origin_secret == null ? true : can(regex("^[A-Za-z0-9]{32,}$", var.origin_secret))
    error_message = "The origin secret has at least 32 letters and digits."
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

variable "error_rate_alarm_percent" {
  description = "A route's 5xx alarm fires when more than this percentage of its requests in 5 minutes end in a 5xx (0-100)."
  type        = number
  default     = 5

  validation {
    condition     = var.error_rate_alarm_percent >= 0 && var.error_rate_alarm_percent <= 100
    error_message = "error_rate_alarm_percent is 0-100."
  }
}

variable "error_rate_min_requests" {
  description = "Requests in 5 minutes below which a route's 5xx rate is not judged (two requests, one failed, is no 50% outage)."
  type        = number
  default     = 10

  validation {
    condition     = var.error_rate_min_requests >= 1
    error_message = "error_rate_min_requests is at least 1."
  }
}

variable "latency_alarm_p99_ms" {
  description = "A route's latency alarm fires when its p99 latency is above this many milliseconds (API Gateway gives up at 29,000)."
  type        = number
  default     = 5000

  validation {
    condition     = var.latency_alarm_p99_ms >= 1 && var.latency_alarm_p99_ms <= 29000
    error_message = "latency_alarm_p99_ms is 1-29000."
  }
}

variable "alarm_actions" {
  description = "ARNs notified when an alarm fires or recovers (the environment's [alarms] routing); empty: the alarms notify nobody."
  type        = list(string)
  default     = []
}
