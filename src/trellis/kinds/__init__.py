"""The kind registry: one entry per resource kind (queue, table, bucket, topic, secret,
parameter, schedule, bus), each the one home of everything Trellis derives about it.

>>> from trellis.kinds import QUEUE, kind
>>> kind("queue") is QUEUE
True
>>> QUEUE.section, QUEUE.runtime.env_suffix, QUEUE.levels["send"]
('queues', 'QUEUE_URL', ('sqs:SendMessage', 'sqs:GetQueueAttributes'))

See :class:`Kind` for what an entry says, and ``docs/architecture.md`` for how a
kind flows through the manifest, names and IAM, Terraform, the local stack and
the runtime. The runtime half (env vars and readiness probes) is
:mod:`trellis.runtime._kinds`, which Lambda packages carry without this package.
"""

from trellis.kinds._bucket import Bucket, Notification
from trellis.kinds._bus import Bus, Rule
from trellis.kinds._cache import Cache, cache_identifier, cache_user
from trellis.kinds._database import Database, database_identifier, database_name, database_user
from trellis.kinds._kind import CliOption, Grant, Kind, ResourceKind, Snippet, Spec, Use
from trellis.kinds._parameter import UNSET_PARAMETER_VALUE, Parameter
from trellis.kinds._policy import Arns, Condition, DeployStatement, EnvScope, Statement
from trellis.kinds._queue import DEFAULT_MAX_CONCURRENCY, DLQ_ACTIONS, Queue
from trellis.kinds._registry import (
    BUCKET,
    BUS,
    CACHE,
    DATABASE,
    KINDS,
    PARAMETER,
    QUEUE,
    SCHEDULE,
    SECRET,
    TABLE,
    TOPIC,
    UnknownKind,
    kind,
    kind_names,
)
from trellis.kinds._schedule import Schedule
from trellis.kinds._secret import Secret
from trellis.kinds._table import Index, KeyType, Table
from trellis.kinds._topic import Topic

__all__ = [
    "BUCKET",
    "BUS",
    "CACHE",
    "DATABASE",
    "DEFAULT_MAX_CONCURRENCY",
    "DLQ_ACTIONS",
    "KINDS",
    "PARAMETER",
    "QUEUE",
    "SCHEDULE",
    "SECRET",
    "TABLE",
    "TOPIC",
    "UNSET_PARAMETER_VALUE",
    "Arns",
    "Bucket",
    "Bus",
    "Cache",
    "CliOption",
    "Condition",
    "Database",
    "DeployStatement",
    "EnvScope",
    "Grant",
    "Index",
    "KeyType",
    "Kind",
    "Notification",
    "Parameter",
    "Queue",
    "ResourceKind",
    "Rule",
    "Schedule",
    "Secret",
    "Snippet",
    "Spec",
    "Statement",
    "Table",
    "Topic",
    "UnknownKind",
    "Use",
    "cache_identifier",
    "cache_user",
    "database_identifier",
    "database_name",
    "database_user",
    "kind",
    "kind_names",
]
