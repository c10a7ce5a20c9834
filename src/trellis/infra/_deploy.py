"""The deploy layer's policies: what each environment's deploy role, its boundary, the plan role
and the state bucket allow, derived from the manifest.

One environment's deploy role reaches only that environment:

- its identity policy manages the kinds and runtimes the manifest uses, on that
  environment's names (``<project>-<env>-*``, ``<project>/<env>/*``); resources
  whose ARNs carry no name (REST APIs, API keys, usage plans, event source
  mappings) are reached through the ``trellis-environment`` tag every resource
  gets from the provider's ``default_tags`` (or the function they belong to);
- explicit denies make sure of it: no action on another environment's names or
  on the state bucket beyond its own prefix, and no data-plane action at all
  (items, messages, objects, secret values, invocations), so a resource policy
  it writes can never grant it data access;
- roles it creates carry that environment's boundary, which allows the
  data-plane actions of the manifest's kinds on that environment's names only
  and explicitly denies every other environment's names and the state bucket.

The plan role (pull requests) may read one environment's state and nothing else:
plans run with ``-refresh=false``, which reads no resource.

Resources and condition values are templates: ``{p}`` partition, ``{r}``
region, ``{a}`` account id, ``{state}`` the state bucket's name. Everything
else (project, environments, names) is resolved here, so the rendered
``bootstrap/manifest.tf`` and ``trellis iam deploy`` show literal names.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Final

from trellis import kinds
from trellis.kinds import Condition, DeployStatement, EnvScope
from trellis.kinds._database import MASTER_SECRET_ARNS, MASTER_SECRET_TAGS
from trellis.kinds._encryption import (
    customer_key,
    key_boundary_statements,
    key_deploy_denials,
    key_deploy_statements,
)
from trellis.kinds._network import network_deploy_statements, other_environments_network_deny
from trellis.manifest import DB_ADMIN, Manifest

#: The tag every rendered resource carries (provider ``default_tags``): the environment.
ENV_TAG: Final = "trellis-environment"
#: The reusable workflow that plans and applies (``job_workflow_ref`` of the deploy tokens).
TERRAFORM_WORKFLOW: Final = ".github/workflows/terraform.yaml"

__all__ = [
    "ENV_TAG",
    "TERRAFORM_WORKFLOW",
    "Account",
    "Condition",
    "DeployStatement",
    "boundary_statements",
    "deploy_documents",
    "deploy_policy_parts",
    "deploy_statements",
    "plan_environment",
    "plan_statements",
    "policy_document",
    "state_bucket_statements",
    "used_deploy_kinds",
]


@dataclass(frozen=True)
class Account:
    """Where a bootstrap runs: what the templates' placeholders stand for."""

    account_id: str
    partition: str = "aws"
    region: str = "us-east-1"

    def state_bucket(self, manifest: Manifest) -> str:
        return state_bucket_name(manifest.project.name, self.account_id)


def state_bucket_name(project: str, account_id: str) -> str:
    """The Terraform state bucket bootstrap/ creates."""
    return f"{project}-tfstate-{account_id}"


def deploy_role_name(project: str, env: str) -> str:
    """Outside ``<project>-<env>-*`` (the names it manages): it can never edit itself."""
    return f"{project}-deploy-{env}"


def plan_role_name(project: str) -> str:
    return f"{project}-plan"


def boundary_name(project: str, env: str) -> str:
    """The permissions boundary of every role an environment's deploy role creates."""
    return f"{project}-boundary-{env}"


def plan_environment(manifest: Manifest) -> str:
    """The environment pull requests are planned against: the first one."""
    return manifest.project.environments[0]


# --- names of one environment -------------------------------------------------------------


class _Names(EnvScope):
    """ARN patterns of everything one environment may own."""

    def owned(self) -> tuple[str, ...]:
        """Every named ARN pattern of the environment, whatever the manifest uses."""
        n = self.n
        return (
            *(arn for entry in kinds.KINDS for arn in entry.owned_arns(self)),
            f"arn:{{p}}:lambda:{{r}}:{{a}}:function:{n}-*",
            # Services, auto scaling configurations, VPC connectors: <type>/<name>/...
            f"arn:{{p}}:apprunner:{{r}}:{{a}}:*/{n}-*",
            f"arn:{{p}}:ecs:{{r}}:{{a}}:service/*/{n}-*",
            f"arn:{{p}}:logs:{{r}}:{{a}}:log-group:/aws/lambda/{n}-*",
            f"arn:{{p}}:logs:{{r}}:{{a}}:log-group:/aws/apigateway/{n}/*",
            f"arn:{{p}}:logs:{{r}}:{{a}}:log-group:/ecs/{n}-*",
            f"arn:{{p}}:cloudwatch:{{r}}:{{a}}:alarm:{n}-*",
            f"arn:{{p}}:iam::{{a}}:role/{n}-*",
        )


