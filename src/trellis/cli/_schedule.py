"""`trellis schedule run|next <name>`: fire a schedule now, or see when it fires.

``run`` asks the running ``trellis dev`` (found from the ports file
``.trellis/dev/<env>.json``, or ``--port``) to fire the schedule the way
EventBridge Scheduler does: its payload to its target queue, or its envelope
to its target Lambda service. ``next`` prints the next firings computed from
the expression in the schedule's time zone, without anything running.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from trellis.cli._common import UsageError
from trellis.cli._invoke import dev_gateway
from trellis.kinds import SCHEDULE
from trellis.manifest import Manifest


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    schedule = sub.add_parser(
        "schedule", help="fire a schedule now under trellis dev, or list its next firings"
    )
    schedule_sub = schedule.add_subparsers(
        dest="schedule_command", required=True, metavar="SCHEDULE_COMMAND"
    )
    run = schedule_sub.add_parser(
        "run",
        help="fire a schedule now against the running trellis dev",
        description="Fire one schedule now, as EventBridge Scheduler would: its payload to its "
        "target queue, or its envelope to its target Lambda service. Exit 0 when the target "
        "took it, 1 when not.",
    )
    run.add_argument("schedule")
    run.add_argument("--env", help="environment (default: the manifest's first)")
    run.add_argument(
        "--port",
        type=int,
        help="trellis dev's gateway port (default: the running trellis dev's, else the last's)",
    )
    run.add_argument(
        "--wait",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="how long to wait for a queue consumer's outcome (default: %(default)s; 0: don't)",
    )
    run.set_defaults(run=_run)
    upcoming = schedule_sub.add_parser(
        "next", help="the next firings of a schedule, in its time zone and UTC"
    )
    upcoming.add_argument("schedule")
    upcoming.add_argument("--count", type=int, default=5, help="how many (default: %(default)s)")
    upcoming.set_defaults(run=_next)


def _name(manifest: Manifest, name: str) -> str:
    schedules = manifest.specs(SCHEDULE)
    if name not in schedules:
        raise UsageError(
            f"unknown schedule {name!r} (schedules: {', '.join(schedules) or 'none declared'})"
        )
    return name


def _run(args: argparse.Namespace, manifest: Manifest) -> int:
    import httpx

    name = _name(manifest, args.schedule)
    gateway = dev_gateway(args, manifest)
    try:
        response = httpx.post(
            f"{gateway}/_trellis/api/schedules/{name}/run",
            json={"wait_s": args.wait},
            headers={"x-trellis-dashboard": "1"},
            timeout=args.wait + 15,
        )
    except httpx.TransportError:
        print(f"trellis: no trellis dev answers on {gateway}: start it first", file=sys.stderr)
        return 1
    try:
        result = response.json()
    except ValueError:
        print(f"trellis: unexpected answer ({response.status_code})", file=sys.stderr)
        return 1
    if response.status_code == 400:
        raise UsageError(result["error"]["message"])
    if response.status_code != 200:
        print(f"trellis: {result.get('error', {}).get('message', result)}", file=sys.stderr)
        return 1
    print(
        f"schedules.{name} → {result['via']}: {result['status']}"
        + (f" (message {result['message_id']})" if result.get("message_id") else "")
    )
    if result.get("error"):
        print(f"  error: {result['error']}")
    if result.get("payload") is not None:
        print(f"  returned: {json.dumps(result['payload'])}")
    return 0 if result["ok"] else 1


def _next(args: argparse.Namespace, manifest: Manifest) -> int:
    from trellis.local.scheduler import next_firing

    name = _name(manifest, args.schedule)
    if args.count < 1:
        raise UsageError("--count is at least 1")
    spec = manifest.specs(SCHEDULE)[name]
    zone = ZoneInfo(spec.timezone)
    now = datetime.now(UTC)
    after = now
    print(f"schedules.{name}: {spec.expression} ({spec.timezone})")
    for _ in range(args.count):
        when = next_firing(spec, after, started=now)
        if when is None:
            print("  no more firings")
            break
        print(f"  {when.astimezone(zone).isoformat()}  ({when.astimezone(UTC):%Y-%m-%d %H:%M} UTC)")
        after = when
    return 0
