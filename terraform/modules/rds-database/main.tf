locals {
  serverless = var.mode == "serverless"
  retention  = coalesce(var.backup_retention_days, var.production ? 7 : 1)
  # Aurora and RDS spell the parameter group family differently.
  family = local.serverless ? "aurora-postgresql${var.engine_version}" : "postgres${var.engine_version}"
  parameters = merge(var.parameters, {
    "rds.force_ssl" = "1"
  })
  # A reader in another zone is Aurora's Multi-AZ.
  instances = local.serverless ? (var.multi_az ? 2 : 1) : 0
}

# The newest minor of the major: every version of one parameter group family.
data "aws_rds_engine_version" "this" {
  engine                 = local.serverless ? "aurora-postgresql" : "postgres"
  parameter_group_family = local.family
  latest                 = true
}

resource "aws_security_group" "this" {
  name        = var.identifier
  description = "PostgreSQL ${var.identifier}: 5432 from the services that use it only."
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = var.identifier })
}

resource "aws_vpc_security_group_ingress_rule" "clients" {
  for_each = var.client_security_group_ids

  security_group_id            = aws_security_group.this.id
  description                  = "PostgreSQL from ${each.key}"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = each.value
  tags                         = var.tags
}

resource "aws_db_subnet_group" "this" {
  name        = var.identifier
  description = "Private subnets of ${var.identifier}."
  subnet_ids  = var.subnet_ids
  tags        = var.tags
}

# --- Aurora Serverless v2 ------------------------------------------------------------------

resource "aws_rds_cluster_parameter_group" "this" {
  count = local.serverless ? 1 : 0

  name        = var.identifier
  family      = local.family
  description = "Parameters of ${var.identifier} (TLS required)."

  dynamic "parameter" {
    for_each = local.parameters
    content {
      name         = parameter.key
      value        = parameter.value
      apply_method = "pending-reboot"
    }
  }

  tags = var.tags
}

resource "aws_rds_cluster" "this" {
  count = local.serverless ? 1 : 0

  cluster_identifier                  = var.identifier
  engine                              = "aurora-postgresql"
  engine_mode                         = "provisioned"
  engine_version                      = data.aws_rds_engine_version.this.version_actual
  database_name                       = var.database_name
  master_username                     = var.master_username
  manage_master_user_password         = true
  iam_database_authentication_enabled = true
  storage_encrypted                   = true
  kms_key_id                          = var.kms_key_arn
  db_subnet_group_name                = aws_db_subnet_group.this.name
  db_cluster_parameter_group_name     = aws_rds_cluster_parameter_group.this[0].name
  vpc_security_group_ids              = [aws_security_group.this.id]
  backup_retention_period             = local.retention
  preferred_backup_window             = "03:00-04:00"
  copy_tags_to_snapshot               = true
  deletion_protection                 = var.deletion_protection
  skip_final_snapshot                 = !var.production
  final_snapshot_identifier           = var.production ? "${var.identifier}-final" : null
  enabled_cloudwatch_logs_exports     = ["postgresql"]
  apply_immediately                   = !var.production

  serverlessv2_scaling_configuration {
    min_capacity             = var.min_capacity
    max_capacity             = var.max_capacity
    seconds_until_auto_pause = var.min_capacity == 0 ? 3600 : null
  }

  tags = var.tags
}

resource "aws_rds_cluster_instance" "this" {
  count = local.instances

  identifier                   = "${var.identifier}-${count.index + 1}"
  cluster_identifier           = aws_rds_cluster.this[0].id
  engine                       = aws_rds_cluster.this[0].engine
  engine_version               = aws_rds_cluster.this[0].engine_version
  instance_class               = "db.serverless"
  db_subnet_group_name         = aws_db_subnet_group.this.name
  publicly_accessible          = false
  auto_minor_version_upgrade   = true
  performance_insights_enabled = false
  copy_tags_to_snapshot        = true
  apply_immediately            = !var.production
  tags                         = var.tags
}

# --- RDS for PostgreSQL instance ---------------------------------------------------------------

resource "aws_db_parameter_group" "this" {
  count = local.serverless ? 0 : 1

  name        = var.identifier
  family      = local.family
  description = "Parameters of ${var.identifier} (TLS required)."

  dynamic "parameter" {
    for_each = local.parameters
    content {
      name         = parameter.key
      value        = parameter.value
      apply_method = "pending-reboot"
    }
  }

  tags = var.tags
}

resource "aws_db_instance" "this" {
  count = local.serverless ? 0 : 1

  identifier                          = var.identifier
  engine                              = "postgres"
  engine_version                      = data.aws_rds_engine_version.this.version_actual
  instance_class                      = var.instance_class
  allocated_storage                   = var.allocated_storage_gb
  storage_type                        = "gp3"
  db_name                             = var.database_name
  username                            = var.master_username
  manage_master_user_password         = true
  iam_database_authentication_enabled = true
  storage_encrypted                   = true
  kms_key_id                          = var.kms_key_arn
  db_subnet_group_name                = aws_db_subnet_group.this.name
  parameter_group_name                = aws_db_parameter_group.this[0].name
  vpc_security_group_ids              = [aws_security_group.this.id]
  multi_az                            = var.multi_az
  publicly_accessible                 = false
  backup_retention_period             = local.retention
  backup_window                       = "03:00-04:00"
  copy_tags_to_snapshot               = true
  auto_minor_version_upgrade          = true
  deletion_protection                 = var.deletion_protection
  skip_final_snapshot                 = !var.production
  final_snapshot_identifier           = var.production ? "${var.identifier}-final" : null
  enabled_cloudwatch_logs_exports     = ["postgresql"]
  performance_insights_enabled        = false
  apply_immediately                   = !var.production
  tags                                = var.tags
}
