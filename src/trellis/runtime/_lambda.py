"""The Lambda entry point: one handler for HTTP events, SQS batches, schedule firings and
EventBridge rule deliveries.

``lambda_handler(app, sqs=consume, schedules=schedules, events=events)`` returns the
function Lambda calls. A schedule's firing (the envelope ``{"trellis_schedule": name,
"payload": ...}`` its target input carries) goes to the handler registered
for it in ``schedules`` (:class:`trellis.runtime.schedules.Schedules`); a rule's
delivery (``{"trellis_rule": name, "bus": ..., "event": ...}``, the envelope its
target's input transformer makes) to the handler registered for the rule in
``events`` (:class:`trellis.runtime.events.Events`). API
Gateway events go to the FastAPI app through Mangum, created on the first
HTTP event and reused while the sandbox stays warm. SQS events (delivered by
the event source mapping with ``ReportBatchItemFailures``) are processed
record by record, and only the records that failed are reported back, so
only they are retried and, past ``maxReceiveCount``, redriven to the DLQ.

A batch never outlives the invocation: with ``max_record_s`` (the longest a
record may run, e.g. the job time limit) a record is started only while the
invocation has that long left plus a safety margin, and records it cannot
start are reported as failures, to be delivered again. So one slow record
costs the records behind it one receive each, instead of timing out the
whole batch (which retries every record, finished or not). On a standard
queue records with the most receives run first, so deferral falls on the
freshest ones, furthest from the DLQ.

Why not Powertools' ``BatchProcessor``: it does the same thing, but importing
Powertools' logger and batch utilities costs about 140 ms on a cold start
(``python -X importtime`` on a 2-core development machine), more than the whole of this
module's job. The partial-batch contract is small and fixed (a list of
``itemIdentifier``; on FIFO queues a failure skips the rest of its message
group, Powertools' ``skip_group_on_error``), so we keep our own lines, tested,
and import nothing beyond what the runtime already loads.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import structlog

from trellis.runtime._logging import bind_request_id, get_logger
from trellis.runtime._tracing import consumer_span, flush_traces, with_lambda_trace_header

if TYPE_CHECKING:
    from fastapi import FastAPI

    from trellis.runtime.events import Events
    from trellis.runtime.schedules import Schedules

__all__ = ["LambdaHandler", "SqsRecord", "lambda_handler"]

#: What Lambda calls: ``handler(event, context) -> response``.
LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]

_log = get_logger("trellis.runtime.lambda")


@dataclass(frozen=True)
class SqsRecord:
    """One SQS message of a Lambda batch, with the fields consumers actually use."""

    message_id: str
    receipt_handle: str
    body: str
    attributes: dict[str, str] = field(default_factory=dict)
    message_attributes: dict[str, Any] = field(default_factory=dict)
    event_source_arn: str = ""
    #: ``time.monotonic()`` by which handling this record must be over: the invocation's
    #: deadline less its safety margin; None when unknown (containers, tests).
    deadline: float | None = field(default=None, compare=False)

    @classmethod
    def from_event(cls, record: dict[str, Any], *, deadline: float | None = None) -> SqsRecord:
        """Build from one entry of an SQS event's ``Records``."""
        return cls(
            message_id=str(record["messageId"]),
            receipt_handle=str(record.get("receiptHandle") or ""),
            body=str(record.get("body") or ""),
            attributes={str(k): str(v) for k, v in (record.get("attributes") or {}).items()},
            message_attributes=dict(record.get("messageAttributes") or {}),
            event_source_arn=str(record.get("eventSourceARN") or ""),
            deadline=deadline,
        )

    def remaining_s(self) -> float | None:
        """Seconds left before :attr:`deadline` (never negative), or None without one."""
        if self.deadline is None:
            return None
        return max(0.0, self.deadline - time.monotonic())

    @property
    def receive_count(self) -> int:
        """How many times SQS has delivered this message (1 on the first delivery)."""
        try:
            return int(self.attributes.get("ApproximateReceiveCount", "1"))
        except ValueError:
            return 1

    @property
    def queue_name(self) -> str:
        """The queue's name, the last part of ``event_source_arn``."""
        return self.event_source_arn.rsplit(":", 1)[-1]

    def json(self) -> Any:
        """The body parsed as JSON (raises ``ValueError`` if it is not JSON)."""
        return json.loads(self.body)


def _is_schedule_event(event: Any) -> bool:
    # The same test as trellis.runtime.schedules.is_schedule_event, without importing
    # pydantic into every HTTP cold start.
    return isinstance(event, dict) and isinstance(event.get("trellis_schedule"), str)


