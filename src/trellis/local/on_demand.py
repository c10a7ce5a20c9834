"""Test events on demand: one SQS message, schedule firing or S3 notification, sent the real way.

``trellis invoke <service> --event sqs|schedule|s3`` and the dashboard's buttons
call :func:`send_event` in the running ``trellis dev``. Each event takes
the path its source takes in AWS, so the service's code sees exactly what it
would see there:

- ``sqs``: the message is sent to the queue the service consumes; the queue's
  event source (or a container's own consumer loop) receives it, in a batch,
  with partial batch failures and the DLQ as usual;
- ``schedule``: what EventBridge Scheduler delivers: the schedule's payload,
  sent to its target queue, or its envelope as the event of its target Lambda
  function (:func:`trellis.local.scheduler.fire`);
- ``s3``: the object-created notification of a bucket whose notifications go
  to a queue the service consumes. With content the object is put (the
  emulator sends the notification itself, as S3 does); without, the object
  must exist and its notification is sent again, built as S3 builds it.

The result says what happened to the event: for a Lambda consumer, the
outcome of the delivery (succeeded, retrying, dead-lettered) once it is known.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_plus

from trellis import naming
from trellis.kinds import BUCKET, QUEUE, SCHEDULE
from trellis.local.dashboard._hub import Span
from trellis.manifest import Manifest

if TYPE_CHECKING:
    from trellis.local.dev import DevStack

EVENT_KINDS = ("sqs", "schedule", "s3")


class EventError(ValueError):
    """The event cannot be sent as asked; the message says what to change."""


@dataclass
class EventOutcome:
    """What became of one test event."""

    event: str
    service: str
    #: Where it went: ``queue <name>`` or ``function <name>``.
    via: str
    ok: bool
    #: ``succeeded``, ``retrying``, ``dead-lettered``, ``not run``, ``sent`` (no outcome known:
    #: a container's consumer loop, or the wait ran out), ``invoked``, ``failed``.
    status: str
    message_id: str | None = None
    payload: Any = None
    error: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def consumed_queues(manifest: Manifest, service: str) -> list[str]:
    return [q for q, levels in manifest.services[service].uses.items() if "consume" in levels]


def _pick(what: str, wanted: str | None, choices: list[str], flag: str) -> str:
    if wanted is not None:
        if wanted not in choices:
            raise EventError(
                f"{flag} {wanted}: not one of {', '.join(choices) or 'none'} for this service"
            )
        return wanted
    if not choices:
        raise EventError(f"no {what} for this service")
    if len(choices) > 1:
        raise EventError(f"several {what}s ({', '.join(choices)}): pick one with {flag}")
    return choices[0]


async def send_event(
    stack: DevStack,
    service: str,
    event: str,
    *,
    queue: str | None = None,
    body: str | None = None,
    schedule: str | None = None,
    bucket: str | None = None,
    key: str | None = None,
    content: bytes | None = None,
    wait_s: float = 30.0,
) -> EventOutcome:
    """Send one ``event`` to ``service`` and wait up to ``wait_s`` for its outcome."""
    manifest = stack.manifest
    if service not in manifest.services:
        raise EventError(f"unknown service {service!r} (services: {', '.join(manifest.services)})")
    if event not in EVENT_KINDS:
        raise EventError(f"--event {event}: one of {', '.join(EVENT_KINDS)}")
    if event == "sqs":
        name = _pick("consumed queue", queue, consumed_queues(manifest, service), "--queue")
        if body is None:
            raise EventError("an SQS test event needs a body (--body)")
        return await _via_queue(stack, service, "sqs", name, body, wait_s)
    if event == "schedule":
        return await _schedule(stack, service, schedule, wait_s)
    return await _s3(stack, service, bucket, key, content, wait_s)


async def _schedule(
    stack: DevStack, service: str, wanted: str | None, wait_s: float
) -> EventOutcome:
    manifest = stack.manifest
    queues = consumed_queues(manifest, service)
    choices = [
        name
        for name, s in manifest.specs(SCHEDULE).items()
        if s.target == service or s.target in queues
    ]
    name = _pick("schedule", wanted, choices, "--schedule")
    from trellis.local.scheduler import fire

    return await fire(stack, name, wait_s=wait_s)


async def _s3(
    stack: DevStack,
    service: str,
    bucket: str | None,
    key: str | None,
    content: bytes | None,
    wait_s: float,
) -> EventOutcome:
    manifest = stack.manifest
    queues = consumed_queues(manifest, service)
    choices = [
        b
        for b, spec in manifest.specs(BUCKET).items()
        if any(n.queue in queues for n in spec.notifications)
    ]
    name = _pick("bucket notifying a queue it consumes", bucket, choices, "--bucket")
    if not key:
        raise EventError("an S3 test event needs the object's key (--key)")
    notification = next(n for n in manifest.specs(BUCKET)[name].notifications if n.queue in queues)
    if not (key.startswith(notification.prefix) and key.endswith(notification.suffix)):
        raise EventError(
            f"{key} does not match buckets.{name}'s notification "
            f"(prefix {notification.prefix!r}, suffix {notification.suffix!r}): S3 would send no event"
        )
    assert stack.emulator is not None and stack.addresses is not None
    physical = stack.addresses.address("bucket", name)
    s3 = stack.emulator.client("s3")
    if content is not None:
        # The emulator sends the notification itself, as S3 does on a put.
        started = time.time()
        await asyncio.to_thread(s3.put_object, Bucket=physical, Key=key, Body=content)
        result = EventOutcome(
            event="s3",
            service=service,
            via=f"queue {notification.queue}",
            ok=True,
            status="sent",
            detail={"bucket": physical, "key": key, "put": len(content)},
        )
        return await _outcome(stack, service, result, wait_s, key=key, since=started)
    try:
        head = await asyncio.to_thread(s3.head_object, Bucket=physical, Key=key)
    except Exception as exc:  # noqa: BLE001 - any failure means there is no object to announce
        raise EventError(
            f"no object s3://{physical}/{key} ({type(exc).__name__}): upload one, or pass "
            "its content (--file) to put it"
        ) from None
    region = manifest.project.region
    now = datetime.now(UTC)
    record = {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": region,
        "eventTime": now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z",
        "eventName": "ObjectCreated:Put",
        "userIdentity": {"principalId": "AWS:trellis-dev"},
        "requestParameters": {"sourceIPAddress": "127.0.0.1"},
        "responseElements": {"x-amz-request-id": uuid.uuid4().hex[:16].upper()},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": f"{naming.physical_name(manifest.project.name, stack.options.env, name)}-{notification.queue}",
            "bucket": {
                "name": physical,
                "ownerIdentity": {"principalId": "trellis-dev"},
                "arn": f"arn:aws:s3:::{physical}",
            },
            "object": {
                "key": quote_plus(key, safe="/"),
                "size": int(head.get("ContentLength", 0)),
                "eTag": str(head.get("ETag", "")).strip('"'),
                **({"versionId": head["VersionId"]} if head.get("VersionId") else {}),
                "sequencer": f"{time.time_ns():X}",
            },
        },
    }
    body = json.dumps({"Records": [record]})
    return await _via_queue(
        stack, service, "s3", notification.queue, body, wait_s, detail={"bucket": physical}
    )


async def _via_queue(
    stack: DevStack,
    service: str,
    event: str,
    queue: str,
    body: str,
    wait_s: float,
    schedule: str | None = None,
    detail: dict[str, Any] | None = None,
) -> EventOutcome:
    assert stack.emulator is not None and stack.addresses is not None
    url = stack.addresses.address("queue", queue)
    # The event opens a trace of its own, which the queue and the consumer's spans join.
    trace_id, span_id = secrets.token_hex(16), secrets.token_hex(8)
    request: dict[str, Any] = {
        "QueueUrl": url,
        "MessageBody": body,
        "MessageAttributes": {
            "traceparent": {"DataType": "String", "StringValue": f"00-{trace_id}-{span_id}-01"}
        },
    }
    if stack.manifest.specs(QUEUE)[queue].fifo:
        request["MessageGroupId"] = schedule or "trellis-invoke"
        request["MessageDeduplicationId"] = uuid.uuid4().hex
    sqs = stack.emulator.client("sqs")
    started = time.time_ns()
    try:
        sent = await asyncio.to_thread(sqs.send_message, **request)
    except Exception as exc:  # noqa: BLE001 - the message says what the emulator refused
        raise EventError(f"sending to {queue} failed: {exc}") from None
    stack.events.spans(
        [
            Span(
                trace_id=trace_id,
                span_id=span_id,
                parent_id=None,
                name=f"test event {event} → {queue}",
                service="trellis",
                start_ns=started,
                end_ns=time.time_ns(),
                kind="producer",
                attributes={"messaging.message.id": str(sent["MessageId"]), "event": event},
            )
        ]
    )
    result = EventOutcome(
        event=event,
        service=service,
        via=f"queue {queue}",
        ok=True,
        status="sent",
        message_id=str(sent["MessageId"]),
        detail={**(detail or {}), **({"schedule": schedule} if schedule else {})},
    )
    return await _outcome(stack, service, result, wait_s)


async def _outcome(
    stack: DevStack,
    service: str,
    result: EventOutcome,
    wait_s: float,
    *,
    key: str | None = None,
    since: float = 0.0,
) -> EventOutcome:
    """Wait for the event source's verdict on the message (Lambda consumers only)."""
    if service not in stack.functions or wait_s <= 0:
        return result
    deadline = time.monotonic() + wait_s
    # S3 URL-encodes the key in its events (the emulator encodes "/" too): either spelling.
    spellings = (
        {json.dumps(quote_plus(key, safe="/")), json.dumps(quote_plus(key))} if key else set()
    )
    while time.monotonic() < deadline:
        delivery = None
        if result.message_id is not None:
            delivery = stack.events.delivery_of(result.message_id)
        elif spellings:
            delivery = next(
                (
                    d
                    for d in stack.events.jobs()
                    if d.time >= since
                    and d.service == service
                    and any(spelling in d.body for spelling in spellings)
                ),
                None,
            )
        if delivery is not None:
            result.message_id = delivery.message_id
            result.status = delivery.status
            result.ok = delivery.status == "succeeded"
            result.error = delivery.error
            result.detail["receive_count"] = delivery.receive_count
            if delivery.trace_id:
                result.detail["trace_id"] = delivery.trace_id
            return result
        await asyncio.sleep(0.05)
    result.detail["waited_s"] = wait_s
    return result
