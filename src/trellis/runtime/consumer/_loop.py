"""The consumer loop (see the package docstring)."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from trellis.runtime._errors import is_aws_error, translate_aws_error
from trellis.runtime._lambda import SqsRecord
from trellis.runtime._logging import get_logger
from trellis.runtime._tracing import consumer_span
from trellis.runtime.queues import BATCH_LIMIT

__all__ = ["ConsumerStats", "QueueConsumer"]

_log = get_logger("trellis.consumer")
#: How often a long poll in progress looks whether the consumer was stopped.
_STOP_CHECK_S = 0.1


@dataclass
class ConsumerStats:
    """Counts of what the consumer did; AWS calls are counted per API."""

    received: int = 0
    succeeded: int = 0
    failed: int = 0
    released: int = 0
    receive_calls: int = 0
    delete_calls: int = 0
    visibility_calls: int = 0
    aws_errors: int = 0

    @property
    def sqs_calls(self) -> int:
        return self.receive_calls + self.delete_calls + self.visibility_calls


@dataclass
class _InFlight:
    message: dict[str, Any]
    future: Future[None]
    received_at: float
    extended_at: float


@dataclass
class QueueConsumer:
    sqs: Any
    queue_url: str
    handle: Callable[[SqsRecord], None]
    concurrency: int = 4
    wait_s: int = 10
    #: Queue visibility timeout; read from the queue when None.
    visibility_s: int | None = None
    #: Called with (message id, seconds) when a message's visibility is extended.
    on_extend: Callable[[str, int], None] | None = None
    max_backoff_s: float = 20.0
    clock: Callable[[], float] = time.monotonic
    rng: random.Random = field(default_factory=random.Random)
    stats: ConsumerStats = field(default_factory=ConsumerStats)

    def run(
        self,
        stop: threading.Event,
        *,
        grace_s: float = 25.0,
        max_messages: int | None = None,
        budget_s: float | None = None,
    ) -> ConsumerStats:
        """Consume until ``stop`` is set (or ``max_messages`` handled / ``budget_s`` spent)."""
        deadline = None if budget_s is None else self.clock() + budget_s
        visibility = self.visibility_s or self._queue_visibility(stop, deadline)
        inflight: dict[str, _InFlight] = {}
        done: list[tuple[str, str]] = []
        failures = 0
        # One batch waiting behind the busy threads: receives always ask for a full 10.
        capacity = self.concurrency + BATCH_LIMIT
        # Not a `with` block: its exit would wait for a handler stuck past the grace period.
        pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="consumer")
        poller = ThreadPoolExecutor(1, thread_name_prefix="consumer-poll")
        try:
            while not stop.is_set():
                self._reap(inflight, done)
                self._delete(done, force=not inflight)
                self._extend(inflight, visibility)
                if max_messages is not None and self.stats.received >= max_messages:
                    if not inflight:
                        break
                    wait(
                        [f.future for f in inflight.values()],
                        timeout=1,
                        return_when=FIRST_COMPLETED,
                    )
                    continue
                if deadline is not None and self.clock() >= deadline:
                    break
                room = capacity - len(inflight)
                if max_messages is not None:
                    room = min(room, max_messages - self.stats.received)
                # A receive for fewer than 10 costs a call for little: wait for room unless idle.
                full_batch = room >= BATCH_LIMIT or not inflight
                if room <= 0 or not full_batch:
                    wait(
                        [f.future for f in inflight.values()],
                        timeout=1,
                        return_when=FIRST_COMPLETED,
                    )
                    continue
                try:
                    if inflight or budget_s:
                        messages = self._receive(min(room, BATCH_LIMIT), 1)
                    else:
                        polled = self._long_poll(poller, stop, min(room, BATCH_LIMIT))
                        if polled is None:
                            break
                        messages = polled
                except Exception as exc:
                    if not is_aws_error(exc):
                        raise
                    failures += 1
                    self._backoff(stop, failures, exc)
                    continue
                if failures:
                    _log.info("consumer.resumed", after_errors=failures)
                failures = 0
                if not messages and budget_s is not None:
                    break  # drained: nothing visible right now
                if stop.is_set():
                    self._release(messages)
                    break
                now = self.clock()
                for message in messages:
                    record = _record(message)
                    future = pool.submit(self._handle, record)
                    inflight[message["MessageId"]] = _InFlight(message, future, now, now)
        finally:
            poller.shutdown(wait=False)
            self._stop(pool, inflight, done, grace_s)
        return self.stats

    def _long_poll(
        self, poller: ThreadPoolExecutor, stop: threading.Event, count: int
    ) -> list[dict[str, Any]] | None:
        """An idle consumer's receive, or None when ``stop`` comes first.

        An empty long poll answers only when its wait is over (up to 8 s), and a
        stop (a test's app leaving its lifespan, a service's SIGTERM) would wait
        for it. The poll goes on in its own thread instead: what it brings is
        released at once when it answers, and the interpreter waits for that
        thread before it exits, so a stopped process leaves nothing invisible.
        """
        future = poller.submit(self._receive, count, self.wait_s)
        while not wait([future], timeout=_STOP_CHECK_S).done:
            if stop.is_set():
                future.add_done_callback(self._release_late)
                return None
        return future.result()

    def _release_late(self, future: Future[list[dict[str, Any]]]) -> None:
        if future.exception() is None:
            self._release(future.result())

    def _handle(self, record: SqsRecord) -> None:
        # In the trace of the request that queued the message, when tracing is on.
        with consumer_span(
            _queue_name(self.queue_url), record.message_id, record.message_attributes
        ):
            self.handle(record)

    def _stop(
        self,
        pool: ThreadPoolExecutor,
        inflight: dict[str, _InFlight],
        done: list[tuple[str, str]],
        grace_s: float,
    ) -> None:
        end = self.clock() + grace_s
        while inflight and self.clock() < end:
            wait(
                [f.future for f in inflight.values()],
                timeout=max(0.0, min(1.0, end - self.clock())),
                return_when=FIRST_COMPLETED,
            )
            self._reap(inflight, done)
        self._delete(done, force=True)
        if inflight:
            _log.warning("consumer.releasing_unfinished", count=len(inflight))
            for entry in inflight.values():
                entry.future.cancel()
            self._release([entry.message for entry in inflight.values()])
        pool.shutdown(wait=False, cancel_futures=True)

    def _receive(self, count: int, wait_s: int) -> list[dict[str, Any]]:
        self.stats.receive_calls += 1
        response = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=count,
            WaitTimeSeconds=min(wait_s, self._longest_poll_s()),
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages: list[dict[str, Any]] = response.get("Messages", [])
        self.stats.received += len(messages)
        return messages

    def _longest_poll_s(self) -> int:
        """The longest long poll the client's read timeout lets finish.

        SQS answers an empty long poll when the wait is over, so a wait as long as
        the client's read timeout (Trellis's default is 10 s for both) races it:
        the read times out, botocore retries the receive, and a stop waited
        through three polls instead of one. Two seconds of margin.
        """
        config = getattr(getattr(self.sqs, "meta", None), "config", None)
        read_timeout = getattr(config, "read_timeout", None)
        if not isinstance(read_timeout, int | float):
            return self.wait_s
        return max(0, min(self.wait_s, int(read_timeout) - 2))

    def _reap(self, inflight: dict[str, _InFlight], done: list[tuple[str, str]]) -> None:
        for message_id in [m for m, entry in inflight.items() if entry.future.done()]:
            entry = inflight.pop(message_id)
            if entry.future.cancelled():
                continue
            error = entry.future.exception()
            if error is None:
                self.stats.succeeded += 1
                done.append((message_id, entry.message["ReceiptHandle"]))
            else:
                self.stats.failed += 1
                _log.warning(
                    "consumer.message_failed",
                    message_id=message_id,
                    error=f"{type(error).__name__}: {error}",
                )

    def _delete(self, done: list[tuple[str, str]], *, force: bool) -> None:
        """Delete finished messages, 10 per call; wait for a full batch unless ``force``."""
        while len(done) >= BATCH_LIMIT or (force and done):
            batch, done[:] = done[:BATCH_LIMIT], done[BATCH_LIMIT:]
            self.stats.delete_calls += 1
            try:
                response = self.sqs.delete_message_batch(
                    QueueUrl=self.queue_url,
                    Entries=[
                        {"Id": str(i), "ReceiptHandle": handle}
                        for i, (_, handle) in enumerate(batch)
                    ],
                )
            except Exception as exc:
                if not is_aws_error(exc):
                    raise
                # Not deleted: the message comes back and idempotency skips the finished job.
                self.stats.aws_errors += 1
                _log.warning("consumer.delete_failed", count=len(batch), error=type(exc).__name__)
                continue
            for failed in response.get("Failed", []):
                _log.warning(
                    "consumer.delete_failed",
                    message_id=batch[int(failed["Id"])][0],
                    code=failed.get("Code"),
                )

    def _extend(self, inflight: dict[str, _InFlight], visibility: int) -> None:
        """Keep messages that are still being worked on invisible (a third of the timeout ahead)."""
        now = self.clock()
        due = [
            e
            for e in inflight.values()
            if now - e.extended_at >= visibility / 3 and not e.future.done()
        ]
        for start in range(0, len(due), BATCH_LIMIT):
            batch = due[start : start + BATCH_LIMIT]
            self.stats.visibility_calls += 1
            try:
                self.sqs.change_message_visibility_batch(
                    QueueUrl=self.queue_url,
                    Entries=[
                        {
                            "Id": str(i),
                            "ReceiptHandle": e.message["ReceiptHandle"],
                            "VisibilityTimeout": visibility,
                        }
                        for i, e in enumerate(batch)
                    ],
                )
            except Exception as exc:
                if not is_aws_error(exc):
                    raise
                self.stats.aws_errors += 1
                # Logged (an AccessDenied names the missing action): without the extension
                # a long job is delivered again while it still runs.
                translate_aws_error(
                    exc, operation="ChangeMessageVisibilityBatch", resource=self.queue_url
                )
                continue
            for entry in batch:
                entry.extended_at = now
                if self.on_extend is not None:
                    self.on_extend(entry.message["MessageId"], visibility)

    def _release(self, messages: list[dict[str, Any]]) -> None:
        """Make messages visible again now, for another consumer (or this one after a restart)."""
        for start in range(0, len(messages), BATCH_LIMIT):
            batch = messages[start : start + BATCH_LIMIT]
            self.stats.visibility_calls += 1
            try:
                self.sqs.change_message_visibility_batch(
                    QueueUrl=self.queue_url,
                    Entries=[
                        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
                        for i, m in enumerate(batch)
                    ],
                )
                self.stats.released += len(batch)
            except Exception as exc:
                if not is_aws_error(exc):
                    raise
                self.stats.aws_errors += 1  # they come back after their visibility timeout anyway
                translate_aws_error(
                    exc, operation="ChangeMessageVisibilityBatch", resource=self.queue_url
                )

    def _backoff(self, stop: threading.Event, failures: int, exc: BaseException) -> None:
        """Exponential backoff with jitter, cut short by ``stop``."""
        self.stats.aws_errors += 1
        delay = min(self.max_backoff_s, 0.25 * 2**failures) * self.rng.uniform(0.5, 1.0)
        if failures == 1:
            # Says what failed (an AccessDenied names the missing action and resource).
            translate_aws_error(exc, resource=self.queue_url)
        if failures == 1 or failures % 10 == 0:
            _log.warning("consumer.backoff", error=type(exc).__name__, retry_in_s=round(delay, 2))
        stop.wait(delay)

    def _queue_visibility(self, stop: threading.Event, deadline: float | None) -> int:
        failures = 0
        while True:
            try:
                attrs = self.sqs.get_queue_attributes(
                    QueueUrl=self.queue_url, AttributeNames=["VisibilityTimeout"]
                )
                return int(attrs["Attributes"]["VisibilityTimeout"])
            except Exception as exc:
                if not is_aws_error(exc) or stop.is_set():
                    raise
                if deadline is not None and self.clock() >= deadline:
                    # A run with a budget (a drain request) reports the error instead
                    # of retrying past its budget.
                    raise translate_aws_error(
                        exc, operation="GetQueueAttributes", resource=self.queue_url
                    ) from exc
                failures += 1
                self._backoff(stop, failures, exc)


def _queue_name(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


def _record(message: dict[str, Any]) -> SqsRecord:
    return SqsRecord(
        message_id=message["MessageId"],
        receipt_handle=message["ReceiptHandle"],
        body=message["Body"],
        attributes={k: str(v) for k, v in message.get("Attributes", {}).items()},
        message_attributes=message.get("MessageAttributes", {}),
    )
