variable "alias" {
  description = "Alias of the key, with its alias/ prefix (alias/<project>-<env>-key)."
  type        = string

  validation {
    condition     = can(regex("^alias/[a-zA-Z0-9/_-]{1,250}$", var.alias)) && !startswith(var.alias, "alias/aws/")
    error_message = "alias is alias/<name> (letters, digits, /, _ and -), not under alias/aws/."
  }
}

variable "description" {
  description = "What the key encrypts (shown in the KMS console)."
  type        = string
}

variable "deletion_window_days" {
  description = "Days a key scheduled for deletion can still be recovered (7-30)."
  type        = number
  default     = 30

  validation {
    condition     = var.deletion_window_days >= 7 && var.deletion_window_days <= 30
    error_message = "deletion_window_days is 7-30."
  }
}

variable "rotation_period_days" {
  description = "Days between automatic rotations of the key material (90-2560)."
  type        = number
  default     = 365

  validation {
    condition     = var.rotation_period_days >= 90 && var.rotation_period_days <= 2560
    error_message = "rotation_period_days is 90-2560."
  }
}

variable "log_group_arns" {
  description = "ARN patterns of the log groups CloudWatch Logs may encrypt with the key (kms:EncryptionContext:aws:logs:arn)."
  type        = list(string)
  default     = []
}

variable "deliveries" {
  description = "AWS service principal (s3.amazonaws.com, sns.amazonaws.com) => ARN patterns of the resources it delivers from into encrypted queues (aws:SourceArn)."
  type        = map(list(string))
  default     = {}
}

variable "tags" {
  description = "Tags of the key (the provider's default_tags add the environment's)."
  type        = map(string)
  default     = {}
}
