variable "name" {
  description = "Parameter name, a path such as \"/acme/prod/feature-flags\" (1-1011 characters)."
  type        = string

  validation {
    condition     = can(regex("^/[A-Za-z0-9/_.-]{1,1010}$", var.name))
    error_message = "A parameter name starts with '/' and has letters, digits, '/', '_', '.' or '-' (at most 1011 characters)."
  }
}

variable "value" {
  description = "Value of the parameter (up to 4 KB in the Standard tier)."
  type        = string
}

variable "secure" {
  description = "Store as SecureString (encrypted with kms_key_id) instead of String."
  type        = bool
  default     = false
}

variable "kms_key_id" {
  description = "KMS key for a SecureString; null uses the AWS managed key alias/aws/ssm."
  type        = string
  default     = null
}

variable "description" {
  description = "What the parameter is for."
  type        = string
  default     = ""
}

variable "tags" {
  description = "Tags added to the parameter."
  type        = map(string)
  default     = {}
}
