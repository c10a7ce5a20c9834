"""Schedule firings under the real Lambda handler: the envelope goes to its typed handler."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi import FastAPI
from pydantic import BaseModel, Field

from trellis.runtime import create_app, lambda_handler
from trellis.runtime import schedules as schedules_module
from trellis.runtime.schedules import (
    InvalidSchedulePayload,
    ScheduleContext,
    Schedules,
    UnknownSchedule,
    envelope,
    is_schedule_event,
)

CONTEXT = SimpleNamespace(aws_request_id="lambda-req-9", function_name="acme-test-worker")


class Purge(BaseModel):
    days: int = Field(ge=1)


@pytest.fixture
def app(settings_factory: Any, fake_session: Any) -> FastAPI:
    from trellis.runtime import AwsClients

    settings = settings_factory(trellis_route="/worker")
    return create_app(settings, clients=AwsClients(settings, session=fake_session), readiness=[])


def firing(name: str, payload: dict[str, Any], **context: str) -> dict[str, Any]:
    """The event EventBridge Scheduler sends: the rendered input with its context filled in."""
    return envelope(
        name,
        payload,
        schedule_arn=context.get(
            "schedule_arn",
            "arn:aws:scheduler:us-east-1:111122223333:schedule/default/acme-prod-purge",
        ),
        scheduled_time=context.get("scheduled_time", "2026-12-01T03:00:00Z"),
        execution_id=context.get("execution_id", "2a2f6b4f-exec"),
        attempt=context.get("attempt", "1"),
    )


def test_the_public_api_is_the_curated_export_list() -> None:
    assert sorted(schedules_module.__all__) == [
        "AWS_CONTEXT",
        "ENVELOPE_KEY",
        "InvalidSchedulePayload",
        "ScheduleContext",
        "Schedules",
        "UnknownSchedule",
        "envelope",
        "is_schedule_event",
    ]


def test_a_firing_runs_its_handler_with_the_typed_payload_and_the_schedulers_context(
    app: FastAPI,
) -> None:
    schedules = Schedules()
    seen: list[tuple[Purge, ScheduleContext]] = []

    @schedules.on("purge")
    def purge(payload: Purge, ctx: ScheduleContext) -> dict[str, int]:
        seen.append((payload, ctx))
        return {"purged": payload.days * 10}

    handler = lambda_handler(app, schedules=schedules)
    result = handler(firing("purge", {"days": 3}, attempt="2"), CONTEXT)
    assert result == {"schedule": "purge", "result": {"purged": 30}}
    payload, ctx = seen[0]
    assert payload == Purge(days=3)
    assert ctx.name == "purge"
    assert ctx.scheduled_time == datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
    assert ctx.execution_id == "2a2f6b4f-exec"
    assert ctx.attempt == 2
    assert ctx.schedule_arn.endswith(":schedule/default/acme-prod-purge")


def test_the_handler_may_take_the_payload_alone_and_return_a_model(app: FastAPI) -> None:
    schedules = Schedules()

    @schedules.on("purge")
    def purge(payload: Purge) -> Purge:
        return Purge(days=payload.days + 1)

    handler = lambda_handler(app, schedules=schedules)
    assert handler(firing("purge", {"days": 1}), CONTEXT) == {
        "schedule": "purge",
        "result": {"days": 2},
    }


def test_the_unfilled_terraform_input_still_dispatches_without_a_scheduled_time(
    app: FastAPI,
) -> None:
    schedules = Schedules()
    times: list[datetime | None] = []

    @schedules.on("purge")
    def purge(payload: Purge, ctx: ScheduleContext) -> None:
        times.append(ctx.scheduled_time)

    lambda_handler(app, schedules=schedules)(envelope("purge", {"days": 1}), CONTEXT)
    assert times == [None]


def test_a_bad_payload_fails_the_invocation_naming_the_schedule_and_the_model(
    app: FastAPI,
) -> None:
    schedules = Schedules()
    ran: list[Purge] = []

    @schedules.on("purge")
    def purge(payload: Purge, ctx: ScheduleContext) -> None:
        ran.append(payload)

    handler = lambda_handler(app, schedules=schedules)
    with pytest.raises(InvalidSchedulePayload, match=r"schedule 'purge'.*Purge"):
        handler(firing("purge", {"days": 0}), CONTEXT)
    assert ran == []


def test_a_firing_of_a_schedule_without_a_handler_fails_the_invocation(app: FastAPI) -> None:
    schedules = Schedules()

    @schedules.on("purge")
    def purge(payload: Purge, ctx: ScheduleContext) -> None:
        return None

    with pytest.raises(UnknownSchedule, match=r"'nightly' \(registered: purge\)"):
        lambda_handler(app, schedules=schedules)(firing("nightly", {}), CONTEXT)


def test_a_failing_handler_fails_the_invocation_so_the_scheduler_retries(app: FastAPI) -> None:
    schedules = Schedules()

    @schedules.on("purge")
    def purge(payload: Purge, ctx: ScheduleContext) -> None:
        raise RuntimeError("database away")

    with pytest.raises(RuntimeError, match="database away"):
        lambda_handler(app, schedules=schedules)(firing("purge", {"days": 1}), CONTEXT)


def test_a_firing_without_schedules_is_refused_instead_of_reaching_mangum(app: FastAPI) -> None:
    # Before: Mangum answered "The adapter was unable to infer a handler" on every firing.
    with pytest.raises(RuntimeError, match=r"schedule 'purge'.*no schedules="):
        lambda_handler(app)(firing("purge", {"days": 1}), CONTEXT)


def test_registration_wants_a_model_and_one_handler_per_schedule() -> None:
    schedules = Schedules()
    with pytest.raises(TypeError, match="pydantic model"):

        @schedules.on("purge")
        def untyped(payload: dict[str, Any]) -> None:
            return None

    @schedules.on("purge")
    def purge(payload: Purge) -> None:
        return None

    with pytest.raises(ValueError, match="two handlers"):
        schedules.on("purge")(purge)
    assert schedules.names == ["purge"]


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (envelope("purge", {}), True),
        ({"Records": [{"eventSource": "aws:sqs"}]}, False),
        ({"httpMethod": "GET", "path": "/"}, False),
        ({"trellis_schedule": 3}, False),
        ([], False),
    ],
)
def test_only_an_envelope_is_a_schedule_event(event: Any, expected: bool) -> None:
    assert is_schedule_event(event) is expected
