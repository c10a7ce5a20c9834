variable "name" {
  description = "Secret name, a path such as \"acme/prod/stripe-key\" (1-512 characters)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9/_+=.@-]{1,512}$", var.name))
    error_message = "A secret name has 1-512 letters, digits or /_+=.@- characters."
  }
}

variable "description" {
  description = "What the secret is for."
  type        = string
  default     = ""
}

variable "kms_key_arn" {
  description = "Customer managed KMS key ARN; null uses the AWS managed key for Secrets Manager."
  type        = string
  default     = null
}

variable "recovery_window_days" {
  description = "Days a deleted secret can be restored (0 deletes at once, else 7-30)."
  type        = number
  default     = 30

  validation {
    condition     = var.recovery_window_days == 0 || (var.recovery_window_days >= 7 && var.recovery_window_days <= 30)
    error_message = "The recovery window is 0 or 7-30 days."
  }
}

variable "set_initial_value" {
  description = "Write initial_value_wo as the first version of the secret."
  type        = bool
  default     = false
}

variable "initial_value_wo" {
  description = "Optional first value, written with the write-only argument so it never reaches the state; leave null and set the value out of band (`aws secretsmanager put-secret-value`)."
  type        = string
  default     = null
  sensitive   = true
  ephemeral   = true
}

variable "initial_value_version" {
  description = "Bump to write initial_value_wo again (write-only values are sent only when this changes)."
  type        = number
  default     = 1
}

variable "tags" {
  description = "Tags added to the secret."
  type        = map(string)
  default     = {}
}
