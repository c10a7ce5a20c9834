"""What feeds :class:`DevEvents`: the gateway, the event sources, the IAM decision log."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trellis.local.dashboard._grants import grant_for
from trellis.local.dashboard._hub import Delivery, Denial, DevEvents, Request, Span
from trellis.local.gateway import RequestRecord
from trellis.local.services import InvokeResult
from trellis.manifest import Manifest

if TYPE_CHECKING:
    from trellis.local.event_source import SqsEventSource

_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
#: The decision log is cut back to nothing past this size (the emulator appends to it).
MAX_DECISION_LOG_BYTES = 16 * 1024 * 1024


def record_request(events: DevEvents, record: RequestRecord) -> None:
    """A gateway request: a row of the requests page, and the root span of its trace."""
    events.request(
        Request(
            seq=events.new_seq(),
            time=record.started,
            method=record.method,
            path=record.path,
            status=record.status,
            duration_ms=record.duration_ms,
            service=record.service,
            trace_id=record.trace_id,
            principal=record.principal,
        )
    )
    start = int(record.started * 1e9)
    events.spans(
        [
            Span(
                trace_id=record.trace_id,
                span_id=record.span_id,
                parent_id=record.parent_span_id,
                name=f"{record.method} {record.path}",
                service="gateway",
                start_ns=start,
                end_ns=start + int(record.duration_ms * 1e6),
                kind="server",
                error=record.status >= 500,
                attributes={
                    "http.request.method": record.method,
                    "url.path": record.path,
                    "http.response.status_code": record.status,
                    "trellis.service": record.service or "",
                },
            )
        ]
    )


class DeliveryFeed:
    """An event source observer: each record's time in the queue as a span, and its outcome."""

    def __init__(self, events: DevEvents) -> None:
        self.events = events
        self._traces: dict[str, str] = {}

    def received(self, source: SqsEventSource, records: list[dict[str, Any]]) -> None:
        now = time.time_ns()
        spans = []
        for record in records:
            attribute = (record.get("messageAttributes") or {}).get("traceparent")
            if not isinstance(attribute, dict):
                continue
            match = _TRACEPARENT.match(str(attribute.get("stringValue") or ""))
            if not match:
                continue
            trace_id, parent, flags = match.groups()
            span_id = secrets.token_hex(8)
            sent_ms = int(record.get("attributes", {}).get("SentTimestamp", now // 1_000_000))
            spans.append(
                Span(
                    trace_id=trace_id,
                    span_id=span_id,
                    parent_id=parent,
                    name=f"{source.queue_name} (in the queue)",
                    service="sqs",
                    start_ns=sent_ms * 1_000_000,
                    end_ns=now,
                    kind="consumer",
                    attributes={
                        "messaging.message.id": record["messageId"],
                        "messaging.destination.name": source.queue_name,
                        "receive_count": record.get("attributes", {}).get(
                            "ApproximateReceiveCount", "1"
                        ),
                    },
                )
            )
            # The consumer's span becomes a child of the queue's: same trace, same sampling.
            attribute["stringValue"] = f"00-{trace_id}-{span_id}-{flags}"
            self._traces[record["messageId"]] = trace_id
        if spans:
            self.events.spans(spans)

    def settled(
        self,
        source: SqsEventSource,
        records: list[dict[str, Any]],
        result: InvokeResult,
        failed: set[str],
        seconds: float,
    ) -> None:
        for record in records:
            message_id = record["messageId"]
            try:
                receives = int(record.get("attributes", {}).get("ApproximateReceiveCount", "1"))
            except ValueError:
                receives = 1
            if message_id not in failed:
                status = "succeeded"
            elif result.init_error:
                status = "not run"
            elif source.max_receive_count and receives >= source.max_receive_count:
                status = "dead-lettered"
            else:
                status = "retrying"
            error = None
            if status != "succeeded":
                error = result.error or "reported in batchItemFailures"
            self.events.delivery(
                Delivery(
                    seq=self.events.new_seq(),
                    time=time.time(),
                    queue=source.queue_name,
                    service=source.function.name,
                    message_id=message_id,
                    body=str(record.get("body", "")),
                    receive_count=receives,
                    status=status,
                    duration_ms=seconds * 1000,
                    error=error,
                    trace_id=self._traces.pop(message_id, None),
                )
            )


class DecisionTail:
    """Reads the emulator's decision log as it grows and reports each denial with its fix."""

    def __init__(
        self,
        path: Path,
        events: DevEvents,
        manifest: Manifest,
        env: str,
        account_id: str,
        users: Callable[[], dict[str, str]],
        log: Callable[[str, str], None] = lambda _n, _l: None,
    ) -> None:
        self.path = path
        self.events = events
        self.manifest = manifest
        self.env = env
        self.account_id = account_id
        #: IAM user name → service.
        self.users = users
        self.log = log
        self._offset = 0
        self._partial = b""

    def read(self) -> int:
        """Report what was appended since the last call; returns how many denials."""
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            return 0
        if size < self._offset:
            self._offset, self._partial = 0, b""
        with self.path.open("rb") as f:
            f.seek(self._offset)
            chunk = f.read()
            self._offset = f.tell()
        if size > MAX_DECISION_LOG_BYTES:
            # The emulator appends (O_APPEND): after this its next line starts the file again.
            with contextlib.suppress(OSError), self.path.open("r+b") as f:
                f.truncate(0)
            self._offset = 0
        data = self._partial + chunk
        lines = data.split(b"\n")
        self._partial = lines.pop()
        denials = 0
        users = self.users()
        for line in lines:
            try:
                decision = json.loads(line)
            except ValueError:
                continue
            if decision.get("allowed", True):
                continue
            user = str(decision.get("user", ""))
            service = users.get(user, user)
            action = str(decision.get("action", ""))
            resource = str(decision.get("resource", ""))
            if service in self.manifest.services:
                grant = grant_for(
                    self.manifest, self.env, self.account_id, service, action, resource
                )
                change, command = grant.change, grant.command
            else:
                change, command = f"{user} is not a service of trellis.toml", None
            self.events.denial(
                Denial(
                    seq=self.events.new_seq(),
                    time=time.time(),
                    service=service,
                    user=user,
                    action=action,
                    resource=resource,
                    change=change,
                    command=command,
                )
            )
            self.log(
                "trellis",
                f"IAM denied {service} {action} on {resource}; to grant it: {command or change}",
            )
            denials += 1
        return denials

    async def run(self, stop: asyncio.Event, interval_s: float = 0.25) -> None:
        while not stop.is_set():
            self.read()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval_s)
        self.read()
