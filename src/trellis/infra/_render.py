"""Render the Terraform root configuration and the bootstrap permissions from the manifest.

One function per file; every value comes from the manifest through the same code
the local stack uses: names from :mod:`trellis.naming`, IAM statements from
:func:`trellis.iam.service_statements` (with ARNs as Terraform templates), env
vars from :func:`trellis.wiring.service_environment` (with addresses as module
outputs). Output is deterministic and formatted by ``terraform fmt``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Final

from trellis import naming
from trellis.iam import Arns, physical_resource_name, service_statements
from trellis.infra._deploy import (
    ENV_TAG,
    TERRAFORM_WORKFLOW,
    DeployStatement,
    boundary_name,
    boundary_statements,
    deploy_policy_parts,
    plan_environment,
    plan_statements,
    state_bucket_statements,
    used_deploy_kinds,
)
from trellis.infra._hcl import Block, Expr, Tpl, attributes, document, format_texts
from trellis.infra._hcl import value as hcl_value
from trellis.infra.addresses import TerraformAddresses, module_name
from trellis.manifest import HEALTH_PATH, ApiKeyPlan, JwtAuth, Manifest
from trellis.naming import ResourceKind
from trellis.wiring import service_environment

#: The environment as a Terraform template, fed to the naming functions.
ENV: Final = "${var.environment}"
#: ARNs as Terraform templates: the same ``Arns.of`` the local IAM uses.
TF_ARNS: Final = Arns(
    region="${local.region}", account_id="${local.account_id}", partition="${local.partition}"
)
AWS_PROVIDER_VERSION: Final = ">= 6.23, < 7.0"
TERRAFORM_VERSION: Final = ">= 1.11"

HEADER: Final = (
    "Rendered by `trellis generate` from {manifest}: do not edit.\n"
    "Change {manifest} and run `trellis generate`; `trellis check` fails while this file is stale."
)
#: The first line of every rendered file: how generate/check recognise their own files.
MARKER: Final = "# Rendered by `trellis generate`"

MODULE_SOURCE: Final[dict[str, str]] = {
    "queue": "./modules/sqs-queue",
    "table": "./modules/dynamodb-table",
    "bucket": "./modules/s3-bucket",
    "topic": "./modules/sns-topic",
    "secret": "./modules/secret",
    "parameter": "./modules/ssm-parameter",
    "schedule": "./modules/schedule",
    "lambda": "./modules/lambda-service",
    "apprunner": "./modules/apprunner-service",
    "ecs-express": "./modules/ecs-express-service",
}

#: Per-environment settings: (log retention days, deletion protection, alarm actions, production).
_PRODUCTION_NAMES: Final = ("prod", "production", "prd", "live")


class RenderError(ValueError):
    """The manifest asks for something the Terraform modules cannot express."""


def boundary_policy_name(manifest: Manifest, env: str = ENV) -> str:
    """The boundary bootstrap/ creates for ``env``; every role of that environment carries it."""
    return boundary_name(manifest.project.name, env)


def production_environment(manifest: Manifest) -> str:
    """The environment treated as production: one named prod/production/prd/live, else the last."""
    envs = manifest.project.environments
    return next((e for e in envs if e in _PRODUCTION_NAMES), envs[-1])


def _module_label(kind: str, name: str) -> str:
    if kind == "service":
        return f"{name.replace('-', '_')}_service"
    return module_name(kind, name)  # type: ignore[arg-type]


def _physical(manifest: Manifest, name: str) -> Tpl:
    return Tpl(naming.physical_name(manifest.project.name, ENV, name))


def _header(manifest_name: str) -> str:
    return HEADER.format(manifest=manifest_name)


# --- root files -----------------------------------------------------------------


def _versions(manifest: Manifest) -> list[Block]:
    terraform = Block("terraform").attr("required_version", TERRAFORM_VERSION)
    terraform.block(
        Block("required_providers").attr(
            "aws", {"source": "hashicorp/aws", "version": AWS_PROVIDER_VERSION}
        )
    )
    terraform.block(
        Block(
            "backend",
            ["s3"],
            comment="Settings per environment: environments/<env>.backend.hcl (+ bucket=...)",
        )
    )
    provider = Block("provider", ["aws"]).attr("region", Expr("var.region"))
    provider.block(Block("default_tags").attr("tags", Expr("local.tags")))
    return [terraform, provider]


def _variables(manifest: Manifest) -> list[Block]:
    envs = manifest.project.environments
    runtimes = {s.runtime for s in manifest.services.values()}
    blocks = [
        Block("variable", ["environment"])
        .attr("description", "Environment to deploy: one of the manifest's environments.")
        .attr("type", Expr("string"))
        .block(
            Block("validation")
            .attr("condition", Expr(f"contains({json.dumps(envs)}, var.environment)"))
            .attr("error_message", f"The environment is one of: {', '.join(envs)}.")
        ),
        Block("variable", ["region"])
        .attr("description", "AWS region of the stack.")
        .attr("type", Expr("string"))
        .attr("default", manifest.project.region),
        Block("variable", ["production"])
        .attr(
            "description",
            "Production environment: point-in-time recovery on every table, whatever the manifest says.",
        )
        .attr("type", Expr("bool"))
        .attr("default", False),
        Block("variable", ["log_retention_days"])
        .attr("description", "Days CloudWatch keeps service and gateway logs.")
        .attr("type", Expr("number"))
        .attr("default", 30),
        Block("variable", ["deletion_protection"])
        .attr("description", "Deletion protection on tables whose manifest entry asks for it.")
        .attr("type", Expr("bool"))
        .attr("default", True),
        Block("variable", ["alarm_actions_enabled"])
        .attr(
            "description",
            "Send alarms to the <project>-<env>-alarms SNS topic (created by bootstrap/).",
        )
        .attr("type", Expr("bool"))
        .attr("default", False),
    ]
    if "lambda" in runtimes or jwt_authorizers(manifest):
        blocks.append(
            Block("variable", ["artifacts_dir"])
            .attr(
                "description",
                "Directory (relative to terraform/) holding one <service>.zip Lambda package per service.",
            )
            .attr("type", Expr("string"))
            .attr("default", "../dist")
        )
    containers = sorted(s for s, spec in manifest.services.items() if spec.runtime != "lambda")
    if containers:
        blocks.append(
            Block("variable", ["container_images"])
            .attr("description", "ECR image URI (tag or digest) of each container service.")
            .attr("type", Expr("map(string)"))
            .block(
                Block("validation")
                .attr(
                    "condition",
                    Expr(
                        f"length(setsubtract({json.dumps(containers)}, keys(var.container_images))) == 0"
                    ),
                )
                .attr("error_message", f"Give an image for: {', '.join(containers)}.")
            )
        )
    return blocks


def _main(manifest: Manifest) -> list[Block]:
    project = manifest.project.name
    return [
        Block("data", ["aws_caller_identity", "current"]),
        Block("data", ["aws_partition", "current"]),
        Block("data", ["aws_sns_topic", "alarms"])
        .attr("count", Expr("var.alarm_actions_enabled ? 1 : 0"))
        .attr("name", Tpl(f"{project}-{ENV}-alarms")),
        Block("locals")
        .attr("project", project)
        .attr("region", Expr("var.region"))
        .attr("account_id", Expr("data.aws_caller_identity.current.account_id"))
        .attr("partition", Expr("data.aws_partition.current.partition"))
        .attr("alarm_actions", Expr("[for t in data.aws_sns_topic.alarms : t.arn]"))
        .attr(
            "permissions_boundary_arn",
            Tpl(
                f"arn:${{data.aws_partition.current.partition}}:iam::${{data.aws_caller_identity.current.account_id}}:policy/{boundary_policy_name(manifest)}"
            ),
        )
        .attr(
            "tags",
            {
                "trellis-project": project,
                # The deploy role reaches resources whose ARNs carry no name by this tag.
                ENV_TAG: Expr("var.environment"),
                "managed-by": "trellis",
            },
        ),
    ]


def _publishers(manifest: Manifest, queue: str) -> list[dict[str, Any]]:
    """AWS services that send to ``queue``: bucket notifications and topic subscriptions."""
    project = manifest.project.name
    out: list[dict[str, Any]] = []
    for bucket, spec in manifest.buckets.items():
        if any(n.queue == queue for n in spec.notifications):
            arn = TF_ARNS.of("bucket", physical_resource_name(manifest, "bucket", bucket, ENV))
            out.append({"service": "s3.amazonaws.com", "source_arn": Tpl(arn)})
    for topic, tspec in manifest.topics.items():
        if queue in tspec.subscriptions:
            physical = naming.physical_name(project, ENV, topic) + (".fifo" if tspec.fifo else "")
            out.append(
                {"service": "sns.amazonaws.com", "source_arn": Tpl(TF_ARNS.of("topic", physical))}
            )
    return out


def _resource_module(manifest: Manifest, kind: ResourceKind, name: str) -> Block:
    project = manifest.project.name
    m = Block("module", [_module_label(kind, name)]).attr("source", MODULE_SOURCE[kind])
    if kind == "queue":
        q = manifest.queues[name]
        (
            m.attr("name", _physical(manifest, name))
            .attr("fifo", q.fifo)
            .attr("visibility_timeout_seconds", q.visibility_timeout_s)
            .attr("message_retention_seconds", q.retention_s)
            .attr("dlq_message_retention_seconds", q.dlq_retention_s)
            .attr("max_message_size", q.max_message_bytes)
            .attr("delay_seconds", q.delay_s)
            .attr("receive_wait_time_seconds", q.receive_wait_s)
            .attr("max_receive_count", q.max_receive_count)
            .attr("publishers", _publishers(manifest, name))
            .attr("alarm_actions", Expr("local.alarm_actions"))
        )
    elif kind == "table":
        t = manifest.tables[name]
        m.attr("name", Tpl(physical_resource_name(manifest, "table", name, ENV)))
        m.attr("hash_key", t.hash_key).attr("hash_key_type", t.hash_key_type)
        if t.range_key:
            m.attr("range_key", t.range_key).attr("range_key_type", t.range_key_type)
        if t.indexes:
            m.attr(
                "global_secondary_indexes",
                {
                    index: {
                        "hash_key": i.hash_key,
                        "hash_key_type": i.hash_key_type,
                        **(
                            {"range_key": i.range_key, "range_key_type": i.range_key_type}
                            if i.range_key
                            else {}
                        ),
                        "projection_type": i.projection,
                    }
                    for index, i in t.indexes.items()
                },
            )
        if t.ttl_attribute:
            m.attr("ttl_attribute", t.ttl_attribute)
        m.attr("billing_mode", "PROVISIONED" if t.billing == "provisioned" else "PAY_PER_REQUEST")
        if t.billing == "provisioned":
            m.attr("read_capacity", t.read_capacity).attr("write_capacity", t.write_capacity)
        m.attr(
            "point_in_time_recovery",
            True if t.point_in_time_recovery else Expr("var.production"),
        )
        m.attr(
            "deletion_protection",
            Expr("var.deletion_protection") if t.deletion_protection else False,
        )
    elif kind == "bucket":
        b = manifest.buckets[name]
        for i, note in enumerate(b.notifications):
            if manifest.queues[note.queue].fifo:
                raise RenderError(
                    f"buckets.{name}.notifications.{i}.queue: S3 cannot notify a FIFO queue "
                    f"({note.queue!r}); use a standard queue"
                )
        m.attr("name", Tpl(physical_resource_name(manifest, "bucket", name, ENV)))
        m.attr("versioning", b.versioning)
        if b.cors_origins:
            m.attr("cors_allowed_origins", list(b.cors_origins))
        if b.notifications:
            m.attr(
                "queue_notifications",
                [
                    {
                        "queue_arn": Expr(f"module.{_module_label('queue', n.queue)}.arn"),
                        "events": list(n.events),
                        "prefix": n.prefix,
                        "suffix": n.suffix,
                    }
                    for n in b.notifications
                ],
            )
            # S3 checks the queue policy when it saves the notification.
            m.attr(
                "depends_on",
                [
                    Expr(f"module.{_module_label('queue', q)}")
                    for q in dict.fromkeys(n.queue for n in b.notifications)
                ],
            )
    elif kind == "topic":
        tp = manifest.topics[name]
        for i, sub in enumerate(tp.subscriptions):
            if manifest.queues[sub].fifo != tp.fifo:
                raise RenderError(
                    f"topics.{name}.subscriptions.{i}: a {'FIFO' if tp.fifo else 'standard'} topic "
                    f"needs {'FIFO' if tp.fifo else 'standard'} queues ({sub!r} is not)"
                )
        m.attr("name", _physical(manifest, name)).attr("fifo", tp.fifo)
        if tp.subscriptions:
            m.attr(
                "queue_subscriptions",
                {
                    q: {
                        "queue_arn": Expr(f"module.{_module_label('queue', q)}.arn"),
                        "raw_delivery": tp.raw_delivery,
                    }
                    for q in tp.subscriptions
                },
            )
    elif kind == "secret":
        s = manifest.secrets[name]
        m.attr("name", Tpl(naming.secret_name(project, ENV, name)))
        if s.description:
            m.attr("description", s.description)
    elif kind == "parameter":
        p = manifest.parameters[name]
        m.attr("name", Tpl(naming.parameter_name(project, ENV, name)))
        if p.value is not None:
            m.attr("value", p.value)
        m.attr("secure", p.secure)
        if p.description:
            m.attr("description", p.description)
    else:
        sch = manifest.schedules[name]
        m.attr("name", _physical(manifest, name)).attr("schedule_expression", sch.expression)
        if sch.target in manifest.queues:
            m.attr("target_kind", "sqs")
            m.attr("target_arn", Expr(f"module.{_module_label('queue', sch.target)}.arn"))
            if manifest.queues[sch.target].fifo:
                m.attr("message_group_id", name)
        else:
            if manifest.services[sch.target].runtime != "lambda":
                raise RenderError(
                    f"schedules.{name}.target: a schedule targets a queue or a Lambda service; "
                    f"{sch.target!r} runs on {manifest.services[sch.target].runtime}"
                )
            m.attr("target_kind", "lambda")
            m.attr("target_arn", Expr(f"module.{_module_label('service', sch.target)}.arn"))
        m.attr("input", json.dumps(sch.payload, sort_keys=True, separators=(",", ":")))
        m.attr("permissions_boundary_arn", Expr("local.permissions_boundary_arn"))
    return m


def _policy_document(manifest: Manifest, service: str) -> Block:
    """The execution-role policy: ``trellis.iam.service_statements`` with Terraform ARNs."""
    doc = Block(
        "data",
        ["aws_iam_policy_document", service.replace("-", "_")],
        comment=f"Exactly the access levels services.{service}.uses declares (trellis.iam).",
    )
    for s in service_statements(manifest, service, ENV, TF_ARNS):
        st = (
            Block("statement")
            .attr("sid", s.sid)
            .attr("actions", sorted(s.actions))
            .attr("resources", [Tpl(r) for r in s.resources])
        )
        for test, variable, values in s.conditions:
            st.block(
                Block("condition")
                .attr("test", test)
                .attr("variable", variable)
                .attr("values", [Tpl(v) for v in values])
            )
        doc.block(st)
    return doc


def _service(manifest: Manifest, service: str) -> list[Block]:
    spec = manifest.services[service]
    has_policy = bool(service_statements(manifest, service, ENV, TF_ARNS))
    env_vars = service_environment(manifest, service, ENV, TerraformAddresses())
    label = _module_label("service", service)
    policy = f"data.aws_iam_policy_document.{service.replace('-', '_')}.json"
    m = Block("module", [label]).attr("source", MODULE_SOURCE[spec.runtime])
    m.attr("name", _physical(manifest, service))
    if spec.runtime == "lambda":
        handler = manifest.lambda_handler(service)
        m.attr("package_file", Tpl(f"${{var.artifacts_dir}}/{service}.zip"))
        m.attr("handler", handler)
        m.attr("memory_mb", spec.memory_mb).attr("timeout_seconds", spec.timeout_s)
        if spec.reserved_concurrency is not None:
            m.attr("reserved_concurrency", spec.reserved_concurrency)
    else:
        m.attr("image", Expr(f'var.container_images["{service}"]'))
        m.attr("port", spec.port)
    # Only derived values are templates; what the manifest's `env` says is a literal
    # (a `${...}` in it must never be evaluated by Terraform on the CI runner).
    m.attr(
        "environment_variables",
        {k: v if k in spec.env else Tpl(v) for k, v in env_vars.items()},
    )
    if has_policy:
        m.attr("policy_json", Expr(policy))
    m.attr("permissions_boundary_arn", Expr("local.permissions_boundary_arn"))
    if spec.runtime == "lambda":
        sources = {
            queue: {
                "queue_arn": Expr(f"module.{_module_label('queue', queue)}.arn"),
                "batch_size": manifest.queues[queue].batch_size,
                "batching_window_seconds": manifest.queues[queue].batching_window_s,
                "max_concurrency": manifest.queues[queue].max_concurrency,
            }
            for queue, levels in manifest.uses(service, "queue")
            if "consume" in levels
        }
        if sources:
            m.attr("sqs_event_sources", sources)
        m.attr("log_retention_days", Expr("var.log_retention_days"))
        m.attr("alarm_actions", Expr("local.alarm_actions"))
    elif spec.runtime == "ecs-express":
        m.attr("log_retention_days", Expr("var.log_retention_days"))
        # bootstrap/ makes it (it manages load balancers: no service boundary fits it).
        m.attr(
            "infrastructure_role_arn",
            Tpl(
                f"arn:${{local.partition}}:iam::${{local.account_id}}:role/{manifest.project.name}-ecs-infrastructure-{ENV}"
            ),
        )
    consumes = [q for q, levels in manifest.uses(service, "queue") if "consume" in levels]
    if consumes and spec.runtime != "lambda":
        m.comment = f"Consumes {', '.join(consumes)} with its own loop (no event source mapping for containers)."
    return [_policy_document(manifest, service), m] if has_policy else [m]


#: The Lambda package of the JWT authorizer (``trellis build --all`` writes it when needed).
AUTHORIZER_PACKAGE: Final = "trellis_jwt_authorizer.zip"
AUTHORIZER_HANDLER: Final = "trellis.authorizer.handler"


def jwt_authorizers(manifest: Manifest) -> dict[str, tuple[JwtAuth, list[str]]]:
    """Each JWT issuer config the gateway needs an authorizer for, with the services using it.

    ``default`` is the project's ``[auth.jwt]``; a service with its own
    ``[services.<name>.jwt]`` gets an authorizer named after it.
    """
    out: dict[str, tuple[JwtAuth, list[str]]] = {}
    for service, spec in manifest.services.items():
        if spec.route is None or "jwt" not in manifest.auth_modes(service):
            continue
        key = service if spec.jwt is not None else "default"
        config = manifest.jwt_config(service)
        assert config is not None  # the manifest refuses jwt without an issuer
        out.setdefault(key, (config, []))[1].append(service)
    return out


def _authorizer_environment(manifest: Manifest, config: JwtAuth) -> dict[str, Any]:
    """The authorizer's env vars; a value some environment overrides becomes a map lookup."""
    envs = manifest.project.environments

    def values(env: str) -> dict[str, str]:
        c = config.for_environment(env)
        out = {"TRELLIS_JWT_ISSUER": c.issuer, "TRELLIS_JWT_AUDIENCE": ",".join(c.audience)}
        if c.jwks_url:
            out["TRELLIS_JWT_JWKS_URL"] = c.jwks_url
        return out

    per_env = {env: values(env) for env in envs}
    names = dict.fromkeys(name for env in envs for name in per_env[env])
    result: dict[str, Any] = {}
    for name in names:
        seen = {per_env[env].get(name, "") for env in envs}
        if len(seen) == 1:
            result[name] = seen.pop()
        else:
            # A map literal of plain (escaped) strings: no manifest text becomes an expression.
            table = hcl_value({env: per_env[env].get(name, "") for env in envs})
            result[name] = Expr(f"{table}[var.environment]")
    return result


