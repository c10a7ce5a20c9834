# One user per service: user ids are account-wide, and one service may use several caches
# (each cache's user group lists it). IAM authentication needs user_id == user_name.
resource "aws_elasticache_user" "service" {
  for_each = var.users

  user_id       = each.value
  user_name     = each.value
  engine        = "valkey"
  access_string = "on ~* +@all"

  authentication_mode {
    type = "iam"
  }

  tags = var.tags
}