def _state_objects(project: str, env: str) -> str:
    return f"arn:{{p}}:s3:::{{state}}/{project}/{env}/*"


def _role_arn(name: str) -> str:
    return f"arn:{{p}}:iam::{{a}}:role/{name}"


# --- the deploy role's management statements, per runtime (each kind's are in its entry) ------


def _own_function_arn(x: _Names) -> str:
    return f"arn:{{p}}:lambda:{{r}}:{{a}}:function:{x.n}-*"


def _lambda(x: _Names) -> Iterator[DeployStatement]:
    yield DeployStatement(
        "ManageFunctions",
        (
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
        ),
        # Also the qualified ARNs (``function:<name>:live``, ``:<version>``) of SnapStart.
        (_own_function_arn(x),),
    )
    # A function's resource policy: only API Gateway may be let in (no other account, no URL).
    yield DeployStatement(
        "LetApiGatewayInvokeFunctions",
        ("lambda:AddPermission",),
        (_own_function_arn(x),),
        (("StringEquals", "lambda:Principal", ("apigateway.amazonaws.com",)),),
    )
    # Event source mappings have UUID ARNs: scoped by the function they feed.
    yield DeployStatement(
        "CreateEventSourceMappings",
        ("lambda:CreateEventSourceMapping",),
        ("*",),
        (("ArnLike", "lambda:FunctionArn", (_own_function_arn(x),)),),
    )
    yield DeployStatement(
        "ManageEventSourceMappings",
        (
            "lambda:DeleteEventSourceMapping",
            "lambda:GetEventSourceMapping",
            "lambda:UpdateEventSourceMapping",
        ),
        (_esm_arn(),),
        (("ArnLike", "lambda:FunctionArn", (_own_function_arn(x),)),),
    )
    # Tags of a mapping (default_tags): only mappings that carry this environment's tag, or
    # new ones being created with it.
    yield DeployStatement(
        "TagEventSourceMappings",
        ("lambda:ListTags", "lambda:TagResource", "lambda:UntagResource"),
        (_esm_arn(),),
        (
            ("StringEqualsIfExists", f"aws:ResourceTag/{ENV_TAG}", (x.env,)),
            ("StringEqualsIfExists", f"aws:RequestTag/{ENV_TAG}", (x.env,)),
        ),
    )


def _esm_arn() -> str:
    return "arn:{p}:lambda:{r}:{a}:event-source-mapping:*"


def _apprunner(x: _Names) -> Iterator[DeployStatement]:
    yield DeployStatement(
        "ManageAppRunnerServices",
        (
            "apprunner:CreateAutoScalingConfiguration",
            "apprunner:CreateService",
            "apprunner:DeleteAutoScalingConfiguration",
            "apprunner:DeleteService",
            "apprunner:DescribeAutoScalingConfiguration",
            "apprunner:DescribeService",
            "apprunner:ListTagsForResource",
            "apprunner:TagResource",
            "apprunner:UntagResource",
            "apprunner:UpdateService",
        ),
        (
            f"arn:{{p}}:apprunner:{{r}}:{{a}}:service/{x.n}-*",
            f"arn:{{p}}:apprunner:{{r}}:{{a}}:autoscalingconfiguration/{x.n}-*",
        ),
    )


def _apprunner_vpc_connectors(x: _Names) -> Iterator[DeployStatement]:
    """An App Runner service that uses a database or cache egresses through its VPC connector.

    Granted wherever App Runner and the network meet (the module holds the connector at
    count 0 otherwise): the environment's own connector names; the subnets and security
    group it goes in are read with ``DescribeNetwork``'s EC2 describe calls.
    """
    yield DeployStatement(
        "ManageAppRunnerVpcConnectors",
        (
            "apprunner:CreateVpcConnector",
            "apprunner:DeleteVpcConnector",
            "apprunner:DescribeVpcConnector",
            "apprunner:ListTagsForResource",
            "apprunner:TagResource",
            "apprunner:UntagResource",
        ),
        (f"arn:{{p}}:apprunner:{{r}}:{{a}}:vpcconnector/{x.n}-*",),
    )
    # CreateService/UpdateService with network_configuration are authorised on the connector.
    yield DeployStatement(
        "ServicesUseOwnVpcConnectors",
        ("apprunner:CreateService", "apprunner:UpdateService"),
        (f"arn:{{p}}:apprunner:{{r}}:{{a}}:vpcconnector/{x.n}-*",),
    )