def _authorizer_function_name(manifest: Manifest, key: str) -> str:
    # "_" cannot appear in a service name: no clash with a service's function.
    owner = "" if key == "default" else f"{key}-"
    return naming.physical_name(manifest.project.name, ENV, f"{owner}jwt_authz")


def _authorizer_modules(manifest: Manifest) -> list[Block]:
    blocks = []
    longest_env = max(manifest.project.environments, key=len)
    for key, (config, services) in jwt_authorizers(manifest).items():
        name = _authorizer_function_name(manifest, key)
        if len(name.replace(ENV, longest_env)) > naming.MAX_LENGTH["function"]:
            raise RenderError(
                f"services.{services[0]}.jwt: the authorizer's function name "
                f"{name.replace(ENV, longest_env)!r} is over the Lambda limit of "
                f"{naming.MAX_LENGTH['function']} characters"
            )
        env = _authorizer_environment(manifest, config)
        blocks.append(
            Block(
                "module",
                [f"jwt_authorizer_{key.replace('-', '_')}"],
                comment=f"Verifies the bearer tokens of {', '.join(services)} (trellis.authorizer).",
            )
            .attr("source", MODULE_SOURCE["lambda"])
            .attr("name", Tpl(name))
            .attr("package_file", Tpl(f"${{var.artifacts_dir}}/{AUTHORIZER_PACKAGE}"))
            .attr("handler", AUTHORIZER_HANDLER)
            .attr("memory_mb", 256)
            .attr("timeout_seconds", 5)
            .attr("environment_variables", env)
            .attr("permissions_boundary_arn", Expr("local.permissions_boundary_arn"))
            .attr("log_retention_days", Expr("var.log_retention_days"))
            .attr("alarm_actions", Expr("local.alarm_actions"))
        )
    return blocks


