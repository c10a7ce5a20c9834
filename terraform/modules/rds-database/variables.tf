variable "identifier" {
  description = "Cluster (or instance) identifier, e.g. \"acme-prod-audit\": letters, digits, single hyphens."
  type        = string

  validation {
    condition     = can(regex("^[a-z](?:[a-z0-9]|-[a-z0-9]){0,58}$", var.identifier))
    error_message = "The identifier has 1-59 lower-case letters, digits or single hyphens, starting with a letter."
  }
}

variable "database_name" {
  description = "The PostgreSQL database created in it, e.g. \"audit\"."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,62}$", var.database_name))
    error_message = "The database name is a lower-case identifier of up to 63 characters."
  }
}

variable "master_username" {
  description = "The master user; its password is generated and kept by RDS in Secrets Manager."
  type        = string
  default     = "trellis_admin"
}

variable "mode" {
  description = "serverless: Aurora PostgreSQL Serverless v2; instance: RDS for PostgreSQL."
  type        = string
  default     = "serverless"

  validation {
    condition     = contains(["serverless", "instance"], var.mode)
    error_message = "mode is serverless or instance."
  }
}

variable "engine_version" {
  description = "PostgreSQL major version (the latest minor is picked and kept up to date)."
  type        = string
  default     = "18"

  validation {
    condition     = contains(["16", "17", "18"], var.engine_version)
    error_message = "engine_version is 16, 17 or 18."
  }
}

variable "min_capacity" {
  description = "Aurora capacity units at rest (0-256, steps of 0.5); 0 pauses an idle cluster."
  type        = number
  default     = 0.5

  validation {
    condition     = var.min_capacity >= 0 && var.min_capacity <= 256 && var.min_capacity * 2 == floor(var.min_capacity * 2)
    error_message = "min_capacity is 0-256 in steps of 0.5."
  }
}

variable "max_capacity" {
  description = "Aurora capacity units at most (1-256, steps of 0.5)."
  type        = number
  default     = 4

  validation {
    condition     = var.max_capacity >= 1 && var.max_capacity <= 256 && var.max_capacity * 2 == floor(var.max_capacity * 2)
    error_message = "max_capacity is 1-256 in steps of 0.5."
  }
}

variable "instance_class" {
  description = "mode = instance: the DB instance class, e.g. db.t4g.micro."
  type        = string
  default     = "db.t4g.micro"

  validation {
    condition     = can(regex("^db\\.[a-z0-9]+\\.[a-z0-9]+$", var.instance_class))
    error_message = "The instance class looks like db.t4g.micro."
  }
}

variable "allocated_storage_gb" {
  description = "mode = instance: storage in GiB (20-65536); Aurora's grows by itself."
  type        = number
  default     = 20

  validation {
    condition     = var.allocated_storage_gb >= 20 && var.allocated_storage_gb <= 65536
    error_message = "allocated_storage_gb is 20-65536."
  }
}

variable "multi_az" {
  description = "A standby in another availability zone: an Aurora reader, or a Multi-AZ instance."
  type        = bool
  default     = false
}

variable "production" {
  description = "Production: a final snapshot on delete, and 7 days of backups unless backup_retention_days says otherwise."
  type        = bool
  default     = false
}

variable "backup_retention_days" {
  description = "Days of automated backups (1-35); null: 7 in production, 1 elsewhere."
  type        = number
  default     = null

  validation {
    condition     = var.backup_retention_days == null || (var.backup_retention_days >= 1 && var.backup_retention_days <= 35)
    error_message = "backup_retention_days is 1-35."
  }
}

variable "deletion_protection" {
  description = "Refuse to delete the cluster or instance (true in production)."
  type        = bool
  default     = true
}

variable "parameters" {
  description = "PostgreSQL parameters of the parameter group (rds.force_ssl is always 1)."
  type        = map(string)
  default     = {}

  validation {
    condition     = !contains(keys(var.parameters), "rds.force_ssl")
    error_message = "rds.force_ssl is always 1: TLS is required."
  }
}

variable "vpc_id" {
  description = "The network's VPC."
  type        = string
}

variable "subnet_ids" {
  description = "The network's private subnets (at least 2, in different availability zones)."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "RDS needs subnets in at least 2 availability zones."
  }
}

variable "client_security_group_ids" {
  description = "Security groups admitted on 5432, by service name: the services that use the database."
  type        = map(string)
  default     = {}
}

variable "kms_key_arn" {
  description = "KMS key of the storage; null: the AWS managed key aws/rds."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags added to every resource of the module."
  type        = map(string)
  default     = {}
}