def _is_rule_event(event: Any) -> bool:
    # trellis.runtime.events.is_rule_event, without importing pydantic here (as above).
    return isinstance(event, dict) and isinstance(event.get("trellis_rule"), str)


def _is_sqs_event(event: Any) -> bool:
    if not isinstance(event, dict):
        return False
    records = event.get("Records")
    return (
        isinstance(records, list)
        and bool(records)
        and all(isinstance(r, dict) and r.get("eventSource") == "aws:sqs" for r in records)
    )


@contextmanager
def _invocation_context(context: Any) -> Iterator[None]:
    request_id = getattr(context, "aws_request_id", None)
    if isinstance(request_id, str) and request_id:
        with bind_request_id(request_id):
            yield
    else:
        yield


#: Time an invocation keeps after its last record: to settle the record's bookkeeping,
#: flush traces and return. Capped at a fifth of the invocation for very short timeouts.
DEFAULT_SAFETY_MARGIN_S = 2.0


_warned_limit = False


def _warn_limit_too_long(max_record_s: float, total_s: float) -> None:
    """Say once per sandbox why its batches run so few records."""
    global _warned_limit  # one warning per process, not one per batch
    if _warned_limit:
        return
    _warned_limit = True
    _log.warning(
        "sqs.record_limit_too_long",
        max_record_s=max_record_s,
        invocation_s=round(total_s, 1),
        hint="a record starts only while this long is left: keep the job time limit "
        "well below the function's timeout (a third or less), or most records are deferred",
    )


def _receive_count(record: dict[str, Any]) -> int:
    try:
        return int((record.get("attributes") or {}).get("ApproximateReceiveCount", "1"))
    except (TypeError, ValueError):
        return 1


def process_sqs_batch(
    records: list[dict[str, Any]],
    consume: Callable[[SqsRecord], None],
    *,
    remaining_ms: Callable[[], int] | None = None,
    max_record_s: float | None = None,
    safety_margin_s: float = DEFAULT_SAFETY_MARGIN_S,
) -> dict[str, Any]:
    """Run ``consume`` on each record and return the partial batch response.

    A record whose ``consume`` raised is listed in ``batchItemFailures``. On a
    FIFO queue a failure skips the rest of its message group: the later
    records of that group are reported without running, so the group is never
    processed out of order, while other groups carry on.

    With ``remaining_ms`` (the Lambda context's ``get_remaining_time_in_millis``)
    the batch keeps ``safety_margin_s`` of the invocation for itself (at most
    a fifth of it) and starts a record only if it can finish: the first record
    whenever any time is left, each later one only while ``max_record_s``
    remains. Records not started are reported as failures. Each record
    carries its :attr:`SqsRecord.deadline`.
    """
    fifo = any(str(r.get("eventSourceARN") or "").endswith(".fifo") for r in records)
    # Standard queues promise no order: run the records nearest their last receive first.
    ordered = records if fifo else sorted(records, key=_receive_count, reverse=True)
    margin = per_record = 0.0
    if remaining_ms is not None:
        total_s = remaining_ms() / 1000
        margin = max(0.0, min(safety_margin_s, total_s / 5))
        per_record = total_s - margin
        if max_record_s is not None:
            if max_record_s > per_record / 2:
                _warn_limit_too_long(max_record_s, total_s)
            per_record = min(per_record, max_record_s)
    failures: list[str] = []
    failed_groups: set[str | None] = set()
    started = 0
    deferred = 0
    skipped = 0
    for raw in ordered:
        # A record without an id cannot be reported; let the whole batch fail.
        message_id = str(raw["messageId"])
        attributes = raw.get("attributes") or {}
        group = attributes.get("MessageGroupId") if fifo else None
        if deferred:
            deferred += 1
            failures.append(message_id)
            continue
        if fifo and failed_groups and (group in failed_groups or None in failed_groups):
            skipped += 1
            failures.append(message_id)
            continue
        deadline = None
        if remaining_ms is not None:
            left_s = remaining_ms() / 1000 - margin
            if left_s <= 0 or (started and max_record_s is not None and left_s < per_record):
                deferred = 1
                failures.append(message_id)
                continue
            # The record's own work (a job's claim and completion, say) counts against this too.
            deadline = time.monotonic() + left_s
        started += 1
        source_arn = str(raw.get("eventSourceARN") or "")
        with (
            structlog.contextvars.bound_contextvars(message_id=message_id),
            consumer_span(
                source_arn.rsplit(":", 1)[-1], message_id, raw.get("messageAttributes") or {}
            ),
        ):
            try:
                consume(SqsRecord.from_event(raw, deadline=deadline))
            except Exception as exc:  # noqa: BLE001 - one bad record must not fail the batch
                _log.exception(
                    "sqs.record_failed",
                    queue=source_arn.rsplit(":", 1)[-1],
                    receive_count=attributes.get("ApproximateReceiveCount"),
                    error=f"{type(exc).__name__}: {exc}",
                )
                failures.append(message_id)
                if fifo:
                    # No group id (not an SQS FIFO record): stop everything, the safe reading.
                    failed_groups.add(group)
    if skipped:
        _log.warning("sqs.fifo_records_skipped", count=skipped, groups=len(failed_groups))
    if deferred:
        _log.warning(
            "sqs.records_deferred",
            count=deferred,
            reason="not enough time left in the invocation to finish them",
            max_record_s=max_record_s,
        )
    _log.info("sqs.batch", records=len(records), failed=len(failures))
    return {"batchItemFailures": [{"itemIdentifier": failed} for failed in failures]}


