"""EventBridge buses: publishing events, and Lambda handlers for the rules that deliver them.

Publishing (any service with ``uses = { orders = "publish" }``)::

    bus = EventPublisher(clients.events, settings.orders_bus_arn, source="acme.api")
    event_id = bus.publish("OrderPaid", {"order_id": "o-1", "total": 42})

An entry over 256 KiB raises :class:`~trellis.runtime.PayloadTooLarge` before any
call; ``publish_batch`` splits events into calls of at most 10 entries and 256 KiB.
PutEvents answers 200 even when entries failed (``FailedEntryCount``): those are
retried when the failure is transient (throttling, an internal failure) and
otherwise raised (``publish``) or reported per event (``publish_batch``), never
dropped in silence. Throttling that outlasts the retries is ``Throttled`` (503).

Handling (a Lambda service that is a rule's target)::

    events = Events()

    class OrderPaid(BaseModel):
        order_id: str

    @events.on("paid")                       # [events.orders.rules.paid]
    def paid(detail: OrderPaid, ctx: EventContext) -> None: ...

    handler = lambda_handler(app, events=events)

A rule invokes its Lambda targets with an envelope (:func:`envelope`): the rule's
and bus's names around the event EventBridge matched (Terraform renders it as
the target's input transformer). ``lambda_handler`` recognises it and calls the
handler registered for the rule with ``detail`` validated against its model. A
queue target receives the event itself (the JSON EventBridge sends) as the
message body.
"""

from trellis.runtime.events._event import (
    AWS_EVENT,
    ENVELOPE_KEY,
    envelope,
    envelope_template,
    is_rule_event,
)
from trellis.runtime.events._publisher import (
    BATCH_LIMIT,
    MAX_REQUEST_BYTES,
    EventPublisher,
    OutgoingEvent,
    PublishResult,
    default_source,
    entry_size,
)
from trellis.runtime.events._registry import EventContext, Events, InvalidEventDetail, UnknownRule

__all__ = [
    "AWS_EVENT",
    "BATCH_LIMIT",
    "ENVELOPE_KEY",
    "MAX_REQUEST_BYTES",
    "EventContext",
    "EventPublisher",
    "Events",
    "InvalidEventDetail",
    "OutgoingEvent",
    "PublishResult",
    "UnknownRule",
    "default_source",
    "entry_size",
    "envelope",
    "envelope_template",
    "is_rule_event",
]
