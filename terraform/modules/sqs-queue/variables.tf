variable "name" {
  description = "Queue name, e.g. \"acme-prod-jobs\" (1-75 characters; \".fifo\" and the DLQ suffix \"-dlq\" are added here)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,75}$", var.name))
    error_message = "The name uses 1-75 letters, digits, '-' or '_' (without \".fifo\")."
  }
}

variable "fifo" {
  description = "Create a FIFO queue (and a FIFO DLQ) with content-based deduplication."
  type        = bool
  default     = false
}

variable "visibility_timeout_seconds" {
  description = "Seconds a received message stays invisible (0-43200). Keep it at least 6x the consumer Lambda's timeout."
  type        = number
  default     = 30

  validation {
    condition     = var.visibility_timeout_seconds >= 0 && var.visibility_timeout_seconds <= 43200
    error_message = "The visibility timeout is 0-43200 seconds (12 hours)."
  }
}

variable "message_retention_seconds" {
  description = "Seconds SQS keeps a message (60-1209600, i.e. 1 minute to 14 days)."
  type        = number
  default     = 345600

  validation {
    condition     = var.message_retention_seconds >= 60 && var.message_retention_seconds <= 1209600
    error_message = "Retention is 60-1209600 seconds."
  }
}

variable "dlq_message_retention_seconds" {
  description = "Seconds the DLQ keeps a message (60-1209600); keep it longer than the main queue's retention."
  type        = number
  default     = 1209600

  validation {
    condition     = var.dlq_message_retention_seconds >= 60 && var.dlq_message_retention_seconds <= 1209600
    error_message = "DLQ retention is 60-1209600 seconds."
  }
}

variable "max_message_size" {
  description = "Largest message in bytes (1024-1048576, i.e. up to 1 MiB)."
  type        = number
  default     = 1048576

  validation {
    condition     = var.max_message_size >= 1024 && var.max_message_size <= 1048576
    error_message = "The maximum message size is 1024-1048576 bytes."
  }
}

variable "delay_seconds" {
  description = "Seconds each new message is hidden before its first delivery (0-900)."
  type        = number
  default     = 0

  validation {
    condition     = var.delay_seconds >= 0 && var.delay_seconds <= 900
    error_message = "The delay is 0-900 seconds."
  }
}

variable "receive_wait_time_seconds" {
  description = "Long-poll wait of a ReceiveMessage call in seconds (0-20); 20 minimises empty receives."
  type        = number
  default     = 20

  validation {
    condition     = var.receive_wait_time_seconds >= 0 && var.receive_wait_time_seconds <= 20
    error_message = "The receive wait time is 0-20 seconds."
  }
}

variable "max_receive_count" {
  description = "Receives before a message moves to the DLQ (1-1000)."
  type        = number
  default     = 3

  validation {
    condition     = var.max_receive_count >= 1 && var.max_receive_count <= 1000
    error_message = "max_receive_count is 1-1000."
  }
}

variable "kms_key_arn" {
  description = "KMS key ARN for SSE-KMS; null uses SQS-managed encryption (SSE-SQS). Either way the queues are encrypted."
  type        = string
  default     = null
}

variable "kms_data_key_reuse_period_seconds" {
  description = "Seconds SQS reuses a KMS data key (60-86400); only with kms_key_arn."
  type        = number
  default     = 300

  validation {
    condition     = var.kms_data_key_reuse_period_seconds >= 60 && var.kms_data_key_reuse_period_seconds <= 86400
    error_message = "The data key reuse period is 60-86400 seconds."
  }
}

variable "publishers" {
  description = "AWS services allowed to send to the queue, e.g. [{ service = \"s3.amazonaws.com\", source_arn = \"arn:aws:s3:::acme-prod-uploads\" }] for bucket notifications or SNS topic subscriptions."
  type = list(object({
    service    = string
    source_arn = string
  }))
  default = []

  validation {
    condition     = alltrue([for p in var.publishers : contains(["s3.amazonaws.com", "sns.amazonaws.com", "events.amazonaws.com", "scheduler.amazonaws.com"], p.service)])
    error_message = "A publisher service is one of s3.amazonaws.com, sns.amazonaws.com, events.amazonaws.com, scheduler.amazonaws.com."
  }
}

variable "oldest_message_alarm_seconds" {
  description = "Alarm when the oldest message is older than this many seconds (60-1209600); the integration guide's 300 by default."
  type        = number
  default     = 300

  validation {
    condition     = var.oldest_message_alarm_seconds >= 60 && var.oldest_message_alarm_seconds <= 1209600
    error_message = "The oldest-message alarm threshold is 60-1209600 seconds."
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
