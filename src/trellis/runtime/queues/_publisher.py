"""Publishing to SQS within its limits (see the package docstring)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from trellis.runtime._errors import (
    PayloadTooLarge,
    TrellisError,
    aws_errors,
    is_aws_error,
    is_transient_aws_error,
    translate_aws_error,
)
from trellis.runtime._tracing import trace_carrier, tracing_enabled

#: SQS maximum message size (body + attributes), raised from 256 KiB to 1 MiB in 2025.
MAX_MESSAGE_BYTES = 1_048_576
#: Entries per SendMessageBatch / DeleteMessageBatch / ChangeMessageVisibilityBatch call.
BATCH_LIMIT = 10


@dataclass(frozen=True)
class OutgoingMessage:
    """One message to send; ``attributes`` are string message attributes."""

    body: str
    attributes: dict[str, str] = field(default_factory=dict)
    group_id: str | None = None
    deduplication_id: str | None = None

    @property
    def size(self) -> int:
        return message_size(self.body, self.attributes)


@dataclass(frozen=True)
class SendResult:
    """What happened to one entry of a batch: its message id, or the error that stopped it."""

    index: int
    message_id: str | None = None
    error: TrellisError | None = None

    @property
    def ok(self) -> bool:
        return self.message_id is not None


def message_size(body: str, attributes: dict[str, str] | None = None) -> int:
    """Bytes SQS counts against the limit: the body plus each attribute's name, type and value."""
    size = len(body.encode())
    for name, value in (attributes or {}).items():
        size += len(name.encode()) + len(b"String") + len(value.encode())
    return size


#: Message attributes SQS allows on one message.
MAX_ATTRIBUTES = 10


def _attributes(attributes: dict[str, str], room: int) -> dict[str, Any]:
    """SQS message attributes, plus the trace context when tracing and it fits.

    ``room`` is how many bytes the message may still grow by: the trace
    context never pushes a message over its limit, nor past 10 attributes.
    """
    out = {k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()}
    for name, value in trace_carrier().items():
        if name in out or len(out) >= MAX_ATTRIBUTES:
            break
        if message_size("", {name: value}) <= room:
            out[name] = {"DataType": "String", "StringValue": value}
    return out


class Publisher:
    """Sends to one queue. ``sleep`` and ``rng`` are injectable so retries test without waiting."""

    def __init__(
        self,
        sqs: Any,
        queue_url: str,
        *,
        max_message_bytes: int = MAX_MESSAGE_BYTES,
        max_attempts: int = 4,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.sqs = sqs
        self.queue_url = queue_url
        self.max_message_bytes = max_message_bytes
        self.max_attempts = max_attempts
        self._sleep = sleep
        self._rng = rng or random.Random()
        self.calls = 0

    def check_size(self, message: OutgoingMessage) -> None:
        """Raise :class:`PayloadTooLarge` when ``message`` is over the queue's limit."""
        if message.size > self.max_message_bytes:
            raise PayloadTooLarge(
                f"message is {message.size} bytes; the queue accepts at most {self.max_message_bytes}"
            )

    def send(self, body: str, attributes: dict[str, str] | None = None, **fifo: str) -> str:
        """Send one message and return its id (``fifo``: ``group_id``, ``deduplication_id``)."""
        message = OutgoingMessage(
            body, attributes or {}, fifo.get("group_id"), fifo.get("deduplication_id")
        )
        self.check_size(message)
        request: dict[str, Any] = {"QueueUrl": self.queue_url, "MessageBody": body}
        attributes = _attributes(message.attributes, self.max_message_bytes - message.size)
        if attributes:
            request["MessageAttributes"] = attributes
        if message.group_id:
            request["MessageGroupId"] = message.group_id
        if message.deduplication_id:
            request["MessageDeduplicationId"] = message.deduplication_id
        self.calls += 1
        with aws_errors("SendMessage", self.queue_url):
            return str(self.sqs.send_message(**request)["MessageId"])

    def send_batch(self, messages: Sequence[OutgoingMessage]) -> list[SendResult]:
        """Send many messages in as few calls as the limits allow; one result per message, in order."""
        results: dict[int, SendResult] = {}
        pending: list[int] = []
        for index, message in enumerate(messages):
            if message.size > self.max_message_bytes:
                results[index] = SendResult(
                    index,
                    error=PayloadTooLarge(
                        f"message is {message.size} bytes; the queue accepts at most {self.max_message_bytes}"
                    ),
                )
            else:
                pending.append(index)
        attempt = 0
        while pending:
            attempt += 1
            retry: list[int] = []
            for chunk in self._chunks(pending, messages):
                retry.extend(
                    self._send_chunk(chunk, messages, results, final=attempt >= self.max_attempts)
                )
            pending = retry
            if pending:
                self._sleep(min(5.0, 0.1 * 2**attempt) * self._rng.uniform(0.5, 1.0))
        return [results[i] for i in range(len(messages))]

    def _chunks(self, indexes: list[int], messages: Sequence[OutgoingMessage]) -> list[list[int]]:
        chunks: list[list[int]] = []
        current: list[int] = []
        size = 0
        # Room for the trace context each entry may carry (see _attributes).
        overhead = 100 if tracing_enabled() else 0
        for index in indexes:
            msg_size = messages[index].size + overhead
            if current and (
                len(current) == BATCH_LIMIT or size + msg_size > self.max_message_bytes
            ):
                chunks.append(current)
                current, size = [], 0
            current.append(index)
            size += msg_size
        if current:
            chunks.append(current)
        return chunks

    def _send_chunk(
        self,
        chunk: list[int],
        messages: Sequence[OutgoingMessage],
        results: dict[int, SendResult],
        *,
        final: bool,
    ) -> list[int]:
        entries = []
        for index in chunk:
            message = messages[index]
            entry: dict[str, Any] = {"Id": str(index), "MessageBody": message.body}
            # Chunks are sized without the trace context: it goes only where a message has room.
            attributes = _attributes(message.attributes, self.max_message_bytes - message.size)
            if attributes:
                entry["MessageAttributes"] = attributes
            if message.group_id:
                entry["MessageGroupId"] = message.group_id
            if message.deduplication_id:
                entry["MessageDeduplicationId"] = message.deduplication_id
            entries.append(entry)
        self.calls += 1
        try:
            response = self.sqs.send_message_batch(QueueUrl=self.queue_url, Entries=entries)
        except Exception as exc:
            if not is_aws_error(exc):
                raise
            error = translate_aws_error(exc, operation="SendMessageBatch", resource=self.queue_url)
            # AccessDenied and a missing queue are 5xx for our clients, but no retry fixes them.
            if final or not is_transient_aws_error(exc):
                for index in chunk:
                    results[index] = SendResult(index, error=error)
                return []
            return chunk
        for ok in response.get("Successful", []):
            index = int(ok["Id"])
            results[index] = SendResult(index, message_id=ok["MessageId"])
        retry: list[int] = []
        for failed in response.get("Failed", []):
            index = int(failed["Id"])
            if failed.get("SenderFault") or final:
                results[index] = SendResult(
                    index,
                    error=TrellisError(
                        f"SQS rejected the message: {failed.get('Code', 'unknown')}"
                    ),
                )
            else:
                retry.append(index)
        return retry