def _ecs_express(x: _Names) -> Iterator[DeployStatement]:
    yield DeployStatement(
        "ManageEcsExpressServices",
        (
            "ecs:CreateExpressGatewayService",
            "ecs:DeleteExpressGatewayService",
            "ecs:DescribeExpressGatewayService",
            "ecs:DescribeServiceDeployments",
            "ecs:DescribeServices",
            "ecs:ListServiceDeployments",
            "ecs:ListTagsForResource",
            "ecs:TagResource",
            "ecs:UntagResource",
            "ecs:UpdateExpressGatewayService",
        ),
        (
            f"arn:{{p}}:ecs:{{r}}:{{a}}:service/*/{x.n}-*",
            f"arn:{{p}}:ecs:{{r}}:{{a}}:service-deployment/*/{x.n}-*",
        ),
    )
    # bootstrap/ makes the infrastructure role (it manages load balancers: no boundary fits it).
    yield DeployStatement(
        "PassEcsInfrastructureRole",
        ("iam:PassRole",),
        (_role_arn(f"{x.project}-ecs-infrastructure-{x.env}"),),
        (("StringEquals", "iam:PassedToService", ("ecs.amazonaws.com",)),),
    )


#: API Gateway's REST API paths whose ids are random: reached through the environment tag.
_APIGATEWAY_COLLECTIONS: Final = ("restapis", "apikeys", "usageplans")


def _gateway(x: _Names) -> Iterator[DeployStatement]:
    base = "arn:{p}:apigateway:{r}::"
    tagged = (("StringEquals", f"aws:RequestTag/{ENV_TAG}", (x.env,)),)
    yield DeployStatement(
        "CreateRestApis",
        ("apigateway:POST",),
        tuple(f"{base}/{c}" for c in _APIGATEWAY_COLLECTIONS),
        tagged,
    )
    # Child resources (methods, stages, deployments, ...) are authorised with their
    # REST API's tags.
    yield DeployStatement(
        "ManageOwnRestApis",
        (
            "apigateway:DELETE",
            "apigateway:GET",
            "apigateway:PATCH",
            "apigateway:POST",
            "apigateway:PUT",
        ),
        tuple(f"{base}/{c}/*" for c in _APIGATEWAY_COLLECTIONS),
        (("StringEquals", f"aws:ResourceTag/{ENV_TAG}", (x.env,)),),
    )
    yield DeployStatement(
        "TagOwnRestApis",
        ("apigateway:DELETE", "apigateway:GET", "apigateway:PUT"),
        (f"{base}/tags/*",),
        (
            ("StringEqualsIfExists", f"aws:ResourceTag/{ENV_TAG}", (x.env,)),
            ("StringEqualsIfExists", f"aws:RequestTag/{ENV_TAG}", (x.env,)),
        ),
    )


def _alarm_subscriptions(x: _Names, manifest: Manifest) -> Iterator[DeployStatement]:
    """Email subscriptions to the environment's own alarm topic, when ``[alarms]`` routes to email.

    Granted to every environment's role once any environment routes alarms by email (the
    rendered configuration is one for all of them); an environment without addresses
    subscribes nobody, and no role can subscribe anything but an email address, nor to
    another environment's topic.
    """
    if not any(manifest.alarm_route(env).emails for env in manifest.project.environments):
        return
    yield DeployStatement(
        "SubscribeEmailsToOwnAlarmTopic",
        ("sns:Subscribe",),
        (f"arn:{{p}}:sns:{{r}}:{{a}}:{x.n}-alarms",),
        (("StringEquals", "sns:Protocol", ("email",)),),
    )
    if "topic" not in {kind for kind, _n, _s in manifest.resources()}:
        # The topic kind grants these otherwise (ManageSubscriptions): no resource type in IAM.
        yield DeployStatement(
            "ManageSubscriptions",
            ("sns:GetSubscriptionAttributes", "sns:SetSubscriptionAttributes", "sns:Unsubscribe"),
            ("*",),
        )


