# Rendered by `trellis generate` from trellis.toml: do not edit.
# Change trellis.toml and run `trellis generate`; `trellis check` fails while this file is stale.

variable "environment" {
  description = "Environment to deploy: one of the manifest's environments."
  type        = string

  validation {
    condition     = contains(["dev", "test", "prod"], var.environment)
    error_message = "The environment is one of: dev, test, prod."
  }
}

variable "region" {
  description = "AWS region of the stack."
  type        = string
  default     = "us-east-1"
}

variable "production" {
  description = "Production environment: point-in-time recovery on every table, whatever the manifest says."
  type        = bool
  default     = false
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps service and gateway logs."
  type        = number
  default     = 30
}

variable "deletion_protection" {
  description = "Deletion protection on tables whose manifest entry asks for it."
  type        = bool
  default     = true
}

variable "artifacts_dir" {
  description = "Directory (relative to terraform/) holding one <service>.zip Lambda package per service."
  type        = string
  default     = "../dist"
}
