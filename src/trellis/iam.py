"""Access levels → exact IAM actions, scoped to the ARNs of the resources a service uses.

The same statements feed the Terraform execution roles and the local IAM
identities, so a permission that is missing locally is missing in AWS too.

>>> actions_for("queue", "send")
('sqs:SendMessage', 'sqs:GetQueueAttributes')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from trellis import naming
from trellis.manifest import Manifest
from trellis.naming import ResourceKind

#: Exact actions per access level. Batch APIs authorise as their single-item action
#: (``SendMessageBatch`` → ``sqs:SendMessage``), ``ListObjectsV2`` as ``s3:ListBucket``.
ACTIONS: Final[dict[ResourceKind, dict[str, tuple[str, ...]]]] = {
    "queue": {
        "send": ("sqs:SendMessage", "sqs:GetQueueAttributes"),
        "consume": (
            "sqs:ReceiveMessage",
            "sqs:DeleteMessage",
            "sqs:ChangeMessageVisibility",
            "sqs:GetQueueAttributes",
        ),
    },
    # Only what the runtime's adapters and the example services call (``trellis iam
    # verify`` proves each one needed): no BatchGetItem, BatchWriteItem (bulk job
    # records go through conditional TransactWriteItems puts) or ConditionCheckItem.
    "table": {
        "read": ("dynamodb:GetItem", "dynamodb:Query", "dynamodb:DescribeTable"),
        # Key lookups only, for a service that never queries (the example worker).
        "get": ("dynamodb:GetItem", "dynamodb:DescribeTable"),
        # One kind of write each, for a service that needs only some (`trellis iam verify`
        # proves each grant on each table): the worker updates `files`, the api puts and
        # deletes them.
        "put": ("dynamodb:PutItem", "dynamodb:DescribeTable"),
        "update": ("dynamodb:UpdateItem", "dynamodb:DescribeTable"),
        "delete": ("dynamodb:DeleteItem", "dynamodb:DescribeTable"),
        "write": (
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:DeleteItem",
            "dynamodb:DescribeTable",
        ),
    },
    # Uploads are presigned single-part POSTs: no multipart upload to abort. Reading a given
    # version (``GetObject`` with ``VersionId``: the upload that was checked) is its own action.
    "bucket": {
        "read": ("s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket"),
        "write": ("s3:PutObject", "s3:DeleteObject"),
    },
    "topic": {"publish": ("sns:Publish", "sns:GetTopicAttributes")},
    "secret": {"read": ("secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret")},
    "parameter": {"read": ("ssm:GetParameter", "ssm:GetParameters")},
    "schedule": {},
}


#: What ``consume`` also grants on the queue's dead-letter queue.
DLQ_ACTIONS: Final[tuple[str, ...]] = ("sqs:SendMessage",)


def actions_for(kind: ResourceKind, level: str) -> tuple[str, ...]:
    """The IAM actions one access level grants; ``readwrite`` is ``read`` + ``write``."""
    table = ACTIONS[kind]
    if level == "readwrite":
        merged = table["read"] + table["write"]
        return tuple(dict.fromkeys(merged))
    return table[level]


@dataclass(frozen=True)
class Arns:
    """Where the resources live: region and account of the target (or the emulator)."""

    region: str
    account_id: str
    partition: str = "aws"

    def of(self, kind: ResourceKind, physical: str) -> str:
        p, r, a = self.partition, self.region, self.account_id
        if kind == "queue":
            return f"arn:{p}:sqs:{r}:{a}:{physical}"
        if kind == "table":
            return f"arn:{p}:dynamodb:{r}:{a}:table/{physical}"
        if kind == "bucket":
            return f"arn:{p}:s3:::{physical}"
        if kind == "topic":
            return f"arn:{p}:sns:{r}:{a}:{physical}"
        if kind == "secret":
            # Secrets Manager appends "-" and six random characters to the name.
            return f"arn:{p}:secretsmanager:{r}:{a}:secret:{physical}-??????"
        if kind == "parameter":
            return f"arn:{p}:ssm:{r}:{a}:parameter{physical}"
        return f"arn:{p}:scheduler:{r}:{a}:schedule/default/{physical}"


@dataclass(frozen=True)
class Statement:
    sid: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    #: ``(test, condition key, values)``, all of which must hold.
    conditions: tuple[tuple[str, str, tuple[str, ...]], ...] = ()
    #: The manifest resource the statement grants access to (``jobs``, ``jobs (DLQ)``).
    resource: str = ""

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "Sid": self.sid,
            "Effect": "Allow",
            "Action": sorted(self.actions),
            "Resource": list(self.resources) if len(self.resources) > 1 else self.resources[0],
        }
        if self.conditions:
            condition: dict[str, dict[str, Any]] = {}
            for test, key, values in self.conditions:
                condition.setdefault(test, {})[key] = list(values) if len(values) > 1 else values[0]
            out["Condition"] = condition
        return out


def physical_resource_name(manifest: Manifest, kind: ResourceKind, name: str, env: str) -> str:
    """The AWS name of a manifest resource in ``env``."""
    project = manifest.project.name
    if kind == "queue":
        return naming.queue_name(project, env, name, fifo=manifest.queues[name].fifo)
    if kind == "secret":
        return naming.secret_name(project, env, name)
    if kind == "parameter":
        return naming.parameter_name(project, env, name)
    return naming.physical_name(project, env, name)


def service_statements(manifest: Manifest, service: str, env: str, arns: Arns) -> list[Statement]:
    """One statement per used resource (two for buckets: bucket and objects)."""
    statements: list[Statement] = []
    for resource, levels in manifest.uses(service):
        kind = manifest.kind_of(resource)
        assert kind is not None  # the manifest validated every name in `uses`
        actions = tuple(dict.fromkeys(a for level in levels for a in actions_for(kind, level)))
        arn = arns.of(kind, physical_resource_name(manifest, kind, resource, env))
        sid = "".join(
            part.capitalize() for part in f"{resource}_{kind}".replace("-", "_").split("_")
        )
        if kind == "bucket":
            bucket_actions = tuple(a for a in actions if a == "s3:ListBucket")
            object_actions = tuple(a for a in actions if a != "s3:ListBucket")
            # Bucket ARNs carry no account and names are global: a bucket of the same
            # name in another account (deleted and re-created there) is not ours.
            own = (("StringEquals", "s3:ResourceAccount", (arns.account_id,)),)
            if bucket_actions:
                statements.append(Statement(sid + "List", bucket_actions, (arn,), own, resource))
            if object_actions:
                statements.append(
                    Statement(sid + "Objects", object_actions, (f"{arn}/*",), own, resource)
                )
        elif kind == "table":
            statements.append(Statement(sid, actions, (arn, f"{arn}/index/*"), (), resource))
        elif kind == "queue" and "consume" in levels:
            statements.append(Statement(sid, actions, (arn,), (), resource))
            # A consumer copies a message that failed its last allowed attempt to the DLQ
            # (trellis.runtime.jobs), so its status can say where the message is.
            dlq = naming.queue_name(
                manifest.project.name, env, resource, fifo=manifest.queues[resource].fifo, dlq=True
            )
            statements.append(
                Statement(
                    sid + "DeadLetter",
                    DLQ_ACTIONS,
                    (arns.of("queue", dlq),),
                    (),
                    f"{resource} (DLQ)",
                )
            )
        else:
            statements.append(Statement(sid, actions, (arn,), (), resource))
    spec = manifest.services[service]
    if spec.route is not None and spec.runtime != "lambda":
        # A routed container checks each request for the gateway's origin secret.
        origin = naming.origin_secret_name(manifest.project.name, env)
        statements.append(
            Statement(
                "GatewayOriginSecret",
                ("secretsmanager:GetSecretValue",),
                (arns.of("secret", origin),),
                (),
                "the gateway's origin secret",
            )
        )
    return statements


def service_policy(manifest: Manifest, service: str, env: str, arns: Arns) -> dict[str, Any]:
    """The execution-role policy document of ``service`` in ``env``."""
    return {
        "Version": "2012-10-17",
        "Statement": [s.as_json() for s in service_statements(manifest, service, env, arns)],
    }