def _common(x: _Names, manifest: Manifest) -> Iterator[DeployStatement]:
    project, env, n = x.project, x.env, x.n
    yield DeployStatement(
        "ManageLogGroups",
        (
            "logs:CreateLogGroup",
            "logs:DeleteLogGroup",
            "logs:ListTagsForResource",
            "logs:PutRetentionPolicy",
            "logs:TagResource",
            "logs:UntagResource",
        ),
        (
            f"arn:{{p}}:logs:{{r}}:{{a}}:log-group:/aws/lambda/{n}-*",
            f"arn:{{p}}:logs:{{r}}:{{a}}:log-group:/aws/apigateway/{n}/*",
            f"arn:{{p}}:logs:{{r}}:{{a}}:log-group:/ecs/{n}-*",
        ),
    )
    # DescribeLogGroups has no resource type.
    yield DeployStatement("DescribeAccount", ("logs:DescribeLogGroups",), ("*",))
    yield DeployStatement(
        "ManageAlarms",
        (
            "cloudwatch:DeleteAlarms",
            "cloudwatch:DescribeAlarms",
            "cloudwatch:ListTagsForResource",
            "cloudwatch:PutMetricAlarm",
            "cloudwatch:TagResource",
            "cloudwatch:UntagResource",
        ),
        (f"arn:{{p}}:cloudwatch:{{r}}:{{a}}:alarm:{n}-*",),
    )
    yield from _alarm_subscriptions(x, manifest)
    # Every call that writes a role's permissions or trust needs the environment's boundary
    # on that role; roles are named <project>-<env>-*.
    boundary = f"arn:{{p}}:iam::{{a}}:policy/{boundary_name(project, env)}"
    yield DeployStatement(
        "WriteRolesUnderBoundary",
        (
            "iam:CreateRole",
            "iam:DeleteRole",
            "iam:DeleteRolePolicy",
            "iam:PutRolePermissionsBoundary",
            "iam:PutRolePolicy",
            "iam:UpdateAssumeRolePolicy",
        ),
        (f"arn:{{p}}:iam::{{a}}:role/{n}-*",),
        (("StringEquals", "iam:PermissionsBoundary", (boundary,)),),
    )
    managed = _managed_policies(manifest)
    if managed:
        yield DeployStatement(
            "AttachServiceManagedPolicies",
            ("iam:AttachRolePolicy", "iam:DetachRolePolicy"),
            (f"arn:{{p}}:iam::{{a}}:role/{n}-*",),
            (
                ("StringEquals", "iam:PermissionsBoundary", (boundary,)),
                ("ArnEquals", "iam:PolicyARN", managed),
            ),
        )
    yield DeployStatement(
        "ReadAndTagOwnRoles",
        (
            "iam:GetRole",
            "iam:GetRolePolicy",
            "iam:ListAttachedRolePolicies",
            "iam:ListInstanceProfilesForRole",
            "iam:ListRolePolicies",
            "iam:TagRole",
            "iam:UntagRole",
            "iam:UpdateRoleDescription",
        ),
        (f"arn:{{p}}:iam::{{a}}:role/{n}-*",),
    )
    yield DeployStatement(
        "PassOwnRolesToServices",
        ("iam:PassRole",),
        (f"arn:{{p}}:iam::{{a}}:role/{n}-*",),
        (
            (
                "StringEquals",
                "iam:PassedToService",
                tuple(sorted(_passed_to(manifest))),
            ),
        ),
    )
    linked = _service_linked_roles(manifest)
    if linked:
        # The first App Runner or ECS service of an account creates the service's own role.
        yield DeployStatement(
            "CreateServiceLinkedRoles",
            ("iam:CreateServiceLinkedRole",),
            tuple(f"arn:{{p}}:iam::{{a}}:role/aws-service-role/{svc}/*" for svc in linked),
            (("StringEquals", "iam:AWSServiceName", linked),),
        )
    # Its own state: list the prefix, read and write the state and its lock file.
    yield DeployStatement(
        "ListOwnState",
        ("s3:ListBucket",),
        ("arn:{p}:s3:::{state}",),
        (("StringLike", "s3:prefix", (f"{project}/{env}/*", "env:/*")),),
    )
    yield DeployStatement(
        "ReadWriteOwnState",
        ("s3:DeleteObject", "s3:GetObject", "s3:PutObject"),
        (_state_objects(project, env),),
    )


def _managed_policies(manifest: Manifest) -> tuple[str, ...]:
    runtimes = {s.runtime for s in manifest.services.values()}
    out = []
    if "apprunner" in runtimes:
        out.append("arn:{p}:iam::aws:policy/service-role/AWSAppRunnerServicePolicyForECRAccess")
    if "ecs-express" in runtimes:
        out.append("arn:{p}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy")
    return tuple(out)


def _service_linked_roles(manifest: Manifest) -> tuple[str, ...]:
    runtimes = {s.runtime for s in manifest.services.values()}
    linked = [
        svc
        for runtime, svc in (
            ("apprunner", "apprunner.amazonaws.com"),
            ("ecs-express", "ecs.amazonaws.com"),
        )
        if runtime in runtimes
    ]
    # RDS and ElastiCache make their own role (network interfaces) on the account's first use.
    if manifest.specs(kinds.DATABASE):
        linked.append("rds.amazonaws.com")
    if manifest.specs(kinds.CACHE):
        linked.append("elasticache.amazonaws.com")
    if "apprunner" in runtimes and manifest.needs_network():
        # App Runner's networking role makes a VPC connector's network interfaces.
        linked.append("networking.apprunner.amazonaws.com")
    return tuple(linked)


