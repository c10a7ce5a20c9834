"""Schedules are not run by the emulator: only their names are recorded.

``trellis dev`` fires them itself (:mod:`trellis.local.scheduler`), on their
expressions, and ``trellis schedule run <name>`` fires one now.
"""

from __future__ import annotations

from trellis.kinds import Schedule
from trellis.local.provisioners import Provisioning


def provision(ctx: Provisioning, name: str, spec: Schedule) -> None:
    ctx.out.values[("schedule", name)] = ctx.physical("schedule", name)
