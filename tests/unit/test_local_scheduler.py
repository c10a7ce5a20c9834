"""`trellis dev`'s scheduler: next firings from the expression, and a real firing on time.

The clock is injected: "now" is placed just before a firing instead of waiting minutes.
The Lambda target is an in-process stand-in for the local Lambda host (what it was
invoked with is the point); the e2e tests fire through the real host.
"""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from trellis.kinds import SCHEDULE
from trellis.local.dev import ConsoleLog, DevOptions, DevStack
from trellis.local.scheduler import LocalScheduler, next_firing
from trellis.local.services import InvokeResult
from trellis.manifest import load_manifest_text

MANIFEST = load_manifest_text(
    """
[project]
name = "acme"
region = "eu-west-3"
github_repository = "acme/backend"
environments = ["dev"]

[services.worker]
runtime = "lambda"

[schedules.every_minute]
expression = "cron(* * ? * * *)"
target = "worker"
payload = { days = 3 }

[schedules.paris_morning]
expression = "cron(0 8 ? * MON-FRI *)"
timezone = "Europe/Paris"
target = "worker"

[schedules.five]
expression = "rate(5 minutes)"
target = "worker"

[schedules.once_long_ago]
expression = "at(2020-01-01T00:00:00)"
target = "worker"
"""
)


class FakeFunction:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    async def invoke(self, event: dict[str, Any]) -> InvokeResult:
        self.events.append(event)
        return InvokeResult(payload={"schedule": event["trellis_schedule"], "result": None})


def _stack(tmp_path: Path) -> tuple[DevStack, FakeFunction]:
    stack = DevStack(
        MANIFEST,
        DevOptions(root=tmp_path, env="dev", port=8000, emulator_port=4599),
        ConsoleLog(io.StringIO(), color=False),
    )
    fn = FakeFunction()
    stack.functions["worker"] = fn  # type: ignore[assignment]
    return stack, fn


def test_next_firings_follow_each_expression_in_its_time_zone() -> None:
    specs = MANIFEST.specs(SCHEDULE)
    started = datetime(2026, 12, 4, 6, 59, 30, tzinfo=UTC)  # a Friday
    assert next_firing(specs["every_minute"], started, started=started) == datetime(
        2026, 12, 4, 7, 0, tzinfo=UTC
    )
    morning = next_firing(specs["paris_morning"], started, started=started)
    assert morning is not None and morning.astimezone(UTC) == datetime(
        2026, 12, 4, 7, 0, tzinfo=UTC
    )
    after_friday = next_firing(specs["paris_morning"], morning, started=started)
    assert (
        after_friday is not None and after_friday.astimezone(UTC).date().isoformat() == "2026-12-07"
    )
    # A rate counts from trellis dev's start, not from the top of the hour.
    assert next_firing(specs["five"], started, started=started) == started + timedelta(minutes=5)
    assert next_firing(specs["once_long_ago"], started, started=started) is None


def test_a_schedule_fires_on_its_minute_with_the_envelope_aws_sends(tmp_path: Path) -> None:
    stack, fn = _stack(tmp_path)
    real_now = datetime.now(UTC)
    minute = datetime(2026, 12, 4, 7, 0, tzinfo=UTC)
    # The injected clock reads 0.8 s before 07:00 when the test starts, and then runs on.
    offset = minute - timedelta(seconds=0.8) - real_now

    def clock() -> datetime:
        return datetime.now(UTC) + offset

    scheduler = LocalScheduler(stack, clock=clock, tick_s=0.1)

    async def scenario() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(scheduler.run(stop))
        deadline = asyncio.get_running_loop().time() + 5
        while len(fn.events) < 2 and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.05)
        stop.set()
        await asyncio.wait_for(task, 5)

    asyncio.run(scenario())
    # 07:00 UTC on a Friday is 08:00 in Paris: the time-zoned weekday schedule fires too.
    assert sorted(e["trellis_schedule"] for e in fn.events) == ["every_minute", "paris_morning"]
    event = next(e for e in fn.events if e["trellis_schedule"] == "every_minute")
    assert event["payload"] == {"days": 3}
    assert event["scheduled_time"] == "2026-12-04T07:00:00Z"
    assert event["attempt"] == "1"
    assert event["execution_id"]
    assert event["schedule_arn"] == (
        "arn:aws:scheduler:eu-west-3:123456789012:schedule/default/acme-dev-every_minute"
    )
    fired = {name: (when, outcome) for name, when, outcome in scheduler.fired}
    when, outcome = fired["every_minute"]
    assert when == minute
    assert outcome is not None and outcome.status == "invoked"
    assert fired["paris_morning"][0] == minute


def test_a_stop_ends_the_scheduler_promptly_between_firings(tmp_path: Path) -> None:
    stack, fn = _stack(tmp_path)
    # Far from any minute boundary: nothing is due for ~50 s.
    fixed = datetime(2026, 12, 4, 7, 0, 5, tzinfo=UTC)
    scheduler = LocalScheduler(stack, clock=lambda: fixed, tick_s=0.05)

    async def scenario() -> float:
        stop = asyncio.Event()
        task = asyncio.create_task(scheduler.run(stop))
        await asyncio.sleep(0.2)
        began = asyncio.get_running_loop().time()
        stop.set()
        await asyncio.wait_for(task, 2)
        return asyncio.get_running_loop().time() - began

    assert asyncio.run(scenario()) < 1.0
    assert fn.events == []
