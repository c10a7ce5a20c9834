"""Schedules are not run by the emulator: only their names are recorded.

``trellis dev`` does not fire them; send the payload to the target yourself
(``aws sqs send-message``, or a request to the service) to try what a schedule does.
"""

from __future__ import annotations

from trellis.kinds import Schedule
from trellis.local.provisioners import Provisioning


def provision(ctx: Provisioning, name: str, spec: Schedule) -> None:
    ctx.out.values[("schedule", name)] = ctx.physical("schedule", name)
