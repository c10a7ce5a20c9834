"""The runtime half of the kind registry: what a running service knows of each kind.

A service learns where its resources are from env vars (``JOBS_QUEUE_URL``,
``USERS_TABLE_NAME``): this table says which suffix each kind's variable has and
how ``/ready`` probes a resource of that kind. It ships in every Lambda package,
so it imports nothing of the manifest: :mod:`trellis.kinds` holds the rest of
each entry and takes its env var from here, so the two can never disagree.

A kind that hands services no address (a schedule) has no entry here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from trellis.runtime._clients import AwsClients

__all__ = ["RUNTIME_KINDS", "RuntimeKind", "runtime_kind_of_field"]


@dataclass(frozen=True)
class RuntimeKind:
    """One kind as a service sees it: the env var carrying an address, and its readiness probe."""

    #: The registry's name of the kind (``"queue"``).
    kind: str
    #: Suffix of the env var (``JOBS_QUEUE_URL``): ``<NAME>_<env_suffix>``.
    env_suffix: str
    #: A cheap read-only call that proves the resource is there and reachable.
    probe: Callable[[AwsClients, str], object]
    #: The IAM action the probe needs; a service granted none of it is not probed.
    probe_action: str

    @property
    def field_suffix(self) -> str:
        """The end of a settings field that reads this kind's env var (``_queue_url``)."""
        return "_" + self.env_suffix.lower()


def _queue(clients: AwsClients, url: str) -> object:
    return clients.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])


def _table(clients: AwsClients, name: str) -> object:
    return clients.dynamodb.describe_table(TableName=name)


def _bucket(clients: AwsClients, name: str) -> object:
    return clients.s3.head_bucket(Bucket=name)


def _topic(clients: AwsClients, arn: str) -> object:
    return clients.sns.get_topic_attributes(TopicArn=arn)


def _secret(clients: AwsClients, arn: str) -> object:
    return clients.secretsmanager.describe_secret(SecretId=arn)


def _parameter(clients: AwsClients, name: str) -> object:
    return clients.ssm.get_parameter(Name=name)


def _bus(clients: AwsClients, arn: str) -> object:
    return clients.events.describe_event_bus(Name=arn)


def _database(clients: AwsClients, url: str) -> object:
    # Imported here: a service without a database imports no database driver.
    from trellis.runtime import database

    return database.ping(url)


def _cache(clients: AwsClients, url: str) -> object:
    from trellis.runtime import cache

    return cache.ping(url)


#: Every kind that hands a service an address, by name.
RUNTIME_KINDS: Final[dict[str, RuntimeKind]] = {
    k.kind: k
    for k in (
        RuntimeKind("queue", "QUEUE_URL", _queue, "sqs:GetQueueAttributes"),
        RuntimeKind("table", "TABLE_NAME", _table, "dynamodb:DescribeTable"),
        # HeadBucket is authorised as s3:ListBucket.
        RuntimeKind("bucket", "BUCKET_NAME", _bucket, "s3:ListBucket"),
        RuntimeKind("topic", "TOPIC_ARN", _topic, "sns:GetTopicAttributes"),
        RuntimeKind("secret", "SECRET_ARN", _secret, "secretsmanager:DescribeSecret"),
        RuntimeKind("parameter", "PARAMETER_NAME", _parameter, "ssm:GetParameter"),
        RuntimeKind("bus", "BUS_ARN", _bus, "events:DescribeEventBus"),
        RuntimeKind("database", "DATABASE_URL", _database, "rds-db:connect"),
        RuntimeKind("cache", "CACHE_URL", _cache, "elasticache:Connect"),
    )
}


def runtime_kind_of_field(field: str) -> RuntimeKind | None:
    """The kind whose address a settings field reads (``users_table_name`` → table), if any."""
    for kind in RUNTIME_KINDS.values():
        if field.endswith(kind.field_suffix):
            return kind
    return None
