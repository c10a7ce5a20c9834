"""Schedules: EventBridge Scheduler, aimed at a queue or a Lambda service
(``[schedules.<name>]``, ``terraform/modules/schedule``).

Services do not use a schedule (it has no access levels and hands no address):
it sends to its target. A queue gets the payload as the message body; a Lambda
service is invoked with the envelope of :mod:`trellis.runtime.schedules`
(the payload and the scheduler's context attributes), which its
``lambda_handler(..., schedules=...)`` dispatches. ``manifest._check_rules``
validates the expression (:mod:`trellis.schedule_expressions`) and the time zone.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Final

from pydantic import Field

from trellis.kinds._encryption import customer_key
from trellis.kinds._kind import CliOption, Kind, Spec
from trellis.kinds._policy import DeployStatement, EnvScope
from trellis.kinds._queue import QUEUE
from trellis.kinds._terraform import ENV, Expr, Tpl, module_ref
from trellis.runtime.schedules._event import envelope

if TYPE_CHECKING:
    from trellis.manifest import Manifest


class Schedule(Spec):
    #: ``rate(5 minutes)``, ``cron(0 3 ? * MON-FRI *)`` or ``at(2030-01-01T09:00:00)``:
    #: EventBridge Scheduler's grammar, checked exactly by the manifest's rules.
    expression: str = Field(min_length=1, max_length=256)
    #: The IANA time zone ``cron`` and ``at`` expressions are read in.
    timezone: str = "UTC"
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
        CliOption(
            "--timezone", "timezone", {"help": "IANA time zone of cron and at (default: UTC)"}
        ),
        CliOption("--target", "target", {"required": True, "help": "a queue or a Lambda service"}),
        CliOption(
            "--payload", "payload", {"type": json.loads, "help": "JSON object sent to the target"}
        ),
    )

    def terraform_arguments(
        self, manifest: Manifest, name: str, spec: Schedule
    ) -> Iterator[tuple[str, object]]:
        yield "name", Tpl(self.physical_name(manifest.project.name, ENV, name, spec))
        yield "schedule_expression", spec.expression
        yield "timezone", spec.timezone
        queues = manifest.specs(QUEUE)
        if spec.target in queues:
            yield "target_kind", "sqs"
            yield "target_arn", module_ref("queue", spec.target, "arn")
            if queues[spec.target].fifo:
                yield "message_group_id", name
            if customer_key(manifest):
                yield "target_kms_key_arn", Expr("module.key.arn")
            body: dict[str, object] = spec.payload
        else:
            # The manifest refuses any other target than a Lambda service.
            yield "target_kind", "lambda"
            yield "target_arn", module_ref("service", spec.target, "target_arn")
            body = envelope(name, spec.payload)
        yield "input", json.dumps(body, sort_keys=True, separators=(",", ":"))
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
