"""``trellis dev``'s EventBridge Scheduler: every schedule fires on its expression.

Next firings come from :mod:`trellis.schedule_expressions` in the schedule's
time zone (a rate counts from the moment ``trellis dev`` started: AWS starts
one when it is created, and firing on every restart would repeat work; an
``at`` in the past never fires). A firing takes the path AWS's takes:

- a queue target gets the payload as the message body (FIFO: the schedule's
  name as message group), sent with the emulator's admin key, as the scheduler's
  own role would;
- a Lambda service target is invoked through the local Lambda host with the
  envelope AWS sends (:func:`trellis.runtime.schedules.envelope`, the context
  attributes filled in).

The clock is injectable (``clock``), so tests can place "now" just before a
firing instead of waiting for one. ``trellis schedule run <name>`` and the
dashboard fire one now (:func:`fire`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from trellis import naming
from trellis.kinds import QUEUE, SCHEDULE, Schedule
from trellis.local.emulator import LOCAL_ACCOUNT_ID
from trellis.runtime.schedules import envelope
from trellis.schedule_expressions import parse

if TYPE_CHECKING:
    from trellis.local.dev import DevStack
    from trellis.local.on_demand import EventOutcome

__all__ = ["LocalScheduler", "fire", "next_firing"]

Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


def next_firing(spec: Schedule, after: datetime, *, started: datetime) -> datetime | None:
    """When ``spec`` fires next strictly after ``after`` (aware), or None: never again."""
    return parse(spec.expression).next_after(after, ZoneInfo(spec.timezone), start=started)


async def fire(
    stack: DevStack,
    name: str,
    *,
    scheduled_time: datetime | None = None,
    wait_s: float = 30.0,
) -> EventOutcome:
    """Fire schedule ``name`` once, now, the way EventBridge Scheduler delivers it."""
    from trellis.local.on_demand import EventError, EventOutcome, _via_queue

    manifest = stack.manifest
    schedules = manifest.specs(SCHEDULE)
    if name not in schedules:
        raise EventError(f"unknown schedule {name!r} (schedules: {', '.join(schedules) or 'none'})")
    spec = schedules[name]
    when = (scheduled_time or _utcnow()).astimezone(UTC).replace(microsecond=0)
    if spec.target in manifest.specs(QUEUE):
        consumers = manifest.consumers(spec.target)
        body = json.dumps(spec.payload, sort_keys=True, separators=(",", ":"))
        return await _via_queue(
            stack,
            consumers[0] if consumers else spec.target,
            "schedule",
            spec.target,
            body,
            wait_s if consumers else 0,
            name,
        )
    fn = stack.functions.get(spec.target)
    if fn is None:
        raise EventError(f"schedules.{name} targets {spec.target}, which is not a Lambda function")
    physical = naming.physical_name(manifest.project.name, stack.options.env, name)
    event = envelope(
        name,
        dict(spec.payload),
        schedule_arn=f"arn:aws:scheduler:{manifest.project.region}:{LOCAL_ACCOUNT_ID}:schedule/default/{physical}",
        scheduled_time=when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        execution_id=str(uuid.uuid4()),
        attempt="1",
    )
    result = await fn.invoke(event)
    return EventOutcome(
        event="schedule",
        service=spec.target,
        via=f"function {spec.target}",
        ok=result.ok,
        status="invoked" if result.ok else "failed",
        payload=result.payload,
        error=result.error,
        detail={"schedule": name, "scheduled_time": event["scheduled_time"]},
    )


@dataclass
class LocalScheduler:
    """Fires each of the stack's schedules when its expression says, until ``stop``."""

    stack: DevStack
    clock: Clock = _utcnow
    #: Longest sleep between looks at the clock: a stop or a clock jump is seen this soon.
    tick_s: float = 1.0
    #: What each firing became, in order (the tests and the dashboard read it).
    fired: list[tuple[str, datetime, EventOutcome | None]] = field(default_factory=list)
    _running: set[asyncio.Task[None]] = field(default_factory=set)

    async def run(self, stop: asyncio.Event) -> None:
        started = self.clock()
        specs = self.stack.manifest.specs(SCHEDULE)
        upcoming = {
            name: next_firing(spec, started, started=started) for name, spec in specs.items()
        }
        for name, when in upcoming.items():
            self.stack.log(
                "scheduler",
                f"schedules.{name} ({specs[name].expression}, {specs[name].timezone}): "
                + (f"next at {when.isoformat()}" if when else "will not fire"),
            )
        while not stop.is_set():
            now = self.clock()
            for name, when in list(upcoming.items()):
                if when is not None and when <= now:
                    # Each firing on its own task: a slow target holds up no other schedule.
                    task = asyncio.create_task(self._fire(name, when))
                    self._running.add(task)
                    task.add_done_callback(self._running.discard)
                    upcoming[name] = next_firing(specs[name], max(when, now), started=started)
            pending = [w for w in upcoming.values() if w is not None]
            if not pending:
                break
            delay = max(0.0, min(self.tick_s, (min(pending) - self.clock()).total_seconds()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay)
        if self._running:
            await asyncio.gather(*self._running, return_exceptions=True)

    async def _fire(self, name: str, when: datetime) -> None:
        from trellis.local.on_demand import EventError

        try:
            # No waiting for the outcome: the next schedule must not be held up by this one.
            outcome = await fire(self.stack, name, scheduled_time=when, wait_s=0)
        except EventError as exc:
            self.stack.log("scheduler", f"schedules.{name}: not fired: {exc}")
            self.fired.append((name, when, None))
            return
        self.fired.append((name, when, outcome))
        self.stack.log(
            "scheduler",
            f"schedules.{name} fired → {outcome.via}: {outcome.status}"
            + (f" ({outcome.error})" if outcome.error else ""),
        )
