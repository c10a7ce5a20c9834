"""What ``trellis dev`` saw recently, in bounded memory: the dashboard reads it.

Every part of the stack reports here as things happen: the console log (each
service's lines), the gateway (each request and its span), the OTLP receiver
(the services' spans), the event sources (each batch and its records'
outcomes) and the IAM decision log (denials). Each collection is a ring
buffer, so a long session keeps the latest of everything and no more.
"""

from __future__ import annotations

import collections
import itertools
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

#: How much of each thing is kept.
MAX_LOG_LINES = 2000
MAX_REQUESTS = 500
MAX_TRACES = 300
MAX_SPANS_PER_TRACE = 500
MAX_DELIVERIES = 1000
MAX_DENIALS = 200


@dataclass(frozen=True)
class LogLine:
    seq: int
    time: float
    service: str
    text: str


@dataclass(frozen=True)
class Span:
    """One span, from the gateway, the event sources or a service (over OTLP)."""

    trace_id: str
    span_id: str
    parent_id: str | None
    name: str
    service: str
    start_ns: int
    end_ns: int
    kind: str = "internal"
    error: bool = False
    attributes: dict[str, Any] = field(default_factory=dict)

    @property
    def duration_ms(self) -> float:
        return max(0, self.end_ns - self.start_ns) / 1e6


@dataclass(frozen=True)
class Request:
    seq: int
    time: float
    method: str
    path: str
    status: int
    duration_ms: float
    service: str | None
    trace_id: str
    principal: str = ""


@dataclass(frozen=True)
class Delivery:
    """What happened to one message an event source handed to a function."""

    seq: int
    time: float
    queue: str
    service: str
    message_id: str
    body: str
    receive_count: int
    #: ``succeeded``, ``retrying`` (failed, will be received again), ``dead-lettered``
    #: (failed its last allowed receive), ``not run`` (the function could not start).
    status: str
    duration_ms: float
    error: str | None = None
    trace_id: str | None = None


@dataclass(frozen=True)
class Denial:
    seq: int
    time: float
    service: str
    user: str
    action: str
    resource: str
    #: The manifest change that would grant it, and the command that makes it.
    change: str
    command: str | None


@dataclass
class _Trace:
    spans: dict[str, Span] = field(default_factory=dict)
    first_seen: float = field(default_factory=time.time)


class DevEvents:
    """The recent history of a ``trellis dev`` stack. Thread-safe; writers never block long."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seq = itertools.count(1)
        self.version = 0
        self.logs: dict[str, collections.deque[LogLine]] = {}
        self.requests: collections.deque[Request] = collections.deque(maxlen=MAX_REQUESTS)
        self.deliveries: collections.deque[Delivery] = collections.deque(maxlen=MAX_DELIVERIES)
        self.denials: collections.deque[Denial] = collections.deque(maxlen=MAX_DENIALS)
        self._traces: collections.OrderedDict[str, _Trace] = collections.OrderedDict()

    def _next(self) -> int:
        self.version += 1
        return next(self._seq)

    # --- writers --------------------------------------------------------------------------

    def log(self, service: str, text: str) -> None:
        with self._lock:
            lines = self.logs.setdefault(service, collections.deque(maxlen=MAX_LOG_LINES))
            lines.append(LogLine(self._next(), time.time(), service, text))

    def request(self, request: Request) -> None:
        with self._lock:
            self.requests.append(request)
            self.version += 1

    def new_seq(self) -> int:
        with self._lock:
            return self._next()

    def spans(self, spans: Iterable[Span]) -> None:
        with self._lock:
            for span in spans:
                trace = self._traces.get(span.trace_id)
                if trace is None:
                    trace = self._traces[span.trace_id] = _Trace()
                    while len(self._traces) > MAX_TRACES:
                        self._traces.popitem(last=False)
                if len(trace.spans) < MAX_SPANS_PER_TRACE:
                    trace.spans[span.span_id] = span
            self.version += 1

    def delivery(self, delivery: Delivery) -> None:
        with self._lock:
            self.deliveries.append(delivery)
            self.version += 1

    def denial(self, denial: Denial) -> None:
        with self._lock:
            self.denials.append(denial)
            self.version += 1

    # --- readers --------------------------------------------------------------------------

    def log_lines(self, service: str | None = None, contains: str = "") -> list[LogLine]:
        """Log lines of one service (or all, in order), those containing ``contains``."""
        with self._lock:
            if service:
                lines = list(self.logs.get(service, ()))
            else:
                lines = sorted(
                    (line for lines in self.logs.values() for line in lines), key=lambda x: x.seq
                )
        if contains:
            needle = contains.lower()
            lines = [line for line in lines if needle in line.text.lower()]
        return lines

    def trace(self, trace_id: str) -> list[Span]:
        """A trace's spans by start time."""
        with self._lock:
            trace = self._traces.get(trace_id)
            spans = list(trace.spans.values()) if trace else []
        return sorted(spans, key=lambda s: (s.start_ns, s.end_ns))

    def traces(self) -> list[tuple[str, list[Span]]]:
        """Recent traces, newest first, with their spans."""
        with self._lock:
            items = [(tid, list(t.spans.values())) for tid, t in self._traces.items()]
        items.reverse()
        return items

    def jobs(self) -> list[Delivery]:
        """The latest delivery of each message, newest first."""
        with self._lock:
            deliveries = list(self.deliveries)
        latest: dict[str, Delivery] = {}
        for delivery in deliveries:
            latest[delivery.message_id] = delivery
        return sorted(latest.values(), key=lambda d: d.seq, reverse=True)

    def delivery_of(self, message_id: str) -> Delivery | None:
        with self._lock:
            for delivery in reversed(self.deliveries):
                if delivery.message_id == message_id:
                    return delivery
        return None
