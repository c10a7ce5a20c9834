"""Publishing to an EventBridge bus within its limits (see the package docstring)."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from trellis.runtime._errors import (
    AccessDenied,
    DependencyError,
    DependencyUnavailable,
    PayloadTooLarge,
    Throttled,
    TrellisError,
    aws_errors,
)
from trellis.runtime._logging import get_logger

#: PutEvents: entries per call, and bytes per call (the entries' sizes summed).
BATCH_LIMIT = 10
MAX_REQUEST_BYTES = 262_144
#: What EventBridge reserves: a custom event's source may not start with it.
_AWS_SOURCE_PREFIX = "aws."

_log = get_logger("trellis.runtime.events")

#: Entry error codes PutEvents reports in ``FailedEntryCount``/``Entries``, by family.
_THROTTLED_ENTRY = frozenset({"ThrottlingException", "LimitExceededException"})
_TRANSIENT_ENTRY = frozenset({"InternalFailure", "InternalException", "ServiceUnavailable"})
_DENIED_ENTRY = frozenset({"AccessDeniedException", "NotAuthorizedForSourceException"})
_REJECTED_ENTRY = frozenset({"InvalidArgument", "MalformedDetail", "ValidationException"})


@dataclass(frozen=True)
class OutgoingEvent:
    """One event to publish: its ``detail-type``, its ``detail`` (a JSON object) and resources."""

    detail_type: str
    detail: dict[str, Any]
    resources: tuple[str, ...] = ()

    def detail_json(self) -> str:
        return json.dumps(self.detail, separators=(",", ":"), default=str)


@dataclass(frozen=True)
class PublishResult:
    """What happened to one event: EventBridge's event id, or the error that stopped it."""

    index: int
    event_id: str | None = None
    error: TrellisError | None = None

    @property
    def ok(self) -> bool:
        return self.event_id is not None


def entry_size(source: str, detail_type: str, detail: str, resources: Sequence[str] = ()) -> int:
    """Bytes EventBridge counts for one PutEvents entry (no ``Time``: the bus stamps it).

    https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html

    >>> entry_size("acme.api", "OrderPaid", '{"id":"1"}')
    27
    """
    return (
        len(source.encode())
        + len(detail_type.encode())
        + len(detail.encode())
        + sum(len(r.encode()) for r in resources)
    )


def _entry_error(code: str, message: str) -> TrellisError:
    if code in _THROTTLED_ENTRY:
        return Throttled()
    if code in _TRANSIENT_ENTRY:
        return DependencyUnavailable()
    if code in _DENIED_ENTRY:
        return AccessDenied()
    if code in _REJECTED_ENTRY:
        # The service built the entry: its bug, not the caller's (a 502, not a 400).
        return DependencyError(f"EventBridge rejected the event: {message or code}")
    return DependencyError()


