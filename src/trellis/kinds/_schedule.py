"""Schedules: EventBridge Scheduler, aimed at a queue or a Lambda service
(``[schedules.<name>]``, ``terraform/modules/schedule``).

Services do not use a schedule (it has no access levels and hands no address):
it sends to its target.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Final

from pydantic import Field

from trellis.kinds._kind import CliOption, Kind, Spec
from trellis.kinds._policy import DeployStatement, EnvScope
from trellis.kinds._queue import QUEUE
from trellis.kinds._terraform import ENV, Expr, Tpl, module_ref

if TYPE_CHECKING:
    from trellis.manifest import Manifest

SCHEDULE_RE = re.compile(
    r"^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(.+\)|at\(.+\))$"
)


class Schedule(Spec):
    expression: str = Field(pattern=SCHEDULE_RE.pattern)
    #: A queue (receives ``payload`` as the message body) or a service.
    target: str
    payload: dict[str, Any] = Field(default_factory=dict)


class ScheduleKind(Kind[Schedule]):
    name = "schedule"
    section = "schedules"
    model = Schedule
    runtime = None
    levels = {}
    max_length = 64
    arn_template = "arn:{p}:scheduler:{r}:{a}:schedule/default/{name}"
    terraform_module = "schedule"
    module_output = None
    local_provisioner = "trellis.local.provisioners.schedule"
    cli_options = (
        CliOption(
            "--expression",
            "expression",
            {"required": True, "help": "rate(5 minutes) | cron(...) | at(...)"},
        ),
        CliOption("--target", "target", {"required": True, "help": "a queue or a service"}),
        CliOption(
            "--payload", "payload", {"type": json.loads, "help": "JSON object sent to the target"}
        ),
    )

    def terraform_arguments(
        self, manifest: Manifest, name: str, spec: Schedule
    ) -> Iterator[tuple[str, object]]:
        yield "name", Tpl(self.physical_name(manifest.project.name, ENV, name, spec))
        yield "schedule_expression", spec.expression
        queues = manifest.specs(QUEUE)
        if spec.target in queues:
            yield "target_kind", "sqs"
            yield "target_arn", module_ref("queue", spec.target, "arn")
            if queues[spec.target].fifo:
                yield "message_group_id", name
        else:
            # The manifest refuses any other target than a Lambda service.
            yield "target_kind", "lambda"
            yield "target_arn", module_ref("service", spec.target, "arn")
        yield "input", json.dumps(spec.payload, sort_keys=True, separators=(",", ":"))
        yield "permissions_boundary_arn", Expr("local.permissions_boundary_arn")

    def deploy_statements(self, scope: EnvScope) -> Iterator[DeployStatement]:
        yield DeployStatement(
            "ManageSchedules",
            (
                "scheduler:CreateSchedule",
                "scheduler:DeleteSchedule",
                "scheduler:GetSchedule",
                "scheduler:UpdateSchedule",
            ),
            self.owned_arns(scope),
        )


#: The registry entry (``trellis.kinds.SCHEDULE``).
SCHEDULE: Final = ScheduleKind()
