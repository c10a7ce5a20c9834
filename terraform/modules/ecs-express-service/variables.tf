variable "name" {
  description = "Service name, also the prefix of its roles, e.g. \"acme-prod-web\" (4-40 letters, digits, '-', '_')."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9_-]{3,39}$", var.name))
    error_message = "A service name has 4-40 letters, digits, '-' or '_', starting with a letter or digit."
  }
}

variable "image" {
  description = "Container image URI in ECR, pinned by tag or digest, e.g. \"123456789012.dkr.ecr.us-east-1.amazonaws.com/acme-web@sha256:...\"."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}\\.dkr\\.ecr\\.[a-z0-9-]+\\.amazonaws\\.com/.+[:@].+$", var.image))
    error_message = "The image is an ECR URI with a tag or digest."
  }
}

variable "port" {
  description = "Port the container listens on (1024-65535)."
  type        = number
  default     = 8080

  validation {
    condition     = var.port >= 1024 && var.port <= 65535
    error_message = "The port is 1024-65535."
  }
}

variable "environment_variables" {
  description = "Env vars of the container (values are visible in the service configuration: pass secrets by ARN)."
  type        = map(string)
  default     = {}
}

variable "policy_json" {
  description = "IAM policy document (JSON) of what the service may do: exactly its manifest access levels, scoped to the resources' ARNs; null when it uses no resource."
  type        = string
  default     = null
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary of the roles this module creates; null for none."
  type        = string
  default     = null
}

variable "health_check_path" {
  description = "HTTP path the platform probes for health, e.g. \"/health\" (the Trellis app factory serves it)."
  type        = string
  default     = "/health"

  validation {
    condition     = startswith(var.health_check_path, "/")
    error_message = "The health check path starts with '/'."
  }
}

variable "min_instances" {
  description = "Fewest instances (tasks) kept running (>= 1)."
  type        = number
  default     = 1

  validation {
    condition     = var.min_instances >= 1
    error_message = "min_instances is at least 1."
  }
}

variable "max_instances" {
  description = "Most instances (tasks) scaling may start (>= min_instances)."
  type        = number
  default     = 4

  validation {
    condition     = var.max_instances >= 1
    error_message = "max_instances is at least 1."
  }
}

variable "tags" {
  description = "Tags added to every resource of the module."
  type        = map(string)
  default     = {}
}

variable "cluster" {
  description = "Name or ARN of the ECS cluster (\"default\" is created by ECS if missing)."
  type        = string
  default     = "default"
}

variable "cpu" {
  description = "CPU units of a task: \"256\", \"512\", \"1024\", \"2048\" or \"4096\"."
  type        = string
  default     = "1024"

  validation {
    condition     = contains(["256", "512", "1024", "2048", "4096"], var.cpu)
    error_message = "cpu is 256, 512, 1024, 2048 or 4096."
  }
}

variable "memory" {
  description = "Memory of a task in MiB, \"512\" to \"8192\"."
  type        = string
  default     = "2048"

  validation {
    condition     = tonumber(var.memory) >= 512 && tonumber(var.memory) <= 8192
    error_message = "memory is 512-8192 MiB."
  }
}

variable "scaling_metric" {
  description = "Metric auto scaling tracks: CPU or MEMORY."
  type        = string
  default     = "CPU"

  validation {
    condition     = contains(["CPU", "MEMORY"], var.scaling_metric)
    error_message = "scaling_metric is CPU or MEMORY."
  }
}

variable "scaling_target_percent" {
  description = "Target utilisation of scaling_metric in percent (1-100)."
  type        = number
  default     = 60

  validation {
    condition     = var.scaling_target_percent >= 1 && var.scaling_target_percent <= 100
    error_message = "scaling_target_percent is 1-100."
  }
}

variable "subnet_ids" {
  description = "Subnets of the tasks (at least 2), or empty for the default VPC's."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.subnet_ids) == 0 || length(var.subnet_ids) >= 2
    error_message = "Give at least 2 subnets, or none."
  }
}

variable "security_group_ids" {
  description = "Security groups of the tasks; empty uses the VPC's default."
  type        = list(string)
  default     = []
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps the container logs (a value CloudWatch accepts, e.g. 14, 30, 90, 365)."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "The retention is a value CloudWatch accepts (1, 3, 5, 7, 14, 30, 60, 90, ... 3653 days)."
  }
}

variable "log_kms_key_arn" {
  description = "KMS key ARN to encrypt the log group; null uses CloudWatch Logs' own encryption."
  type        = string
  default     = null
}

variable "wait_for_steady_state" {
  description = "Make apply wait until the new deployment is healthy."
  type        = bool
  default     = true
}

variable "infrastructure_role_arn" {
  description = "Role ECS assumes to manage the service's load balancer, security groups and scaling (bootstrap/ creates one per environment); null creates one here. It cannot change after the service exists."
  type        = string
  default     = null
}

variable "utilization_alarm_percent" {
  description = "The CPU and memory alarms fire when average utilization stays at this percentage or more for 15 minutes (1-100)."
  type        = number
  default     = 80

  validation {
    condition     = var.utilization_alarm_percent >= 1 && var.utilization_alarm_percent <= 100
    error_message = "utilization_alarm_percent is 1-100."
  }
}

variable "alarm_actions" {
  description = "ARNs notified when an alarm fires or recovers (the environment's [alarms] routing); empty: the alarms notify nobody."
  type        = list(string)
  default     = []
}
