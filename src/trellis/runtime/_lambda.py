"""The Lambda entry point: one handler for HTTP events and SQS batches.

``lambda_handler(app, sqs=consume)`` returns the function Lambda calls. API
Gateway events go to the FastAPI app through Mangum, created on the first
HTTP event and reused while the sandbox stays warm. SQS events (delivered by
the event source mapping with ``ReportBatchItemFailures``) are processed
record by record, and only the records that failed are reported back, so
only they are retried and, past ``maxReceiveCount``, redriven to the DLQ.

Why not Powertools' ``BatchProcessor``: it does the same thing, but importing
Powertools' logger and batch utilities costs about 140 ms on a cold start
(measured on this machine, see DESIGN.md), more than the whole of this
module's job. The partial-batch contract is small and fixed (a list of
``itemIdentifier``; FIFO queues stop at the first failure), so we keep our
own ~100 lines, tested, and import nothing beyond what the runtime already
loads.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import structlog

from trellis.runtime._logging import bind_request_id, get_logger
from trellis.runtime._tracing import flush_traces

if TYPE_CHECKING:
    from fastapi import FastAPI

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

    @classmethod
    def from_event(cls, record: dict[str, Any]) -> SqsRecord:
        """Build from one entry of an SQS event's ``Records``."""
        return cls(
            message_id=str(record["messageId"]),
            receipt_handle=str(record.get("receiptHandle") or ""),
            body=str(record.get("body") or ""),
            attributes={str(k): str(v) for k, v in (record.get("attributes") or {}).items()},
            message_attributes=dict(record.get("messageAttributes") or {}),
            event_source_arn=str(record.get("eventSourceARN") or ""),
        )

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


def process_sqs_batch(
    records: list[dict[str, Any]], consume: Callable[[SqsRecord], None]
) -> dict[str, Any]:
    """Run ``consume`` on each record and return the partial batch response.

    A record whose ``consume`` raised is listed in ``batchItemFailures``. On a
    FIFO queue processing stops at the first failure, which is reported with
    every later record, so a message group is never processed out of order.
    """
    failures: list[str] = []
    for index, raw in enumerate(records):
        # A record without an id cannot be reported; let the whole batch fail.
        message_id = str(raw["messageId"])
        source_arn = str(raw.get("eventSourceARN") or "")
        fifo = source_arn.endswith(".fifo")
        with structlog.contextvars.bound_contextvars(message_id=message_id):
            try:
                consume(SqsRecord.from_event(raw))
            except Exception as exc:  # noqa: BLE001 - one bad record must not fail the batch
                attributes = raw.get("attributes") or {}
                _log.exception(
                    "sqs.record_failed",
                    queue=source_arn.rsplit(":", 1)[-1],
                    receive_count=attributes.get("ApproximateReceiveCount"),
                    error=f"{type(exc).__name__}: {exc}",
                )
                failures.append(message_id)
                if fifo:
                    skipped = [str(r["messageId"]) for r in records[index + 1 :]]
                    if skipped:
                        _log.warning("sqs.fifo_records_skipped", count=len(skipped))
                    failures.extend(skipped)
                    break
    _log.info("sqs.batch", records=len(records), failed=len(failures))
    return {"batchItemFailures": [{"itemIdentifier": failed} for failed in failures]}


def lambda_handler(
    app: FastAPI, *, sqs: Callable[[SqsRecord], None] | None = None
) -> LambdaHandler:
    """The Lambda handler for ``app`` (HTTP) and, if given, the ``sqs`` consumer.

    ::

        app = create_app(settings)
        handler = lambda_handler(app, sqs=handle_job)

    HTTP events are served by Mangum with the service's route
    (``TRELLIS_ROUTE``, e.g. ``/api``) stripped from the path. SQS events call
    ``sqs(record)`` per record and return ``{"batchItemFailures": [...]}``.
    """
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
            if _is_sqs_event(event):
                if sqs is None:
                    raise RuntimeError(
                        "received an SQS event but lambda_handler() was given no sqs= consumer"
                    )
                with _invocation_context(context):
                    return process_sqs_batch(event["Records"], sqs)
            if isinstance(event, dict) and "Records" in event:
                sources = sorted(
                    {str(r.get("eventSource")) for r in event["Records"] if isinstance(r, dict)}
                )
                raise RuntimeError(f"unsupported Lambda event source(s): {', '.join(sources)}")
            ensure_event_loop()
            if adapter is None:
                from mangum import Mangum

                adapter = Mangum(app, lifespan="off", api_gateway_base_path=base_path)
            return adapter(event, context)
        finally:
            flush_traces()

    return handler
