variable "name" {
  description = "Schedule name, e.g. \"acme-prod-nightly\" (1-64 letters, digits, '-', '_', '.'); also names its role."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{1,64}$", var.name))
    error_message = "A schedule name has 1-64 letters, digits, '-', '_' or '.'."
  }
}

variable "schedule_expression" {
  description = "When it fires: rate(5 minutes), cron(0 3 * * ? *) or at(2030-01-01T00:00:00)."
  type        = string

  validation {
    condition     = can(regex("^(rate\\(\\d+ (minute|minutes|hour|hours|day|days)\\)|cron\\(.+\\)|at\\(.+\\))$", var.schedule_expression))
    error_message = "The expression is rate(...), cron(...) or at(...)."
  }
}

variable "timezone" {
  description = "IANA time zone of cron and at expressions."
  type        = string
  default     = "UTC"
}

variable "target_kind" {
  description = "What the schedule triggers: \"sqs\" (sends input as the message body) or \"lambda\" (invokes with input as the event)."
  type        = string

  validation {
    condition     = contains(["sqs", "lambda"], var.target_kind)
    error_message = "target_kind is sqs or lambda."
  }
}

variable "target_arn" {
  description = "ARN of the queue or function."
  type        = string
}

variable "message_group_id" {
  description = "Message group of the messages sent to a FIFO queue (required for FIFO targets); null for standard queues and functions."
  type        = string
  default     = null
}

variable "input" {
  description = "JSON document sent to the target."
  type        = string
  default     = "{}"

  validation {
    condition     = can(jsondecode(var.input))
    error_message = "input is a JSON document."
  }
}

variable "retry_attempts" {
  description = "Retries of a failed delivery (0-185)."
  type        = number
  default     = 3

  validation {
    condition     = var.retry_attempts >= 0 && var.retry_attempts <= 185
    error_message = "retry_attempts is 0-185."
  }
}

variable "kms_key_arn" {
  description = "Customer managed KMS key ARN encrypting the schedule's input; null uses an AWS owned key."
  type        = string
  default     = null
}

variable "target_kms_key_arn" {
  description = "Customer managed KMS key of the target queue (its role may then use it through SQS); null when the target is not encrypted with one."
  type        = string
  default     = null
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary of the schedule's role; null for none."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags added to the role."
  type        = map(string)
  default     = {}
}
