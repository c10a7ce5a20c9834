variable "name" {
  description = "Event bus name, e.g. \"acme-prod-orders\" (1-256 letters, digits, '.', '-', '_'; not \"default\")."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9._-]{1,256}$", var.name)) && var.name != "default"
    error_message = "A custom bus name has 1-256 letters, digits, '.', '-' or '_' and is not \"default\"."
  }
}

variable "description" {
  description = "What the bus carries (at most 512 characters)."
  type        = string
  default     = null
}

variable "rules" {
  description = "Rules on the bus, by key: name (1-64 letters, digits, '.', '-', '_'), description, and event_pattern (the pattern as a JSON document)."
  type = map(object({
    name          = string
    description   = string
    event_pattern = string
  }))
  default = {}

  validation {
    condition     = alltrue([for r in values(var.rules) : can(regex("^[A-Za-z0-9._-]{1,64}$", r.name)) && can(jsondecode(r.event_pattern))])
    error_message = "A rule has a 1-64 character name of letters, digits, '.', '-', '_' and a JSON event pattern."
  }
}

variable "targets" {
  description = "Targets by target id (1-64 characters): the key of their rule, kind (\"sqs\" or \"lambda\"), the queue or function ARN, and for Lambda an input template (the envelope around <aws.events.event>)."
  type = map(object({
    rule           = string
    kind           = string
    arn            = string
    input_template = optional(string)
  }))
  default = {}

  validation {
    condition     = alltrue([for k, t in var.targets : contains(["sqs", "lambda"], t.kind) && can(regex("^[A-Za-z0-9._-]{1,64}$", k))])
    error_message = "A target's kind is sqs or lambda, and its id has 1-64 letters, digits, '.', '-' or '_'."
  }
}

variable "maximum_event_age_seconds" {
  description = "How long EventBridge keeps retrying a failed delivery, in seconds (60-86400)."
  type        = number
  default     = 86400

  validation {
    condition     = var.maximum_event_age_seconds >= 60 && var.maximum_event_age_seconds <= 86400
    error_message = "maximum_event_age_seconds is 60-86400."
  }
}

variable "maximum_retry_attempts" {
  description = "Retries of a failed delivery (0-185)."
  type        = number
  default     = 185

  validation {
    condition     = var.maximum_retry_attempts >= 0 && var.maximum_retry_attempts <= 185
    error_message = "maximum_retry_attempts is 0-185."
  }
}

variable "tags" {
  description = "Tags added to the bus and its rules."
  type        = map(string)
  default     = {}
}
