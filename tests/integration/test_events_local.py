"""Event buses in the emulator: rules route to queues and relays, PutEvents is scoped to the bus."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from trellis.local.provisioners.bus import relay_queue_name
from trellis.manifest import load_manifest_text
from trellis.runtime import AccessDenied, AwsClients, ServiceSettings, load_settings
from trellis.runtime._kinds import RUNTIME_KINDS
from trellis.runtime._readiness import default_readiness_checks
from trellis.runtime.events import EventPublisher, OutgoingEvent
from trellis.testing import ServiceEnvironment

pytestmark = pytest.mark.integration

MANIFEST = load_manifest_text(
    """
[project]
name = "evts"
region = "us-east-1"
github_repository = "acme/backend"
environments = ["dev"]

[services.api]
runtime = "lambda"
uses = { orders = "publish" }

[services.other]
runtime = "lambda"
uses = { audit = "send", ops = "publish" }

[services.worker]
runtime = "lambda"
timeout_s = 5

[queues.audit]

[queues.refunds]

[events.orders]

[events.orders.rules.paid]
pattern = { source = [{ prefix = "evts-" }], detail-type = ["OrderPaid"] }
targets = ["audit", "worker"]

[events.orders.rules.big-refund]
pattern = { detail-type = ["RefundIssued"], detail = { amount = [{ numeric = [">=", 1000] }] } }
targets = ["refunds"]

[events.ops]
"""
)


@pytest.fixture
def api(trellis_service: Callable[..., ServiceEnvironment]) -> ServiceEnvironment:
    return trellis_service("api", manifest=MANIFEST)


def publisher(env: ServiceEnvironment, bus: str = "orders") -> EventPublisher:
    """What the scaffolded accessor builds: the service's own key, its bus ARN, its source."""
    return EventPublisher(
        env.client("events"),
        env.env[f"{bus.upper()}_BUS_ARN"]
        if bus in env.manifest.services[env.service].uses
        else env.address("bus", bus),
        source=f"{env.project}.{env.service}",
    )


def receive(env: ServiceEnvironment, url: str, deadline_s: float = 10.0) -> list[dict[str, Any]]:
    """The bodies of the messages that reached ``url`` (polled until one arrives or the deadline)."""
    sqs = env.admin("sqs")
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        if got.get("Messages"):
            return [json.loads(m["Body"]) for m in got["Messages"]]
    return []


def test_a_published_event_reaches_the_queue_and_relay_of_the_rule_it_matches(
    api: ServiceEnvironment,
) -> None:
    bus = publisher(api)
    # The refund is below the big-refund rule's threshold: no rule matches it.
    bus.publish("RefundIssued", {"order_id": "o-0", "amount": 10})
    event_id = bus.publish("OrderPaid", {"order_id": "o-1", "total": 42})

    (event,) = receive(api, api.address("queue", "audit"))
    assert event["id"] == event_id
    assert event["detail-type"] == "OrderPaid"
    assert event["source"] == f"{api.project}.api"
    assert event["detail"] == {"order_id": "o-1", "total": 42}
    # The Lambda target's relay (trellis dev feeds it to the worker) got the same event.
    sqs = api.admin("sqs")
    relay = sqs.get_queue_url(QueueName=relay_queue_name(api.project, "dev", "paid", "worker"))
    (relayed,) = receive(api, relay["QueueUrl"])
    assert relayed["id"] == event_id
    # The small refund went nowhere: the refunds queue is empty.
    assert receive(api, api.address("queue", "refunds"), deadline_s=1.5) == []


def test_a_numeric_pattern_routes_only_the_events_it_admits(api: ServiceEnvironment) -> None:
    bus = publisher(api)
    results = bus.publish_batch(
        [
            OutgoingEvent("RefundIssued", {"order_id": "o-2", "amount": 999}),
            OutgoingEvent("RefundIssued", {"order_id": "o-3", "amount": 1000}),
        ]
    )
    assert all(r.ok for r in results)
    (event,) = receive(api, api.address("queue", "refunds"))
    assert event["detail"]["order_id"] == "o-3"


def test_publish_is_granted_on_its_own_bus_only(api: ServiceEnvironment) -> None:
    events = api.client("events")
    # Not the default bus, not another bus of the same stack.
    for bus in (None, api.address("bus", "ops")):
        entry = {"Source": "x.y", "DetailType": "T", "Detail": "{}"}
        if bus:
            entry["EventBusName"] = bus
        with pytest.raises(ClientError) as excinfo:
            events.put_events(Entries=[entry])
        assert excinfo.value.response["Error"]["Code"] == "AccessDeniedException"
        assert (
            "events:PutEvents on resource: arn:aws:events:us-east-1:123456789012:event-bus/"
            in (excinfo.value.response["Error"]["Message"])
        )


def test_a_publishers_readiness_probe_describes_its_own_bus_only(api: ServiceEnvironment) -> None:
    class Settings(ServiceSettings):
        orders_bus_arn: str

    settings = load_settings(Settings, reload=True)
    (check,) = default_readiness_checks(settings, AwsClients(settings))
    assert check.name == "orders_bus"
    check.check()  # DescribeEventBus with the api's own key
    with pytest.raises(ClientError) as excinfo:
        RUNTIME_KINDS["bus"].probe(AwsClients(settings), api.address("bus", "ops"))
    assert excinfo.value.response["Error"]["Code"] == "AccessDeniedException"


def test_a_service_without_publish_gets_access_denied(
    trellis_service: Callable[..., ServiceEnvironment],
) -> None:
    other = trellis_service("other", manifest=MANIFEST)
    with pytest.raises(AccessDenied):
        publisher(other, "orders").publish("OrderPaid", {"order_id": "o-4"})
    # Its own bus it may publish to.
    assert publisher(other, "ops").publish("Ping", {})


def test_provisioning_twice_changes_nothing(api: ServiceEnvironment) -> None:
    from trellis.local.provision import provision

    again = provision(api.manifest, "dev", api.emulator.client, account_id="123456789012")
    assert again.address("bus", "orders") == api.address("bus", "orders")
    events = api.admin("events")
    physical = api.address("bus", "orders").rsplit("/", 1)[-1]
    rules = events.list_rules(EventBusName=physical)["Rules"]
    assert sorted(r["Name"] for r in rules) == sorted(
        f"{api.project}-dev-{r}" for r in ("paid", "big-refund")
    )
    targets = events.list_targets_by_rule(Rule=f"{api.project}-dev-paid", EventBusName=physical)
    assert sorted(t["Id"] for t in targets["Targets"]) == ["paid-audit", "paid-worker"]
