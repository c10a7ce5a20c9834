# Rendered by `trellis generate` from trellis.toml: do not edit.
# Change trellis.toml and run `trellis generate`; `trellis check` fails while this file is stale.

locals {
  project            = "acme"
  region             = "us-east-1"
  github_repository  = "acme/backend"
  environments       = ["dev", "test", "prod"]
  plan_environment   = "dev"
  terraform_workflow = ".github/workflows/terraform.yaml"
  default_deploy_refs = {
    dev  = ["refs/heads/main"]
    test = ["refs/tags/v*"]
    prod = ["refs/tags/v*"]
  }
  container_services = []
  uses_ecs_express   = false
  deploy_kinds = [
    "queue",
    "table",
    "bucket",
    "database",
    "cache",
    "lambda",
    "gateway",
    "network",
  ]
  boundary_names = {
    dev  = "acme-boundary-dev"
    test = "acme-boundary-test"
    prod = "acme-boundary-prod"
  }
  deploy_policies = {
    dev = [
      data.aws_iam_policy_document.deploy_dev_1.json,
      data.aws_iam_policy_document.deploy_dev_2.json,
      data.aws_iam_policy_document.deploy_dev_3.json,
      data.aws_iam_policy_document.deploy_dev_4.json,
    ]
    test = [
      data.aws_iam_policy_document.deploy_test_1.json,
      data.aws_iam_policy_document.deploy_test_2.json,
      data.aws_iam_policy_document.deploy_test_3.json,
      data.aws_iam_policy_document.deploy_test_4.json,
    ]
    prod = [
      data.aws_iam_policy_document.deploy_prod_1.json,
      data.aws_iam_policy_document.deploy_prod_2.json,
      data.aws_iam_policy_document.deploy_prod_3.json,
      data.aws_iam_policy_document.deploy_prod_4.json,
    ]
  }
  boundary_policies = {
    dev  = data.aws_iam_policy_document.boundary_dev.json
    test = data.aws_iam_policy_document.boundary_test.json
    prod = data.aws_iam_policy_document.boundary_prod.json
  }
  plan_policy         = data.aws_iam_policy_document.plan.json
  state_bucket_policy = data.aws_iam_policy_document.state_bucket.json
}

# What the dev deploy role may do (1 of 4): the kinds the manifest uses, dev's names only.
data "aws_iam_policy_document" "deploy_dev_1" {
  statement {
    sid = "ManageQueues"
    actions = [
      "sqs:CreateQueue",
      "sqs:DeleteQueue",
      "sqs:GetQueueAttributes",
      "sqs:ListQueueTags",
      "sqs:SetQueueAttributes",
      "sqs:TagQueue",
      "sqs:UntagQueue",
    ]
    resources = ["arn:${local.partition}:sqs:${local.region}:${local.account_id}:acme-dev-*"]
  }

  statement {
    sid = "ManageTables"
    actions = [
      "dynamodb:CreateTable",
      "dynamodb:DeleteTable",
      "dynamodb:DescribeContinuousBackups",
      "dynamodb:DescribeTable",
      "dynamodb:DescribeTimeToLive",
      "dynamodb:ListTagsOfResource",
      "dynamodb:TagResource",
      "dynamodb:UntagResource",
      "dynamodb:UpdateContinuousBackups",
      "dynamodb:UpdateTable",
      "dynamodb:UpdateTimeToLive",
    ]
    resources = [
      "arn:${local.partition}:dynamodb:${local.region}:${local.account_id}:table/acme-dev-*",
      "arn:${local.partition}:dynamodb:${local.region}:${local.account_id}:table/acme-dev-*/index/*",
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
      "s3:PutBucketCORS",
      "s3:PutBucketNotification",
      "s3:PutBucketOwnershipControls",
      "s3:PutBucketPolicy",
      "s3:PutBucketPublicAccessBlock",
      "s3:PutBucketTagging",
      "s3:PutBucketVersioning",
      "s3:PutEncryptionConfiguration",
      "s3:PutLifecycleConfiguration",
    ]
    resources = ["arn:${local.partition}:s3:::acme-dev-*"]
  }

  statement {
    sid = "ManageDatabases"
    actions = [
      "rds:AddTagsToResource",
      "rds:CreateDBCluster",
      "rds:CreateDBClusterParameterGroup",
      "rds:CreateDBClusterSnapshot",
      "rds:CreateDBInstance",
      "rds:CreateDBParameterGroup",
      "rds:CreateDBSnapshot",
      "rds:CreateDBSubnetGroup",
      "rds:DeleteDBCluster",
      "rds:DeleteDBClusterParameterGroup",
      "rds:DeleteDBInstance",
      "rds:DeleteDBParameterGroup",
      "rds:DeleteDBSubnetGroup",
      "rds:DescribeDBClusterParameterGroups",
      "rds:DescribeDBClusterParameters",
      "rds:DescribeDBClusters",
      "rds:DescribeDBInstances",
      "rds:DescribeDBParameterGroups",
      "rds:DescribeDBParameters",
      "rds:DescribeDBSubnetGroups",
      "rds:ListTagsForResource",
      "rds:ModifyDBCluster",
      "rds:ModifyDBClusterParameterGroup",
      "rds:ModifyDBInstance",
      "rds:ModifyDBParameterGroup",
      "rds:ModifyDBSubnetGroup",
      "rds:RemoveTagsFromResource",
      "rds:ResetDBClusterParameterGroup",
      "rds:ResetDBParameterGroup",
    ]
    resources = ["arn:${local.partition}:rds:${local.region}:${local.account_id}:*:acme-dev-*"]
  }

  statement {
    sid     = "CreateRdsManagedSecrets"
    actions = ["secretsmanager:CreateSecret", "secretsmanager:TagResource"]
    resources = [
      "arn:${local.partition}:secretsmanager:${local.region}:${local.account_id}:secret:rds!*",
    ]
  }

  statement {
    sid       = "DescribeRdsEngines"
    actions   = ["rds:DescribeDBEngineVersions"]
    resources = ["*"]
  }

  statement {
    sid = "ManageCaches"
    actions = [
      "elasticache:AddTagsToResource",
      "elasticache:CreateServerlessCache",
      "elasticache:CreateUser",
      "elasticache:CreateUserGroup",
      "elasticache:DeleteServerlessCache",
      "elasticache:DeleteUser",
      "elasticache:DeleteUserGroup",
      "elasticache:DescribeServerlessCaches",
      "elasticache:DescribeUserGroups",
      "elasticache:DescribeUsers",
      "elasticache:ListTagsForResource",
      "elasticache:ModifyServerlessCache",
      "elasticache:ModifyUser",
      "elasticache:ModifyUserGroup",
      "elasticache:RemoveTagsFromResource",
    ]
    resources = [
      "arn:${local.partition}:elasticache:${local.region}:${local.account_id}:*:acme-dev-*",
    ]
  }

  statement {
    sid = "ManageFunctions"
    actions = [
      "lambda:CreateAlias",
      "lambda:CreateFunction",
      "lambda:DeleteAlias",
      "lambda:DeleteFunction",
      "lambda:GetAlias",
      "lambda:GetFunction",
      "lambda:GetFunctionCodeSigningConfig",
      "lambda:GetPolicy",
      "lambda:ListTags",
      "lambda:ListVersionsByFunction",
      "lambda:PublishVersion",
      "lambda:RemovePermission",
      "lambda:TagResource",
      "lambda:UntagResource",
      "lambda:UpdateAlias",
      "lambda:UpdateFunctionCode",
      "lambda:UpdateFunctionConfiguration",
    ]
    resources = [
      "arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:acme-dev-*",
    ]
  }

  statement {
    sid     = "LetApiGatewayInvokeFunctions"
    actions = ["lambda:AddPermission"]
    resources = [
      "arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:acme-dev-*",
    ]

    condition {
      test     = "StringEquals"
      variable = "lambda:Principal"
      values   = ["apigateway.amazonaws.com"]
    }
  }

  statement {
    sid       = "CreateEventSourceMappings"
    actions   = ["lambda:CreateEventSourceMapping"]
    resources = ["*"]

    condition {
      test     = "ArnLike"
      variable = "lambda:FunctionArn"
      values = [
        "arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:acme-dev-*",
      ]
    }
  }

  statement {
    sid = "ManageEventSourceMappings"
    actions = [
      "lambda:DeleteEventSourceMapping",
      "lambda:GetEventSourceMapping",
      "lambda:UpdateEventSourceMapping",
    ]
    resources = [
      "arn:${local.partition}:lambda:${local.region}:${local.account_id}:event-source-mapping:*",
    ]

    condition {
      test     = "ArnLike"
      variable = "lambda:FunctionArn"
      values = [
        "arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:acme-dev-*",
      ]
    }
  }

  statement {
    sid     = "TagEventSourceMappings"
    actions = ["lambda:ListTags", "lambda:TagResource", "lambda:UntagResource"]
    resources = [
      "arn:${local.partition}:lambda:${local.region}:${local.account_id}:event-source-mapping:*",
    ]

    condition {
      test     = "StringEqualsIfExists"
      variable = "aws:ResourceTag/trellis-environment"
      values   = ["dev"]
    }

    condition {
      test     = "StringEqualsIfExists"
      variable = "aws:RequestTag/trellis-environment"
      values   = ["dev"]
    }
  }

  statement {
    sid     = "CreateRestApis"
    actions = ["apigateway:POST"]
    resources = [
      "arn:${local.partition}:apigateway:${local.region}::/restapis",
      "arn:${local.partition}:apigateway:${local.region}::/apikeys",
      "arn:${local.partition}:apigateway:${local.region}::/usageplans",
    ]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/trellis-environment"
      values   = ["dev"]
    }
  }

  statement {
    sid = "ManageOwnRestApis"
    actions = [
      "apigateway:DELETE",
      "apigateway:GET",
      "apigateway:PATCH",
      "apigateway:POST",
      "apigateway:PUT",
    ]
    resources = [
      "arn:${local.partition}:apigateway:${local.region}::/restapis/*",
      "arn:${local.partition}:apigateway:${local.region}::/apikeys/*",
      "arn:${local.partition}:apigateway:${local.region}::/usageplans/*",
    ]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/trellis-environment"
      values   = ["dev"]
    }
  }

  statement {
    sid       = "TagOwnRestApis"
    actions   = ["apigateway:DELETE", "apigateway:GET", "apigateway:PUT"]
    resources = ["arn:${local.partition}:apigateway:${local.region}::/tags/*"]

    condition {
      test     = "StringEqualsIfExists"
      variable = "aws:ResourceTag/trellis-environment"
      values   = ["dev"]
    }

    condition {
      test     = "StringEqualsIfExists"
      variable = "aws:RequestTag/trellis-environment"
      values   = ["dev"]
    }
  }
}

