variable "name" {
  description = "Topic name, e.g. \"acme-prod-events\" (1-251 letters, digits, '-', '_'; \".fifo\" is added for FIFO topics)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,251}$", var.name))
    error_message = "A topic name has 1-251 letters, digits, '-' or '_' (without \".fifo\")."
  }
}

variable "fifo" {
  description = "Create a FIFO topic with content-based deduplication (its subscribers must be FIFO queues)."
  type        = bool
  default     = false
}

variable "kms_key_id" {
  description = "KMS key (ARN or alias) encrypting messages at rest; the default is the AWS managed key for SNS."
  type        = string
  default     = "alias/aws/sns"
}

variable "queue_subscriptions" {
  description = "SQS queues subscribed to the topic, by name: queue_arn and raw_delivery (deliver the message body as is, without the SNS envelope). Each queue must admit sns.amazonaws.com from this topic (sqs-queue's publishers)."
  type = map(object({
    queue_arn    = string
    raw_delivery = optional(bool, true)
  }))
  default = {}
}

variable "tags" {
  description = "Tags added to the topic."
  type        = map(string)
  default     = {}
}