def lambda_handler(
    app: FastAPI,
    *,
    sqs: Callable[[SqsRecord], None] | None = None,
    schedules: Schedules | None = None,
    events: Events | None = None,
    max_record_s: float | None = None,
    safety_margin_s: float = DEFAULT_SAFETY_MARGIN_S,
) -> LambdaHandler:
    """The Lambda handler for ``app`` (HTTP) and, if given, the ``sqs`` consumer.

    ::

        app = create_app(settings)
        handler = lambda_handler(app, sqs=handle_job, max_record_s=10)

    HTTP events are served by Mangum with the service's route
    (``TRELLIS_ROUTE``, e.g. ``/api``) stripped from the path. SQS events call
    ``sqs(record)`` per record and return ``{"batchItemFailures": [...]}``,
    starting no record the invocation cannot finish: ``max_record_s`` is the
    longest one record may take (the job time limit), ``safety_margin_s`` what
    the invocation keeps for itself (see :func:`process_sqs_batch`). Schedule
    firings call the handler ``schedules`` registered for the schedule and
    return ``{"schedule": name, "result": ...}``; a handler that raises fails
    the invocation (Lambda retries the asynchronous invocation). Rule deliveries call
    the handler ``events`` registered for the rule and return ``{"rule": name,
    "result": ...}``, failing the invocation the same way.
    """
    from trellis.runtime._snapstart import install as install_restore_hooks

    install_restore_hooks()
    settings = getattr(app.state, "settings", None)
    base_path = getattr(settings, "trellis_route", None) or "/"
    adapter: Callable[[dict[str, Any], Any], dict[str, Any]] | None = None
    loop: asyncio.AbstractEventLoop | None = None

    def ensure_event_loop() -> None:
        # Mangum runs the app on the thread's current event loop. If code in an
        # earlier invocation called asyncio.run() (an async SQS consumer, say),
        # that left no current loop and the next HTTP event would crash.
        nonlocal loop
        if loop is None or loop.is_closed():
            loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        nonlocal adapter
        try:
            if _is_schedule_event(event):
                if schedules is None:
                    raise RuntimeError(
                        f"received a firing of schedule {event['trellis_schedule']!r} but "
                        "lambda_handler() was given no schedules="
                    )
                with _invocation_context(context):
                    return schedules.dispatch(event)
            if _is_rule_event(event):
                if events is None:
                    raise RuntimeError(
                        f"received an event of rule {event['trellis_rule']!r} but "
                        "lambda_handler() was given no events="
                    )
                with _invocation_context(context):
                    return events.dispatch(event)
            if _is_sqs_event(event):
                if sqs is None:
                    raise RuntimeError(
                        "received an SQS event but lambda_handler() was given no sqs= consumer"
                    )
                remaining = getattr(context, "get_remaining_time_in_millis", None)
                with _invocation_context(context):
                    return process_sqs_batch(
                        event["Records"],
                        sqs,
                        remaining_ms=remaining if callable(remaining) else None,
                        max_record_s=max_record_s,
                        safety_margin_s=safety_margin_s,
                    )
            if isinstance(event, dict) and "Records" in event:
                sources = sorted(
                    {str(r.get("eventSource")) for r in event["Records"] if isinstance(r, dict)}
                )
                raise RuntimeError(f"unsupported Lambda event source(s): {', '.join(sources)}")
            ensure_event_loop()
            if adapter is None:
                from mangum import Mangum

                adapter = Mangum(app, lifespan="off", api_gateway_base_path=base_path)
            return adapter(with_lambda_trace_header(event), context)
        finally:
            flush_traces()

    return handler
