# Rendered by `trellis generate` from trellis.toml: do not edit.
# Change trellis.toml and run `trellis generate`; `trellis check` fails while this file is stale.

locals {
  project              = "acme"
  region               = "us-east-1"
  github_repository    = "acme/backend"
  boundary_policy_name = "acme-service-boundary"
  environments         = ["dev", "test", "prod"]
  container_services   = []
  uses_ecs_express     = false
  deploy_kinds         = ["queue", "table", "bucket", "lambda", "gateway"]
}

# What each environment's deploy role may manage: only the kinds the manifest uses.
data "aws_iam_policy_document" "deploy" {
  for_each = toset(local.environments)

  statement {
    sid = "ManageQueues"
    actions = [
      "sqs:CreateQueue",
      "sqs:DeleteQueue",
      "sqs:GetQueueAttributes",
      "sqs:GetQueueUrl",
      "sqs:ListDeadLetterSourceQueues",
      "sqs:ListQueueTags",
      "sqs:SetQueueAttributes",
      "sqs:TagQueue",
      "sqs:UntagQueue",
    ]
    resources = [
      "arn:${local.partition}:sqs:${local.region}:${local.account_id}:${local.project}-${each.key}-*",
    ]
  }

  statement {
    sid = "ManageTables"
    actions = [
      "dynamodb:CreateTable",
      "dynamodb:DeleteTable",
      "dynamodb:Describe*",
      "dynamodb:List*",
      "dynamodb:TagResource",
      "dynamodb:UntagResource",
      "dynamodb:UpdateContinuousBackups",
      "dynamodb:UpdateTable",
      "dynamodb:UpdateTimeToLive",
    ]
    resources = [
      "arn:${local.partition}:dynamodb:${local.region}:${local.account_id}:table/${local.project}-${each.key}-*",
      "arn:${local.partition}:dynamodb:${local.region}:${local.account_id}:table/${local.project}-${each.key}-*/index/*",
    ]
  }

  statement {
    sid = "ManageBuckets"
    actions = [
      "s3:CreateBucket",
      "s3:DeleteBucket",
      "s3:DeleteBucketPolicy",
      "s3:GetAccelerateConfiguration",
      "s3:GetBucket*",
      "s3:GetEncryptionConfiguration",
      "s3:GetLifecycleConfiguration",
      "s3:GetReplicationConfiguration",
      "s3:ListBucket",
      "s3:ListTagsForResource",
      "s3:PutBucketCORS",
      "s3:PutBucketNotification",
      "s3:PutBucketOwnershipControls",
      "s3:PutBucketPolicy",
      "s3:PutBucketPublicAccessBlock",
      "s3:PutBucketTagging",
      "s3:PutBucketVersioning",
      "s3:PutEncryptionConfiguration",
      "s3:PutLifecycleConfiguration",
      "s3:TagResource",
      "s3:UntagResource",
    ]
    resources = ["arn:${local.partition}:s3:::${local.project}-${each.key}-*"]
  }

  statement {
    sid = "ManageFunctions"
    actions = [
      "lambda:AddPermission",
      "lambda:CreateFunction",
      "lambda:DeleteFunction",
      "lambda:DeleteFunctionConcurrency",
      "lambda:GetFunction",
      "lambda:GetFunctionCodeSigningConfig",
      "lambda:GetFunctionConfiguration",
      "lambda:GetPolicy",
      "lambda:ListTags",
      "lambda:ListVersionsByFunction",
      "lambda:PutFunctionConcurrency",
      "lambda:RemovePermission",
      "lambda:TagResource",
      "lambda:UntagResource",
      "lambda:UpdateFunctionCode",
      "lambda:UpdateFunctionConfiguration",
    ]
    resources = [
      "arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:${local.project}-${each.key}-*",
    ]
  }

  statement {
    sid = "ManageEventSourceMappings"
    actions = [
      "lambda:CreateEventSourceMapping",
      "lambda:DeleteEventSourceMapping",
      "lambda:GetEventSourceMapping",
      "lambda:UpdateEventSourceMapping",
    ]
    resources = ["*"]

    condition {
      test     = "StringLike"
      variable = "lambda:FunctionArn"
      values = [
        "arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:${local.project}-${each.key}-*",
      ]
    }
  }

  statement {
    sid = "ManageRestApis"
    actions = [
      "apigateway:DELETE",
      "apigateway:GET",
      "apigateway:PATCH",
      "apigateway:POST",
      "apigateway:PUT",
    ]
    resources = [
      "arn:${local.partition}:apigateway:${local.region}::/restapis",
      "arn:${local.partition}:apigateway:${local.region}::/restapis/*",
      "arn:${local.partition}:apigateway:${local.region}::/apikeys",
      "arn:${local.partition}:apigateway:${local.region}::/apikeys/*",
      "arn:${local.partition}:apigateway:${local.region}::/usageplans",
      "arn:${local.partition}:apigateway:${local.region}::/usageplans/*",
      "arn:${local.partition}:apigateway:${local.region}::/tags/*",
    ]
  }

  statement {
    sid = "ManageLogGroups"
    actions = [
      "logs:AssociateKmsKey",
      "logs:CreateLogGroup",
      "logs:DeleteLogGroup",
      "logs:DisassociateKmsKey",
      "logs:ListTagsForResource",
      "logs:PutRetentionPolicy",
      "logs:TagResource",
      "logs:UntagResource",
    ]
    resources = [
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/lambda/${local.project}-${each.key}-*",
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/apigateway/${local.project}-${each.key}/*",
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/ecs/${local.project}-${each.key}-*",
    ]
  }

  statement {
    sid       = "DescribeAccount"
    actions   = ["logs:DescribeLogGroups", "sns:ListTopics"]
    resources = ["*"]
  }

  statement {
    sid = "ManageAlarms"
    actions = [
      "cloudwatch:DeleteAlarms",
      "cloudwatch:DescribeAlarms",
      "cloudwatch:ListTagsForResource",
      "cloudwatch:PutMetricAlarm",
      "cloudwatch:TagResource",
      "cloudwatch:UntagResource",
    ]
    resources = [
      "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:${local.project}-${each.key}-*",
    ]
  }

  statement {
    sid     = "ReadAlarmTopic"
    actions = ["sns:GetTopicAttributes", "sns:ListTagsForResource"]
    resources = [
      "arn:${local.partition}:sns:${local.region}:${local.account_id}:${local.project}-${each.key}-alarms",
    ]
  }

  statement {
    sid = "CreateRolesUnderBoundary"
    actions = [
      "iam:AttachRolePolicy",
      "iam:CreateRole",
      "iam:DeleteRolePolicy",
      "iam:DetachRolePolicy",
      "iam:PutRolePermissionsBoundary",
      "iam:PutRolePolicy",
    ]
    resources = [
      "arn:${local.partition}:iam::${local.account_id}:role/${local.project}-${each.key}-*",
    ]

    condition {
      test     = "StringEquals"
      variable = "iam:PermissionsBoundary"
      values   = [aws_iam_policy.boundary.arn]
    }
  }

  statement {
    sid = "ManageOwnRoles"
    actions = [
      "iam:DeleteRole",
      "iam:GetRole",
      "iam:GetRolePolicy",
      "iam:ListAttachedRolePolicies",
      "iam:ListInstanceProfilesForRole",
      "iam:ListRolePolicies",
      "iam:TagRole",
      "iam:UntagRole",
      "iam:UpdateAssumeRolePolicy",
      "iam:UpdateRole",
      "iam:UpdateRoleDescription",
    ]
    resources = [
      "arn:${local.partition}:iam::${local.account_id}:role/${local.project}-${each.key}-*",
    ]
  }

  statement {
    sid     = "PassOwnRolesToServices"
    actions = ["iam:PassRole"]
    resources = [
      "arn:${local.partition}:iam::${local.account_id}:role/${local.project}-${each.key}-*",
    ]

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values = [
        "apprunner.amazonaws.com",
        "ecs-tasks.amazonaws.com",
        "ecs.amazonaws.com",
        "lambda.amazonaws.com",
        "scheduler.amazonaws.com",
      ]
    }
  }
}

# The most any role of the stack may do (trellis.iam actions, project resources only).
data "aws_iam_policy_document" "boundary" {
  statement {
    sid = "DataQueues"
    actions = [
      "sqs:ChangeMessageVisibility",
      "sqs:DeleteMessage",
      "sqs:GetQueueAttributes",
      "sqs:ReceiveMessage",
      "sqs:SendMessage",
    ]
    resources = ["arn:${local.partition}:sqs:${local.region}:${local.account_id}:acme-*"]
  }

  statement {
    sid = "DataTables"
    actions = [
      "dynamodb:DeleteItem",
      "dynamodb:DescribeTable",
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:Query",
      "dynamodb:UpdateItem",
    ]
    resources = [
      "arn:${local.partition}:dynamodb:${local.region}:${local.account_id}:table/acme-*",
      "arn:${local.partition}:dynamodb:${local.region}:${local.account_id}:table/acme-*/index/*",
    ]
  }

  statement {
    sid = "DataBuckets"
    actions = [
      "s3:DeleteObject",
      "s3:GetObject",
      "s3:GetObjectVersion",
      "s3:ListBucket",
      "s3:PutObject",
    ]
    resources = ["arn:${local.partition}:s3:::acme-*", "arn:${local.partition}:s3:::acme-*/*"]
  }

  statement {
    sid       = "OwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:*"]
  }

  statement {
    sid       = "Traces"
    actions   = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]
    resources = ["*"]
  }
}