class EventPublisher:
    """Puts events on one bus: ``publish`` one, ``publish_batch`` many.

    ``source`` is every event's ``source`` (rules match on it): by default the service's
    ``<project>.<service>``, which the scaffolded accessor passes.
    """

    def __init__(
        self,
        client: Any,
        bus_arn: str,
        *,
        source: str,
        max_attempts: int = 3,
        base_delay_s: float = 0.05,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        if not source or source.startswith(_AWS_SOURCE_PREFIX):
            raise ValueError(f"event source {source!r}: empty, or AWS's own (aws.*)")
        self._client = client
        self.bus_arn = bus_arn
        self.source = source
        self._max_attempts = max(1, max_attempts)
        self._base_delay_s = base_delay_s
        self._sleep = sleep
        self._jitter = jitter

    def publish(
        self, detail_type: str, detail: dict[str, Any], *, resources: Sequence[str] = ()
    ) -> str:
        """Publish one event; return its event id.

        Raises :class:`~trellis.runtime.PayloadTooLarge` before any call when the entry is
        over 256 KiB, and the platform error of a call or entry that failed (throttling that
        outlasted the retries is :class:`~trellis.runtime.Throttled`, a 503): a failed entry
        is never silence.
        """
        (result,) = self.publish_batch([OutgoingEvent(detail_type, detail, tuple(resources))])
        if result.error is not None:
            raise result.error
        assert result.event_id is not None
        return result.event_id

    def publish_batch(self, events: Sequence[OutgoingEvent]) -> list[PublishResult]:
        """Publish ``events`` in calls of at most 10 entries and 256 KiB; one result per event.

        Entries EventBridge failed with a transient code (throttling, internal failure) are
        retried with backoff and jitter; every other failure is reported in its result. An
        event over the size limit is reported as :class:`PayloadTooLarge` without a call.
        """
        results: dict[int, PublishResult] = {}
        pending: list[tuple[int, dict[str, Any], int]] = []
        for index, event in enumerate(events):
            entry = self._entry(event)
            size = entry_size(self.source, event.detail_type, entry["Detail"], event.resources)
            if size > MAX_REQUEST_BYTES:
                results[index] = PublishResult(
                    index,
                    error=PayloadTooLarge(
                        f"event {index} is {size} bytes; EventBridge takes at most "
                        f"{MAX_REQUEST_BYTES} (put large payloads in a bucket, send the key)"
                    ),
                )
            else:
                pending.append((index, entry, size))
        for call in self._calls(pending):
            results.update(self._put(call))
        return [results[i] for i in range(len(events))]

    def _entry(self, event: OutgoingEvent) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "Source": self.source,
            "DetailType": event.detail_type,
            "Detail": event.detail_json(),
            "EventBusName": self.bus_arn,
        }
        if event.resources:
            entry["Resources"] = list(event.resources)
        return entry

    @staticmethod
    def _calls(
        pending: list[tuple[int, dict[str, Any], int]],
    ) -> list[list[tuple[int, dict[str, Any]]]]:
        calls: list[list[tuple[int, dict[str, Any]]]] = []
        current: list[tuple[int, dict[str, Any]]] = []
        current_bytes = 0
        for index, entry, size in pending:
            if current and (
                len(current) == BATCH_LIMIT or current_bytes + size > MAX_REQUEST_BYTES
            ):
                calls.append(current)
                current, current_bytes = [], 0
            current.append((index, entry))
            current_bytes += size
        if current:
            calls.append(current)
        return calls

    def _put(self, call: list[tuple[int, dict[str, Any]]]) -> dict[int, PublishResult]:
        out: dict[int, PublishResult] = {}
        todo = call
        for attempt in range(1, self._max_attempts + 1):
            try:
                with aws_errors("PutEvents", self.bus_arn):
                    response = self._client.put_events(Entries=[entry for _, entry in todo])
            except TrellisError as exc:
                if not isinstance(exc, Throttled | DependencyUnavailable) or (
                    attempt == self._max_attempts
                ):
                    out.update({i: PublishResult(i, error=exc) for i, _ in todo})
                    return out
                self._backoff(attempt)
                continue
            retry: list[tuple[int, dict[str, Any]]] = []
            for (index, entry), answer in zip(todo, response.get("Entries") or [], strict=False):
                event_id = answer.get("EventId")
                if event_id and not answer.get("ErrorCode"):
                    out[index] = PublishResult(index, event_id=str(event_id))
                    continue
                code = str(answer.get("ErrorCode") or "")
                error = _entry_error(code, str(answer.get("ErrorMessage") or ""))
                if isinstance(error, Throttled | DependencyUnavailable) and (
                    attempt < self._max_attempts
                ):
                    retry.append((index, entry))
                    continue
                _log.warning(
                    "events.entry_failed",
                    bus=self.bus_arn,
                    detail_type=entry["DetailType"],
                    aws_code=code,
                    aws_message=answer.get("ErrorMessage"),
                    translated=error.code,
                )
                out[index] = PublishResult(index, error=error)
            # An answer shorter than the request (never seen) must not lose events silently.
            for index, _entry in todo[len(response.get("Entries") or []) :]:
                out[index] = PublishResult(index, error=DependencyError())
            if not retry:
                return out
            todo = retry
            self._backoff(attempt)
        return out

    def _backoff(self, attempt: int) -> None:
        # Full jitter: many publishers throttled together must not retry together.
        self._sleep(self._base_delay_s * 2 ** (attempt - 1) * (0.5 + self._jitter()))


def default_source(project: str, service: str) -> str:
    """The ``source`` a service's events carry unless it says otherwise: ``<project>.<service>``."""
    return f"{project}.{service}"


__all__ = [
    "BATCH_LIMIT",
    "MAX_REQUEST_BYTES",
    "EventPublisher",
    "OutgoingEvent",
    "PublishResult",
    "default_source",
    "entry_size",
]
