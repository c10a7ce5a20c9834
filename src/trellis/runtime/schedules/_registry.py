"""Schedule handlers, registered with a decorator and a typed payload model."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from trellis.runtime._logging import get_logger
from trellis.runtime._typed_handlers import TypedHandlers, parse_time
from trellis.runtime.schedules._event import ENVELOPE_KEY

P = TypeVar("P", bound=BaseModel)
R = TypeVar("R")

_log = get_logger("trellis.runtime.schedules")


class UnknownSchedule(LookupError):
    """A firing of a schedule no handler is registered for."""


class InvalidSchedulePayload(ValueError):
    """A firing whose payload does not fit its handler's model (fix the manifest's payload)."""


@dataclass(frozen=True)
class ScheduleContext:
    """What a handler knows about the firing it runs for."""

    #: The schedule's manifest name (``nightly`` for ``[schedules.nightly]``).
    name: str
    #: When the scheduler meant to fire (None when the event does not say): the same on every
    #: attempt of one firing, so (name, scheduled_time) is the firing's idempotency key.
    scheduled_time: datetime | None
    #: The scheduler's id of this attempt (a new one on each retry: not an idempotency key).
    execution_id: str
    #: 1 on the first delivery, more on the scheduler's retries.
    attempt: int
    schedule_arn: str = ""


def _attempt(value: Any) -> int:
    try:
        return max(1, int(value))
    except (TypeError, ValueError):
        return 1


class Schedules:
    """Maps schedule names to handlers.

    ::

        schedules = Schedules()

        class Purge(BaseModel):
            days: int = 30

        @schedules.on("purge")
        def purge(payload: Purge, ctx: ScheduleContext) -> dict:
            return {"days": payload.days}

        schedules.dispatch({"trellis_schedule": "purge", "payload": {"days": 7}})
        # → {"schedule": "purge", "result": {"days": 7}}
    """

    def __init__(self) -> None:
        self._handlers = TypedHandlers("schedule")

    def on(self, name: str) -> Callable[[Callable[..., R]], Callable[..., R]]:
        """Register ``handler(payload: Model[, ctx: ScheduleContext])`` for schedule ``name``.

        The first parameter's annotation (a pydantic model) validates the payload.
        """
        return self._handlers.on(name)

    @property
    def names(self) -> list[str]:
        """The schedules with a handler."""
        return self._handlers.names

    def dispatch(self, event: dict[str, Any]) -> dict[str, Any]:
        """Run the handler of the schedule that sent ``event`` (an envelope); return its result.

        Raises :class:`UnknownSchedule` or :class:`InvalidSchedulePayload` (the invocation
        fails: Lambda retries an asynchronous invocation, twice by default), or whatever the
        handler raised.
        """
        name = str(event[ENVELOPE_KEY])
        registered = self._handlers.get(name)
        if registered is None:
            _log.error("schedule.unknown", schedule=name, registered=self.names)
            raise UnknownSchedule(
                f"no handler for schedule {name!r} (registered: {', '.join(self.names) or 'none'})"
            )
        ctx = ScheduleContext(
            name=name,
            scheduled_time=parse_time(event.get("scheduled_time")),
            execution_id=str(event.get("execution_id") or ""),
            attempt=_attempt(event.get("attempt")),
            schedule_arn=str(event.get("schedule_arn") or ""),
        )
        try:
            payload = registered.model.model_validate(event.get("payload") or {})
        except ValidationError as exc:
            _log.error(
                "schedule.invalid_payload", schedule=name, errors=exc.errors(include_url=False)
            )
            raise InvalidSchedulePayload(
                f"schedule {name!r}: the payload does not fit {registered.model.__name__}: "
                f"{exc.errors(include_url=False)[0]['msg']}"
            ) from None
        args = (payload, ctx) if registered.takes_context else (payload,)
        try:
            result = registered.handler(*args)
        except Exception:
            _log.exception("schedule.failed", schedule=name, attempt=ctx.attempt)
            raise
        _log.info("schedule.ran", schedule=name, attempt=ctx.attempt, execution_id=ctx.execution_id)
        if isinstance(result, BaseModel):
            result = result.model_dump(mode="json")
        return {"schedule": name, "result": result}
