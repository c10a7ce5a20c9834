# One-time set-up of an AWS account for a Trellis stack. Hand-written; the
# project facts and the deploy permissions it uses come from manifest.tf,
# rendered from trellis.toml by `trellis generate`.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  account_id  = data.aws_caller_identity.current.account_id
  partition   = data.aws_partition.current.partition
  oidc_host   = "token.actions.githubusercontent.com"
  state_name  = "${local.project}-tfstate-${local.account_id}"
  oidc_arn    = var.create_oidc_provider ? aws_iam_openid_connect_provider.github[0].arn : "arn:${local.partition}:iam::${local.account_id}:oidc-provider/${local.oidc_host}"
  ids_subject = "repository_owner_id:${coalesce(var.github_owner_id, "unset")}:repository_id:${coalesce(var.github_repository_id, "unset")}"

  # The `sub` each environment's deploy role requires: that repository, that GitHub environment.
  subjects = {
    for env in local.environments : env => (
      var.github_subject_format == "ids"
      ? "${local.ids_subject}:environment:${env}"
      : "repo:${local.github_repository}:environment:${env}"
    )
  }
}

check "ids_are_given" {
  assert {
    condition     = var.github_subject_format != "ids" || (var.github_owner_id != null && var.github_repository_id != null)
    error_message = "github_subject_format = \"ids\" needs github_owner_id and github_repository_id."
  }
}

# --- Terraform state ------------------------------------------------------------

module "state_bucket" {
  source = "../terraform/modules/s3-bucket"

  name                               = local.state_name
  versioning                         = true
  noncurrent_version_expiration_days = 365
}

# --- GitHub OIDC and the deploy roles --------------------------------------------

resource "aws_iam_openid_connect_provider" "github" {
  count = var.create_oidc_provider ? 1 : 0

  url            = "https://${local.oidc_host}"
  client_id_list = ["sts.amazonaws.com"]
}

data "aws_iam_policy_document" "deploy_trust" {
  for_each = toset(local.environments)

  statement {
    sid     = "GitHubEnvironment"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [local.oidc_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.oidc_host}:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.oidc_host}:sub"
      values   = [local.subjects[each.key]]
    }
  }
}

# Named <project>-deploy-<env>, outside the <project>-<env>-* names it manages,
# so that it can never rewrite its own trust or permissions.
resource "aws_iam_role" "deploy" {
  for_each = toset(local.environments)

  name                 = "${local.project}-deploy-${each.key}"
  description          = "Deploys ${local.project} to ${each.key} from GitHub Actions (environment ${each.key} of ${local.github_repository})."
  assume_role_policy   = data.aws_iam_policy_document.deploy_trust[each.key].json
  max_session_duration = var.deploy_session_seconds
}

resource "aws_iam_role_policy" "deploy" {
  for_each = toset(local.environments)

  name   = "manage-${each.key}"
  role   = aws_iam_role.deploy[each.key].id
  policy = data.aws_iam_policy_document.deploy[each.key].json
}

data "aws_iam_policy_document" "state" {
  for_each = toset(local.environments)

  statement {
    sid       = "ListOwnState"
    actions   = ["s3:ListBucket"]
    resources = [module.state_bucket.arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${local.project}/${each.key}/*"]
    }
  }

  statement {
    sid       = "ReadWriteOwnState"
    actions   = ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"]
    resources = ["${module.state_bucket.arn}/${local.project}/${each.key}/*"]
  }
}

resource "aws_iam_role_policy" "state" {
  for_each = toset(local.environments)

  name   = "state-${each.key}"
  role   = aws_iam_role.deploy[each.key].id
  policy = data.aws_iam_policy_document.state[each.key].json
}

# --- The boundary of every role the stack creates --------------------------------

resource "aws_iam_policy" "boundary" {
  name        = local.boundary_policy_name
  description = "Permissions boundary of the roles a ${local.project} deploy role creates."
  policy      = data.aws_iam_policy_document.boundary.json
}

# --- Alarm topics (production alarm actions) -------------------------------------

# CloudWatch cannot publish to a topic encrypted with the AWS managed SNS key: a customer key it may use.
# A key policy: "Resource": "*" means this key. The account administers it
# through IAM; CloudWatch alarms of this account may encrypt for the topics.
resource "aws_kms_key" "alarms" {
  description         = "Encrypts the ${local.project} alarm topics."
  enable_key_rotation = true

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountAdministers"
        Effect    = "Allow"
        Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        Sid       = "CloudWatchAlarmsEncrypt"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Action    = ["kms:Decrypt", "kms:GenerateDataKey*"]
        Resource  = "*"
        Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
      },
    ]
  })
}

resource "aws_sns_topic" "alarms" {
  for_each = toset(local.environments)

  name              = "${local.project}-${each.key}-alarms"
  kms_master_key_id = aws_kms_key.alarms.arn
}

# --- API Gateway's account-level logging role ------------------------------------

data "aws_iam_policy_document" "apigateway_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["apigateway.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "apigateway_cloudwatch" {
  count = var.manage_api_gateway_account && contains(local.deploy_kinds, "gateway") ? 1 : 0

  name               = "${local.project}-apigateway-cloudwatch"
  assume_role_policy = data.aws_iam_policy_document.apigateway_assume.json
}

resource "aws_iam_role_policy_attachment" "apigateway_cloudwatch" {
  count = length(aws_iam_role.apigateway_cloudwatch)

  role       = aws_iam_role.apigateway_cloudwatch[0].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
}

resource "aws_api_gateway_account" "this" {
  count = length(aws_iam_role.apigateway_cloudwatch)

  cloudwatch_role_arn = aws_iam_role.apigateway_cloudwatch[0].arn
  depends_on          = [aws_iam_role_policy_attachment.apigateway_cloudwatch]
}

# --- Container images (only when the manifest has container services) ------------

resource "aws_ecr_repository" "service" {
  for_each = toset(local.container_services)

  name                 = "${local.project}-${each.key}"
  image_tag_mutability = "IMMUTABLE"

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
  }
}

data "aws_iam_policy_document" "push_images" {
  statement {
    sid       = "EcrLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  statement {
    sid = "PushOwnImages"
    actions = [
      "ecr:BatchCheckLayerAvailability",
      "ecr:BatchGetImage",
      "ecr:CompleteLayerUpload",
      "ecr:DescribeImages",
      "ecr:InitiateLayerUpload",
      "ecr:PutImage",
      "ecr:UploadLayerPart",
    ]
    resources = ["arn:${local.partition}:ecr:${local.region}:${local.account_id}:repository/${local.project}-*"]
  }
}

resource "aws_iam_role_policy" "push_images" {
  for_each = length(local.container_services) > 0 ? toset(local.environments) : toset([])

  name   = "images-${each.key}"
  role   = aws_iam_role.deploy[each.key].id
  policy = data.aws_iam_policy_document.push_images.json
}

# The role ECS Express uses to manage load balancers, security groups and scaling:
# made here, outside the deploy roles' reach (it cannot change once a service uses it).
data "aws_iam_policy_document" "ecs_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ecs.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "ecs_infrastructure" {
  for_each = local.uses_ecs_express ? toset(local.environments) : toset([])

  name               = "${local.project}-ecs-infrastructure-${each.key}"
  assume_role_policy = data.aws_iam_policy_document.ecs_assume.json
}

resource "aws_iam_role_policy_attachment" "ecs_infrastructure" {
  for_each = aws_iam_role.ecs_infrastructure

  role       = each.value.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonECSInfrastructureRoleforExpressGatewayServices"
}