def _passed_to(manifest: Manifest) -> set[str]:
    runtimes = {s.runtime for s in manifest.services.values()}
    services = set()
    if "lambda" in runtimes or manifest.specs(kinds.DATABASE):
        services.add("lambda.amazonaws.com")
    if "apprunner" in runtimes:
        services.add("apprunner.amazonaws.com")
    if "ecs-express" in runtimes:
        services |= {"ecs-tasks.amazonaws.com", "ecs.amazonaws.com"}
    if manifest.specs(kinds.SCHEDULE):
        services.add("scheduler.amazonaws.com")
    return services or {"lambda.amazonaws.com"}


#: Data-plane actions: what services do with items, messages, objects, values and functions.
#: The deploy roles never need them, so they are denied outright, whatever a resource
#: policy (which a deploy role can write) might grant.
DATA_ACTIONS: Final = (
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
    "lambda:InvokeFunction",
    "lambda:InvokeFunctionUrl",
    "rds-db:connect",
    "secretsmanager:GetSecretValue",
    "sns:Publish",
    "sqs:ChangeMessageVisibility",
    "sqs:DeleteMessage",
    "sqs:PurgeQueue",
    "sqs:ReceiveMessage",
    "sqs:SendMessage",
)
#: Object actions, denied everywhere but the role's own state prefix.
OBJECT_ACTIONS: Final = (
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:PutObject",
    "s3:PutObjectAcl",
    "s3:RestoreObject",
)


def db_admin_function_arn(x: EnvScope) -> str:
    """The environment's database admin function (``<project>-<env>-db-admin``)."""
    return f"arn:{{p}}:lambda:{{r}}:{{a}}:function:{x.n}-{DB_ADMIN}"


def _denials(manifest: Manifest, x: _Names) -> Iterator[DeployStatement]:
    project, env = manifest.project.name, x.env
    if manifest.specs(kinds.DATABASE):
        # The one invocation a deploy makes: its own environment's database admin function
        # (migrations before the new code is used). Every other function stays denied.
        yield DeployStatement(
            "DenyDataAccess",
            tuple(a for a in DATA_ACTIONS if a != "lambda:InvokeFunction"),
            ("*",),
            effect="Deny",
        )
        yield DeployStatement(
            "DenyInvokeButDbAdmin",
            ("lambda:InvokeFunction",),
            (db_admin_function_arn(x),),
            effect="Deny",
            not_resources=True,
        )
    else:
        yield DeployStatement("DenyDataAccess", DATA_ACTIONS, ("*",), effect="Deny")
    yield DeployStatement(
        "DenyObjectsButOwnState",
        OBJECT_ACTIONS,
        (_state_objects(project, env),),
        effect="Deny",
        not_resources=True,
    )
    others = [_Names(project, e) for e in manifest.project.environments if e != env]
    if others:
        yield DeployStatement(
            "DenyOtherEnvironments",
            ("*",),
            tuple(arn for other in others for arn in other.owned()),
            effect="Deny",
        )
        if manifest.needs_network():
            # VPC resources have ids in their ARNs: their environment is their tag.
            yield other_environments_network_deny(tuple(o.env for o in others))
    # The state bucket: nothing but its own objects (above) and listing its own prefix.
    yield DeployStatement(
        "DenyStateBucketSettings",
        ("s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket"),
        ("arn:{p}:s3:::{state}", "arn:{p}:s3:::{state}/*"),
        effect="Deny",
        not_actions=True,
    )


_BY_RUNTIME: Final = {"lambda": _lambda, "apprunner": _apprunner, "ecs-express": _ecs_express}


def _routed_containers(manifest: Manifest) -> bool:
    """Routed container services check the gateway's origin secret (``<project>/<env>/_trellis-origin``)."""
    return any(s.route is not None and s.runtime != "lambda" for s in manifest.services.values())


def _jwt_routes(manifest: Manifest) -> bool:
    """``jwt`` routes have a Lambda authorizer (``<project>-<env>-jwt_authz``)."""
    return any(
        s.route is not None and "jwt" in manifest.auth_modes(n)
        for n, s in manifest.services.items()
    )