def _route_paths(manifest: Manifest, service: str, authorizer: str | None) -> dict[str, Any]:
    """The module's ``paths``: ``/health`` open, each ``route_auth`` prefix and its parents."""

    def node(mode: str, greedy: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {"auth": mode}
        if mode == "jwt":
            out["jwt_authorizer"] = authorizer
        if not greedy:
            out["greedy"] = False
        return out

    paths: dict[str, Any] = {HEALTH_PATH.strip("/"): node("none", greedy=False)}
    for prefix in manifest.services[service].route_auth:
        parts = prefix.strip("/").split("/")
        for depth in range(1, len(parts) + 1):
            path = "/".join(parts[:depth])
            mode = manifest.auth_for(service, "/" + path)
            assert mode is not None
            paths[path] = node(mode)
    return dict(sorted(paths.items()))


def _gateway(manifest: Manifest) -> list[Block]:
    routes: dict[str, dict[str, Any]] = {}
    authorizers = jwt_authorizers(manifest)
    authorizer_of = {s: key for key, (_c, services) in authorizers.items() for s in services}
    containers = False
    for service, spec in manifest.services.items():
        if spec.route is None:
            continue
        part = spec.route.strip("/")
        if "/" in part:
            raise RenderError(
                f"services.{service}.route: the api-gateway module routes one path segment "
                f"(e.g. /{part.split('/')[0]}); {spec.route} has several"
            )
        label = _module_label("service", service)
        if spec.runtime == "lambda":
            route: dict[str, Any] = {
                "path_part": part,
                "lambda_function_name": Expr(f"module.{label}.function_name"),
                "lambda_invoke_arn": Expr(f"module.{label}.invoke_arn"),
            }
        else:
            containers = True
            route = {"path_part": part, "http_url": Expr(f"module.{label}.url")}
        assert spec.auth is not None  # the manifest refuses a routed service without auth
        authorizer = authorizer_of.get(service)
        route["auth"] = spec.auth
        if spec.auth == "jwt":
            route["jwt_authorizer"] = authorizer
        route["paths"] = _route_paths(manifest, service, authorizer)
        if "api_key" in manifest.auth_modes(service):
            plan = spec.api_key or ApiKeyPlan()
            route["usage_plan"] = {
                "rate_limit": plan.rate_limit,
                "burst_limit": plan.burst_limit,
                **({"quota_per_day": plan.quota_per_day} if plan.quota_per_day else {}),
            }
        routes[service] = route
    if not routes:
        return []
    blocks = _authorizer_modules(manifest)
    gateway = (
        Block("module", ["gateway"])
        .attr("source", "./modules/api-gateway")
        .attr("name", Tpl(f"{manifest.project.name}-{ENV}"))
        .attr("routes", routes)
    )
    if authorizers:
        gateway.attr(
            "jwt_authorizers",
            {
                key: {
                    "function_name": Expr(
                        f"module.jwt_authorizer_{key.replace('-', '_')}.function_name"
                    ),
                    "invoke_arn": Expr(f"module.jwt_authorizer_{key.replace('-', '_')}.invoke_arn"),
                }
                for key in authorizers
            },
        )
    if containers:
        blocks.extend(_origin_secret(manifest))
        gateway.attr("origin_secret", Expr("terraform_data.origin_secret.output"))
    gateway.attr("log_retention_days", Expr("var.log_retention_days"))
    blocks.append(gateway)
    return blocks


def _origin_secret(manifest: Manifest) -> list[Block]:
    """The gateway's origin secret: generated once, kept in Secrets Manager, sent to containers.

    Generated by Terraform itself (two ``uuid()``, 244 random bits, kept by
    ``ignore_changes``): no data source, so a plan needs no permission, and the
    value is written to Secrets Manager write-only, so the deploy role never reads
    a secret value. It is in the state all the same: the integration sends it.
    """
    name = naming.origin_secret_name(manifest.project.name, ENV)
    return [
        Block(
            "resource",
            ["terraform_data", "origin_secret"],
            comment="Container services refuse requests without it (X-Trellis-Origin): "
            "their own URLs bypass the gateway's auth, throttling and logs otherwise. "
            "Rotate: terraform apply -replace=terraform_data.origin_secret",
        )
        .attr("input", Expr('"${replace(uuid(), "-", "")}${replace(uuid(), "-", "")}"'))
        .block(Block("lifecycle").attr("ignore_changes", Expr("[input]"))),
        Block("resource", ["aws_secretsmanager_secret", "origin"])
        .attr("name", Tpl(name))
        .attr("description", "Proof that a request came through the API gateway (Trellis).")
        .attr("recovery_window_in_days", 7),
        Block("resource", ["aws_secretsmanager_secret_version", "origin"])
        .attr("secret_id", Expr("aws_secretsmanager_secret.origin.id"))
        .attr("secret_string_wo", Expr("terraform_data.origin_secret.output"))
        .attr("secret_string_wo_version", 1)
        .block(
            Block("lifecycle").attr("replace_triggered_by", Expr("[terraform_data.origin_secret]"))
        ),
    ]


def _outputs(manifest: Manifest) -> list[Block]:
    blocks: list[Block] = []
    if any(s.route for s in manifest.services.values()):
        blocks.append(
            Block("output", ["gateway_url"])
            .attr("description", "Base URL of the API gateway; services are under /<route>/.")
            .attr("value", Expr("module.gateway.invoke_url"))
        )
    blocks.append(
        Block("output", ["service_role_arns"])
        .attr("description", "The own role of each service.")
        .attr(
            "value",
            {s: Expr(f"module.{_module_label('service', s)}.role_arn") for s in manifest.services},
        )
    )
    return blocks


def _file_name(kind: str, name: str) -> str:
    return f"terraform/{kind}_{name.replace('-', '_')}.tf"


def _tfvars(manifest: Manifest, env: str) -> dict[str, Any]:
    prod = env == production_environment(manifest)
    return {
        "environment": env,
        "production": prod,
        "log_retention_days": 365 if prod else 14,
        "deletion_protection": prod,
        "alarm_actions_enabled": prod,
    }


def _backend(manifest: Manifest, env: str) -> dict[str, Any]:
    return {
        "key": f"{manifest.project.name}/{env}/terraform.tfstate",
        "region": manifest.project.region,
        "encrypt": True,
        "use_lockfile": True,
    }


def _root_files(manifest: Manifest, manifest_name: str) -> Iterator[tuple[str, str]]:
    header = _header(manifest_name)
    yield "terraform/versions.tf", document(header, _versions(manifest))
    yield "terraform/variables.tf", document(header, _variables(manifest))
    yield "terraform/main.tf", document(header, _main(manifest))
    for kind, name, _spec in manifest.resources():
        yield _file_name(kind, name), document(header, [_resource_module(manifest, kind, name)])
    for service in manifest.services:
        yield _file_name("service", service), document(header, _service(manifest, service))
    gateway = _gateway(manifest)
    if gateway:
        yield "terraform/gateway.tf", document(header, gateway)
    yield "terraform/outputs.tf", document(header, _outputs(manifest))
    backend_header = (
        header + "\nterraform init -backend-config=environments/{env}.backend.hcl "
        "-backend-config=bucket=<state bucket from bootstrap/>"
    )
    for env in manifest.project.environments:
        yield f"terraform/environments/{env}.tfvars", attributes(header, _tfvars(manifest, env))
        yield (
            f"terraform/environments/{env}.backend.hcl",
            attributes(backend_header.format(env=env), _backend(manifest, env)),
        )


# --- bootstrap ----------------------------------------------------------------


def _deploy_value(template: str) -> Tpl:
    return Tpl(
        template.replace("{p}", "${local.partition}")
        .replace("{r}", "${local.region}")
        .replace("{a}", "${local.account_id}")
        .replace("{state}", "${local.state_name}")
    )


def _document(label: str, statements: list[DeployStatement], comment: str) -> Block:
    doc = Block("data", ["aws_iam_policy_document", label], comment=comment)
    for s in statements:
        st = Block("statement").attr("sid", s.sid)
        if s.effect != "Allow":
            st.attr("effect", s.effect)
        st.attr("not_actions" if s.not_actions else "actions", sorted(s.actions))
        st.attr(
            "not_resources" if s.not_resources else "resources",
            [_deploy_value(r) for r in s.resources],
        )
        if s.principal is not None:
            st.block(Block("principals").attr("type", "*").attr("identifiers", [s.principal]))
        for test, variable, values in s.conditions:
            st.block(
                Block("condition")
                .attr("test", test)
                .attr("variable", variable)
                .attr("values", [_deploy_value(v) for v in values])
            )
        doc.block(st)
    return doc


def _deploy_refs(manifest: Manifest) -> dict[str, list[str]]:
    """The git refs each environment deploys from: main for the first, release tags after it."""
    envs = manifest.project.environments
    return {env: ["refs/heads/main"] if i == 0 else ["refs/tags/v*"] for i, env in enumerate(envs)}


def _bootstrap_blocks(manifest: Manifest) -> list[Block]:
    containers = sorted(s for s, spec in manifest.services.items() if spec.runtime != "lambda")
    envs = manifest.project.environments
    parts = {env: deploy_policy_parts(manifest, env) for env in envs}
    locals_ = (
        Block("locals")
        .attr("project", manifest.project.name)
        .attr("region", manifest.project.region)
        .attr("github_repository", manifest.project.github_repository)
        .attr("environments", list(envs))
        .attr("plan_environment", plan_environment(manifest))
        .attr("terraform_workflow", TERRAFORM_WORKFLOW)
        .attr("default_deploy_refs", _deploy_refs(manifest))
        .attr("container_services", containers)
        .attr(
            "uses_ecs_express", any(s.runtime == "ecs-express" for s in manifest.services.values())
        )
        .attr("deploy_kinds", used_deploy_kinds(manifest))
        .attr("boundary_names", {env: boundary_policy_name(manifest, env) for env in envs})
        .attr(
            "deploy_policies",
            {
                env: [
                    Expr(f"data.aws_iam_policy_document.deploy_{env}_{i}.json")
                    for i in range(1, len(parts[env]) + 1)
                ]
                for env in envs
            },
        )
        .attr(
            "boundary_policies",
            {env: Expr(f"data.aws_iam_policy_document.boundary_{env}.json") for env in envs},
        )
        .attr("plan_policy", Expr("data.aws_iam_policy_document.plan.json"))
        .attr("state_bucket_policy", Expr("data.aws_iam_policy_document.state_bucket.json"))
    )
    blocks = [locals_]
    for env in envs:
        for i, part in enumerate(parts[env], start=1):
            blocks.append(
                _document(
                    f"deploy_{env}_{i}",
                    part,
                    f"What the {env} deploy role may do ({i} of {len(parts[env])}): "
                    f"the kinds the manifest uses, {env}'s names only.",
                )
            )
    for env in envs:
        blocks.append(
            _document(
                f"boundary_{env}",
                boundary_statements(manifest, env),
                f"The most any role the {env} deploy role creates may do.",
            )
        )
    blocks.append(
        _document(
            "plan",
            plan_statements(manifest),
            f"Pull requests plan {plan_environment(manifest)} with -refresh=false: its state, read only.",
        )
    )
    blocks.append(
        _document(
            "state_bucket",
            state_bucket_statements(manifest),
            "Each environment's state: written only by its deploy role.",
        )
    )
    return blocks


def render(manifest: Manifest, manifest_name: str = "trellis.toml") -> dict[str, str]:
    """Every rendered file, by path relative to the project root, formatted by ``terraform fmt``."""
    files = dict(_root_files(manifest, manifest_name))
    files["bootstrap/manifest.tf"] = document(_header(manifest_name), _bootstrap_blocks(manifest))
    return dict(sorted(format_texts(files).items()))
