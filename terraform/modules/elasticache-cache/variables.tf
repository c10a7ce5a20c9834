variable "name" {
  description = "Serverless cache name (also its user group and security group), e.g. \"acme-prod-sessions\"."
  type        = string

  validation {
    condition     = can(regex("^[a-z](?:[a-z0-9]|-[a-z0-9]){0,31}$", var.name))
    error_message = "The name has 1-32 lower-case letters, digits or single hyphens, starting with a letter."
  }
}

variable "major_engine_version" {
  description = "Valkey major version."
  type        = string
  default     = "8"

  validation {
    condition     = contains(["7", "8"], var.major_engine_version)
    error_message = "major_engine_version is 7 or 8."
  }
}

variable "max_storage_gb" {
  description = "Upper bound of the data stored (GB, 1-5000): caps the bill."
  type        = number
  default     = 10

  validation {
    condition     = var.max_storage_gb >= 1 && var.max_storage_gb <= 5000
    error_message = "max_storage_gb is 1-5000."
  }
}

variable "max_ecpu_per_second" {
  description = "Upper bound of ElastiCache Processing Units per second (1000-15000000)."
  type        = number
  default     = 5000

  validation {
    condition     = var.max_ecpu_per_second >= 1000 && var.max_ecpu_per_second <= 15000000
    error_message = "max_ecpu_per_second is 1000-15000000."
  }
}

variable "snapshot_retention_days" {
  description = "Days of daily snapshots (0-35; 0: none)."
  type        = number
  default     = 1

  validation {
    condition     = var.snapshot_retention_days >= 0 && var.snapshot_retention_days <= 35
    error_message = "snapshot_retention_days is 0-35."
  }
}

variable "default_user_id" {
  description = "Id of the cache's disabled \"default\" user (every user group has one)."
  type        = string

  validation {
    condition     = can(regex("^[a-z](?:[a-z0-9]|-[a-z0-9]){0,39}$", var.default_user_id))
    error_message = "A user id has 1-40 lower-case letters, digits or single hyphens."
  }
}

variable "user_ids" {
  description = "ElastiCache users (IAM authentication) that may log in: the services that use the cache."
  type        = list(string)
  default     = []
}

variable "vpc_id" {
  description = "The network's VPC."
  type        = string
}

variable "subnet_ids" {
  description = "The network's private subnets (2 or 3)."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2 && length(var.subnet_ids) <= 3
    error_message = "Give 2 or 3 subnets."
  }
}

variable "client_security_group_ids" {
  description = "Security groups admitted on 6379-6380, by service name: the services that use the cache."
  type        = map(string)
  default     = {}
}

variable "kms_key_arn" {
  description = "KMS key of the data at rest; null: an AWS owned key."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags added to every resource of the module."
  type        = map(string)
  default     = {}
}
