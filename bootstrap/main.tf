# One-time set-up of an AWS account for a Trellis stack. Hand-written; the
# project facts and the deploy permissions it uses come from manifest.tf,
# rendered from trellis.toml by `trellis generate`.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}


locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  oidc_host  = "token.actions.githubusercontent.com"
  state_name = "${local.project}-tfstate-${local.account_id}"
  oidc_arn   = var.create_oidc_provider ? aws_iam_openid_connect_provider.github[0].arn : "arn:${local.partition}:iam::${local.account_id}:oidc-provider/${local.oidc_host}"

  # The `sub` prefix GitHub puts in the tokens of this repository (its OIDC subject setting):
  # "ids" survives renames and transfers; "immutable" is GitHub's default for repositories
  # created after 2026-06-18; "repository" is the older name-only default.
  owner_name = split("/", local.github_repository)[0]
  repo_name  = split("/", local.github_repository)[1]
  subject_prefix = {
    ids        = "repository_owner_id:${coalesce(var.github_owner_id, "unset")}:repository_id:${coalesce(var.github_repository_id, "unset")}"
    immutable  = "repo:${local.owner_name}-${coalesce(var.github_owner_id, "unset")}/${local.repo_name}-${coalesce(var.github_repository_id, "unset")}"
    repository = "repo:${local.github_repository}"
  }[var.github_subject_format]

  # The `sub` each environment's deploy role requires: that repository, that GitHub environment.
  subjects = { for env in local.environments : env => "${local.subject_prefix}:environment:${env}" }

  # The refs each environment deploys from (main for the first environment, release tags after).
  deploy_refs = var.deploy_refs == null ? local.default_deploy_refs : var.deploy_refs
}

# --- Terraform state ------------------------------------------------------------

# Each environment's prefix is written only by its deploy role and read by it (and the plan role).
module "state_bucket" {
  source = "../terraform/modules/s3-bucket"

  name                               = local.state_name
  versioning                         = true
  noncurrent_version_expiration_days = 365
  extra_policy_json                  = local.state_bucket_policy
}

# No bucket of the account may be made public, whatever a deploy role writes on its own buckets.
resource "aws_s3_account_public_access_block" "this" {
  count = var.manage_account_public_access_block ? 1 : 0

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

# --- GitHub OIDC, the deploy roles and the plan role ------------------------------

resource "aws_iam_openid_connect_provider" "github" {
  count = var.create_oidc_provider ? 1 : 0

  url            = "https://${local.oidc_host}"
  client_id_list = ["sts.amazonaws.com"]
}

# An environment's deploy role: only the terraform.yaml job of this repository, running in
# that GitHub environment, from that environment's refs (never a pull request).
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

    condition {
      test     = "StringEquals"
      variable = "${local.oidc_host}:environment"
      values   = [each.key]
    }

    condition {
      test     = "StringLike"
      variable = "${local.oidc_host}:ref"
      values   = local.deploy_refs[each.key]
    }

    condition {
      test     = "StringLike"
      variable = "${local.oidc_host}:job_workflow_ref"
      values   = [for ref in local.deploy_refs[each.key] : "${local.github_repository}/${local.terraform_workflow}@${ref}"]
    }

    dynamic "condition" {
      for_each = var.github_repository_id == null ? [] : [var.github_repository_id]
      content {
        test     = "StringEquals"
        variable = "${local.oidc_host}:repository_id"
        values   = [condition.value]
      }
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

# Its permissions: managed policies (a stack of every kind outgrows one role's inline quota),
# named outside <project>-<env>-* too, so it cannot edit them.
locals {
  deploy_policy_parts = merge([
    for env, documents in local.deploy_policies : {
      for i, document in documents : "${env}-${i + 1}" => { environment = env, policy = document }
    }
  ]...)
}

resource "aws_iam_policy" "deploy" {
  for_each = local.deploy_policy_parts

  name        = "${local.project}-deploy-${each.key}"
  description = "What the ${local.project} ${each.value.environment} deploy role may manage (part ${each.key})."
  policy      = each.value.policy
}

resource "aws_iam_role_policy_attachment" "deploy" {
  for_each = local.deploy_policy_parts

  role       = aws_iam_role.deploy[each.value.environment].name
  policy_arn = aws_iam_policy.deploy[each.key].arn
}

# The plan role: pull requests of this repository (never forks: they get no token), which
# run their own code, so it may read one environment's state and nothing else.
data "aws_iam_policy_document" "plan_trust" {
  statement {
    sid     = "GitHubPullRequest"
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
      values   = ["${local.subject_prefix}:pull_request"]
    }

    dynamic "condition" {
      for_each = var.github_repository_id == null ? [] : [var.github_repository_id]
      content {
        test     = "StringEquals"
        variable = "${local.oidc_host}:repository_id"
        values   = [condition.value]
      }
    }
  }
}

resource "aws_iam_role" "plan" {
  name                 = "${local.project}-plan"
  description          = "Plans ${local.project} (${local.plan_environment}, -refresh=false) for pull requests of ${local.github_repository}: reads that state, nothing else."
  assume_role_policy   = data.aws_iam_policy_document.plan_trust.json
  max_session_duration = 3600
}

resource "aws_iam_role_policy" "plan" {
  name   = "read-${local.plan_environment}-state"
  role   = aws_iam_role.plan.id
  policy = local.plan_policy
}

# --- The boundary of every role an environment creates ------------------------------

resource "aws_iam_policy" "boundary" {
  for_each = toset(local.environments)

  name        = local.boundary_names[each.key]
  description = "Permissions boundary of the roles the ${local.project} ${each.key} deploy role creates: ${each.key}'s names only."
  policy      = local.boundary_policies[each.key]
}

# --- Alarm topics (each environment's; [alarms] emails subscribe to them) -------------

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

# <project>/<service>: outside every environment's <project>-<env>-* names (images are
# built once and promoted from one environment to the next).
resource "aws_ecr_repository" "service" {
  for_each = toset(local.container_services)

  name                 = "${local.project}/${each.key}"
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
    resources = ["arn:${local.partition}:ecr:${local.region}:${local.account_id}:repository/${local.project}/*"]
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
