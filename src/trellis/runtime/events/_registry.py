"""Rule handlers: EventBridge events dispatched by rule name, their ``detail`` typed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from trellis.runtime._logging import get_logger
from trellis.runtime._typed_handlers import TypedHandlers, parse_time
from trellis.runtime.events._event import ENVELOPE_KEY

R = TypeVar("R")

_log = get_logger("trellis.runtime.events")


class UnknownRule(LookupError):
    """A delivery of a rule no handler is registered for."""


class InvalidEventDetail(ValueError):
    """An event whose ``detail`` does not fit its handler's model (fix the publisher)."""


@dataclass(frozen=True)
class EventContext:
    """What a handler knows about the event it runs for (EventBridge's envelope fields)."""

    #: The rule's manifest name (``paid`` for ``[events.orders.rules.paid]``).
    rule: str
    #: The bus's manifest name (``orders``).
    bus: str
    #: EventBridge's event id: the same on every retry of one delivery (an idempotency key).
    id: str
    source: str
    detail_type: str
    time: datetime | None
    resources: tuple[str, ...] = ()
    account: str = ""
    region: str = ""
    #: The whole event, as EventBridge delivered it.
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


class Events:
    """Maps rule names to handlers.

    ::

        events = Events()

        class OrderPaid(BaseModel):
            order_id: str

        @events.on("paid")                      # [events.orders.rules.paid]
        def paid(detail: OrderPaid, ctx: EventContext) -> dict:
            return {"order": detail.order_id}

        handler = lambda_handler(app, events=events)
    """

    def __init__(self) -> None:
        self._handlers = TypedHandlers("rule")

    def on(self, rule: str) -> Callable[[Callable[..., R]], Callable[..., R]]:
        """Register ``handler(detail: Model[, ctx: EventContext])`` for rule ``rule``.

        The first parameter's annotation (a pydantic model) validates the event's ``detail``.
        """
        return self._handlers.on(rule)

    @property
    def names(self) -> list[str]:
        """The rules with a handler."""
        return self._handlers.names

    def dispatch(self, envelope: dict[str, Any]) -> dict[str, Any]:
        """Run the handler of the rule that delivered ``envelope``; return its result.

        Raises :class:`UnknownRule` or :class:`InvalidEventDetail` (the invocation fails:
        EventBridge invokes Lambda asynchronously, so Lambda retries it, twice by default),
        or whatever the handler raised.
        """
        rule = str(envelope[ENVELOPE_KEY])
        registered = self._handlers.get(rule)
        if registered is None:
            _log.error("event.unknown_rule", rule=rule, registered=self.names)
            raise UnknownRule(
                f"no handler for rule {rule!r} (registered: {', '.join(self.names) or 'none'})"
            )
        event = envelope.get("event")
        if not isinstance(event, dict):
            raise InvalidEventDetail(f"rule {rule!r}: the envelope carries no event object")
        ctx = EventContext(
            rule=rule,
            bus=str(envelope.get("bus") or ""),
            id=str(event.get("id") or ""),
            source=str(event.get("source") or ""),
            detail_type=str(event.get("detail-type") or ""),
            time=parse_time(event.get("time")),
            resources=tuple(str(r) for r in event.get("resources") or ()),
            account=str(event.get("account") or ""),
            region=str(event.get("region") or ""),
            raw=event,
        )
        try:
            detail = registered.model.model_validate(event.get("detail") or {})
        except ValidationError as exc:
            _log.error(
                "event.invalid_detail",
                rule=rule,
                event_id=ctx.id,
                errors=exc.errors(include_url=False),
            )
            raise InvalidEventDetail(
                f"rule {rule!r}: the detail does not fit {registered.model.__name__}: "
                f"{exc.errors(include_url=False)[0]['msg']}"
            ) from None
        args = (detail, ctx) if registered.takes_context else (detail,)
        try:
            result = registered.handler(*args)
        except Exception:
            _log.exception("event.failed", rule=rule, event_id=ctx.id)
            raise
        _log.info("event.handled", rule=rule, event_id=ctx.id, detail_type=ctx.detail_type)
        if isinstance(result, BaseModel):
            result = result.model_dump(mode="json")
        return {"rule": rule, "result": result}
