resource "aws_security_group" "this" {
  name        = var.name
  description = "Valkey ${var.name}: 6379-6380 from the services that use it only."
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = var.name })
}

# 6379 is the endpoint; 6380 the reader endpoint of a serverless cache.
resource "aws_vpc_security_group_ingress_rule" "clients" {
  for_each = var.client_security_group_ids

  security_group_id            = aws_security_group.this.id
  description                  = "Valkey from ${each.key}"
  ip_protocol                  = "tcp"
  from_port                    = 6379
  to_port                      = 6380
  referenced_security_group_id = each.value
  tags                         = var.tags
}

# ElastiCache requires a user called "default" in every user group: this one can do nothing.
resource "aws_elasticache_user" "default" {
  user_id       = var.default_user_id
  user_name     = "default"
  engine        = "valkey"
  access_string = "off -@all"

  authentication_mode {
    type = "no-password-required"
  }

  tags = var.tags
}

resource "aws_elasticache_user_group" "this" {
  user_group_id = var.name
  engine        = "valkey"
  user_ids      = concat([aws_elasticache_user.default.user_id], var.user_ids)
  tags          = var.tags
}

resource "aws_elasticache_serverless_cache" "this" {
  name                     = var.name
  engine                   = "valkey"
  major_engine_version     = var.major_engine_version
  description              = "Valkey ${var.name} (TLS, IAM authentication)."
  subnet_ids               = var.subnet_ids
  security_group_ids       = [aws_security_group.this.id]
  user_group_id            = aws_elasticache_user_group.this.user_group_id
  kms_key_id               = var.kms_key_arn
  snapshot_retention_limit = var.snapshot_retention_days
  daily_snapshot_time      = "03:00"

  cache_usage_limits {
    data_storage {
      maximum = var.max_storage_gb
      unit    = "GB"
    }

    ecpu_per_second {
      maximum = var.max_ecpu_per_second
    }
  }

  tags = var.tags
}
