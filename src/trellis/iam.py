"""Access levels → exact IAM actions, scoped to the ARNs of the resources a service uses.

The same statements feed the Terraform execution roles and the local IAM
identities, so a permission that is missing locally is missing in AWS too. Each
kind's levels, ARNs and statement shapes are in its registry entry
(:mod:`trellis.kinds`); this module puts a service's grants together.

>>> actions_for("queue", "send")
('sqs:SendMessage', 'sqs:GetQueueAttributes')
"""

from __future__ import annotations

from typing import Any, Final

from trellis import kinds, naming, tracing
from trellis.kinds import DLQ_ACTIONS, Arns, Grant, ResourceKind, Statement
from trellis.kinds._encryption import customer_key, key_statement
from trellis.manifest import Manifest

__all__ = [
    "ACTIONS",
    "DLQ_ACTIONS",
    "Arns",
    "Statement",
    "actions_for",
    "physical_resource_name",
    "service_policy",
    "service_statements",
]

#: Exact actions per access level of each kind (batch APIs authorise as their single-item
#: action: ``SendMessageBatch`` → ``sqs:SendMessage``, ``ListObjectsV2`` → ``s3:ListBucket``).
ACTIONS: Final[dict[ResourceKind, dict[str, tuple[str, ...]]]] = {
    k.name: dict(k.levels) for k in kinds.KINDS
}


def actions_for(kind: ResourceKind, level: str) -> tuple[str, ...]:
    """The IAM actions one access level grants (``readwrite`` is ``read`` + ``write``)."""
    return kinds.kind(kind).levels[level]


def physical_resource_name(manifest: Manifest, kind: ResourceKind, name: str, env: str) -> str:
    """The AWS name of a manifest resource in ``env`` (see :func:`trellis.naming.resource_name`)."""
    return naming.resource_name(manifest, kind, name, env)


def _sid(resource: str, kind: ResourceKind) -> str:
    return "".join(part.capitalize() for part in f"{resource}_{kind}".replace("-", "_").split("_"))


def resource_statements(
    manifest: Manifest,
    service: str,
    resource: str,
    levels: tuple[str, ...] | list[str],
    env: str,
    arns: Arns,
) -> list[Statement]:
    """The statements ``levels`` of ``resource`` give ``service`` (its kind's shape)."""
    entry, spec = manifest.resource(resource)
    physical = entry.physical_name(manifest.project.name, env, resource, spec)
    grant = Grant(
        service=service,
        resource=resource,
        spec=spec,
        levels=tuple(levels),
        project=manifest.project.name,
        env=env,
        arns=arns,
        actions=entry.actions(levels),
        arn=arns.of(entry.name, physical),
        sid=_sid(resource, entry.name),
        encrypted=customer_key(manifest),
    )
    return [*entry.statements(grant), *entry.key_statements(grant)]


def service_statements(manifest: Manifest, service: str, env: str, arns: Arns) -> list[Statement]:
    """The statements of each used resource (its kind's shape), then the origin secret's."""
    project = manifest.project.name
    statements: list[Statement] = []
    for resource, levels in manifest.uses(service):
        statements.extend(resource_statements(manifest, service, resource, levels, env, arns))
    spec_ = manifest.services[service]
    if spec_.route is not None and spec_.runtime != "lambda":
        # A routed container checks each request for the gateway's origin secret.
        origin = naming.origin_secret_name(project, env)
        statements.append(
            Statement(
                "GatewayOriginSecret",
                ("secretsmanager:GetSecretValue",),
                (arns.of("secret", origin),),
                (),
                "the gateway's origin secret",
            )
        )
        if customer_key(manifest):
            # Terraform encrypts the origin secret with the environment's key too.
            origin_grant: Grant[Any] = Grant(
                service=service,
                resource="the gateway's origin secret",
                spec=None,
                levels=(),
                project=project,
                env=env,
                arns=arns,
                actions=(),
                arn="",
                sid="GatewayOriginSecret",
                encrypted=True,
            )
            statements.append(key_statement(origin_grant, ("kms:Decrypt",), "secretsmanager"))
    if spec_.tracing and spec_.runtime != "lambda":
        # The OTLP traces endpoint authorizes as xray:PutTraceSegments, which has no resource
        # type: "*" is the narrowest grant. (A Lambda function's module grants it already:
        # Active tracing writes the function's own segments with the same action.)
        statements.append(
            Statement("WriteTraces", tracing.TRACES_ACTIONS, ("*",), (), "X-Ray (tracing = true)")
        )
    return statements


def service_policy(manifest: Manifest, service: str, env: str, arns: Arns) -> dict[str, Any]:
    """The execution-role policy document of ``service`` in ``env``."""
    return {
        "Version": "2012-10-17",
        "Statement": [s.as_json() for s in service_statements(manifest, service, env, arns)],
    }