# What the dev deploy role may do (2 of 4): the kinds the manifest uses, dev's names only.
data "aws_iam_policy_document" "deploy_dev_2" {
  statement {
    sid = "CreateNetworkResources"
    actions = [
      "ec2:AllocateAddress",
      "ec2:CreateInternetGateway",
      "ec2:CreateNatGateway",
      "ec2:CreateRouteTable",
      "ec2:CreateSecurityGroup",
      "ec2:CreateSubnet",
      "ec2:CreateVpc",
      "ec2:CreateVpcEndpoint",
    ]
    resources = [
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:vpc/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:subnet/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:route-table/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:security-group/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:security-group-rule/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:vpc-endpoint/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:internet-gateway/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:natgateway/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:elastic-ip/*",
    ]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/trellis-environment"
      values   = ["dev"]
    }
  }

  statement {
    sid = "ManageOwnNetwork"
    actions = [
      "ec2:AssociateRouteTable",
      "ec2:AttachInternetGateway",
      "ec2:AuthorizeSecurityGroupEgress",
      "ec2:AuthorizeSecurityGroupIngress",
      "ec2:CreateNatGateway",
      "ec2:CreateRoute",
      "ec2:CreateRouteTable",
      "ec2:CreateSecurityGroup",
      "ec2:CreateSubnet",
      "ec2:CreateVpcEndpoint",
      "ec2:DeleteInternetGateway",
      "ec2:DeleteNatGateway",
      "ec2:DeleteRoute",
      "ec2:DeleteRouteTable",
      "ec2:DeleteSecurityGroup",
      "ec2:DeleteSubnet",
      "ec2:DeleteVpc",
      "ec2:DeleteVpcEndpoints",
      "ec2:DetachInternetGateway",
      "ec2:DisassociateAddress",
      "ec2:DisassociateRouteTable",
      "ec2:ModifySecurityGroupRules",
      "ec2:ModifySubnetAttribute",
      "ec2:ModifyVpcAttribute",
      "ec2:ModifyVpcEndpoint",
      "ec2:ReleaseAddress",
      "ec2:ReplaceRoute",
      "ec2:ReplaceRouteTableAssociation",
      "ec2:RevokeSecurityGroupEgress",
      "ec2:RevokeSecurityGroupIngress",
    ]
    resources = [
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:vpc/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:subnet/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:route-table/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:security-group/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:security-group-rule/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:vpc-endpoint/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:internet-gateway/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:natgateway/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:elastic-ip/*",
    ]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/trellis-environment"
      values   = ["dev"]
    }
  }

  statement {
    sid     = "TagNetworkOnCreate"
    actions = ["ec2:CreateTags"]
    resources = [
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:vpc/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:subnet/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:route-table/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:security-group/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:security-group-rule/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:vpc-endpoint/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:internet-gateway/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:natgateway/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:elastic-ip/*",
    ]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/trellis-environment"
      values   = ["dev"]
    }

    condition {
      test     = "StringEquals"
      variable = "ec2:CreateAction"
      values = [
        "AllocateAddress",
        "AuthorizeSecurityGroupEgress",
        "AuthorizeSecurityGroupIngress",
        "CreateInternetGateway",
        "CreateNatGateway",
        "CreateRouteTable",
        "CreateSecurityGroup",
        "CreateSubnet",
        "CreateVpc",
        "CreateVpcEndpoint",
      ]
    }
  }

  statement {
    sid     = "TagOwnNetwork"
    actions = ["ec2:CreateTags", "ec2:DeleteTags"]
    resources = [
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:vpc/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:subnet/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:route-table/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:security-group/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:security-group-rule/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:vpc-endpoint/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:internet-gateway/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:natgateway/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:elastic-ip/*",
    ]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/trellis-environment"
      values   = ["dev"]
    }
  }

  statement {
    sid = "DescribeNetwork"
    actions = [
      "ec2:DescribeAddresses",
      "ec2:DescribeAddressesAttribute",
      "ec2:DescribeAvailabilityZones",
      "ec2:DescribeInternetGateways",
      "ec2:DescribeNatGateways",
      "ec2:DescribeNetworkAcls",
      "ec2:DescribeNetworkInterfaces",
      "ec2:DescribePrefixLists",
      "ec2:DescribeRouteTables",
      "ec2:DescribeSecurityGroupRules",
      "ec2:DescribeSecurityGroups",
      "ec2:DescribeSubnets",
      "ec2:DescribeVpcEndpoints",
      "ec2:DescribeVpcs",
    ]
    resources = ["*"]
  }

  statement {
    sid       = "DescribeOwnVpc"
    actions   = ["ec2:DescribeVpcAttribute"]
    resources = ["arn:${local.partition}:ec2:${local.region}:${local.account_id}:vpc/*"]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/trellis-environment"
      values   = ["dev"]
    }
  }

  statement {
    sid     = "DeleteLingeringLambdaInterfaces"
    actions = ["ec2:DeleteNetworkInterface"]
    resources = [
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:network-interface/*",
    ]
  }

  statement {
    sid       = "EndpointPrivateDns"
    actions   = ["route53:AssociateVPCWithHostedZone"]
    resources = ["arn:${local.partition}:route53:::hostedzone/*"]
  }

  statement {
    sid     = "InvokeDbAdmin"
    actions = ["lambda:InvokeFunction"]
    resources = [
      "arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:acme-dev-db-admin",
    ]
  }

  statement {
    sid = "ManageLogGroups"
    actions = [
      "logs:CreateLogGroup",
      "logs:DeleteLogGroup",
      "logs:ListTagsForResource",
      "logs:PutRetentionPolicy",
      "logs:TagResource",
      "logs:UntagResource",
    ]
    resources = [
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/lambda/acme-dev-*",
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/apigateway/acme-dev/*",
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/ecs/acme-dev-*",
    ]
  }

  statement {
    sid       = "DescribeAccount"
    actions   = ["logs:DescribeLogGroups"]
    resources = ["*"]
  }
}

# What the dev deploy role may do (3 of 4): the kinds the manifest uses, dev's names only.
data "aws_iam_policy_document" "deploy_dev_3" {
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
      "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:acme-dev-*",
    ]
  }

  statement {
    sid     = "SubscribeEmailsToOwnAlarmTopic"
    actions = ["sns:Subscribe"]
    resources = [
      "arn:${local.partition}:sns:${local.region}:${local.account_id}:acme-dev-alarms",
    ]

    condition {
      test     = "StringEquals"
      variable = "sns:Protocol"
      values   = ["email"]
    }
  }

  statement {
    sid = "ManageSubscriptions"
    actions = [
      "sns:GetSubscriptionAttributes",
      "sns:SetSubscriptionAttributes",
      "sns:Unsubscribe",
    ]
    resources = ["*"]
  }

  statement {
    sid = "WriteRolesUnderBoundary"
    actions = [
      "iam:CreateRole",
      "iam:DeleteRole",
      "iam:DeleteRolePolicy",
      "iam:PutRolePermissionsBoundary",
      "iam:PutRolePolicy",
      "iam:UpdateAssumeRolePolicy",
    ]
    resources = ["arn:${local.partition}:iam::${local.account_id}:role/acme-dev-*"]

    condition {
      test     = "StringEquals"
      variable = "iam:PermissionsBoundary"
      values   = ["arn:${local.partition}:iam::${local.account_id}:policy/acme-boundary-dev"]
    }
  }

  statement {
    sid = "ReadAndTagOwnRoles"
    actions = [
      "iam:GetRole",
      "iam:GetRolePolicy",
      "iam:ListAttachedRolePolicies",
      "iam:ListInstanceProfilesForRole",
      "iam:ListRolePolicies",
      "iam:TagRole",
      "iam:UntagRole",
      "iam:UpdateRoleDescription",
    ]
    resources = ["arn:${local.partition}:iam::${local.account_id}:role/acme-dev-*"]
  }

  statement {
    sid       = "PassOwnRolesToServices"
    actions   = ["iam:PassRole"]
    resources = ["arn:${local.partition}:iam::${local.account_id}:role/acme-dev-*"]

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["lambda.amazonaws.com"]
    }
  }

  statement {
    sid     = "CreateServiceLinkedRoles"
    actions = ["iam:CreateServiceLinkedRole"]
    resources = [
      "arn:${local.partition}:iam::${local.account_id}:role/aws-service-role/rds.amazonaws.com/*",
      "arn:${local.partition}:iam::${local.account_id}:role/aws-service-role/elasticache.amazonaws.com/*",
    ]

    condition {
      test     = "StringEquals"
      variable = "iam:AWSServiceName"
      values   = ["rds.amazonaws.com", "elasticache.amazonaws.com"]
    }
  }

  statement {
    sid       = "ListOwnState"
    actions   = ["s3:ListBucket"]
    resources = ["arn:${local.partition}:s3:::${local.state_name}"]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["acme/dev/*", "env:/*"]
    }
  }

  statement {
    sid       = "ReadWriteOwnState"
    actions   = ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"]
    resources = ["arn:${local.partition}:s3:::${local.state_name}/acme/dev/*"]
  }

  statement {
    sid    = "DenyDataAccess"
    effect = "Deny"
    actions = [
      "dynamodb:BatchGetItem",
      "dynamodb:BatchWriteItem",
      "dynamodb:ConditionCheckItem",
      "dynamodb:DeleteItem",
      "dynamodb:GetItem",
      "dynamodb:GetRecords",
      "dynamodb:PartiQLDelete",
      "dynamodb:PartiQLInsert",
      "dynamodb:PartiQLSelect",
      "dynamodb:PartiQLUpdate",
      "dynamodb:PutItem",
      "dynamodb:Query",
      "dynamodb:Scan",
      "dynamodb:UpdateItem",
      "elasticache:Connect",
      "events:PutEvents",
      "lambda:InvokeFunctionUrl",
      "rds-db:connect",
      "secretsmanager:GetSecretValue",
      "sns:Publish",
      "sqs:ChangeMessageVisibility",
      "sqs:DeleteMessage",
      "sqs:PurgeQueue",
      "sqs:ReceiveMessage",
      "sqs:SendMessage",
    ]
    resources = ["*"]
  }

  statement {
    sid     = "DenyInvokeButDbAdmin"
    effect  = "Deny"
    actions = ["lambda:InvokeFunction"]
    not_resources = [
      "arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:acme-dev-db-admin",
    ]
  }

  statement {
    sid    = "DenyObjectsButOwnState"
    effect = "Deny"
    actions = [
      "s3:DeleteObject",
      "s3:DeleteObjectVersion",
      "s3:GetObject",
      "s3:GetObjectVersion",
      "s3:PutObject",
      "s3:PutObjectAcl",
      "s3:RestoreObject",
    ]
    not_resources = ["arn:${local.partition}:s3:::${local.state_name}/acme/dev/*"]
  }

  statement {
    sid     = "DenyOtherEnvironments"
    effect  = "Deny"
    actions = ["*"]
    resources = [
      "arn:${local.partition}:sqs:${local.region}:${local.account_id}:acme-test-*",
      "arn:${local.partition}:dynamodb:${local.region}:${local.account_id}:table/acme-test-*",
      "arn:${local.partition}:s3:::acme-test-*",
      "arn:${local.partition}:sns:${local.region}:${local.account_id}:acme-test-*",
      "arn:${local.partition}:secretsmanager:${local.region}:${local.account_id}:secret:acme/test/*",
      "arn:${local.partition}:ssm:${local.region}:${local.account_id}:parameter/acme/test/*",
      "arn:${local.partition}:rds:${local.region}:${local.account_id}:*:acme-test-*",
      "arn:${local.partition}:elasticache:${local.region}:${local.account_id}:*:acme-test-*",
      "arn:${local.partition}:scheduler:${local.region}:${local.account_id}:schedule/default/acme-test-*",
      "arn:${local.partition}:events:${local.region}:${local.account_id}:*/acme-test-*",
      "arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:acme-test-*",
      "arn:${local.partition}:apprunner:${local.region}:${local.account_id}:*/acme-test-*",
      "arn:${local.partition}:ecs:${local.region}:${local.account_id}:service/*/acme-test-*",
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/lambda/acme-test-*",
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/apigateway/acme-test/*",
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/ecs/acme-test-*",
      "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:acme-test-*",
      "arn:${local.partition}:iam::${local.account_id}:role/acme-test-*",
      "arn:${local.partition}:sqs:${local.region}:${local.account_id}:acme-prod-*",
      "arn:${local.partition}:dynamodb:${local.region}:${local.account_id}:table/acme-prod-*",
      "arn:${local.partition}:s3:::acme-prod-*",
      "arn:${local.partition}:sns:${local.region}:${local.account_id}:acme-prod-*",
      "arn:${local.partition}:secretsmanager:${local.region}:${local.account_id}:secret:acme/prod/*",
      "arn:${local.partition}:ssm:${local.region}:${local.account_id}:parameter/acme/prod/*",
      "arn:${local.partition}:rds:${local.region}:${local.account_id}:*:acme-prod-*",
      "arn:${local.partition}:elasticache:${local.region}:${local.account_id}:*:acme-prod-*",
      "arn:${local.partition}:scheduler:${local.region}:${local.account_id}:schedule/default/acme-prod-*",
      "arn:${local.partition}:events:${local.region}:${local.account_id}:*/acme-prod-*",
      "arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:acme-prod-*",
      "arn:${local.partition}:apprunner:${local.region}:${local.account_id}:*/acme-prod-*",
      "arn:${local.partition}:ecs:${local.region}:${local.account_id}:service/*/acme-prod-*",
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/lambda/acme-prod-*",
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/apigateway/acme-prod/*",
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/ecs/acme-prod-*",
      "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:acme-prod-*",
      "arn:${local.partition}:iam::${local.account_id}:role/acme-prod-*",
    ]
  }
}

# What the dev deploy role may do (4 of 4): the kinds the manifest uses, dev's names only.
data "aws_iam_policy_document" "deploy_dev_4" {
  statement {
    sid       = "DenyOtherEnvironmentsNetwork"
    effect    = "Deny"
    actions   = ["ec2:*"]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/trellis-environment"
      values   = ["test", "prod"]
    }
  }

  statement {
    sid         = "DenyStateBucketSettings"
    effect      = "Deny"
    not_actions = ["s3:DeleteObject", "s3:GetObject", "s3:ListBucket", "s3:PutObject"]
    resources = [
      "arn:${local.partition}:s3:::${local.state_name}",
      "arn:${local.partition}:s3:::${local.state_name}/*",
    ]
  }
}

# What the test deploy role may do (1 of 4): the kinds the manifest uses, test's names only.
data "aws_iam_policy_document" "deploy_test_1" {
  statement {
    sid = "ManageQueues"
    actions = [
      "sqs:CreateQueue",
      "sqs:DeleteQueue",
      "sqs:GetQueueAttributes",
      "sqs:ListQueueTags",
      "sqs:SetQueueAttributes",
      "sqs:TagQueue",
      "sqs:UntagQueue",
    ]
    resources = ["arn:${local.partition}:sqs:${local.region}:${local.account_id}:acme-test-*"]
  }

  statement {
    sid = "ManageTables"
    actions = [
      "dynamodb:CreateTable",
      "dynamodb:DeleteTable",
      "dynamodb:DescribeContinuousBackups",
      "dynamodb:DescribeTable",
      "dynamodb:DescribeTimeToLive",
      "dynamodb:ListTagsOfResource",
      "dynamodb:TagResource",
      "dynamodb:UntagResource",
      "dynamodb:UpdateContinuousBackups",
      "dynamodb:UpdateTable",
      "dynamodb:UpdateTimeToLive",
    ]
    resources = [
      "arn:${local.partition}:dynamodb:${local.region}:${local.account_id}:table/acme-test-*",
      "arn:${local.partition}:dynamodb:${local.region}:${local.account_id}:table/acme-test-*/index/*",
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
      "s3:PutBucketCORS",
      "s3:PutBucketNotification",
      "s3:PutBucketOwnershipControls",
      "s3:PutBucketPolicy",
      "s3:PutBucketPublicAccessBlock",
      "s3:PutBucketTagging",
      "s3:PutBucketVersioning",
      "s3:PutEncryptionConfiguration",
      "s3:PutLifecycleConfiguration",
    ]
    resources = ["arn:${local.partition}:s3:::acme-test-*"]
  }

  statement {
    sid = "ManageDatabases"
    actions = [
      "rds:AddTagsToResource",
      "rds:CreateDBCluster",
      "rds:CreateDBClusterParameterGroup",
      "rds:CreateDBClusterSnapshot",
      "rds:CreateDBInstance",
      "rds:CreateDBParameterGroup",
      "rds:CreateDBSnapshot",
      "rds:CreateDBSubnetGroup",
      "rds:DeleteDBCluster",
      "rds:DeleteDBClusterParameterGroup",
      "rds:DeleteDBInstance",
      "rds:DeleteDBParameterGroup",
      "rds:DeleteDBSubnetGroup",
      "rds:DescribeDBClusterParameterGroups",
      "rds:DescribeDBClusterParameters",
      "rds:DescribeDBClusters",
      "rds:DescribeDBInstances",
      "rds:DescribeDBParameterGroups",
      "rds:DescribeDBParameters",
      "rds:DescribeDBSubnetGroups",
      "rds:ListTagsForResource",
      "rds:ModifyDBCluster",
      "rds:ModifyDBClusterParameterGroup",
      "rds:ModifyDBInstance",
      "rds:ModifyDBParameterGroup",
      "rds:ModifyDBSubnetGroup",
      "rds:RemoveTagsFromResource",
      "rds:ResetDBClusterParameterGroup",
      "rds:ResetDBParameterGroup",
    ]
    resources = ["arn:${local.partition}:rds:${local.region}:${local.account_id}:*:acme-test-*"]
  }

  statement {
    sid     = "CreateRdsManagedSecrets"
    actions = ["secretsmanager:CreateSecret", "secretsmanager:TagResource"]
    resources = [
      "arn:${local.partition}:secretsmanager:${local.region}:${local.account_id}:secret:rds!*",
    ]
  }

  statement {
    sid       = "DescribeRdsEngines"
    actions   = ["rds:DescribeDBEngineVersions"]
    resources = ["*"]
  }

  statement {
    sid = "ManageCaches"
    actions = [
      "elasticache:AddTagsToResource",
      "elasticache:CreateServerlessCache",
      "elasticache:CreateUser",
      "elasticache:CreateUserGroup",
      "elasticache:DeleteServerlessCache",
      "elasticache:DeleteUser",
      "elasticache:DeleteUserGroup",
      "elasticache:DescribeServerlessCaches",
      "elasticache:DescribeUserGroups",
      "elasticache:DescribeUsers",
      "elasticache:ListTagsForResource",
      "elasticache:ModifyServerlessCache",
      "elasticache:ModifyUser",
      "elasticache:ModifyUserGroup",
      "elasticache:RemoveTagsFromResource",
    ]
    resources = [
      "arn:${local.partition}:elasticache:${local.region}:${local.account_id}:*:acme-test-*",
    ]
  }

  statement {
    sid = "ManageFunctions"
    actions = [
      "lambda:CreateAlias",
      "lambda:CreateFunction",
      "lambda:DeleteAlias",
      "lambda:DeleteFunction",
      "lambda:GetAlias",
      "lambda:GetFunction",
      "lambda:GetFunctionCodeSigningConfig",
      "lambda:GetPolicy",
      "lambda:ListTags",
      "lambda:ListVersionsByFunction",
      "lambda:PublishVersion",
      "lambda:RemovePermission",
      "lambda:TagResource",
      "lambda:UntagResource",
      "lambda:UpdateAlias",
      "lambda:UpdateFunctionCode",
      "lambda:UpdateFunctionConfiguration",
    ]
    resources = [
      "arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:acme-test-*",
    ]
  }

  statement {
    sid     = "LetApiGatewayInvokeFunctions"
    actions = ["lambda:AddPermission"]
    resources = [
      "arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:acme-test-*",
    ]

    condition {
      test     = "StringEquals"
      variable = "lambda:Principal"
      values   = ["apigateway.amazonaws.com"]
    }
  }

  statement {
    sid       = "CreateEventSourceMappings"
    actions   = ["lambda:CreateEventSourceMapping"]
    resources = ["*"]

    condition {
      test     = "ArnLike"
      variable = "lambda:FunctionArn"
      values = [
        "arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:acme-test-*",
      ]
    }
  }

  statement {
    sid = "ManageEventSourceMappings"
    actions = [
      "lambda:DeleteEventSourceMapping",
      "lambda:GetEventSourceMapping",
      "lambda:UpdateEventSourceMapping",
    ]
    resources = [
      "arn:${local.partition}:lambda:${local.region}:${local.account_id}:event-source-mapping:*",
    ]

    condition {
      test     = "ArnLike"
      variable = "lambda:FunctionArn"
      values = [
        "arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:acme-test-*",
      ]
    }
  }

  statement {
    sid     = "TagEventSourceMappings"
    actions = ["lambda:ListTags", "lambda:TagResource", "lambda:UntagResource"]
    resources = [
      "arn:${local.partition}:lambda:${local.region}:${local.account_id}:event-source-mapping:*",
    ]

    condition {
      test     = "StringEqualsIfExists"
      variable = "aws:ResourceTag/trellis-environment"
      values   = ["test"]
    }

    condition {
      test     = "StringEqualsIfExists"
      variable = "aws:RequestTag/trellis-environment"
      values   = ["test"]
    }
  }

  statement {
    sid     = "CreateRestApis"
    actions = ["apigateway:POST"]
    resources = [
      "arn:${local.partition}:apigateway:${local.region}::/restapis",
      "arn:${local.partition}:apigateway:${local.region}::/apikeys",
      "arn:${local.partition}:apigateway:${local.region}::/usageplans",
    ]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/trellis-environment"
      values   = ["test"]
    }
  }

  statement {
    sid = "ManageOwnRestApis"
    actions = [
      "apigateway:DELETE",
      "apigateway:GET",
      "apigateway:PATCH",
      "apigateway:POST",
      "apigateway:PUT",
    ]
    resources = [
      "arn:${local.partition}:apigateway:${local.region}::/restapis/*",
      "arn:${local.partition}:apigateway:${local.region}::/apikeys/*",
      "arn:${local.partition}:apigateway:${local.region}::/usageplans/*",
    ]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/trellis-environment"
      values   = ["test"]
    }
  }

  statement {
    sid       = "TagOwnRestApis"
    actions   = ["apigateway:DELETE", "apigateway:GET", "apigateway:PUT"]
    resources = ["arn:${local.partition}:apigateway:${local.region}::/tags/*"]

    condition {
      test     = "StringEqualsIfExists"
      variable = "aws:ResourceTag/trellis-environment"
      values   = ["test"]
    }

    condition {
      test     = "StringEqualsIfExists"
      variable = "aws:RequestTag/trellis-environment"
      values   = ["test"]
    }
  }
}

# What the test deploy role may do (2 of 4): the kinds the manifest uses, test's names only.
data "aws_iam_policy_document" "deploy_test_2" {
  statement {
    sid = "CreateNetworkResources"
    actions = [
      "ec2:AllocateAddress",
      "ec2:CreateInternetGateway",
      "ec2:CreateNatGateway",
      "ec2:CreateRouteTable",
      "ec2:CreateSecurityGroup",
      "ec2:CreateSubnet",
      "ec2:CreateVpc",
      "ec2:CreateVpcEndpoint",
    ]
    resources = [
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:vpc/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:subnet/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:route-table/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:security-group/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:security-group-rule/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:vpc-endpoint/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:internet-gateway/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:natgateway/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:elastic-ip/*",
    ]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/trellis-environment"
      values   = ["test"]
    }
  }

  statement {
    sid = "ManageOwnNetwork"
    actions = [
      "ec2:AssociateRouteTable",
      "ec2:AttachInternetGateway",
      "ec2:AuthorizeSecurityGroupEgress",
      "ec2:AuthorizeSecurityGroupIngress",
      "ec2:CreateNatGateway",
      "ec2:CreateRoute",
      "ec2:CreateRouteTable",
      "ec2:CreateSecurityGroup",
      "ec2:CreateSubnet",
      "ec2:CreateVpcEndpoint",
      "ec2:DeleteInternetGateway",
      "ec2:DeleteNatGateway",
      "ec2:DeleteRoute",
      "ec2:DeleteRouteTable",
      "ec2:DeleteSecurityGroup",
      "ec2:DeleteSubnet",
      "ec2:DeleteVpc",
      "ec2:DeleteVpcEndpoints",
      "ec2:DetachInternetGateway",
      "ec2:DisassociateAddress",
      "ec2:DisassociateRouteTable",
      "ec2:ModifySecurityGroupRules",
      "ec2:ModifySubnetAttribute",
      "ec2:ModifyVpcAttribute",
      "ec2:ModifyVpcEndpoint",
      "ec2:ReleaseAddress",
      "ec2:ReplaceRoute",
      "ec2:ReplaceRouteTableAssociation",
      "ec2:RevokeSecurityGroupEgress",
      "ec2:RevokeSecurityGroupIngress",
    ]
    resources = [
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:vpc/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:subnet/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:route-table/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:security-group/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:security-group-rule/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:vpc-endpoint/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:internet-gateway/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:natgateway/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:elastic-ip/*",
    ]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/trellis-environment"
      values   = ["test"]
    }
  }

  statement {
    sid     = "TagNetworkOnCreate"
    actions = ["ec2:CreateTags"]
    resources = [
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:vpc/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:subnet/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:route-table/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:security-group/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:security-group-rule/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:vpc-endpoint/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:internet-gateway/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:natgateway/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:elastic-ip/*",
    ]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/trellis-environment"
      values   = ["test"]
    }

    condition {
      test     = "StringEquals"
      variable = "ec2:CreateAction"
      values = [
        "AllocateAddress",
        "AuthorizeSecurityGroupEgress",
        "AuthorizeSecurityGroupIngress",
        "CreateInternetGateway",
        "CreateNatGateway",
        "CreateRouteTable",
        "CreateSecurityGroup",
        "CreateSubnet",
        "CreateVpc",
        "CreateVpcEndpoint",
      ]
    }
  }

  statement {
    sid     = "TagOwnNetwork"
    actions = ["ec2:CreateTags", "ec2:DeleteTags"]
    resources = [
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:vpc/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:subnet/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:route-table/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:security-group/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:security-group-rule/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:vpc-endpoint/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:internet-gateway/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:natgateway/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:elastic-ip/*",
    ]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/trellis-environment"
      values   = ["test"]
    }
  }

  statement {
    sid = "DescribeNetwork"
    actions = [
      "ec2:DescribeAddresses",
      "ec2:DescribeAddressesAttribute",
      "ec2:DescribeAvailabilityZones",
      "ec2:DescribeInternetGateways",
      "ec2:DescribeNatGateways",
      "ec2:DescribeNetworkAcls",
      "ec2:DescribeNetworkInterfaces",
      "ec2:DescribePrefixLists",
      "ec2:DescribeRouteTables",
      "ec2:DescribeSecurityGroupRules",
      "ec2:DescribeSecurityGroups",
      "ec2:DescribeSubnets",
      "ec2:DescribeVpcEndpoints",
      "ec2:DescribeVpcs",
    ]
    resources = ["*"]
  }

  statement {
    sid       = "DescribeOwnVpc"
    actions   = ["ec2:DescribeVpcAttribute"]
    resources = ["arn:${local.partition}:ec2:${local.region}:${local.account_id}:vpc/*"]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/trellis-environment"
      values   = ["test"]
    }
  }

  statement {
    sid     = "DeleteLingeringLambdaInterfaces"
    actions = ["ec2:DeleteNetworkInterface"]
    resources = [
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:network-interface/*",
    ]
  }

  statement {
    sid       = "EndpointPrivateDns"
    actions   = ["route53:AssociateVPCWithHostedZone"]
    resources = ["arn:${local.partition}:route53:::hostedzone/*"]
  }

  statement {
    sid     = "InvokeDbAdmin"
    actions = ["lambda:InvokeFunction"]
    resources = [
      "arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:acme-test-db-admin",
    ]
  }

  statement {
    sid = "ManageLogGroups"
    actions = [
      "logs:CreateLogGroup",
      "logs:DeleteLogGroup",
      "logs:ListTagsForResource",
      "logs:PutRetentionPolicy",
      "logs:TagResource",
      "logs:UntagResource",
    ]
    resources = [
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/lambda/acme-test-*",
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/apigateway/acme-test/*",
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/ecs/acme-test-*",
    ]
  }

  statement {
    sid       = "DescribeAccount"
    actions   = ["logs:DescribeLogGroups"]
    resources = ["*"]
  }
}

# What the test deploy role may do (3 of 4): the kinds the manifest uses, test's names only.
data "aws_iam_policy_document" "deploy_test_3" {
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
      "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:acme-test-*",
    ]
  }

  statement {
    sid     = "SubscribeEmailsToOwnAlarmTopic"
    actions = ["sns:Subscribe"]
    resources = [
      "arn:${local.partition}:sns:${local.region}:${local.account_id}:acme-test-alarms",
    ]

    condition {
      test     = "StringEquals"
      variable = "sns:Protocol"
      values   = ["email"]
    }
  }

  statement {
    sid = "ManageSubscriptions"
    actions = [
      "sns:GetSubscriptionAttributes",
      "sns:SetSubscriptionAttributes",
      "sns:Unsubscribe",
    ]
    resources = ["*"]
  }

  statement {
    sid = "WriteRolesUnderBoundary"
    actions = [
      "iam:CreateRole",
      "iam:DeleteRole",
      "iam:DeleteRolePolicy",
      "iam:PutRolePermissionsBoundary",
      "iam:PutRolePolicy",
      "iam:UpdateAssumeRolePolicy",
    ]
    resources = ["arn:${local.partition}:iam::${local.account_id}:role/acme-test-*"]

    condition {
      test     = "StringEquals"
      variable = "iam:PermissionsBoundary"
      values   = ["arn:${local.partition}:iam::${local.account_id}:policy/acme-boundary-test"]
    }
  }

  statement {
    sid = "ReadAndTagOwnRoles"
    actions = [
      "iam:GetRole",
      "iam:GetRolePolicy",
      "iam:ListAttachedRolePolicies",
      "iam:ListInstanceProfilesForRole",
      "iam:ListRolePolicies",
      "iam:TagRole",
      "iam:UntagRole",
      "iam:UpdateRoleDescription",
    ]
    resources = ["arn:${local.partition}:iam::${local.account_id}:role/acme-test-*"]
  }

  statement {
    sid       = "PassOwnRolesToServices"
    actions   = ["iam:PassRole"]
    resources = ["arn:${local.partition}:iam::${local.account_id}:role/acme-test-*"]

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["lambda.amazonaws.com"]
    }
  }

  statement {
    sid     = "CreateServiceLinkedRoles"
    actions = ["iam:CreateServiceLinkedRole"]
    resources = [
      "arn:${local.partition}:iam::${local.account_id}:role/aws-service-role/rds.amazonaws.com/*",
      "arn:${local.partition}:iam::${local.account_id}:role/aws-service-role/elasticache.amazonaws.com/*",
    ]

    condition {
      test     = "StringEquals"
      variable = "iam:AWSServiceName"
      values   = ["rds.amazonaws.com", "elasticache.amazonaws.com"]
    }
  }

  statement {
    sid       = "ListOwnState"
    actions   = ["s3:ListBucket"]
    resources = ["arn:${local.partition}:s3:::${local.state_name}"]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["acme/test/*", "env:/*"]
    }
  }

  statement {
    sid       = "ReadWriteOwnState"
    actions   = ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"]
    resources = ["arn:${local.partition}:s3:::${local.state_name}/acme/test/*"]
  }

  statement {
    sid    = "DenyDataAccess"
    effect = "Deny"
    actions = [
      "dynamodb:BatchGetItem",
      "dynamodb:BatchWriteItem",
      "dynamodb:ConditionCheckItem",
      "dynamodb:DeleteItem",
      "dynamodb:GetItem",
      "dynamodb:GetRecords",
      "dynamodb:PartiQLDelete",
      "dynamodb:PartiQLInsert",
      "dynamodb:PartiQLSelect",
      "dynamodb:PartiQLUpdate",
      "dynamodb:PutItem",
      "dynamodb:Query",
      "dynamodb:Scan",
      "dynamodb:UpdateItem",
      "elasticache:Connect",
      "events:PutEvents",
      "lambda:InvokeFunctionUrl",
      "rds-db:connect",
      "secretsmanager:GetSecretValue",
      "sns:Publish",
      "sqs:ChangeMessageVisibility",
      "sqs:DeleteMessage",
      "sqs:PurgeQueue",
      "sqs:ReceiveMessage",
      "sqs:SendMessage",
    ]
    resources = ["*"]
  }

  statement {
    sid     = "DenyInvokeButDbAdmin"
    effect  = "Deny"
    actions = ["lambda:InvokeFunction"]
    not_resources = [
      "arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:acme-test-db-admin",
    ]
  }

  statement {
    sid    = "DenyObjectsButOwnState"
    effect = "Deny"
    actions = [
      "s3:DeleteObject",
      "s3:DeleteObjectVersion",
      "s3:GetObject",
      "s3:GetObjectVersion",
      "s3:PutObject",
      "s3:PutObjectAcl",
      "s3:RestoreObject",
    ]
    not_resources = ["arn:${local.partition}:s3:::${local.state_name}/acme/test/*"]
  }

  statement {
    sid     = "DenyOtherEnvironments"
    effect  = "Deny"
    actions = ["*"]
    resources = [
      "arn:${local.partition}:sqs:${local.region}:${local.account_id}:acme-dev-*",
      "arn:${local.partition}:dynamodb:${local.region}:${local.account_id}:table/acme-dev-*",
      "arn:${local.partition}:s3:::acme-dev-*",
      "arn:${local.partition}:sns:${local.region}:${local.account_id}:acme-dev-*",
      "arn:${local.partition}:secretsmanager:${local.region}:${local.account_id}:secret:acme/dev/*",
      "arn:${local.partition}:ssm:${local.region}:${local.account_id}:parameter/acme/dev/*",
      "arn:${local.partition}:rds:${local.region}:${local.account_id}:*:acme-dev-*",
      "arn:${local.partition}:elasticache:${local.region}:${local.account_id}:*:acme-dev-*",
      "arn:${local.partition}:scheduler:${local.region}:${local.account_id}:schedule/default/acme-dev-*",
      "arn:${local.partition}:events:${local.region}:${local.account_id}:*/acme-dev-*",
      "arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:acme-dev-*",
      "arn:${local.partition}:apprunner:${local.region}:${local.account_id}:*/acme-dev-*",
      "arn:${local.partition}:ecs:${local.region}:${local.account_id}:service/*/acme-dev-*",
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/lambda/acme-dev-*",
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/apigateway/acme-dev/*",
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/ecs/acme-dev-*",
      "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:acme-dev-*",
      "arn:${local.partition}:iam::${local.account_id}:role/acme-dev-*",
      "arn:${local.partition}:sqs:${local.region}:${local.account_id}:acme-prod-*",
      "arn:${local.partition}:dynamodb:${local.region}:${local.account_id}:table/acme-prod-*",
      "arn:${local.partition}:s3:::acme-prod-*",
      "arn:${local.partition}:sns:${local.region}:${local.account_id}:acme-prod-*",
      "arn:${local.partition}:secretsmanager:${local.region}:${local.account_id}:secret:acme/prod/*",
      "arn:${local.partition}:ssm:${local.region}:${local.account_id}:parameter/acme/prod/*",
      "arn:${local.partition}:rds:${local.region}:${local.account_id}:*:acme-prod-*",
      "arn:${local.partition}:elasticache:${local.region}:${local.account_id}:*:acme-prod-*",
      "arn:${local.partition}:scheduler:${local.region}:${local.account_id}:schedule/default/acme-prod-*",
      "arn:${local.partition}:events:${local.region}:${local.account_id}:*/acme-prod-*",
      "arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:acme-prod-*",
      "arn:${local.partition}:apprunner:${local.region}:${local.account_id}:*/acme-prod-*",
      "arn:${local.partition}:ecs:${local.region}:${local.account_id}:service/*/acme-prod-*",
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/lambda/acme-prod-*",
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/apigateway/acme-prod/*",
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/ecs/acme-prod-*",
      "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:acme-prod-*",
      "arn:${local.partition}:iam::${local.account_id}:role/acme-prod-*",
    ]
  }
}

# What the test deploy role may do (4 of 4): the kinds the manifest uses, test's names only.
data "aws_iam_policy_document" "deploy_test_4" {
  statement {
    sid       = "DenyOtherEnvironmentsNetwork"
    effect    = "Deny"
    actions   = ["ec2:*"]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/trellis-environment"
      values   = ["dev", "prod"]
    }
  }

  statement {
    sid         = "DenyStateBucketSettings"
    effect      = "Deny"
    not_actions = ["s3:DeleteObject", "s3:GetObject", "s3:ListBucket", "s3:PutObject"]
    resources = [
      "arn:${local.partition}:s3:::${local.state_name}",
      "arn:${local.partition}:s3:::${local.state_name}/*",
    ]
  }
}

# What the prod deploy role may do (1 of 4): the kinds the manifest uses, prod's names only.
data "aws_iam_policy_document" "deploy_prod_1" {
  statement {
    sid = "ManageQueues"
    actions = [
      "sqs:CreateQueue",
      "sqs:DeleteQueue",
      "sqs:GetQueueAttributes",
      "sqs:ListQueueTags",
      "sqs:SetQueueAttributes",
      "sqs:TagQueue",
      "sqs:UntagQueue",
    ]
    resources = ["arn:${local.partition}:sqs:${local.region}:${local.account_id}:acme-prod-*"]
  }

  statement {
    sid = "ManageTables"
    actions = [
      "dynamodb:CreateTable",
      "dynamodb:DeleteTable",
      "dynamodb:DescribeContinuousBackups",
      "dynamodb:DescribeTable",
      "dynamodb:DescribeTimeToLive",
      "dynamodb:ListTagsOfResource",
      "dynamodb:TagResource",
      "dynamodb:UntagResource",
      "dynamodb:UpdateContinuousBackups",
      "dynamodb:UpdateTable",
      "dynamodb:UpdateTimeToLive",
    ]
    resources = [
      "arn:${local.partition}:dynamodb:${local.region}:${local.account_id}:table/acme-prod-*",
      "arn:${local.partition}:dynamodb:${local.region}:${local.account_id}:table/acme-prod-*/index/*",
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
      "s3:PutBucketCORS",
      "s3:PutBucketNotification",
      "s3:PutBucketOwnershipControls",
      "s3:PutBucketPolicy",
      "s3:PutBucketPublicAccessBlock",
      "s3:PutBucketTagging",
      "s3:PutBucketVersioning",
      "s3:PutEncryptionConfiguration",
      "s3:PutLifecycleConfiguration",
    ]
    resources = ["arn:${local.partition}:s3:::acme-prod-*"]
  }

  statement {
    sid = "ManageDatabases"
    actions = [
      "rds:AddTagsToResource",
      "rds:CreateDBCluster",
      "rds:CreateDBClusterParameterGroup",
      "rds:CreateDBClusterSnapshot",
      "rds:CreateDBInstance",
      "rds:CreateDBParameterGroup",
      "rds:CreateDBSnapshot",
      "rds:CreateDBSubnetGroup",
      "rds:DeleteDBCluster",
      "rds:DeleteDBClusterParameterGroup",
      "rds:DeleteDBInstance",
      "rds:DeleteDBParameterGroup",
      "rds:DeleteDBSubnetGroup",
      "rds:DescribeDBClusterParameterGroups",
      "rds:DescribeDBClusterParameters",
      "rds:DescribeDBClusters",
      "rds:DescribeDBInstances",
      "rds:DescribeDBParameterGroups",
      "rds:DescribeDBParameters",
      "rds:DescribeDBSubnetGroups",
      "rds:ListTagsForResource",
      "rds:ModifyDBCluster",
      "rds:ModifyDBClusterParameterGroup",
      "rds:ModifyDBInstance",
      "rds:ModifyDBParameterGroup",
      "rds:ModifyDBSubnetGroup",
      "rds:RemoveTagsFromResource",
      "rds:ResetDBClusterParameterGroup",
      "rds:ResetDBParameterGroup",
    ]
    resources = ["arn:${local.partition}:rds:${local.region}:${local.account_id}:*:acme-prod-*"]
  }

  statement {
    sid     = "CreateRdsManagedSecrets"
    actions = ["secretsmanager:CreateSecret", "secretsmanager:TagResource"]
    resources = [
      "arn:${local.partition}:secretsmanager:${local.region}:${local.account_id}:secret:rds!*",
    ]
  }

  statement {
    sid       = "DescribeRdsEngines"
    actions   = ["rds:DescribeDBEngineVersions"]
    resources = ["*"]
  }

  statement {
    sid = "ManageCaches"
    actions = [
      "elasticache:AddTagsToResource",
      "elasticache:CreateServerlessCache",
      "elasticache:CreateUser",
      "elasticache:CreateUserGroup",
      "elasticache:DeleteServerlessCache",
      "elasticache:DeleteUser",
      "elasticache:DeleteUserGroup",
      "elasticache:DescribeServerlessCaches",
      "elasticache:DescribeUserGroups",
      "elasticache:DescribeUsers",
      "elasticache:ListTagsForResource",
      "elasticache:ModifyServerlessCache",
      "elasticache:ModifyUser",
      "elasticache:ModifyUserGroup",
      "elasticache:RemoveTagsFromResource",
    ]
    resources = [
      "arn:${local.partition}:elasticache:${local.region}:${local.account_id}:*:acme-prod-*",
    ]
  }

  statement {
    sid = "ManageFunctions"
    actions = [
      "lambda:CreateAlias",
      "lambda:CreateFunction",
      "lambda:DeleteAlias",
      "lambda:DeleteFunction",
      "lambda:GetAlias",
      "lambda:GetFunction",
      "lambda:GetFunctionCodeSigningConfig",
      "lambda:GetPolicy",
      "lambda:ListTags",
      "lambda:ListVersionsByFunction",
      "lambda:PublishVersion",
      "lambda:RemovePermission",
      "lambda:TagResource",
      "lambda:UntagResource",
      "lambda:UpdateAlias",
      "lambda:UpdateFunctionCode",
      "lambda:UpdateFunctionConfiguration",
    ]
    resources = [
      "arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:acme-prod-*",
    ]
  }

  statement {
    sid     = "LetApiGatewayInvokeFunctions"
    actions = ["lambda:AddPermission"]
    resources = [
      "arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:acme-prod-*",
    ]

    condition {
      test     = "StringEquals"
      variable = "lambda:Principal"
      values   = ["apigateway.amazonaws.com"]
    }
  }

  statement {
    sid       = "CreateEventSourceMappings"
    actions   = ["lambda:CreateEventSourceMapping"]
    resources = ["*"]

    condition {
      test     = "ArnLike"
      variable = "lambda:FunctionArn"
      values = [
        "arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:acme-prod-*",
      ]
    }
  }

  statement {
    sid = "ManageEventSourceMappings"
    actions = [
      "lambda:DeleteEventSourceMapping",
      "lambda:GetEventSourceMapping",
      "lambda:UpdateEventSourceMapping",
    ]
    resources = [
      "arn:${local.partition}:lambda:${local.region}:${local.account_id}:event-source-mapping:*",
    ]

    condition {
      test     = "ArnLike"
      variable = "lambda:FunctionArn"
      values = [
        "arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:acme-prod-*",
      ]
    }
  }

  statement {
    sid     = "TagEventSourceMappings"
    actions = ["lambda:ListTags", "lambda:TagResource", "lambda:UntagResource"]
    resources = [
      "arn:${local.partition}:lambda:${local.region}:${local.account_id}:event-source-mapping:*",
    ]

    condition {
      test     = "StringEqualsIfExists"
      variable = "aws:ResourceTag/trellis-environment"
      values   = ["prod"]
    }

    condition {
      test     = "StringEqualsIfExists"
      variable = "aws:RequestTag/trellis-environment"
      values   = ["prod"]
    }
  }

  statement {
    sid     = "CreateRestApis"
    actions = ["apigateway:POST"]
    resources = [
      "arn:${local.partition}:apigateway:${local.region}::/restapis",
      "arn:${local.partition}:apigateway:${local.region}::/apikeys",
      "arn:${local.partition}:apigateway:${local.region}::/usageplans",
    ]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/trellis-environment"
      values   = ["prod"]
    }
  }

  statement {
    sid = "ManageOwnRestApis"
    actions = [
      "apigateway:DELETE",
      "apigateway:GET",
      "apigateway:PATCH",
      "apigateway:POST",
      "apigateway:PUT",
    ]
    resources = [
      "arn:${local.partition}:apigateway:${local.region}::/restapis/*",
      "arn:${local.partition}:apigateway:${local.region}::/apikeys/*",
      "arn:${local.partition}:apigateway:${local.region}::/usageplans/*",
    ]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/trellis-environment"
      values   = ["prod"]
    }
  }

  statement {
    sid       = "TagOwnRestApis"
    actions   = ["apigateway:DELETE", "apigateway:GET", "apigateway:PUT"]
    resources = ["arn:${local.partition}:apigateway:${local.region}::/tags/*"]

    condition {
      test     = "StringEqualsIfExists"
      variable = "aws:ResourceTag/trellis-environment"
      values   = ["prod"]
    }

    condition {
      test     = "StringEqualsIfExists"
      variable = "aws:RequestTag/trellis-environment"
      values   = ["prod"]
    }
  }
}

# What the prod deploy role may do (2 of 4): the kinds the manifest uses, prod's names only.
data "aws_iam_policy_document" "deploy_prod_2" {
  statement {
    sid = "CreateNetworkResources"
    actions = [
      "ec2:AllocateAddress",
      "ec2:CreateInternetGateway",
      "ec2:CreateNatGateway",
      "ec2:CreateRouteTable",
      "ec2:CreateSecurityGroup",
      "ec2:CreateSubnet",
      "ec2:CreateVpc",
      "ec2:CreateVpcEndpoint",
    ]
    resources = [
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:vpc/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:subnet/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:route-table/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:security-group/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:security-group-rule/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:vpc-endpoint/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:internet-gateway/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:natgateway/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:elastic-ip/*",
    ]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/trellis-environment"
      values   = ["prod"]
    }
  }

  statement {
    sid = "ManageOwnNetwork"
    actions = [
      "ec2:AssociateRouteTable",
      "ec2:AttachInternetGateway",
      "ec2:AuthorizeSecurityGroupEgress",
      "ec2:AuthorizeSecurityGroupIngress",
      "ec2:CreateNatGateway",
      "ec2:CreateRoute",
      "ec2:CreateRouteTable",
      "ec2:CreateSecurityGroup",
      "ec2:CreateSubnet",
      "ec2:CreateVpcEndpoint",
      "ec2:DeleteInternetGateway",
      "ec2:DeleteNatGateway",
      "ec2:DeleteRoute",
      "ec2:DeleteRouteTable",
      "ec2:DeleteSecurityGroup",
      "ec2:DeleteSubnet",
      "ec2:DeleteVpc",
      "ec2:DeleteVpcEndpoints",
      "ec2:DetachInternetGateway",
      "ec2:DisassociateAddress",
      "ec2:DisassociateRouteTable",
      "ec2:ModifySecurityGroupRules",
      "ec2:ModifySubnetAttribute",
      "ec2:ModifyVpcAttribute",
      "ec2:ModifyVpcEndpoint",
      "ec2:ReleaseAddress",
      "ec2:ReplaceRoute",
      "ec2:ReplaceRouteTableAssociation",
      "ec2:RevokeSecurityGroupEgress",
      "ec2:RevokeSecurityGroupIngress",
    ]
    resources = [
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:vpc/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:subnet/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:route-table/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:security-group/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:security-group-rule/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:vpc-endpoint/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:internet-gateway/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:natgateway/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:elastic-ip/*",
    ]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/trellis-environment"
      values   = ["prod"]
    }
  }

  statement {
    sid     = "TagNetworkOnCreate"
    actions = ["ec2:CreateTags"]
    resources = [
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:vpc/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:subnet/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:route-table/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:security-group/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:security-group-rule/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:vpc-endpoint/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:internet-gateway/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:natgateway/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:elastic-ip/*",
    ]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/trellis-environment"
      values   = ["prod"]
    }

    condition {
      test     = "StringEquals"
      variable = "ec2:CreateAction"
      values = [
        "AllocateAddress",
        "AuthorizeSecurityGroupEgress",
        "AuthorizeSecurityGroupIngress",
        "CreateInternetGateway",
        "CreateNatGateway",
        "CreateRouteTable",
        "CreateSecurityGroup",
        "CreateSubnet",
        "CreateVpc",
        "CreateVpcEndpoint",
      ]
    }
  }

  statement {
    sid     = "TagOwnNetwork"
    actions = ["ec2:CreateTags", "ec2:DeleteTags"]
    resources = [
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:vpc/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:subnet/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:route-table/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:security-group/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:security-group-rule/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:vpc-endpoint/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:internet-gateway/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:natgateway/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:elastic-ip/*",
    ]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/trellis-environment"
      values   = ["prod"]
    }
  }

  statement {
    sid = "DescribeNetwork"
    actions = [
      "ec2:DescribeAddresses",
      "ec2:DescribeAddressesAttribute",
      "ec2:DescribeAvailabilityZones",
      "ec2:DescribeInternetGateways",
      "ec2:DescribeNatGateways",
      "ec2:DescribeNetworkAcls",
      "ec2:DescribeNetworkInterfaces",
      "ec2:DescribePrefixLists",
      "ec2:DescribeRouteTables",
      "ec2:DescribeSecurityGroupRules",
      "ec2:DescribeSecurityGroups",
      "ec2:DescribeSubnets",
      "ec2:DescribeVpcEndpoints",
      "ec2:DescribeVpcs",
    ]
    resources = ["*"]
  }

  statement {
    sid       = "DescribeOwnVpc"
    actions   = ["ec2:DescribeVpcAttribute"]
    resources = ["arn:${local.partition}:ec2:${local.region}:${local.account_id}:vpc/*"]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/trellis-environment"
      values   = ["prod"]
    }
  }

  statement {
    sid     = "DeleteLingeringLambdaInterfaces"
    actions = ["ec2:DeleteNetworkInterface"]
    resources = [
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:network-interface/*",
    ]
  }

  statement {
    sid       = "EndpointPrivateDns"
    actions   = ["route53:AssociateVPCWithHostedZone"]
    resources = ["arn:${local.partition}:route53:::hostedzone/*"]
  }

  statement {
    sid     = "InvokeDbAdmin"
    actions = ["lambda:InvokeFunction"]
    resources = [
      "arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:acme-prod-db-admin",
    ]
  }

  statement {
    sid = "ManageLogGroups"
    actions = [
      "logs:CreateLogGroup",
      "logs:DeleteLogGroup",
      "logs:ListTagsForResource",
      "logs:PutRetentionPolicy",
      "logs:TagResource",
      "logs:UntagResource",
    ]
    resources = [
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/lambda/acme-prod-*",
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/apigateway/acme-prod/*",
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/ecs/acme-prod-*",
    ]
  }

  statement {
    sid       = "DescribeAccount"
    actions   = ["logs:DescribeLogGroups"]
    resources = ["*"]
  }
}

# What the prod deploy role may do (3 of 4): the kinds the manifest uses, prod's names only.
data "aws_iam_policy_document" "deploy_prod_3" {
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
      "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:acme-prod-*",
    ]
  }

  statement {
    sid     = "SubscribeEmailsToOwnAlarmTopic"
    actions = ["sns:Subscribe"]
    resources = [
      "arn:${local.partition}:sns:${local.region}:${local.account_id}:acme-prod-alarms",
    ]

    condition {
      test     = "StringEquals"
      variable = "sns:Protocol"
      values   = ["email"]
    }
  }

  statement {
    sid = "ManageSubscriptions"
    actions = [
      "sns:GetSubscriptionAttributes",
      "sns:SetSubscriptionAttributes",
      "sns:Unsubscribe",
    ]
    resources = ["*"]
  }

  statement {
    sid = "WriteRolesUnderBoundary"
    actions = [
      "iam:CreateRole",
      "iam:DeleteRole",
      "iam:DeleteRolePolicy",
      "iam:PutRolePermissionsBoundary",
      "iam:PutRolePolicy",
      "iam:UpdateAssumeRolePolicy",
    ]
    resources = ["arn:${local.partition}:iam::${local.account_id}:role/acme-prod-*"]

    condition {
      test     = "StringEquals"
      variable = "iam:PermissionsBoundary"
      values   = ["arn:${local.partition}:iam::${local.account_id}:policy/acme-boundary-prod"]
    }
  }

  statement {
    sid = "ReadAndTagOwnRoles"
    actions = [
      "iam:GetRole",
      "iam:GetRolePolicy",
      "iam:ListAttachedRolePolicies",
      "iam:ListInstanceProfilesForRole",
      "iam:ListRolePolicies",
      "iam:TagRole",
      "iam:UntagRole",
      "iam:UpdateRoleDescription",
    ]
    resources = ["arn:${local.partition}:iam::${local.account_id}:role/acme-prod-*"]
  }

  statement {
    sid       = "PassOwnRolesToServices"
    actions   = ["iam:PassRole"]
    resources = ["arn:${local.partition}:iam::${local.account_id}:role/acme-prod-*"]

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["lambda.amazonaws.com"]
    }
  }

  statement {
    sid     = "CreateServiceLinkedRoles"
    actions = ["iam:CreateServiceLinkedRole"]
    resources = [
      "arn:${local.partition}:iam::${local.account_id}:role/aws-service-role/rds.amazonaws.com/*",
      "arn:${local.partition}:iam::${local.account_id}:role/aws-service-role/elasticache.amazonaws.com/*",
    ]

    condition {
      test     = "StringEquals"
      variable = "iam:AWSServiceName"
      values   = ["rds.amazonaws.com", "elasticache.amazonaws.com"]
    }
  }

  statement {
    sid       = "ListOwnState"
    actions   = ["s3:ListBucket"]
    resources = ["arn:${local.partition}:s3:::${local.state_name}"]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["acme/prod/*", "env:/*"]
    }
  }

  statement {
    sid       = "ReadWriteOwnState"
    actions   = ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"]
    resources = ["arn:${local.partition}:s3:::${local.state_name}/acme/prod/*"]
  }

  statement {
    sid    = "DenyDataAccess"
    effect = "Deny"
    actions = [
      "dynamodb:BatchGetItem",
      "dynamodb:BatchWriteItem",
      "dynamodb:ConditionCheckItem",
      "dynamodb:DeleteItem",
      "dynamodb:GetItem",
      "dynamodb:GetRecords",
      "dynamodb:PartiQLDelete",
      "dynamodb:PartiQLInsert",
      "dynamodb:PartiQLSelect",
      "dynamodb:PartiQLUpdate",
      "dynamodb:PutItem",
      "dynamodb:Query",
      "dynamodb:Scan",
      "dynamodb:UpdateItem",
      "elasticache:Connect",
      "events:PutEvents",
      "lambda:InvokeFunctionUrl",
      "rds-db:connect",
      "secretsmanager:GetSecretValue",
      "sns:Publish",
      "sqs:ChangeMessageVisibility",
      "sqs:DeleteMessage",
      "sqs:PurgeQueue",
      "sqs:ReceiveMessage",
      "sqs:SendMessage",
    ]
    resources = ["*"]
  }

  statement {
    sid     = "DenyInvokeButDbAdmin"
    effect  = "Deny"
    actions = ["lambda:InvokeFunction"]
    not_resources = [
      "arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:acme-prod-db-admin",
    ]
  }

  statement {
    sid    = "DenyObjectsButOwnState"
    effect = "Deny"
    actions = [
      "s3:DeleteObject",
      "s3:DeleteObjectVersion",
      "s3:GetObject",
      "s3:GetObjectVersion",
      "s3:PutObject",
      "s3:PutObjectAcl",
      "s3:RestoreObject",
    ]
    not_resources = ["arn:${local.partition}:s3:::${local.state_name}/acme/prod/*"]
  }

  statement {
    sid     = "DenyOtherEnvironments"
    effect  = "Deny"
    actions = ["*"]
    resources = [
      "arn:${local.partition}:sqs:${local.region}:${local.account_id}:acme-dev-*",
      "arn:${local.partition}:dynamodb:${local.region}:${local.account_id}:table/acme-dev-*",
      "arn:${local.partition}:s3:::acme-dev-*",
      "arn:${local.partition}:sns:${local.region}:${local.account_id}:acme-dev-*",
      "arn:${local.partition}:secretsmanager:${local.region}:${local.account_id}:secret:acme/dev/*",
      "arn:${local.partition}:ssm:${local.region}:${local.account_id}:parameter/acme/dev/*",
      "arn:${local.partition}:rds:${local.region}:${local.account_id}:*:acme-dev-*",
      "arn:${local.partition}:elasticache:${local.region}:${local.account_id}:*:acme-dev-*",
      "arn:${local.partition}:scheduler:${local.region}:${local.account_id}:schedule/default/acme-dev-*",
      "arn:${local.partition}:events:${local.region}:${local.account_id}:*/acme-dev-*",
      "arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:acme-dev-*",
      "arn:${local.partition}:apprunner:${local.region}:${local.account_id}:*/acme-dev-*",
      "arn:${local.partition}:ecs:${local.region}:${local.account_id}:service/*/acme-dev-*",
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/lambda/acme-dev-*",
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/apigateway/acme-dev/*",
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/ecs/acme-dev-*",
      "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:acme-dev-*",
      "arn:${local.partition}:iam::${local.account_id}:role/acme-dev-*",
      "arn:${local.partition}:sqs:${local.region}:${local.account_id}:acme-test-*",
      "arn:${local.partition}:dynamodb:${local.region}:${local.account_id}:table/acme-test-*",
      "arn:${local.partition}:s3:::acme-test-*",
      "arn:${local.partition}:sns:${local.region}:${local.account_id}:acme-test-*",
      "arn:${local.partition}:secretsmanager:${local.region}:${local.account_id}:secret:acme/test/*",
      "arn:${local.partition}:ssm:${local.region}:${local.account_id}:parameter/acme/test/*",
      "arn:${local.partition}:rds:${local.region}:${local.account_id}:*:acme-test-*",
      "arn:${local.partition}:elasticache:${local.region}:${local.account_id}:*:acme-test-*",
      "arn:${local.partition}:scheduler:${local.region}:${local.account_id}:schedule/default/acme-test-*",
      "arn:${local.partition}:events:${local.region}:${local.account_id}:*/acme-test-*",
      "arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:acme-test-*",
      "arn:${local.partition}:apprunner:${local.region}:${local.account_id}:*/acme-test-*",
      "arn:${local.partition}:ecs:${local.region}:${local.account_id}:service/*/acme-test-*",
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/lambda/acme-test-*",
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/apigateway/acme-test/*",
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/ecs/acme-test-*",
      "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:acme-test-*",
      "arn:${local.partition}:iam::${local.account_id}:role/acme-test-*",
    ]
  }
}

# What the prod deploy role may do (4 of 4): the kinds the manifest uses, prod's names only.
data "aws_iam_policy_document" "deploy_prod_4" {
  statement {
    sid       = "DenyOtherEnvironmentsNetwork"
    effect    = "Deny"
    actions   = ["ec2:*"]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/trellis-environment"
      values   = ["dev", "test"]
    }
  }

  statement {
    sid         = "DenyStateBucketSettings"
    effect      = "Deny"
    not_actions = ["s3:DeleteObject", "s3:GetObject", "s3:ListBucket", "s3:PutObject"]
    resources = [
      "arn:${local.partition}:s3:::${local.state_name}",
      "arn:${local.partition}:s3:::${local.state_name}/*",
    ]
  }
}

# The most any role the dev deploy role creates may do.
data "aws_iam_policy_document" "boundary_dev" {
  statement {
    sid = "DataQueues"
    actions = [
      "sqs:ChangeMessageVisibility",
      "sqs:DeleteMessage",
      "sqs:GetQueueAttributes",
      "sqs:ReceiveMessage",
      "sqs:SendMessage",
    ]
    resources = ["arn:${local.partition}:sqs:${local.region}:${local.account_id}:acme-dev-*"]
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
      "arn:${local.partition}:dynamodb:${local.region}:${local.account_id}:table/acme-dev-*",
      "arn:${local.partition}:dynamodb:${local.region}:${local.account_id}:table/acme-dev-*/index/*",
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
    resources = [
      "arn:${local.partition}:s3:::acme-dev-*",
      "arn:${local.partition}:s3:::acme-dev-*/*",
    ]
  }

  statement {
    sid       = "DataDatabases"
    actions   = ["rds-db:connect"]
    resources = ["arn:${local.partition}:rds-db:${local.region}:${local.account_id}:dbuser:*/*"]
  }

  statement {
    sid     = "DataCaches"
    actions = ["elasticache:Connect"]
    resources = [
      "arn:${local.partition}:elasticache:${local.region}:${local.account_id}:*:acme-dev-*",
    ]
  }

  statement {
    sid     = "OwnLogs"
    actions = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = [
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/lambda/acme-dev-*",
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/ecs/acme-dev-*",
    ]
  }

  statement {
    sid = "ActionsWithoutResourceTypes"
    actions = [
      "ec2:DescribeNetworkInterfaces",
      "ec2:DescribeSubnets",
      "xray:PutTelemetryRecords",
      "xray:PutTraceSegments",
    ]
    resources = ["*"]
  }

  statement {
    sid     = "DatabaseMasterSecrets"
    actions = ["secretsmanager:GetSecretValue"]
    resources = [
      "arn:${local.partition}:secretsmanager:${local.region}:${local.account_id}:secret:rds!*",
    ]
  }

  statement {
    sid     = "DenyOtherDatabasesMasterSecrets"
    effect  = "Deny"
    actions = ["*"]
    resources = [
      "arn:${local.partition}:secretsmanager:${local.region}:${local.account_id}:secret:rds!*",
    ]

    condition {
      test     = "StringNotLike"
      variable = "secretsmanager:ResourceTag/aws:rds:primaryDBClusterArn"
      values = [
        "arn:${local.partition}:rds:${local.region}:${local.account_id}:cluster:acme-dev-*",
      ]
    }

    condition {
      test     = "StringNotLike"
      variable = "secretsmanager:ResourceTag/aws:rds:primaryDBInstanceArn"
      values   = ["arn:${local.partition}:rds:${local.region}:${local.account_id}:db:acme-dev-*"]
    }
  }

  statement {
    sid     = "NetworkInterfacesInOwnSubnets"
    actions = ["ec2:CreateNetworkInterface"]
    resources = [
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:subnet/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:security-group/*",
    ]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/trellis-environment"
      values   = ["dev"]
    }
  }

  statement {
    sid = "NetworkInterfaces"
    actions = [
      "ec2:AssignPrivateIpAddresses",
      "ec2:CreateNetworkInterface",
      "ec2:DeleteNetworkInterface",
      "ec2:UnassignPrivateIpAddresses",
    ]
    resources = [
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:network-interface/*",
    ]
  }

  statement {
    sid     = "DenyOtherEnvironmentsAndState"
    effect  = "Deny"
    actions = ["*"]
    resources = [
      "arn:${local.partition}:sqs:${local.region}:${local.account_id}:acme-test-*",
      "arn:${local.partition}:dynamodb:${local.region}:${local.account_id}:table/acme-test-*",
      "arn:${local.partition}:s3:::acme-test-*",
      "arn:${local.partition}:sns:${local.region}:${local.account_id}:acme-test-*",
      "arn:${local.partition}:secretsmanager:${local.region}:${local.account_id}:secret:acme/test/*",
      "arn:${local.partition}:ssm:${local.region}:${local.account_id}:parameter/acme/test/*",
      "arn:${local.partition}:rds:${local.region}:${local.account_id}:*:acme-test-*",
      "arn:${local.partition}:elasticache:${local.region}:${local.account_id}:*:acme-test-*",
      "arn:${local.partition}:scheduler:${local.region}:${local.account_id}:schedule/default/acme-test-*",
      "arn:${local.partition}:events:${local.region}:${local.account_id}:*/acme-test-*",
      "arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:acme-test-*",
      "arn:${local.partition}:apprunner:${local.region}:${local.account_id}:*/acme-test-*",
      "arn:${local.partition}:ecs:${local.region}:${local.account_id}:service/*/acme-test-*",
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/lambda/acme-test-*",
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/apigateway/acme-test/*",
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/ecs/acme-test-*",
      "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:acme-test-*",
      "arn:${local.partition}:iam::${local.account_id}:role/acme-test-*",
      "arn:${local.partition}:sqs:${local.region}:${local.account_id}:acme-prod-*",
      "arn:${local.partition}:dynamodb:${local.region}:${local.account_id}:table/acme-prod-*",
      "arn:${local.partition}:s3:::acme-prod-*",
      "arn:${local.partition}:sns:${local.region}:${local.account_id}:acme-prod-*",
      "arn:${local.partition}:secretsmanager:${local.region}:${local.account_id}:secret:acme/prod/*",
      "arn:${local.partition}:ssm:${local.region}:${local.account_id}:parameter/acme/prod/*",
      "arn:${local.partition}:rds:${local.region}:${local.account_id}:*:acme-prod-*",
      "arn:${local.partition}:elasticache:${local.region}:${local.account_id}:*:acme-prod-*",
      "arn:${local.partition}:scheduler:${local.region}:${local.account_id}:schedule/default/acme-prod-*",
      "arn:${local.partition}:events:${local.region}:${local.account_id}:*/acme-prod-*",
      "arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:acme-prod-*",
      "arn:${local.partition}:apprunner:${local.region}:${local.account_id}:*/acme-prod-*",
      "arn:${local.partition}:ecs:${local.region}:${local.account_id}:service/*/acme-prod-*",
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/lambda/acme-prod-*",
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/apigateway/acme-prod/*",
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/ecs/acme-prod-*",
      "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:acme-prod-*",
      "arn:${local.partition}:iam::${local.account_id}:role/acme-prod-*",
      "arn:${local.partition}:s3:::${local.state_name}",
      "arn:${local.partition}:s3:::${local.state_name}/*",
    ]
  }
}

# The most any role the test deploy role creates may do.
data "aws_iam_policy_document" "boundary_test" {
  statement {
    sid = "DataQueues"
    actions = [
      "sqs:ChangeMessageVisibility",
      "sqs:DeleteMessage",
      "sqs:GetQueueAttributes",
      "sqs:ReceiveMessage",
      "sqs:SendMessage",
    ]
    resources = ["arn:${local.partition}:sqs:${local.region}:${local.account_id}:acme-test-*"]
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
      "arn:${local.partition}:dynamodb:${local.region}:${local.account_id}:table/acme-test-*",
      "arn:${local.partition}:dynamodb:${local.region}:${local.account_id}:table/acme-test-*/index/*",
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
    resources = [
      "arn:${local.partition}:s3:::acme-test-*",
      "arn:${local.partition}:s3:::acme-test-*/*",
    ]
  }

  statement {
    sid       = "DataDatabases"
    actions   = ["rds-db:connect"]
    resources = ["arn:${local.partition}:rds-db:${local.region}:${local.account_id}:dbuser:*/*"]
  }

  statement {
    sid     = "DataCaches"
    actions = ["elasticache:Connect"]
    resources = [
      "arn:${local.partition}:elasticache:${local.region}:${local.account_id}:*:acme-test-*",
    ]
  }

  statement {
    sid     = "OwnLogs"
    actions = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = [
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/lambda/acme-test-*",
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/ecs/acme-test-*",
    ]
  }

  statement {
    sid = "ActionsWithoutResourceTypes"
    actions = [
      "ec2:DescribeNetworkInterfaces",
      "ec2:DescribeSubnets",
      "xray:PutTelemetryRecords",
      "xray:PutTraceSegments",
    ]
    resources = ["*"]
  }

  statement {
    sid     = "DatabaseMasterSecrets"
    actions = ["secretsmanager:GetSecretValue"]
    resources = [
      "arn:${local.partition}:secretsmanager:${local.region}:${local.account_id}:secret:rds!*",
    ]
  }

  statement {
    sid     = "DenyOtherDatabasesMasterSecrets"
    effect  = "Deny"
    actions = ["*"]
    resources = [
      "arn:${local.partition}:secretsmanager:${local.region}:${local.account_id}:secret:rds!*",
    ]

    condition {
      test     = "StringNotLike"
      variable = "secretsmanager:ResourceTag/aws:rds:primaryDBClusterArn"
      values = [
        "arn:${local.partition}:rds:${local.region}:${local.account_id}:cluster:acme-test-*",
      ]
    }

    condition {
      test     = "StringNotLike"
      variable = "secretsmanager:ResourceTag/aws:rds:primaryDBInstanceArn"
      values = [
        "arn:${local.partition}:rds:${local.region}:${local.account_id}:db:acme-test-*",
      ]
    }
  }

  statement {
    sid     = "NetworkInterfacesInOwnSubnets"
    actions = ["ec2:CreateNetworkInterface"]
    resources = [
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:subnet/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:security-group/*",
    ]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/trellis-environment"
      values   = ["test"]
    }
  }

  statement {
    sid = "NetworkInterfaces"
    actions = [
      "ec2:AssignPrivateIpAddresses",
      "ec2:CreateNetworkInterface",
      "ec2:DeleteNetworkInterface",
      "ec2:UnassignPrivateIpAddresses",
    ]
    resources = [
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:network-interface/*",
    ]
  }

  statement {
    sid     = "DenyOtherEnvironmentsAndState"
    effect  = "Deny"
    actions = ["*"]
    resources = [
      "arn:${local.partition}:sqs:${local.region}:${local.account_id}:acme-dev-*",
      "arn:${local.partition}:dynamodb:${local.region}:${local.account_id}:table/acme-dev-*",
      "arn:${local.partition}:s3:::acme-dev-*",
      "arn:${local.partition}:sns:${local.region}:${local.account_id}:acme-dev-*",
      "arn:${local.partition}:secretsmanager:${local.region}:${local.account_id}:secret:acme/dev/*",
      "arn:${local.partition}:ssm:${local.region}:${local.account_id}:parameter/acme/dev/*",
      "arn:${local.partition}:rds:${local.region}:${local.account_id}:*:acme-dev-*",
      "arn:${local.partition}:elasticache:${local.region}:${local.account_id}:*:acme-dev-*",
      "arn:${local.partition}:scheduler:${local.region}:${local.account_id}:schedule/default/acme-dev-*",
      "arn:${local.partition}:events:${local.region}:${local.account_id}:*/acme-dev-*",
      "arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:acme-dev-*",
      "arn:${local.partition}:apprunner:${local.region}:${local.account_id}:*/acme-dev-*",
      "arn:${local.partition}:ecs:${local.region}:${local.account_id}:service/*/acme-dev-*",
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/lambda/acme-dev-*",
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/apigateway/acme-dev/*",
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/ecs/acme-dev-*",
      "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:acme-dev-*",
      "arn:${local.partition}:iam::${local.account_id}:role/acme-dev-*",
      "arn:${local.partition}:sqs:${local.region}:${local.account_id}:acme-prod-*",
      "arn:${local.partition}:dynamodb:${local.region}:${local.account_id}:table/acme-prod-*",
      "arn:${local.partition}:s3:::acme-prod-*",
      "arn:${local.partition}:sns:${local.region}:${local.account_id}:acme-prod-*",
      "arn:${local.partition}:secretsmanager:${local.region}:${local.account_id}:secret:acme/prod/*",
      "arn:${local.partition}:ssm:${local.region}:${local.account_id}:parameter/acme/prod/*",
      "arn:${local.partition}:rds:${local.region}:${local.account_id}:*:acme-prod-*",
      "arn:${local.partition}:elasticache:${local.region}:${local.account_id}:*:acme-prod-*",
      "arn:${local.partition}:scheduler:${local.region}:${local.account_id}:schedule/default/acme-prod-*",
      "arn:${local.partition}:events:${local.region}:${local.account_id}:*/acme-prod-*",
      "arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:acme-prod-*",
      "arn:${local.partition}:apprunner:${local.region}:${local.account_id}:*/acme-prod-*",
      "arn:${local.partition}:ecs:${local.region}:${local.account_id}:service/*/acme-prod-*",
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/lambda/acme-prod-*",
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/apigateway/acme-prod/*",
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/ecs/acme-prod-*",
      "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:acme-prod-*",
      "arn:${local.partition}:iam::${local.account_id}:role/acme-prod-*",
      "arn:${local.partition}:s3:::${local.state_name}",
      "arn:${local.partition}:s3:::${local.state_name}/*",
    ]
  }
}

# The most any role the prod deploy role creates may do.
data "aws_iam_policy_document" "boundary_prod" {
  statement {
    sid = "DataQueues"
    actions = [
      "sqs:ChangeMessageVisibility",
      "sqs:DeleteMessage",
      "sqs:GetQueueAttributes",
      "sqs:ReceiveMessage",
      "sqs:SendMessage",
    ]
    resources = ["arn:${local.partition}:sqs:${local.region}:${local.account_id}:acme-prod-*"]
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
      "arn:${local.partition}:dynamodb:${local.region}:${local.account_id}:table/acme-prod-*",
      "arn:${local.partition}:dynamodb:${local.region}:${local.account_id}:table/acme-prod-*/index/*",
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
    resources = [
      "arn:${local.partition}:s3:::acme-prod-*",
      "arn:${local.partition}:s3:::acme-prod-*/*",
    ]
  }

  statement {
    sid       = "DataDatabases"
    actions   = ["rds-db:connect"]
    resources = ["arn:${local.partition}:rds-db:${local.region}:${local.account_id}:dbuser:*/*"]
  }

  statement {
    sid     = "DataCaches"
    actions = ["elasticache:Connect"]
    resources = [
      "arn:${local.partition}:elasticache:${local.region}:${local.account_id}:*:acme-prod-*",
    ]
  }

  statement {
    sid     = "OwnLogs"
    actions = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = [
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/lambda/acme-prod-*",
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/ecs/acme-prod-*",
    ]
  }

  statement {
    sid = "ActionsWithoutResourceTypes"
    actions = [
      "ec2:DescribeNetworkInterfaces",
      "ec2:DescribeSubnets",
      "xray:PutTelemetryRecords",
      "xray:PutTraceSegments",
    ]
    resources = ["*"]
  }

  statement {
    sid     = "DatabaseMasterSecrets"
    actions = ["secretsmanager:GetSecretValue"]
    resources = [
      "arn:${local.partition}:secretsmanager:${local.region}:${local.account_id}:secret:rds!*",
    ]
  }

  statement {
    sid     = "DenyOtherDatabasesMasterSecrets"
    effect  = "Deny"
    actions = ["*"]
    resources = [
      "arn:${local.partition}:secretsmanager:${local.region}:${local.account_id}:secret:rds!*",
    ]

    condition {
      test     = "StringNotLike"
      variable = "secretsmanager:ResourceTag/aws:rds:primaryDBClusterArn"
      values = [
        "arn:${local.partition}:rds:${local.region}:${local.account_id}:cluster:acme-prod-*",
      ]
    }

    condition {
      test     = "StringNotLike"
      variable = "secretsmanager:ResourceTag/aws:rds:primaryDBInstanceArn"
      values = [
        "arn:${local.partition}:rds:${local.region}:${local.account_id}:db:acme-prod-*",
      ]
    }
  }

  statement {
    sid     = "NetworkInterfacesInOwnSubnets"
    actions = ["ec2:CreateNetworkInterface"]
    resources = [
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:subnet/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:security-group/*",
    ]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/trellis-environment"
      values   = ["prod"]
    }
  }

  statement {
    sid = "NetworkInterfaces"
    actions = [
      "ec2:AssignPrivateIpAddresses",
      "ec2:CreateNetworkInterface",
      "ec2:DeleteNetworkInterface",
      "ec2:UnassignPrivateIpAddresses",
    ]
    resources = [
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:network-interface/*",
    ]
  }

  statement {
    sid     = "DenyOtherEnvironmentsAndState"
    effect  = "Deny"
    actions = ["*"]
    resources = [
      "arn:${local.partition}:sqs:${local.region}:${local.account_id}:acme-dev-*",
      "arn:${local.partition}:dynamodb:${local.region}:${local.account_id}:table/acme-dev-*",
      "arn:${local.partition}:s3:::acme-dev-*",
      "arn:${local.partition}:sns:${local.region}:${local.account_id}:acme-dev-*",
      "arn:${local.partition}:secretsmanager:${local.region}:${local.account_id}:secret:acme/dev/*",
      "arn:${local.partition}:ssm:${local.region}:${local.account_id}:parameter/acme/dev/*",
      "arn:${local.partition}:rds:${local.region}:${local.account_id}:*:acme-dev-*",
      "arn:${local.partition}:elasticache:${local.region}:${local.account_id}:*:acme-dev-*",
      "arn:${local.partition}:scheduler:${local.region}:${local.account_id}:schedule/default/acme-dev-*",
      "arn:${local.partition}:events:${local.region}:${local.account_id}:*/acme-dev-*",
      "arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:acme-dev-*",
      "arn:${local.partition}:apprunner:${local.region}:${local.account_id}:*/acme-dev-*",
      "arn:${local.partition}:ecs:${local.region}:${local.account_id}:service/*/acme-dev-*",
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/lambda/acme-dev-*",
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/apigateway/acme-dev/*",
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/ecs/acme-dev-*",
      "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:acme-dev-*",
      "arn:${local.partition}:iam::${local.account_id}:role/acme-dev-*",
      "arn:${local.partition}:sqs:${local.region}:${local.account_id}:acme-test-*",
      "arn:${local.partition}:dynamodb:${local.region}:${local.account_id}:table/acme-test-*",
      "arn:${local.partition}:s3:::acme-test-*",
      "arn:${local.partition}:sns:${local.region}:${local.account_id}:acme-test-*",
      "arn:${local.partition}:secretsmanager:${local.region}:${local.account_id}:secret:acme/test/*",
      "arn:${local.partition}:ssm:${local.region}:${local.account_id}:parameter/acme/test/*",
      "arn:${local.partition}:rds:${local.region}:${local.account_id}:*:acme-test-*",
      "arn:${local.partition}:elasticache:${local.region}:${local.account_id}:*:acme-test-*",
      "arn:${local.partition}:scheduler:${local.region}:${local.account_id}:schedule/default/acme-test-*",
      "arn:${local.partition}:events:${local.region}:${local.account_id}:*/acme-test-*",
      "arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:acme-test-*",
      "arn:${local.partition}:apprunner:${local.region}:${local.account_id}:*/acme-test-*",
      "arn:${local.partition}:ecs:${local.region}:${local.account_id}:service/*/acme-test-*",
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/lambda/acme-test-*",
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/apigateway/acme-test/*",
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/ecs/acme-test-*",
      "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:acme-test-*",
      "arn:${local.partition}:iam::${local.account_id}:role/acme-test-*",
      "arn:${local.partition}:s3:::${local.state_name}",
      "arn:${local.partition}:s3:::${local.state_name}/*",
    ]
  }
}

# Pull requests plan dev with -refresh=false: its state, read only.
data "aws_iam_policy_document" "plan" {
  statement {
    sid       = "ListPlannedState"
    actions   = ["s3:ListBucket"]
    resources = ["arn:${local.partition}:s3:::${local.state_name}"]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["acme/dev/*", "env:/*"]
    }
  }

  statement {
    sid       = "ReadPlannedState"
    actions   = ["s3:GetObject"]
    resources = ["arn:${local.partition}:s3:::${local.state_name}/acme/dev/*"]
  }
}

# Each environment's state: written only by its deploy role.
data "aws_iam_policy_document" "state_bucket" {
  statement {
    sid       = "WriteDevStateOnlyAsItsDeployRole"
    effect    = "Deny"
    actions   = ["s3:DeleteObject", "s3:PutObject"]
    resources = ["arn:${local.partition}:s3:::${local.state_name}/acme/dev/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "ArnNotEquals"
      variable = "aws:PrincipalArn"
      values   = ["arn:${local.partition}:iam::${local.account_id}:role/acme-deploy-dev"]
    }
  }

  statement {
    sid       = "ReadDevStateOnlyAsItsRoles"
    effect    = "Deny"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = ["arn:${local.partition}:s3:::${local.state_name}/acme/dev/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "ArnNotEquals"
      variable = "aws:PrincipalArn"
      values = [
        "arn:${local.partition}:iam::${local.account_id}:role/acme-deploy-dev",
        "arn:${local.partition}:iam::${local.account_id}:role/acme-plan",
      ]
    }
  }

  statement {
    sid       = "WriteTestStateOnlyAsItsDeployRole"
    effect    = "Deny"
    actions   = ["s3:DeleteObject", "s3:PutObject"]
    resources = ["arn:${local.partition}:s3:::${local.state_name}/acme/test/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "ArnNotEquals"
      variable = "aws:PrincipalArn"
      values   = ["arn:${local.partition}:iam::${local.account_id}:role/acme-deploy-test"]
    }
  }

  statement {
    sid       = "ReadTestStateOnlyAsItsRoles"
    effect    = "Deny"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = ["arn:${local.partition}:s3:::${local.state_name}/acme/test/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "ArnNotEquals"
      variable = "aws:PrincipalArn"
      values   = ["arn:${local.partition}:iam::${local.account_id}:role/acme-deploy-test"]
    }
  }

  statement {
    sid       = "WriteProdStateOnlyAsItsDeployRole"
    effect    = "Deny"
    actions   = ["s3:DeleteObject", "s3:PutObject"]
    resources = ["arn:${local.partition}:s3:::${local.state_name}/acme/prod/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "ArnNotEquals"
      variable = "aws:PrincipalArn"
      values   = ["arn:${local.partition}:iam::${local.account_id}:role/acme-deploy-prod"]
    }
  }

  statement {
    sid       = "ReadProdStateOnlyAsItsRoles"
    effect    = "Deny"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = ["arn:${local.partition}:s3:::${local.state_name}/acme/prod/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "ArnNotEquals"
      variable = "aws:PrincipalArn"
      values   = ["arn:${local.partition}:iam::${local.account_id}:role/acme-deploy-prod"]
    }
  }
}
