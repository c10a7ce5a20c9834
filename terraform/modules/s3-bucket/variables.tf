variable "name" {
  description = "Globally unique bucket name, e.g. \"acme-prod-uploads\" (3-63 lower-case letters, digits, '-', '.')."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.name))
    error_message = "A bucket name has 3-63 lower-case letters, digits, '-' or '.', starting and ending with a letter or digit."
  }
}

variable "versioning" {
  description = "Keep every version of every object (recommended: protects against overwrites and deletes)."
  type        = bool
  default     = true
}

variable "kms_key_arn" {
  description = "KMS key ARN for SSE-KMS (with an S3 bucket key); null uses SSE-S3 (AES256). Objects are encrypted either way."
  type        = string
  default     = null
}

variable "abort_incomplete_multipart_days" {
  description = "Days after which unfinished multipart uploads are aborted (1-365)."
  type        = number
  default     = 7

  validation {
    condition     = var.abort_incomplete_multipart_days >= 1 && var.abort_incomplete_multipart_days <= 365
    error_message = "abort_incomplete_multipart_days is 1-365."
  }
}

variable "noncurrent_version_expiration_days" {
  description = "Days after which noncurrent object versions are deleted (1-3650)."
  type        = number
  default     = 90

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1 && var.noncurrent_version_expiration_days <= 3650
    error_message = "noncurrent_version_expiration_days is 1-3650."
  }
}

variable "transitions" {
  description = "Optional storage-class transitions of current objects: [{ days = 30, storage_class = \"STANDARD_IA\" }]."
  type = list(object({
    days          = number
    storage_class = string
  }))
  default = []

  validation {
    condition     = alltrue([for t in var.transitions : contains(["STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"], t.storage_class) && t.days >= 0])
    error_message = "A transition has days >= 0 and a storage class of STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING, GLACIER_IR, GLACIER or DEEP_ARCHIVE."
  }
}

variable "cors_allowed_origins" {
  description = "Origins allowed to PUT/POST/GET objects from a browser (presigned uploads); empty disables CORS."
  type        = list(string)
  default     = []

  validation {
    condition     = !contains(var.cors_allowed_origins, "*")
    error_message = "List the origins; \"*\" is not allowed."
  }
}

variable "cors_max_age_seconds" {
  description = "Seconds a browser caches a CORS preflight answer (0-86400)."
  type        = number
  default     = 3000

  validation {
    condition     = var.cors_max_age_seconds >= 0 && var.cors_max_age_seconds <= 86400
    error_message = "cors_max_age_seconds is 0-86400."
  }
}

variable "queue_notifications" {
  description = "Object events sent to SQS queues: [{ queue_arn, events = [\"s3:ObjectCreated:*\"], prefix = \"uploads/\", suffix = \"\" }]. The queue policy must admit s3.amazonaws.com from this bucket (sqs-queue's publishers)."
  type = list(object({
    queue_arn = string
    events    = optional(list(string), ["s3:ObjectCreated:*"])
    prefix    = optional(string, "")
    suffix    = optional(string, "")
  }))
  default = []
}

variable "force_destroy" {
  description = "Allow terraform destroy to delete a non-empty bucket (never in production)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags added to the bucket."
  type        = map(string)
  default     = {}
}

variable "extra_policy_json" {
  description = "More bucket policy statements (a policy document's JSON), merged with the TLS-only rule; every statement names its principals."
  type        = string
  default     = null
}

variable "lifecycle_rules" {
  description = "Lifecycle rules over key prefixes: [{ id, prefix = \"logs/\", transitions = [{ days = 90, storage_class = \"GLACIER\" }], expiration_days = 365, noncurrent_transitions = [], noncurrent_expiration_days = null }]. Days count from creation (noncurrent: from becoming noncurrent); the manifest checks S3's rules on them."
  type = list(object({
    id     = string
    prefix = optional(string, "")
    transitions = optional(list(object({
      days          = number
      storage_class = string
    })), [])
    expiration_days = optional(number)
    noncurrent_transitions = optional(list(object({
      days          = number
      storage_class = string
    })), [])
    noncurrent_expiration_days = optional(number)
  }))
  default = []

  validation {
    condition = alltrue([for r in var.lifecycle_rules : alltrue([
      for t in concat(r.transitions, r.noncurrent_transitions) :
      contains(["STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"], t.storage_class) && t.days >= 0
    ])])
    error_message = "A lifecycle transition has days >= 0 and a storage class of STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING, GLACIER_IR, GLACIER or DEEP_ARCHIVE."
  }

  validation {
    condition     = length(distinct([for r in var.lifecycle_rules : r.id])) == length(var.lifecycle_rules)
    error_message = "Lifecycle rule ids are unique."
  }
}
