"""A local SQS → Lambda event source mapping.

It does what the AWS poller does for a function with ``ReportBatchItemFailures``:
receive up to ``batch_size`` messages (within the batching window), invoke the
function once with an SQS event, delete the records the function did not
report as failed, and leave the failed ones in the queue. They come back when
their visibility timeout expires and, after ``maxReceiveCount`` receives, the
queue's redrive policy moves them to the DLQ. A function error or timeout
fails the whole batch; so does a malformed ``batchItemFailures``, as on AWS.

At most ``max_concurrency`` batches are in flight at once (the mapping's
``ScalingConfig.MaximumConcurrency``), and never more than the function has
instances (its ``concurrency``: its reserved concurrency or the local cap):
a batch is received only when an instance can start on it, so no message
waits, invisible, behind a busy function. While the function is broken (a
save broke its import) nothing is received.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import random
import time
from asyncio import FIRST_COMPLETED
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from trellis.local.services import InvokeResult

#: Long-poll wait per receive; short so that Ctrl-C stops the poller promptly.
POLL_WAIT_S = 1


class Invoker(Protocol):
    name: str

    async def invoke(self, event: dict[str, Any]) -> InvokeResult: ...


class DeliveryObserver(Protocol):
    """Told about every batch (``trellis dev``'s dashboard: jobs and traces)."""

    def received(self, source: SqsEventSource, records: list[dict[str, Any]]) -> None:
        """Before the invocation; may adjust the records' trace context."""

    def settled(
        self,
        source: SqsEventSource,
        records: list[dict[str, Any]],
        result: InvokeResult,
        failed: set[str],
        seconds: float,
    ) -> None:
        """After it: ``failed`` are the ids that stay in the queue."""


@dataclass
class EventSourceStats:
    batches: int = 0
    received: int = 0
    deleted: int = 0
    failed_records: int = 0
    failed_batches: int = 0
    receive_errors: int = 0


@dataclass
class SqsEventSource:
    """Feeds one queue to one Lambda function."""

    queue_name: str
    queue_url: str
    queue_arn: str
    region: str
    function: Invoker
    sqs: Any
    batch_size: int = 10
    batching_window_s: float = 0.0
    max_concurrency: int = 10
    log: Callable[[str, str], None] = field(default=lambda _name, _line: None)
    stats: EventSourceStats = field(default_factory=EventSourceStats)
    #: The queue's ``maxReceiveCount``: a record failing its last receive goes to the DLQ next.
    max_receive_count: int = 0
    observer: DeliveryObserver | None = None
    _random: random.Random = field(default_factory=random.Random)

    @property
    def concurrency(self) -> int:
        """Batches in flight at most: the cap, or the function's instances if fewer."""
        instances = int(getattr(self.function, "concurrency", 1))
        return max(1, min(self.max_concurrency, instances))

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until ``stop`` is set; back off with jitter while the queue is unreachable."""
        failures = 0
        limit = self.concurrency
        inflight: set[asyncio.Task[None]] = set()
        try:
            while not stop.is_set():
                if getattr(self.function, "broken", None) is not None:
                    # Its code does not start (a save broke it): receiving now would only
                    # spend the messages' receives, and push them to the DLQ. Wait for the fix.
                    await _sleep_or_stop(stop, 0.2)
                    continue
                if len(inflight) >= limit:
                    # Wake on a finished batch, or now and then to notice `stop`.
                    await asyncio.wait(inflight, timeout=POLL_WAIT_S, return_when=FIRST_COMPLETED)
                    continue
                try:
                    messages = await self._collect(stop)
                except Exception as exc:  # noqa: BLE001 - the emulator may be down: back off, never crash
                    self.stats.receive_errors += 1
                    failures += 1
                    delay = min(10.0, 0.2 * 2**failures) * self._random.uniform(0.5, 1.0)
                    if failures == 1 or failures % 10 == 0:
                        self.log(
                            self.function.name,
                            f"event source {self.queue_name}: receive failed ({type(exc).__name__}); retrying in {delay:.1f} s",
                        )
                    await _sleep_or_stop(stop, delay)
                    continue
                failures = 0
                if messages:
                    task = asyncio.create_task(self._settle(messages))
                    inflight.add(task)
                    task.add_done_callback(inflight.discard)
        except asyncio.CancelledError:
            for task in inflight:
                task.cancel()
            raise
        # Stopping: batches already handed to the function are settled, as before.
        if inflight:
            await asyncio.gather(*inflight, return_exceptions=True)

    async def _settle(self, messages: list[dict[str, Any]]) -> None:
        try:
            await self.deliver(messages)
        except Exception as exc:  # noqa: BLE001 - a batch task must not die unobserved
            self.log(
                self.function.name,
                f"event source {self.queue_name}: settling a batch failed ({type(exc).__name__}); its records stay in the queue",
            )

    async def _collect(self, stop: asyncio.Event) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        deadline = time.monotonic() + self.batching_window_s
        while True:
            remaining = deadline - time.monotonic()
            wait = POLL_WAIT_S if not messages else max(0, min(POLL_WAIT_S, int(remaining)))
            batch = await asyncio.to_thread(
                self.sqs.receive_message,
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=min(10, self.batch_size - len(messages)),
                WaitTimeSeconds=wait,
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
            )
            received = batch.get("Messages", [])
            messages.extend(received)
            full = len(messages) >= self.batch_size
            window_over = time.monotonic() >= deadline
            if not messages or full or window_over or not received or stop.is_set():
                return messages

    async def deliver(self, messages: list[dict[str, Any]]) -> None:
        """Invoke the function with one batch and settle each record."""
        self.stats.batches += 1
        self.stats.received += len(messages)
        records = [sqs_record(m, self.queue_arn, self.region) for m in messages]
        if self.observer is not None:
            self.observer.received(self, records)
        started = time.perf_counter()
        result = await self.function.invoke({"Records": records})
        if self.observer is not None:
            failed_ids = (
                {m["MessageId"] for m in messages}
                if not result.ok
                else _failed_ids(result.payload, {m["MessageId"] for m in messages})
            )
            self.observer.settled(
                self,
                records,
                result,
                failed_ids if failed_ids is not None else {m["MessageId"] for m in messages},
                time.perf_counter() - started,
            )
        if not result.ok:
            self.stats.failed_batches += 1
            self.log(
                self.function.name,
                f"event source {self.queue_name}: batch of {len(messages)} failed ({result.error}); records stay in the queue",
            )
            return
        failed = _failed_ids(result.payload, {m["MessageId"] for m in messages})
        if failed is None:
            self.stats.failed_batches += 1
            self.log(
                self.function.name,
                f"event source {self.queue_name}: invalid batchItemFailures; the whole batch is retried",
            )
            return
        self.stats.failed_records += len(failed)
        done = [m for m in messages if m["MessageId"] not in failed]
        for start in range(0, len(done), 10):
            chunk = done[start : start + 10]
            try:
                resp = await asyncio.to_thread(
                    self.sqs.delete_message_batch,
                    QueueUrl=self.queue_url,
                    Entries=[
                        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                        for i, m in enumerate(chunk)
                    ],
                )
            except Exception as exc:  # noqa: BLE001 - undeleted messages come back; idempotency skips them
                self.log(
                    self.function.name,
                    f"event source {self.queue_name}: delete failed ({type(exc).__name__}); {len(chunk)} processed message(s) will be delivered again",
                )
                continue
            self.stats.deleted += len(resp.get("Successful", []))


def _failed_ids(payload: Any, batch_ids: set[str]) -> set[str] | None:
    """Message ids the function reported as failed; None when the response is malformed."""
    if payload is None or payload == {} or not isinstance(payload, dict):
        return set()
    failures = payload.get("batchItemFailures")
    if failures is None:
        return set()
    ids: set[str] = set()
    for item in failures:
        ident = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not ident or ident not in batch_ids:
            return None
        ids.add(ident)
    return ids


def sqs_record(message: dict[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    """One record of the SQS event Lambda receives, built from a ReceiveMessage result."""
    attributes = message.get("Attributes", {})
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": {k: str(v) for k, v in attributes.items()},
        "messageAttributes": {
            name: {
                "stringValue": value.get("StringValue"),
                "binaryValue": value.get("BinaryValue"),
                "stringListValues": value.get("StringListValues", []),
                "binaryListValues": value.get("BinaryListValues", []),
                "dataType": value["DataType"],
            }
            for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message.get("MD5OfBody")
        or hashlib.md5(message["Body"].encode(), usedforsecurity=False).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


async def _sleep_or_stop(stop: asyncio.Event, delay: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), delay)
