"""Scheduled work on Lambda: EventBridge Scheduler firings dispatched to typed handlers.

::

    schedules = Schedules()

    class Nightly(BaseModel):
        days: int = 1

    @schedules.on("nightly")                 # [schedules.nightly] in trellis.toml
    def nightly(payload: Nightly, ctx: ScheduleContext) -> dict:
        return {"purged": purge(older_than_days=payload.days)}

    handler = lambda_handler(app, schedules=schedules)

A schedule aimed at a Lambda service invokes it with an envelope
(:func:`envelope`): the schedule's name, its ``payload`` from the manifest
and the scheduler's context (scheduled time, execution id, attempt), filled
in by EventBridge Scheduler from its context attributes. ``lambda_handler``
recognises the envelope and calls the handler registered for the name with
the payload validated against its model. A handler that raises fails the
invocation: EventBridge Scheduler invokes Lambda asynchronously, so Lambda's
asynchronous retries (twice by default, the same event) apply. Container services
get scheduled work through a queue they consume (the schedule's target is
the queue; the payload is the message body).
"""

from trellis.runtime.schedules._event import (
    AWS_CONTEXT,
    ENVELOPE_KEY,
    envelope,
    is_schedule_event,
)
from trellis.runtime.schedules._registry import (
    InvalidSchedulePayload,
    ScheduleContext,
    Schedules,
    UnknownSchedule,
)

__all__ = [
    "AWS_CONTEXT",
    "ENVELOPE_KEY",
    "InvalidSchedulePayload",
    "ScheduleContext",
    "Schedules",
    "UnknownSchedule",
    "envelope",
    "is_schedule_event",
]
