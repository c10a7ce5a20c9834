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

variable "cpu" {
  description = "vCPU of an instance: \"256\", \"512\", \"1024\", \"2048\" or \"4096\" (CPU units)."
  type        = string
  default     = "1024"

  validation {
    condition     = contains(["256", "512", "1024", "2048", "4096"], var.cpu)
    error_message = "cpu is 256, 512, 1024, 2048 or 4096."
  }
}

variable "memory" {
  description = "Memory of an instance in MiB: \"512\" to \"12288\" (App Runner's supported pairs with cpu)."
  type        = string
  default     = "2048"

  validation {
    condition     = contains(["512", "1024", "2048", "3072", "4096", "6144", "8192", "10240", "12288"], var.memory)
    error_message = "memory is one of 512, 1024, 2048, 3072, 4096, 6144, 8192, 10240, 12288 MiB."
  }
}

variable "max_concurrency" {
  description = "Concurrent requests per instance before App Runner scales out (1-200)."
  type        = number
  default     = 100

  validation {
    condition     = var.max_concurrency >= 1 && var.max_concurrency <= 200
    error_message = "max_concurrency is 1-200."
  }
}

variable "kms_key_arn" {
  description = "Customer managed KMS key ARN encrypting the service's source and logs; null uses an AWS owned key."
  type        = string
  default     = null
}

variable "vpc" {
  description = "Send the service's outbound traffic into a VPC's private subnets (to reach a database or cache) through a VPC connector with the service's own security group; null: no VPC. Ingress stays public."
  type = object({
    subnet_ids        = list(string)
    security_group_id = string
  })
  default = null

  validation {
    condition     = var.vpc == null || length(try(var.vpc.subnet_ids, [])) >= 2
    error_message = "A VPC connector needs subnets in at least 2 availability zones."
  }
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

variable "http_5xx_alarm_threshold" {
  description = "5xx responses per 5 minutes above which the 5xx alarm fires (>= 0)."
  type        = number
  default     = 0

  validation {
    condition     = var.http_5xx_alarm_threshold >= 0
    error_message = "The threshold is 0 or more."
  }
}