def used_deploy_kinds(manifest: Manifest) -> list[str]:
    """The resource kinds and runtimes the deploy roles get management permissions for."""
    used = {kind for kind, _n, _s in manifest.resources()}
    runtimes = {s.runtime for s in manifest.services.values()}
    # Auth (issue 14): Terraform keeps the origin secret of routed containers (written
    # write-only, never read back) and deploys the JWT authorizer as a function.
    if _routed_containers(manifest):
        used.add("secret")
    if _jwt_routes(manifest):
        runtimes.add("lambda")
    if manifest.specs(kinds.DATABASE):
        runtimes.add("lambda")  # the admin function
    gateway = ["gateway"] if any(s.route for s in manifest.services.values()) else []
    network = ["network"] if manifest.needs_network() else []
    return (
        [k.name for k in kinds.KINDS if k.name in used]
        + [r for r in _BY_RUNTIME if r in runtimes]
        + gateway
        + network
    )


def deploy_statements(manifest: Manifest, env: str) -> list[DeployStatement]:
    """The identity policy of ``env``'s deploy role, in a fixed order."""
    x = _Names(manifest.project.name, env)
    used = used_deploy_kinds(manifest)
    statements: list[DeployStatement] = []
    for entry in kinds.KINDS:
        if entry.name in used:
            statements.extend(entry.deploy_statements(x))
    for runtime, rgroup in _BY_RUNTIME.items():
        if runtime in used:
            statements.extend(rgroup(x))
    if "gateway" in used:
        statements.extend(_gateway(x))
    if "network" in used:
        statements.extend(network_deploy_statements(x))
    if "apprunner" in used and "network" in used:
        statements.extend(_apprunner_vpc_connectors(x))
    if manifest.specs(kinds.DATABASE):
        statements.append(
            DeployStatement(
                "InvokeDbAdmin", ("lambda:InvokeFunction",), (db_admin_function_arn(x),)
            )
        )
    if customer_key(manifest):
        statements.extend(key_deploy_statements(x, manifest))
    statements.extend(_common(x, manifest))
    statements.extend(_denials(manifest, x))
    if customer_key(manifest):
        others = tuple(e for e in manifest.project.environments if e != env)
        statements.extend(key_deploy_denials(x, others))
    return statements


# --- the boundary of the roles an environment creates -------------------------------------------


def boundary_statements(manifest: Manifest, env: str) -> list[DeployStatement]:
    """The most any role of ``env`` may do: its kinds' data-plane actions on its own names."""
    project = manifest.project.name
    x = _Names(project, env)
    out: list[DeployStatement] = []
    used = dict.fromkeys(kind for kind, _n, _s in manifest.resources())
    for kind in used:
        entry = kinds.kind(kind)
        actions = entry.all_actions()
        if not actions:
            continue
        sid = "Data" + "".join(p.capitalize() for p in f"{kind}s".split("_"))
        out.append(DeployStatement(sid, actions, entry.data_arns(x)))
    out.append(
        DeployStatement(
            "OwnLogs",
            ("logs:CreateLogStream", "logs:PutLogEvents"),
            (
                f"arn:{{p}}:logs:{{r}}:{{a}}:log-group:/aws/lambda/{x.n}-*",
                f"arn:{{p}}:logs:{{r}}:{{a}}:log-group:/ecs/{x.n}-*",
            ),
        )
    )
    if customer_key(manifest):
        out.extend(
            key_boundary_statements(x, tuple(e for e in manifest.project.environments if e != env))
        )
    # X-Ray's actions have no resource type.
    out.append(
        DeployStatement("Traces", ("xray:PutTelemetryRecords", "xray:PutTraceSegments"), ("*",))
    )
    if _routed_containers(manifest) and "secret" not in used:
        # Routed containers read the gateway's origin secret with their own role.
        out.append(
            DeployStatement(
                "GatewayOriginSecret",
                ("secretsmanager:GetSecretValue",),
                kinds.SECRET.data_arns(x),
            )
        )
    if manifest.specs(kinds.DATABASE):
        # The admin function reads its databases' master secrets; RDS names them rds!...,
        # and tags them (aws: tags, which only AWS sets) with their cluster or instance.
        # The allow names no tag: the deny below takes every master secret that is not
        # tagged as one of this environment's databases (StringNotLike on both keys: a
        # missing tag counts as not matching), so the one statement pair says "own only"
        # — also against a resource policy that would open another environment's.
        out.append(
            DeployStatement(
                "DatabaseMasterSecrets", ("secretsmanager:GetSecretValue",), (MASTER_SECRET_ARNS,)
            )
        )
        out.append(
            DeployStatement(
                "DenyOtherDatabasesMasterSecrets",
                ("*",),
                (MASTER_SECRET_ARNS,),
                tuple(
                    ("StringNotLike", f"secretsmanager:ResourceTag/{tag}", (f"{arn}{x.n}-*",))
                    for tag, arn in MASTER_SECRET_TAGS.values()
                ),
                effect="Deny",
            )
        )
    if manifest.network_services() or manifest.specs(kinds.DATABASE):
        out.extend(_lambda_network_interfaces(x))
    runtimes = {s.runtime for s in manifest.services.values()}
    if "lambda" in runtimes and manifest.specs(kinds.SCHEDULE):
        out.append(
            DeployStatement(
                "ScheduleInvokesFunctions", ("lambda:InvokeFunction",), (_own_function_arn(x),)
            )
        )
    if runtimes - {"lambda"}:
        # Images are built once and promoted: the repositories are the project's, not an env's.
        out.append(
            DeployStatement(
                "PullImages",
                (
                    "ecr:BatchCheckLayerAvailability",
                    "ecr:BatchGetImage",
                    "ecr:DescribeImages",
                    "ecr:GetDownloadUrlForLayer",
                ),
                (f"arn:{{p}}:ecr:{{r}}:{{a}}:repository/{project}/*",),
            )
        )
        out.append(DeployStatement("EcrLogin", ("ecr:GetAuthorizationToken",), ("*",)))
    others = [_Names(project, e) for e in manifest.project.environments if e != env]
    denied = tuple(arn for other in others for arn in other.owned())
    out.append(
        DeployStatement(
            "DenyOtherEnvironmentsAndState",
            ("*",),
            (*denied, "arn:{p}:s3:::{state}", "arn:{p}:s3:::{state}/*"),
            effect="Deny",
        )
    )
    return _merge_unscoped(out)


