"""What the CI deploy role of one environment may manage: only the kinds the manifest uses.

Every statement is scoped to the environment's own names (``<project>-<env>-*``,
``<project>/<env>/*``, ...). Actions are exact names, except read-only verb
prefixes (``Describe*``, ``Get*``, ``List*``) where the AWS provider reads many
attributes of a resource it manages; no statement has ``*`` or ``<service>:*``.

Resource patterns are templates: ``{p}`` partition, ``{r}`` region, ``{a}``
account id, ``{n}`` the environment's name prefix (``acme-prod``), ``{project}``
and ``{env}``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from trellis.manifest import Manifest


@dataclass(frozen=True)
class DeployStatement:
    sid: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    #: ``(test, variable, values)`` conditions.
    conditions: tuple[tuple[str, str, tuple[str, ...]], ...] = field(default=())


_QUEUE = (
    DeployStatement(
        "ManageQueues",
        (
            "sqs:CreateQueue",
            "sqs:DeleteQueue",
            "sqs:GetQueueAttributes",
            "sqs:GetQueueUrl",
            "sqs:ListDeadLetterSourceQueues",
            "sqs:ListQueueTags",
            "sqs:SetQueueAttributes",
            "sqs:TagQueue",
            "sqs:UntagQueue",
        ),
        ("arn:{p}:sqs:{r}:{a}:{n}-*",),
    ),
)

_TABLE = (
    DeployStatement(
        "ManageTables",
        (
            "dynamodb:CreateTable",
            "dynamodb:DeleteTable",
            "dynamodb:Describe*",
            "dynamodb:List*",
            "dynamodb:TagResource",
            "dynamodb:UntagResource",
            "dynamodb:UpdateContinuousBackups",
            "dynamodb:UpdateTable",
            "dynamodb:UpdateTimeToLive",
        ),
        ("arn:{p}:dynamodb:{r}:{a}:table/{n}-*", "arn:{p}:dynamodb:{r}:{a}:table/{n}-*/index/*"),
    ),
)

_BUCKET = (
    DeployStatement(
        "ManageBuckets",
        (
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
        ),
        ("arn:{p}:s3:::{n}-*",),
    ),
)

_TOPIC = (
    DeployStatement(
        "ManageTopics",
        (
            "sns:CreateTopic",
            "sns:DeleteTopic",
            "sns:GetSubscriptionAttributes",
            "sns:GetTopicAttributes",
            "sns:ListSubscriptionsByTopic",
            "sns:ListTagsForResource",
            "sns:SetSubscriptionAttributes",
            "sns:SetTopicAttributes",
            "sns:Subscribe",
            "sns:TagResource",
            "sns:Unsubscribe",
            "sns:UntagResource",
        ),
        ("arn:{p}:sns:{r}:{a}:{n}-*",),
    ),
)

_SECRET = (
    DeployStatement(
        "ManageSecrets",
        (
            "secretsmanager:CreateSecret",
            "secretsmanager:DeleteSecret",
            "secretsmanager:DescribeSecret",
            "secretsmanager:GetResourcePolicy",
            "secretsmanager:PutSecretValue",
            "secretsmanager:TagResource",
            "secretsmanager:UntagResource",
            "secretsmanager:UpdateSecret",
        ),
        ("arn:{p}:secretsmanager:{r}:{a}:secret:{project}/{env}/*",),
    ),
)

_PARAMETER = (
    DeployStatement(
        "ManageParameters",
        (
            "ssm:AddTagsToResource",
            "ssm:DeleteParameter",
            "ssm:GetParameter",
            "ssm:GetParameters",
            "ssm:ListTagsForResource",
            "ssm:PutParameter",
            "ssm:RemoveTagsFromResource",
        ),
        ("arn:{p}:ssm:{r}:{a}:parameter/{project}/{env}/*",),
    ),
    # DescribeParameters has no resource type: it can only be granted on "*".
    DeployStatement("DescribeParameters", ("ssm:DescribeParameters",), ("*",)),
)

_SCHEDULE = (
    DeployStatement(
        "ManageSchedules",
        (
            "scheduler:CreateSchedule",
            "scheduler:DeleteSchedule",
            "scheduler:GetSchedule",
            "scheduler:UpdateSchedule",
        ),
        ("arn:{p}:scheduler:{r}:{a}:schedule/default/{n}-*",),
    ),
)

_LAMBDA = (
    DeployStatement(
        "ManageFunctions",
        (
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
        ),
        ("arn:{p}:lambda:{r}:{a}:function:{n}-*",),
    ),
    DeployStatement(
        "ManageEventSourceMappings",
        (
            "lambda:CreateEventSourceMapping",
            "lambda:DeleteEventSourceMapping",
            "lambda:GetEventSourceMapping",
            "lambda:UpdateEventSourceMapping",
        ),
        ("*",),
        (("StringLike", "lambda:FunctionArn", ("arn:{p}:lambda:{r}:{a}:function:{n}-*",)),),
    ),
)

_APPRUNNER = (
    DeployStatement(
        "ManageAppRunnerServices",
        (
            "apprunner:CreateAutoScalingConfiguration",
            "apprunner:CreateService",
            "apprunner:DeleteAutoScalingConfiguration",
            "apprunner:DeleteService",
            "apprunner:DescribeAutoScalingConfiguration",
            "apprunner:DescribeService",
            "apprunner:ListOperations",
            "apprunner:ListTagsForResource",
            "apprunner:TagResource",
            "apprunner:UntagResource",
            "apprunner:UpdateService",
        ),
        (
            "arn:{p}:apprunner:{r}:{a}:service/{n}-*",
            "arn:{p}:apprunner:{r}:{a}:autoscalingconfiguration/{n}-*",
        ),
    ),
)

_ECS_EXPRESS = (
    DeployStatement(
        "ManageEcsExpressServices",
        (
            "ecs:CreateExpressGatewayService",
            "ecs:DeleteExpressGatewayService",
            "ecs:DescribeExpressGatewayService",
            "ecs:DescribeServiceDeployments",
            "ecs:ListServiceDeployments",
            "ecs:ListTagsForResource",
            "ecs:TagResource",
            "ecs:UntagResource",
            "ecs:UpdateExpressGatewayService",
        ),
        ("arn:{p}:ecs:{r}:{a}:service/*/{n}-*", "arn:{p}:ecs:{r}:{a}:service-deployment/*/{n}-*"),
    ),
)

_GATEWAY = (
    DeployStatement(
        "ManageRestApis",
        (
            "apigateway:DELETE",
            "apigateway:GET",
            "apigateway:PATCH",
            "apigateway:POST",
            "apigateway:PUT",
        ),
        (
            "arn:{p}:apigateway:{r}::/restapis",
            "arn:{p}:apigateway:{r}::/restapis/*",
            "arn:{p}:apigateway:{r}::/apikeys",
            "arn:{p}:apigateway:{r}::/apikeys/*",
            "arn:{p}:apigateway:{r}::/usageplans",
            "arn:{p}:apigateway:{r}::/usageplans/*",
            "arn:{p}:apigateway:{r}::/tags/*",
        ),
    ),
)

#: Always needed: logs, alarms, the alarm topic lookup and the roles of services and schedules.
_COMMON = (
    DeployStatement(
        "ManageLogGroups",
        (
            "logs:AssociateKmsKey",
            "logs:CreateLogGroup",
            "logs:DeleteLogGroup",
            "logs:DisassociateKmsKey",
            "logs:ListTagsForResource",
            "logs:PutRetentionPolicy",
            "logs:TagResource",
            "logs:UntagResource",
        ),
        (
            "arn:{p}:logs:{r}:{a}:log-group:/aws/lambda/{n}-*",
            "arn:{p}:logs:{r}:{a}:log-group:/aws/apigateway/{n}/*",
            "arn:{p}:logs:{r}:{a}:log-group:/ecs/{n}-*",
        ),
    ),
    # DescribeLogGroups and sns:ListTopics (the alarm topic lookup) have no resource type.
    DeployStatement("DescribeAccount", ("logs:DescribeLogGroups", "sns:ListTopics"), ("*",)),
    DeployStatement(
        "ManageAlarms",
        (
            "cloudwatch:DeleteAlarms",
            "cloudwatch:DescribeAlarms",
            "cloudwatch:ListTagsForResource",
            "cloudwatch:PutMetricAlarm",
            "cloudwatch:TagResource",
            "cloudwatch:UntagResource",
        ),
        ("arn:{p}:cloudwatch:{r}:{a}:alarm:{n}-*",),
    ),
    DeployStatement(
        "ReadAlarmTopic",
        ("sns:GetTopicAttributes", "sns:ListTagsForResource"),
        ("arn:{p}:sns:{r}:{a}:{n}-alarms",),
    ),
    DeployStatement(
        "CreateRolesUnderBoundary",
        (
            "iam:AttachRolePolicy",
            "iam:CreateRole",
            "iam:DeleteRolePolicy",
            "iam:DetachRolePolicy",
            "iam:PutRolePermissionsBoundary",
            "iam:PutRolePolicy",
        ),
        ("arn:{p}:iam::{a}:role/{n}-*",),
        (("StringEquals", "iam:PermissionsBoundary", ("{boundary}",)),),
    ),
    DeployStatement(
        "ManageOwnRoles",
        (
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
        ),
        ("arn:{p}:iam::{a}:role/{n}-*",),
    ),
    DeployStatement(
        "PassOwnRolesToServices",
        ("iam:PassRole",),
        ("arn:{p}:iam::{a}:role/{n}-*",),
        (
            (
                "StringEquals",
                "iam:PassedToService",
                (
                    "apprunner.amazonaws.com",
                    "ecs-tasks.amazonaws.com",
                    "ecs.amazonaws.com",
                    "lambda.amazonaws.com",
                    "scheduler.amazonaws.com",
                ),
            ),
        ),
    ),
)

# --- auth (issue 14): the gateway's origin secret and the JWT authorizer's function -------

#: A stack with routed container services keeps the gateway's origin secret
#: (``<project>/<env>/_trellis-origin``): Terraform generates it, writes it and reads it back.
_ORIGIN_SECRET = (
    DeployStatement(
        "ManageOriginSecret",
        (
            "secretsmanager:CreateSecret",
            "secretsmanager:DeleteSecret",
            "secretsmanager:DescribeSecret",
            "secretsmanager:GetResourcePolicy",
            "secretsmanager:GetSecretValue",
            "secretsmanager:PutSecretValue",
            "secretsmanager:TagResource",
            "secretsmanager:UntagResource",
            "secretsmanager:UpdateSecret",
        ),
        ("arn:{p}:secretsmanager:{r}:{a}:secret:{project}/{env}/_trellis-origin-*",),
    ),
    # GetRandomPassword has no resource type: it can only be granted on "*".
    DeployStatement("GenerateOriginSecret", ("secretsmanager:GetRandomPassword",), ("*",)),
)


def _uses_jwt(manifest: Manifest) -> bool:
    return any(
        spec.route is not None and "jwt" in manifest.auth_modes(name)
        for name, spec in manifest.services.items()
    )


def _has_routed_containers(manifest: Manifest) -> bool:
    return any(s.route is not None and s.runtime != "lambda" for s in manifest.services.values())


_BY_KIND: Final = {
    "queue": _QUEUE,
    "table": _TABLE,
    "bucket": _BUCKET,
    "topic": _TOPIC,
    "secret": _SECRET,
    "parameter": _PARAMETER,
    "schedule": _SCHEDULE,
}
_BY_RUNTIME: Final = {"lambda": _LAMBDA, "apprunner": _APPRUNNER, "ecs-express": _ECS_EXPRESS}


def deploy_statements(manifest: Manifest) -> list[DeployStatement]:
    """The deploy role's statements for the kinds and runtimes ``manifest`` uses, in a fixed order."""
    kinds = {kind for kind, _name, _spec in manifest.resources()}
    runtimes = {spec.runtime for spec in manifest.services.values()}
    statements: list[DeployStatement] = []
    for kind, group in _BY_KIND.items():
        if kind in kinds:
            statements.extend(group)
    if _uses_jwt(manifest):
        # The JWT authorizer is a Lambda function ({n}-jwt_authz), whatever the services run on.
        runtimes.add("lambda")
    for runtime, group in _BY_RUNTIME.items():
        if runtime in runtimes:
            statements.extend(group)
    if any(spec.route for spec in manifest.services.values()):
        statements.extend(_GATEWAY)
    if _has_routed_containers(manifest):
        statements.extend(_ORIGIN_SECRET)
    statements.extend(_COMMON)
    return statements


def used_deploy_kinds(manifest: Manifest) -> list[str]:
    """The resource kinds and runtimes the deploy role gets management permissions for."""
    kinds = [k for k in _BY_KIND if any(k == kind for kind, _n, _s in manifest.resources())]
    runtimes = [
        r
        for r in _BY_RUNTIME
        if any(s.runtime == r for s in manifest.services.values())
        or (r == "lambda" and _uses_jwt(manifest))
    ]
    gateway = ["gateway"] if any(s.route for s in manifest.services.values()) else []
    origin = ["origin-secret"] if _has_routed_containers(manifest) else []
    return kinds + runtimes + gateway + origin
