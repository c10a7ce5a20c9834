"""Queues: SQS, each with its dead-letter queue (``[queues.<name>]``, ``terraform/modules/sqs-queue``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Final

from pydantic import Field

from trellis import naming
from trellis.kinds._kind import CliOption, Grant, Kind, Snippet, Spec, Use
from trellis.kinds._policy import Arns, DeployStatement, EnvScope, Statement
from trellis.kinds._terraform import ENV, Expr, Tpl
from trellis.runtime._kinds import RUNTIME_KINDS

if TYPE_CHECKING:
    from trellis.manifest import Manifest

#: Default ``max_concurrency``: 1% of AWS's default account concurrency of 1,000.
DEFAULT_MAX_CONCURRENCY: Final = 10

#: Default ``oldest_message_alarm_s`` (the guide's ApproximateAgeOfOldestMessage threshold).
DEFAULT_OLDEST_MESSAGE_ALARM_S: Final = 300

#: What ``consume`` also grants on the queue's dead-letter queue.
DLQ_ACTIONS: Final[tuple[str, ...]] = ("sqs:SendMessage",)


class Queue(Spec):
    visibility_timeout_s: int = Field(default=30, ge=0, le=43_200)
    max_receive_count: int = Field(default=3, ge=1, le=1000)
    retention_s: int = Field(default=345_600, ge=60, le=1_209_600)
    dlq_retention_s: int = Field(default=1_209_600, ge=60, le=1_209_600)
    max_message_bytes: int = Field(default=1_048_576, ge=1024, le=1_048_576)
    delay_s: int = Field(default=0, ge=0, le=900)
    receive_wait_s: int = Field(default=20, ge=0, le=20)
    fifo: bool = False
    #: Event source mapping of a Lambda consumer.
    batch_size: int = Field(default=10, ge=1, le=10_000)
    batching_window_s: int = Field(default=0, ge=0, le=300)
    #: Concurrent batches of a Lambda consumer (the event source mapping's maximum concurrency):
    #: one queue's backlog cannot take the whole account's concurrency. AWS's range is 2-1000.
    max_concurrency: int = Field(default=DEFAULT_MAX_CONCURRENCY, ge=2, le=1000)
    #: The oldest-message alarm fires past this age: the integration guide's 5 minutes by default.
    #: AWS publishes the metric once a minute, so less than 60 s cannot be told apart.
    oldest_message_alarm_s: int = Field(default=DEFAULT_OLDEST_MESSAGE_ALARM_S, ge=60, le=1_209_600)


class QueueKind(Kind[Queue]):
    name = "queue"
    section = "queues"
    model = Queue
    runtime = RUNTIME_KINDS["queue"]
    levels = {
        "send": ("sqs:SendMessage", "sqs:GetQueueAttributes"),
        "consume": (
            "sqs:ReceiveMessage",
            "sqs:DeleteMessage",
            "sqs:ChangeMessageVisibility",
            "sqs:GetQueueAttributes",
        ),
    }
    max_length = 80  # including ".fifo"
    arn_template = "arn:{p}:sqs:{r}:{a}:{name}"
    terraform_module = "sqs-queue"
    module_output = "url"
    local_provisioner = "trellis.local.provisioners.queue"
    verbs = {"send": "sends to", "consume": "consumes"}
    key_argument = "kms_key_arn"
    key_service = "sqs"
    key_actions = {
        # SQS encrypts each message with a data key it asks KMS for as the sender.
        "send": ("kms:GenerateDataKey", "kms:Decrypt"),
        # A consumer decrypts; it also copies a message that failed its last attempt to the
        # DLQ (encrypted with the same key), a send.
        "consume": ("kms:Decrypt", "kms:GenerateDataKey"),
    }
    cli_options = (
        CliOption(
            "--visibility-timeout-s",
            "visibility_timeout_s",
            {"type": int, "help": "default: 6x the timeout of a Lambda consumer, at least 30"},
        ),
        CliOption(
            "--max-receive-count",
            "max_receive_count",
            {"type": int, "help": "deliveries before the DLQ (default 3)"},
        ),
        CliOption(
            "--batch-size",
            "batch_size",
            {"type": int, "help": "messages per Lambda batch (default 10)"},
        ),
        CliOption(
            "--oldest-message-alarm-s",
            "oldest_message_alarm_s",
            {"type": int, "help": "alarm past this message age (default 300)"},
        ),
        CliOption("--delay-s", "delay_s", {"type": int}),
        CliOption("--fifo", "fifo", {"action": "store_true", "default": None}),
    )

    def physical_name(self, project: str, env: str, name: str, spec: Queue) -> str:
        return naming.queue_name(project, env, name, fifo=spec.fifo)

    def dlq_name(self, project: str, env: str, name: str, spec: Queue) -> str:
        """The dead-letter queue's name (``-dlq`` before a FIFO queue's ``.fifo``)."""
        return naming.queue_name(project, env, name, fifo=spec.fifo, dlq=True)

    def longest_name(self, project: str, env: str, name: str, spec: Queue) -> str:
        return self.dlq_name(project, env, name, spec)

    def aws_address(self, physical: str, arns: Arns) -> str:
        return f"https://sqs.{arns.region}.amazonaws.com/{arns.account_id}/{physical}"

    def statements(self, grant: Grant[Queue]) -> Iterator[Statement]:
        yield from super().statements(grant)
        if "consume" in grant.levels:
            # A consumer copies a message that failed its last allowed attempt to the DLQ
            # (trellis.runtime.jobs), so its status can say where the message is.
            dlq = self.dlq_name(grant.project, grant.env, grant.resource, grant.spec)
            yield Statement(
                grant.sid + "DeadLetter",
                DLQ_ACTIONS,
                (grant.arns.of("queue", dlq),),
                (),
                f"{grant.resource} (DLQ)",
            )

    def terraform_arguments(
        self, manifest: Manifest, name: str, spec: Queue
    ) -> Iterator[tuple[str, object]]:
        yield "name", Tpl(naming.physical_name(manifest.project.name, ENV, name))
        yield "fifo", spec.fifo
        yield "visibility_timeout_seconds", spec.visibility_timeout_s
        yield "message_retention_seconds", spec.retention_s
        yield "dlq_message_retention_seconds", spec.dlq_retention_s
        yield "max_message_size", spec.max_message_bytes
        yield "delay_seconds", spec.delay_s
        yield "receive_wait_time_seconds", spec.receive_wait_s
        yield "max_receive_count", spec.max_receive_count
        yield "publishers", queue_publishers(manifest, name)
        yield "oldest_message_alarm_seconds", spec.oldest_message_alarm_s
        yield "alarm_actions", Expr("local.alarm_actions")

    def deploy_statements(self, scope: EnvScope) -> Iterator[DeployStatement]:
        yield DeployStatement(
            "ManageQueues",
            (
                "sqs:CreateQueue",
                "sqs:DeleteQueue",
                "sqs:GetQueueAttributes",
                "sqs:ListQueueTags",
                "sqs:SetQueueAttributes",
                "sqs:TagQueue",
                "sqs:UntagQueue",
            ),
            self.owned_arns(scope),
        )

    def accessor(self, use: Use[Queue]) -> Snippet | None:
        if "send" not in use.levels:
            return None
        return Snippet(
            "kinds/queue/publisher.py.tmpl",
            {
                "queue": use.resource,
                "ident": use.ident,
                "field": naming.settings_field_name("queue", use.resource),
            },
            imports=(("trellis.runtime.queues", "Publisher"),),
        )

    def probe(self, use: Use[Queue], level: str) -> Snippet:
        values = {
            "queue": use.resource,
            "ident": use.ident,
            "field": f"settings.{naming.settings_field_name('queue', use.resource)}",
        }
        if level == "send":
            values["fifo"] = 'group_id="probe",\ndeduplication_id="probe",' if use.spec.fifo else ""
            return Snippet(
                "kinds/queue/probe_send.py.tmpl",
                values,
                imports=(("{module}", "resources"),),
                helpers=("received_ids",),
            )
        if level == "consume":
            values["fifo"] = (
                'MessageGroupId="probe",\nMessageDeduplicationId="probe",' if use.spec.fifo else ""
            )
            if use.runtime == "lambda":
                return Snippet(
                    "kinds/queue/probe_consume_lambda.py.tmpl",
                    values,
                    imports=(("{module}.app", "build_handler"),),
                    helpers=("receive_event",),
                )
            return Snippet(
                "kinds/queue/probe_consume_container.py.tmpl",
                values,
                imports=(("{module}", "resources"), ("trellis.runtime", "SqsRecord")),
                helpers=("receive_event",),
            )
        return super().probe(use, level)


def queue_publishers(manifest: Manifest, queue: str) -> list[dict[str, object]]:
    """AWS services that send to ``queue`` (bucket notifications, topic subscriptions, ...):
    every kind says which of its resources do."""
    # Imported here: the registry imports this module.
    from trellis.kinds._registry import KINDS

    return [
        publisher
        for entry in KINDS
        for publisher in entry.queue_publishers(manifest, queue, manifest.specs(entry))
    ]


#: The registry entry (``trellis.kinds.QUEUE``).
QUEUE: Final = QueueKind()