def _merge_unscoped(statements: list[DeployStatement]) -> list[DeployStatement]:
    """One statement for the allowed actions that have no resource type (``"*"``, no condition).

    The boundary is one managed policy (6,144 characters): a statement's frame costs
    about a hundred of them, and X-Ray, ECR login and the network descriptions need
    none of their own.
    """
    unscoped = [
        s
        for s in statements
        if s.effect == "Allow"
        and s.resources == ("*",)
        and not (s.conditions or s.not_actions or s.not_resources)
    ]
    if len(unscoped) < 2:
        return statements
    merged = DeployStatement(
        "ActionsWithoutResourceTypes",
        tuple(sorted({a for s in unscoped for a in s.actions})),
        ("*",),
    )
    out: list[DeployStatement] = []
    for statement in statements:
        if statement in unscoped:
            if merged not in out:
                out.append(merged)
            continue
        out.append(statement)
    return out


def _lambda_network_interfaces(x: _Names) -> Iterator[DeployStatement]:
    """Lambda makes a VPC function's network interfaces with the function's own role.

    The subnets and security groups are the environment's (by tag); a new interface
    has no tag and no name, and deleting one names only its id: those are account-wide
    (each function's own policy pins them to its VPC: ``terraform/modules/lambda-service``).
    """
    own = (("StringEquals", f"aws:ResourceTag/{ENV_TAG}", (x.env,)),)
    yield DeployStatement(
        "NetworkInterfacesInOwnSubnets",
        ("ec2:CreateNetworkInterface",),
        ("arn:{p}:ec2:{r}:{a}:subnet/*", "arn:{p}:ec2:{r}:{a}:security-group/*"),
        own,
    )
    yield DeployStatement(
        "NetworkInterfaces",
        (
            "ec2:AssignPrivateIpAddresses",
            "ec2:CreateNetworkInterface",
            "ec2:DeleteNetworkInterface",
            "ec2:UnassignPrivateIpAddresses",
        ),
        ("arn:{p}:ec2:{r}:{a}:network-interface/*",),
    )
    yield DeployStatement(
        "DescribeNetworkInterfaces",
        ("ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"),
        ("*",),
    )


# --- the plan role and the state bucket -------------------------------------------------------


def plan_statements(manifest: Manifest) -> list[DeployStatement]:
    """Pull requests plan with ``-refresh=false``: one environment's state, read only."""
    project, env = manifest.project.name, plan_environment(manifest)
    return [
        DeployStatement(
            "ListPlannedState",
            ("s3:ListBucket",),
            ("arn:{p}:s3:::{state}",),
            (("StringLike", "s3:prefix", (f"{project}/{env}/*", "env:/*")),),
        ),
        DeployStatement("ReadPlannedState", ("s3:GetObject",), (_state_objects(project, env),)),
    ]


