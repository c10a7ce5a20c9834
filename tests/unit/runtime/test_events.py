"""Events: publishing within PutEvents' limits (failed entries are errors), and rule deliveries
dispatched by the real Lambda handler to their typed handlers."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from botocore.exceptions import ClientError
from fastapi import FastAPI
from pydantic import BaseModel

from trellis.runtime import (
    AccessDenied,
    DependencyError,
    PayloadTooLarge,
    Throttled,
    create_app,
    lambda_handler,
)
from trellis.runtime import events as events_module
from trellis.runtime.events import (
    AWS_EVENT,
    MAX_REQUEST_BYTES,
    EventContext,
    EventPublisher,
    Events,
    InvalidEventDetail,
    OutgoingEvent,
    UnknownRule,
    entry_size,
    envelope,
    envelope_template,
    is_rule_event,
)

CONTEXT = SimpleNamespace(aws_request_id="lambda-req-7", function_name="acme-test-worker")
BUS = "arn:aws:events:us-east-1:111122223333:event-bus/acme-test-orders"


class FakeEvents:
    """An EventBridge client: answers each put_events call from a script of outcomes.

    An outcome is an exception (the whole call fails) or a list of per-entry error codes
    (``None``: the entry succeeded).
    """

    def __init__(self, *script: Any) -> None:
        self.script = list(script)
        self.calls: list[list[dict[str, Any]]] = []

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        self.calls.append(Entries)
        outcome = self.script.pop(0) if self.script else None
        if isinstance(outcome, Exception):
            raise outcome
        codes = outcome or [None] * len(Entries)
        answers = []
        for i, code in enumerate(codes):
            if code is None:
                answers.append({"EventId": f"e-{len(self.calls)}-{i}"})
            else:
                answers.append({"ErrorCode": code, "ErrorMessage": f"{code} happened"})
        return {"FailedEntryCount": sum(c is not None for c in codes), "Entries": answers}


def client_error(code: str, status: int = 400) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": code}, "ResponseMetadata": {"HTTPStatusCode": status}},
        "PutEvents",
    )


def publisher(client: FakeEvents, **options: Any) -> EventPublisher:
    sleeps: list[float] = []
    pub = EventPublisher(client, BUS, source="acme.api", sleep=sleeps.append, **options)
    pub.sleeps = sleeps  # type: ignore[attr-defined]
    return pub


def test_the_public_api_is_the_curated_export_list() -> None:
    assert sorted(events_module.__all__) == [
        "AWS_EVENT",
        "BATCH_LIMIT",
        "ENVELOPE_KEY",
        "EventContext",
        "EventPublisher",
        "Events",
        "InvalidEventDetail",
        "MAX_REQUEST_BYTES",
        "OutgoingEvent",
        "PublishResult",
        "UnknownRule",
        "default_source",
        "entry_size",
        "envelope",
        "envelope_template",
        "is_rule_event",
    ]


def test_publish_puts_one_entry_on_the_bus_with_the_source_and_returns_its_id() -> None:
    client = FakeEvents()
    assert publisher(client).publish("OrderPaid", {"order_id": "o-1"}, resources=["r"]) == "e-1-0"
    assert client.calls == [
        [
            {
                "Source": "acme.api",
                "DetailType": "OrderPaid",
                "Detail": '{"order_id":"o-1"}',
                "EventBusName": BUS,
                "Resources": ["r"],
            }
        ]
    ]


def test_a_batch_is_split_into_calls_of_ten_entries_and_256_kib() -> None:
    client = FakeEvents()
    small = [OutgoingEvent("T", {"i": i}) for i in range(23)]
    results = publisher(client).publish_batch(small)
    assert [len(c) for c in client.calls] == [10, 10, 3]
    assert [r.index for r in results] == list(range(23)) and all(r.ok for r in results)
    # Three events of 100 KiB: two fit under 256 KiB together, the third goes in its own call.
    client = FakeEvents()
    big = [OutgoingEvent("T", {"blob": "x" * 100_000}) for _ in range(3)]
    assert all(r.ok for r in publisher(client).publish_batch(big))
    assert [len(c) for c in client.calls] == [2, 1]


def test_an_event_over_the_limit_is_refused_before_any_call() -> None:
    client = FakeEvents()
    pub = publisher(client)
    # Source + detail-type + detail: one byte over.
    detail_bytes = MAX_REQUEST_BYTES - len("acme.api") - len("T") - len('{"b":""}') + 1
    with pytest.raises(PayloadTooLarge, match="262145 bytes"):
        pub.publish("T", {"b": "x" * detail_bytes})
    assert client.calls == []
    assert entry_size("acme.api", "T", json.dumps({"b": "é"})) == 8 + 1 + len('{"b": "\\u00e9"}')


def test_throttled_entries_are_retried_and_the_rest_are_not_sent_again() -> None:
    client = FakeEvents([None, "ThrottlingException", None], [None])
    pub = publisher(client)
    results = pub.publish_batch([OutgoingEvent("T", {"i": i}) for i in range(3)])
    assert [r.event_id for r in results] == ["e-1-0", "e-2-0", "e-1-2"]
    # Only the throttled entry went again, after a backoff.
    assert [json.loads(e["Detail"])["i"] for e in client.calls[1]] == [1]
    assert len(pub.sleeps) == 1  # type: ignore[attr-defined]


def test_a_failed_entry_is_an_error_never_silence() -> None:
    client = FakeEvents(["AccessDeniedException"])
    with pytest.raises(AccessDenied):
        publisher(client).publish("T", {})
    client = FakeEvents(["MalformedDetail"])
    with pytest.raises(DependencyError, match="EventBridge rejected the event"):
        publisher(client).publish("T", {})
    # Not retried: a permanent failure would only fail again.
    assert len(client.calls) == 1


def test_throttling_that_outlasts_the_retries_is_throttled_a_503() -> None:
    client = FakeEvents(
        ["ThrottlingException"], client_error("ThrottlingException"), ["ThrottlingException"]
    )
    with pytest.raises(Throttled) as excinfo:
        publisher(client, max_attempts=3).publish("T", {})
    assert excinfo.value.status == 503
    assert len(client.calls) == 3


def test_a_call_refused_outright_fails_each_of_its_events() -> None:
    client = FakeEvents(client_error("AccessDeniedException"))
    results = publisher(client).publish_batch([OutgoingEvent("T", {}), OutgoingEvent("U", {})])
    assert [type(r.error) for r in results] == [AccessDenied, AccessDenied]
    assert len(client.calls) == 1


def test_a_source_of_aws_is_refused() -> None:
    with pytest.raises(ValueError, match="AWS's own"):
        EventPublisher(FakeEvents(), BUS, source="aws.s3")


# --- rule deliveries on Lambda -------------------------------------------------------------


class OrderPaid(BaseModel):
    order_id: str
    total: int


@pytest.fixture
def app(settings_factory: Any, fake_session: Any) -> FastAPI:
    from trellis.runtime import AwsClients

    settings = settings_factory(trellis_route="/worker")
    return create_app(settings, clients=AwsClients(settings, session=fake_session), readiness=[])


def matched(detail: dict[str, Any]) -> dict[str, Any]:
    """An event as EventBridge delivers it to a target."""
    return {
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": "OrderPaid",
        "source": "acme.api",
        "account": "111122223333",
        "time": "2026-12-01T10:00:00Z",
        "region": "us-east-1",
        "resources": ["arn:aws:dynamodb:us-east-1:111122223333:table/acme-test-orders"],
        "detail": detail,
    }


def test_the_rendered_input_template_is_the_envelope_the_handler_dispatches() -> None:
    event = matched({"order_id": "o-1", "total": 3})
    # What EventBridge does with the template: the placeholder becomes the event's JSON.
    filled = json.loads(envelope_template("orders", "paid").replace(AWS_EVENT, json.dumps(event)))
    assert filled == envelope("orders", "paid", event)
    assert is_rule_event(filled) and not is_rule_event(event)


def test_a_delivery_runs_its_rules_handler_with_the_typed_detail_and_context(
    app: FastAPI,
) -> None:
    events = Events()
    seen: list[tuple[OrderPaid, EventContext]] = []

    @events.on("paid")
    def paid(detail: OrderPaid, ctx: EventContext) -> dict[str, str]:
        seen.append((detail, ctx))
        return {"order": detail.order_id}

    handler = lambda_handler(app, events=events)
    result = handler(envelope("orders", "paid", matched({"order_id": "o-1", "total": 3})), CONTEXT)
    assert result == {"rule": "paid", "result": {"order": "o-1"}}
    detail, ctx = seen[0]
    assert detail == OrderPaid(order_id="o-1", total=3)
    assert (ctx.rule, ctx.bus, ctx.source, ctx.detail_type) == (
        "paid",
        "orders",
        "acme.api",
        "OrderPaid",
    )
    assert ctx.id == "6a7e8feb-b491-4cf7-a9f1-bf3703467718"
    assert ctx.time == datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    assert ctx.resources == ("arn:aws:dynamodb:us-east-1:111122223333:table/acme-test-orders",)


def test_a_bad_detail_or_an_unknown_rule_fails_the_invocation(app: FastAPI) -> None:
    events = Events()

    @events.on("paid")
    def paid(detail: OrderPaid) -> None:
        raise AssertionError("must not run")

    handler = lambda_handler(app, events=events)
    with pytest.raises(InvalidEventDetail, match=r"rule 'paid'.*OrderPaid"):
        handler(envelope("orders", "paid", matched({"order_id": "o-1"})), CONTEXT)
    with pytest.raises(UnknownRule, match=r"no handler for rule 'refund' \(registered: paid\)"):
        handler(envelope("orders", "refund", matched({})), CONTEXT)


def test_a_delivery_to_a_handler_without_events_is_an_error_not_an_http_request(
    app: FastAPI,
) -> None:
    with pytest.raises(RuntimeError, match="given no events="):
        lambda_handler(app)(envelope("orders", "paid", matched({})), CONTEXT)


def test_a_handler_needs_a_model_and_one_handler_per_rule() -> None:
    events = Events()
    with pytest.raises(TypeError, match="pydantic model"):
        events.on("paid")(lambda detail: None)

    @events.on("paid")
    def paid(detail: OrderPaid) -> None: ...

    with pytest.raises(ValueError, match="two handlers"):
        events.on("paid")(paid)
