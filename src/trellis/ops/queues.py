"""Queue statistics and DLQ redrive, for ``trellis queue stats|redrive``.

Redrive prefers SQS's own ``StartMessageMoveTask``. Where it is not available
(the local emulator answers it with an error) it falls back to receive → send
→ delete, one batch of 10 at a time: a message is deleted from the DLQ only
after the source queue accepted its copy, so a failure part-way loses
nothing (at worst a message is delivered twice, which job idempotency absorbs).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

_COUNTS = [
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
]


@dataclass(frozen=True)
class QueueStats:
    visible: int
    in_flight: int
    delayed: int
    dlq_visible: int
    dlq_in_flight: int
    #: Age of the oldest message from CloudWatch's ApproximateAgeOfOldestMessage; None when unknown.
    oldest_age_s: float | None
    dlq_oldest_age_s: float | None


@dataclass(frozen=True)
class RedriveResult:
    moved: int
    method: str  # "StartMessageMoveTask" or "receive-send-delete"
    failed: int = 0


def _counts(sqs: Any, url: str) -> list[int]:
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=_COUNTS)["Attributes"]
    return [int(attrs.get(name, 0)) for name in _COUNTS]


def _oldest_age(cloudwatch: Any | None, queue_name: str, now: datetime) -> float | None:
    if cloudwatch is None:
        return None
    try:
        points = cloudwatch.get_metric_statistics(
            Namespace="AWS/SQS",
            MetricName="ApproximateAgeOfOldestMessage",
            Dimensions=[{"Name": "QueueName", "Value": queue_name}],
            StartTime=now - timedelta(minutes=10),
            EndTime=now,
            Period=60,
            Statistics=["Maximum"],
        )["Datapoints"]
    except Exception:  # noqa: BLE001 - the age is a nice-to-have; counts still print
        return None
    if not points:
        return None
    latest = max(points, key=lambda p: p["Timestamp"])
    return float(latest["Maximum"])


def queue_stats(
    sqs: Any, main_url: str, dlq_url: str, *, cloudwatch: Any | None = None
) -> QueueStats:
    """Depths of a queue and its DLQ, and the age of their oldest messages where CloudWatch has it."""
    now = datetime.now(UTC)
    visible, in_flight, delayed = _counts(sqs, main_url)
    dlq_visible, dlq_in_flight, _ = _counts(sqs, dlq_url)
    return QueueStats(
        visible=visible,
        in_flight=in_flight,
        delayed=delayed,
        dlq_visible=dlq_visible,
        dlq_in_flight=dlq_in_flight,
        oldest_age_s=_oldest_age(cloudwatch, main_url.rsplit("/", 1)[-1], now),
        dlq_oldest_age_s=_oldest_age(cloudwatch, dlq_url.rsplit("/", 1)[-1], now),
    )


def redrive(
    sqs: Any,
    dlq_url: str,
    main_url: str,
    *,
    max_messages: int | None = None,
    prefer_move_task: bool = True,
    log: Callable[[str], None] = lambda _msg: None,
    poll_s: float = 1.0,
) -> RedriveResult:
    """Move messages from ``dlq_url`` back to ``main_url``; return how many moved."""
    if prefer_move_task and max_messages is None:
        moved = _move_task(sqs, dlq_url, main_url, log, poll_s)
        if moved is not None:
            return RedriveResult(moved, "StartMessageMoveTask")
    return _receive_send_delete(sqs, dlq_url, main_url, max_messages, log)


def _arn(sqs: Any, url: str) -> str:
    return str(
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
    )


def _move_task(
    sqs: Any, dlq_url: str, main_url: str, log: Callable[[str], None], poll_s: float
) -> int | None:
    from botocore.exceptions import ClientError

    source = _arn(sqs, dlq_url)
    try:
        sqs.start_message_move_task(SourceArn=source, DestinationArn=_arn(sqs, main_url))
    except ClientError as exc:
        log(
            f"StartMessageMoveTask unavailable ({exc.response['Error'].get('Code')}); moving messages one batch at a time"
        )
        return None
    while True:
        tasks = sqs.list_message_move_tasks(SourceArn=source, MaxResults=1)["Results"]
        task = tasks[0] if tasks else {}
        status = task.get("Status")
        if status in ("COMPLETED", "CANCELLED", "FAILED"):
            if status != "COMPLETED":
                raise RuntimeError(
                    f"message move task {status.lower()}: {task.get('FailureReason', 'no reason given')}"
                )
            return int(task.get("ApproximateNumberOfMessagesMoved", 0))
        time.sleep(poll_s)


def _receive_send_delete(
    sqs: Any, dlq_url: str, main_url: str, max_messages: int | None, log: Callable[[str], None]
) -> RedriveResult:
    moved = failed = 0
    empty_polls = 0
    fifo = main_url.endswith(".fifo")
    while empty_polls < 2 and (max_messages is None or moved < max_messages):
        count = 10 if max_messages is None else max(1, min(10, max_messages - moved))
        messages = sqs.receive_message(
            QueueUrl=dlq_url,
            MaxNumberOfMessages=count,
            WaitTimeSeconds=1,
            VisibilityTimeout=60,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            empty_polls += 1
            continue
        empty_polls = 0
        entries = []
        for i, message in enumerate(messages):
            entry: dict[str, Any] = {"Id": str(i), "MessageBody": message["Body"]}
            attributes = {
                k: v
                for k, v in message.get("MessageAttributes", {}).items()
                if not k.startswith("trellis-")
            }
            if attributes:
                entry["MessageAttributes"] = attributes
            if fifo:
                system = message.get("Attributes", {})
                entry["MessageGroupId"] = system.get("MessageGroupId", "redrive")
                entry["MessageDeduplicationId"] = system.get(
                    "MessageDeduplicationId", message["MessageId"]
                )
            entries.append(entry)
        sent = sqs.send_message_batch(QueueUrl=main_url, Entries=entries)
        ok = [messages[int(s["Id"])] for s in sent.get("Successful", [])]
        failed += len(sent.get("Failed", []))
        if ok:
            sqs.delete_message_batch(
                QueueUrl=dlq_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(ok)
                ],
            )
        moved += len(ok)
        log(f"moved {moved} message(s)")
    return RedriveResult(moved, "receive-send-delete", failed)