def state_bucket_statements(manifest: Manifest) -> list[DeployStatement]:
    """The state bucket's own policy: each prefix to its environment's deploy role only.

    Conditions on ``aws:PrincipalArn`` (not principals) so the policy can be written
    before the roles exist; an administrator keeps the bucket's settings, so the
    policy itself can always be changed.
    """
    project = manifest.project.name
    plan_env = plan_environment(manifest)
    out = []
    for env in manifest.project.environments:
        deployer = _role_arn(deploy_role_name(project, env))
        readers = (deployer, _role_arn(plan_role_name(project))) if env == plan_env else (deployer,)
        out.append(
            DeployStatement(
                f"Write{env.capitalize()}StateOnlyAsItsDeployRole",
                ("s3:DeleteObject", "s3:PutObject"),
                (_state_objects(project, env),),
                (("ArnNotEquals", "aws:PrincipalArn", (deployer,)),),
                effect="Deny",
                principal="*",
            )
        )
        out.append(
            DeployStatement(
                f"Read{env.capitalize()}StateOnlyAsItsRoles",
                ("s3:GetObject", "s3:GetObjectVersion"),
                (_state_objects(project, env),),
                (("ArnNotEquals", "aws:PrincipalArn", readers),),
                effect="Deny",
                principal="*",
            )
        )
    return out


# --- documents -------------------------------------------------------------------------------------


def resolve(template: str, manifest: Manifest, account: Account) -> str:
    """A template with its placeholders filled for ``account``."""
    return (
        template.replace("{p}", account.partition)
        .replace("{r}", account.region)
        .replace("{a}", account.account_id)
        .replace("{state}", account.state_bucket(manifest))
    )


def policy_document(
    statements: Sequence[DeployStatement], manifest: Manifest, account: Account
) -> dict[str, Any]:
    """IAM policy JSON with every placeholder resolved."""

    def r(value: str) -> str:
        return resolve(value, manifest, account)

    out = []
    for s in statements:
        st: dict[str, Any] = {"Sid": s.sid, "Effect": s.effect}
        if s.principal is not None:
            st["Principal"] = s.principal
        st["NotAction" if s.not_actions else "Action"] = sorted(s.actions)
        st["NotResource" if s.not_resources else "Resource"] = [r(x) for x in s.resources]
        if s.conditions:
            condition: dict[str, dict[str, list[str]]] = {}
            for test, key, values in s.conditions:
                condition.setdefault(test, {})[key] = [r(v) for v in values]
            st["Condition"] = condition
        out.append(st)
    return {"Version": "2012-10-17", "Statement": out}


#: IAM's limit on a managed policy, in characters without white space.
MANAGED_POLICY_LIMIT: Final = 6_144
#: Managed policies a role may have attached (the default quota).
ATTACHED_POLICY_LIMIT: Final = 10
#: The longest values the placeholders may take, to size policies for any account.
_WIDEST = Account(account_id="123456789012", partition="aws-us-gov", region="ap-southeast-3")


def _size(statements: Sequence[DeployStatement], manifest: Manifest) -> int:
    doc = policy_document(statements, manifest, _WIDEST)
    return len(re.sub(r"\s", "", json.dumps(doc, separators=(",", ":"))))


def deploy_policy_parts(manifest: Manifest, env: str) -> list[list[DeployStatement]]:
    """The deploy statements of ``env`` packed into managed policies that fit IAM's limit.

    One role's inline policies share 10,240 characters, which a stack of every kind
    outgrows; managed policies hold 6,144 each and a role may have ten.
    """
    parts: list[list[DeployStatement]] = [[]]
    for statement in deploy_statements(manifest, env):
        if parts[-1] and _size([*parts[-1], statement], manifest) > MANAGED_POLICY_LIMIT:
            parts.append([])
        parts[-1].append(statement)
    if len(parts) > ATTACHED_POLICY_LIMIT:
        raise ValueError(
            f"the {env} deploy role needs {len(parts)} managed policies, over IAM's "
            f"{ATTACHED_POLICY_LIMIT}"
        )
    return parts


def deploy_documents(manifest: Manifest, env: str, account: Account) -> dict[str, Any]:
    """What ``trellis iam deploy`` prints: one environment's deploy role, boundary, plan role."""
    project = manifest.project.name
    return {
        "environment": env,
        "deploy_role": {
            "name": deploy_role_name(project, env),
            "policies": [
                policy_document(part, manifest, account)
                for part in deploy_policy_parts(manifest, env)
            ],
        },
        "boundary": {
            "name": boundary_name(project, env),
            "policy": policy_document(boundary_statements(manifest, env), manifest, account),
        },
        "plan_role": {
            "name": plan_role_name(project),
            "environment": plan_environment(manifest),
            "policy": policy_document(plan_statements(manifest), manifest, account),
        },
        "state_bucket": {
            "name": account.state_bucket(manifest),
            "policy": policy_document(state_bucket_statements(manifest), manifest, account),
        },
    }
