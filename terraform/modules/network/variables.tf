variable "name" {
  description = "Name prefix of the network's resources: the environment's, e.g. \"acme-prod\"."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,40}$", var.name))
    error_message = "The name uses 2-41 lower-case letters, digits or '-', starting with a letter."
  }
}

variable "cidr" {
  description = "IPv4 range of the VPC (/16 to /24); each subnet takes a sixteenth of it."
  type        = string
  default     = "10.0.0.0/16"

  validation {
    condition     = can(cidrnetmask(var.cidr)) && tonumber(split("/", var.cidr)[1]) >= 16 && tonumber(split("/", var.cidr)[1]) <= 24
    error_message = "The range is an IPv4 CIDR block from /16 to /24."
  }
}

variable "az_count" {
  description = "Availability zones the private subnets span: 2 or 3."
  type        = number
  default     = 2

  validation {
    condition     = contains([2, 3], var.az_count)
    error_message = "az_count is 2 or 3."
  }
}

variable "nat_gateway" {
  description = "One NAT gateway (in a public subnet) for calls to the internet; the VPC endpoints reach AWS without it."
  type        = bool
  default     = false
}

variable "public_subnets" {
  description = "A public subnet per availability zone, with an internet gateway: for ECS Express services, whose load balancer and tasks use the subnets they are given."
  type        = bool
  default     = false
}

variable "ingress_ports" {
  description = "Security group key → the port its service listens on behind a load balancer in the VPC."
  type        = map(number)
  default     = {}

  validation {
    condition     = alltrue([for k, p in var.ingress_ports : contains(var.security_groups, k) && p >= 1 && p <= 65535])
    error_message = "Each key is one of security_groups and each port is 1-65535."
  }
}

variable "security_groups" {
  description = "Keys of the security groups to create, one per service in the network (e.g. [\"api\", \"db-admin\"])."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for k in var.security_groups : can(regex("^[a-z][a-z0-9-]{0,62}$", k))])
    error_message = "Security group keys are service names (lower-case letters, digits, '-')."
  }
}

variable "endpoints" {
  description = "VPC endpoints: AWS service (\"sqs\", \"s3\", ...) → \"Gateway\" or \"Interface\"."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for t in values(var.endpoints) : contains(["Gateway", "Interface"], t)])
    error_message = "An endpoint type is Gateway or Interface."
  }

  validation {
    condition = alltrue([
      for s, t in var.endpoints : t == "Interface" || contains(["s3", "dynamodb"], s)
    ])
    error_message = "Only s3 and dynamodb have gateway endpoints."
  }
}

variable "tags" {
  description = "Tags added to every resource of the module."
  type        = map(string)
  default     = {}
}
