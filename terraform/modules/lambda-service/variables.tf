variable "name" {
  description = "Function name, also used for its execution role and log group, e.g. \"acme-prod-api\" (1-64 letters, digits, '-', '_')."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,64}$", var.name))
    error_message = "A function name has 1-64 letters, digits, '-' or '_'."
  }
}

variable "package_file" {
  description = "Path of the zip package (the service's code and its dependencies, built for the architecture below)."
  type        = string
}

variable "handler" {
  description = "Python handler, \"module.function\", e.g. \"api.handler.handler\"."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z_][A-Za-z0-9_.]*\\.[A-Za-z_][A-Za-z0-9_]*$", var.handler))
    error_message = "The handler is a dotted path ending in the function name, e.g. \"api.handler.handler\"."
  }
}

variable "runtime" {
  description = "Lambda runtime identifier."
  type        = string
  default     = "python3.11"

  validation {
    condition     = contains(["python3.11", "python3.12", "python3.13"], var.runtime)
    error_message = "The runtime is python3.11, python3.12 or python3.13."
  }
}

variable "snap_start" {
  description = "Lambda SnapStart: publish a version on every change, snapshot it, and invoke it through the `live` alias (Python 3.12 and later)."
  type        = bool
  default     = false

  validation {
    condition     = !var.snap_start || var.runtime != "python3.11"
    error_message = "SnapStart for Python needs python3.12 or later."
  }
}

variable "architecture" {
  description = "Instruction set: arm64 (Graviton, the default: cheaper per GB-second) or x86_64."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "The architecture is arm64 or x86_64."
  }
}

variable "memory_mb" {
  description = "Memory in MiB (128-10240); CPU scales with it."
  type        = number
  default     = 512

  validation {
    condition     = var.memory_mb >= 128 && var.memory_mb <= 10240
    error_message = "Memory is 128-10240 MiB."
  }
}

variable "timeout_seconds" {
  description = "Maximum run time of one invocation in seconds (1-900). API Gateway itself gives up after 29 s."
  type        = number
  default     = 30

  validation {
    condition     = var.timeout_seconds >= 1 && var.timeout_seconds <= 900
    error_message = "The timeout is 1-900 seconds."
  }
}

variable "reserved_concurrency" {
  description = "Concurrent executions reserved for (and capped at) this function; -1 leaves it unreserved."
  type        = number
  default     = -1

  validation {
    condition     = var.reserved_concurrency >= -1
    error_message = "reserved_concurrency is -1 (unreserved) or more."
  }
}

variable "environment_variables" {
  description = "Env vars of the function. Lambda reserves AWS_REGION, AWS_LAMBDA_*, _HANDLER and others: they are rejected."
  type        = map(string)
  default     = {}

  validation {
    condition = length(setintersection(keys(var.environment_variables), [
      "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
      "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
      "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
      "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
      "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
    ])) == 0
    error_message = "Lambda reserves AWS_REGION, AWS_DEFAULT_REGION, AWS_LAMBDA_*, AWS_EXECUTION_ENV, credentials, _HANDLER, _X_AMZN_TRACE_ID, LAMBDA_TASK_ROOT and LAMBDA_RUNTIME_DIR: its runtime sets them."
  }
}

variable "policy_json" {
  description = "IAM policy document (JSON) of what the service may do: exactly its manifest access levels, scoped to the resources' ARNs; null when it uses no resource."
  type        = string
  default     = null
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary of the execution role (the deploy role may only create roles that carry it); null for none."
  type        = string
  default     = null
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps the function's logs (one of the values CloudWatch accepts, e.g. 14, 30, 90, 365)."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "The retention is one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653 days."
  }
}

variable "log_kms_key_arn" {
  description = "KMS key ARN to encrypt the log group; null uses CloudWatch Logs' own encryption."
  type        = string
  default     = null
}

variable "sqs_event_sources" {
  description = "SQS queues the function consumes, by name: queue_arn, batch_size (1-10000; over 10 needs a batching window), batching_window_seconds (0-300), max_concurrency (concurrent invocations for this queue, 2-1000, default 10, so one backlog cannot take the account's concurrency). Failures are reported per message (ReportBatchItemFailures)."
  type = map(object({
    queue_arn               = string
    batch_size              = optional(number, 10)
    batching_window_seconds = optional(number, 0)
    max_concurrency         = optional(number, 10)
  }))
  default = {}

  validation {
    condition = alltrue([for s in values(var.sqs_event_sources) :
      s.batch_size >= 1 && s.batch_size <= 10000 &&
      s.batching_window_seconds >= 0 && s.batching_window_seconds <= 300 &&
      (s.batch_size <= 10 || s.batching_window_seconds >= 1) &&
    (s.max_concurrency == null ? true : s.max_concurrency >= 2 && s.max_concurrency <= 1000)])
    error_message = "batch_size is 1-10000 (over 10 needs batching_window_seconds >= 1), batching_window_seconds 0-300, max_concurrency 2-1000."
  }
}

variable "tracing_mode" {
  description = "X-Ray tracing: Active or PassThrough."
  type        = string
  default     = "Active"

  validation {
    condition     = contains(["Active", "PassThrough"], var.tracing_mode)
    error_message = "tracing_mode is Active or PassThrough."
  }
}

variable "error_alarm_threshold" {
  description = "Errors per 5 minutes above which the errors alarm fires (>= 0)."
  type        = number
  default     = 0

  validation {
    condition     = var.error_alarm_threshold >= 0
    error_message = "The threshold is 0 or more."
  }
}

variable "duration_alarm_percent" {
  description = "The duration alarm fires when p99 Duration reaches this percentage of timeout_seconds (50-100)."
  type        = number
  default     = 80

  validation {
    condition     = var.duration_alarm_percent >= 50 && var.duration_alarm_percent <= 100
    error_message = "duration_alarm_percent is 50-100."
  }
}

variable "alarm_actions" {
  description = "ARNs notified when an alarm fires or recovers (the environment's [alarms] routing); empty: the alarms notify nobody."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags added to every resource of the module."
  type        = map(string)
  default     = {}
}

variable "vpc" {
  description = "Run in a VPC's private subnets (to reach a database or cache): the network's ids and ARNs; null: no VPC."
  type = object({
    vpc_arn            = string
    subnet_ids         = list(string)
    subnet_arns        = list(string)
    security_group_id  = string
    security_group_arn = string
  })
  default = null

  validation {
    condition     = var.vpc == null || length(try(var.vpc.subnet_ids, [])) >= 2
    error_message = "A function in a VPC needs subnets in at least 2 availability zones."
  }
}
