variable "name" {
  description = "Table name, e.g. \"acme-prod-users\" (3-255 letters, digits, '_', '-', '.')."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{3,255}$", var.name))
    error_message = "A table name has 3-255 letters, digits, '_', '-' or '.'."
  }
}

variable "hash_key" {
  description = "Partition key attribute name."
  type        = string
}

variable "hash_key_type" {
  description = "Partition key type: S (string), N (number) or B (binary)."
  type        = string
  default     = "S"

  validation {
    condition     = contains(["S", "N", "B"], var.hash_key_type)
    error_message = "A key type is S, N or B."
  }
}

variable "range_key" {
  description = "Sort key attribute name; null for a table without one."
  type        = string
  default     = null
}

variable "range_key_type" {
  description = "Sort key type: S, N or B (ignored without range_key)."
  type        = string
  default     = "S"

  validation {
    condition     = contains(["S", "N", "B"], var.range_key_type)
    error_message = "A key type is S, N or B."
  }
}

variable "global_secondary_indexes" {
  description = "GSIs by name: hash/range key names and types, projection ALL or KEYS_ONLY. Capacities apply only to PROVISIONED tables (read/write units per second)."
  type = map(object({
    hash_key        = string
    hash_key_type   = optional(string, "S")
    range_key       = optional(string)
    range_key_type  = optional(string, "S")
    projection_type = optional(string, "ALL")
    read_capacity   = optional(number, 5)
    write_capacity  = optional(number, 5)
  }))
  default = {}

  validation {
    condition     = alltrue([for i in values(var.global_secondary_indexes) : contains(["ALL", "KEYS_ONLY"], i.projection_type)])
    error_message = "An index projection is ALL or KEYS_ONLY."
  }
}

variable "ttl_attribute" {
  description = "Attribute holding an epoch-seconds expiry time; null disables TTL."
  type        = string
  default     = null
}

variable "billing_mode" {
  description = "PAY_PER_REQUEST (on-demand) or PROVISIONED."
  type        = string
  default     = "PAY_PER_REQUEST"

  validation {
    condition     = contains(["PAY_PER_REQUEST", "PROVISIONED"], var.billing_mode)
    error_message = "billing_mode is PAY_PER_REQUEST or PROVISIONED."
  }
}

variable "read_capacity" {
  description = "Read capacity units per second of a PROVISIONED table (>= 1)."
  type        = number
  default     = 5

  validation {
    condition     = var.read_capacity >= 1
    error_message = "read_capacity is at least 1."
  }
}

variable "write_capacity" {
  description = "Write capacity units per second of a PROVISIONED table (>= 1)."
  type        = number
  default     = 5

  validation {
    condition     = var.write_capacity >= 1
    error_message = "write_capacity is at least 1."
  }
}

variable "point_in_time_recovery" {
  description = "Keep continuous backups for point-in-time recovery (35 days)."
  type        = bool
  default     = true
}

variable "kms_key_arn" {
  description = "Customer managed KMS key ARN; null encrypts with the AWS owned key (the table is encrypted either way)."
  type        = string
  default     = null
}

variable "deletion_protection" {
  description = "Refuse DeleteTable until this is turned off."
  type        = bool
  default     = true
}

variable "table_class" {
  description = "STANDARD or STANDARD_INFREQUENT_ACCESS."
  type        = string
  default     = "STANDARD"

  validation {
    condition     = contains(["STANDARD", "STANDARD_INFREQUENT_ACCESS"], var.table_class)
    error_message = "table_class is STANDARD or STANDARD_INFREQUENT_ACCESS."
  }
}

variable "tags" {
  description = "Tags added to the table."
  type        = map(string)
  default     = {}
}

variable "throttle_alarm_threshold" {
  description = "Read plus write throttle events per 5 minutes above which the throttles alarm fires (>= 0)."
  type        = number
  default     = 0

  validation {
    condition     = var.throttle_alarm_threshold >= 0
    error_message = "The threshold is 0 or more."
  }
}

variable "alarm_actions" {
  description = "ARNs notified when an alarm fires or recovers (the environment's [alarms] routing); empty: the alarms notify nobody."
  type        = list(string)
  default     = []
}
