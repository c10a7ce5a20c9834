variable "users" {
  description = "Service name → ElastiCache user id (and name) it logs in as, e.g. { api = \"acme-prod-api\" }."
  type        = map(string)

  validation {
    condition     = alltrue([for id in values(var.users) : can(regex("^[a-z](?:[a-z0-9]|-[a-z0-9]){0,39}$", id))])
    error_message = "A user id has 1-40 lower-case letters, digits or single hyphens."
  }
}

variable "tags" {
  description = "Tags added to every resource of the module."
  type        = map(string)
  default     = {}
}
