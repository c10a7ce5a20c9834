variable "name" {
  description = "Parameter name, a path such as \"/acme/prod/feature-flags\" (1-1011 characters)."
  type        = string

  validation {
    # RE2 caps a repeat count at 1000: the length is checked apart.
    condition     = can(regex("^/[A-Za-z0-9/_.-]+$", var.name)) && length(var.name) <= 1011
    error_message = "A parameter name starts with '/' and has letters, digits, '/', '_', '.' or '-' (at most 1011 characters)."
  }
}

variable "value" {
  description = "Value of a plain parameter (up to 4 KB in the Standard tier); null for a secure one, whose value is set out of band."
  type        = string
  default     = null

  validation {
    condition     = (var.value == null) == var.secure
    error_message = "A plain parameter needs a value; a secure one takes none (it would be in the state): set it with `trellis parameter set`."
  }
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
