"""The event a schedule sends a Lambda service: one envelope, in AWS and under ``trellis dev``."""

from __future__ import annotations

from typing import Any, Final

#: The key that marks an event as a schedule's firing; its value is the schedule's name.
ENVELOPE_KEY: Final = "trellis_schedule"

#: EventBridge Scheduler's context attributes: it replaces these strings in the target's
#: input on every firing (Terraform renders the envelope with them).
AWS_CONTEXT: Final = {
    "schedule_arn": "<aws.scheduler.schedule-arn>",
    "scheduled_time": "<aws.scheduler.scheduled-time>",
    "execution_id": "<aws.scheduler.execution-id>",
    "attempt": "<aws.scheduler.attempt-number>",
}


def envelope(
    name: str,
    payload: dict[str, Any],
    *,
    schedule_arn: str = AWS_CONTEXT["schedule_arn"],
    scheduled_time: str = AWS_CONTEXT["scheduled_time"],
    execution_id: str = AWS_CONTEXT["execution_id"],
    attempt: str = AWS_CONTEXT["attempt"],
) -> dict[str, Any]:
    """The event schedule ``name`` invokes its Lambda target with.

    With the defaults it is the input Terraform gives the schedule (the scheduler
    fills the context in); ``trellis dev`` passes the values itself.
    """
    return {
        ENVELOPE_KEY: name,
        "payload": payload,
        "schedule_arn": schedule_arn,
        "scheduled_time": scheduled_time,
        "execution_id": execution_id,
        "attempt": attempt,
    }


def is_schedule_event(event: Any) -> bool:
    """Whether a Lambda event is a schedule's envelope."""
    return isinstance(event, dict) and isinstance(event.get(ENVELOPE_KEY), str)
