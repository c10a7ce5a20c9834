"""Event buses in the manifest (one line naming the key), their IAM grants, and the local
delivery of a rule's events to a Lambda target."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from trellis.iam import Arns, service_statements
from trellis.kinds import BUS
from trellis.kinds._bus import pattern_problems
from trellis.local.event_rules import RuleTarget
from trellis.local.provisioners.bus import relay_queue_name
from trellis.local.services import InvokeResult
from trellis.manifest import ManifestError, load_manifest_text

BASE = """
[project]
name = "acme"
region = "us-east-1"
github_repository = "acme/backend"
environments = ["dev", "prod"]

[services.api]
runtime = "lambda"
uses = { orders = "publish" }

[services.worker]
runtime = "lambda"

[services.web]
runtime = "ecs-express"
uses = { jobs = "consume" }

[queues.jobs]

[queues.ledger]
fifo = true

[events.orders]
"""


def manifest(rules: str = "", extra: str = "") -> Any:
    return load_manifest_text(BASE + rules + extra)


def error(rules: str, extra: str = "") -> str:
    with pytest.raises(ManifestError) as excinfo:
        manifest(rules, extra)
    message = str(excinfo.value)
    assert "\n" not in message
    return message


def rule(
    pattern: str = '{ source = ["acme.api"] }', targets: str = '["jobs"]', name: str = "paid"
) -> str:
    return f"\n[events.orders.rules.{name}]\npattern = {pattern}\ntargets = {targets}\n"


def test_a_bus_with_rules_to_a_queue_and_a_lambda_service_is_valid() -> None:
    m = manifest(rule(targets='["jobs", "worker"]'))
    spec = m.specs(BUS)["orders"]
    assert spec.rules["paid"].targets == ["jobs", "worker"]


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ('{ source = "acme.api" }', "events.orders.rules.paid.pattern.source: must be an array"),
        (
            "{ source = [] }",
            "events.orders.rules.paid.pattern.source: an empty array matches nothing",
        ),
        ("{}", "events.orders.rules.paid.pattern: an empty pattern matches nothing"),
        (
            "{ detail = { n = [{ greater = 3 }] } }",
            "events.orders.rules.paid.pattern.detail.n.0: unknown content filter 'greater'",
        ),
        (
            '{ source = [{ prefix = "a", suffix = "b" }] }',
            "events.orders.rules.paid.pattern.source.0: an array holds values or one-key",
        ),
        ('{ "$or" = [{ source = ["a"] }] }', "pattern.$or: $or takes an array of at least two"),
        ('{ "$or" = [{ source = ["a"] }, { source = "b" }] }', "pattern.$or.1.source: must be"),
    ],
)
def test_a_pattern_eventbridge_refuses_is_one_line_naming_the_key(
    pattern: str, message: str
) -> None:
    assert message in error(rule(pattern))


def test_the_patterns_of_awss_documented_examples_are_accepted() -> None:
    for pattern in (
        {"source": ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"]},
        {"detail": {"state": [{"anything-but": ["running", "pending"]}]}},
        {"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}]}},
        {"detail": {"source-ip": [{"cidr": "10.0.0.0/24"}]}},
        {"detail": {"location": [{"exists": False}]}},
        {
            "$or": [
                {"detail": {"c-count": [{"numeric": [">", 0]}]}},
                {"detail": {"d-count": [{"numeric": ["<", 10]}]}},
            ]
        },
        {
            "source": [{"wildcard": "Simple*Service"}],
            "region": [{"equals-ignore-case": "US-EAST-1"}],
        },
    ):
        assert list(pattern_problems(pattern)) == [], pattern


@pytest.mark.parametrize(
    ("targets", "message"),
    [
        ('["nowhere"]', "events.orders.rules.paid.targets.0: unknown queue or service 'nowhere'"),
        ('["ledger"]', "events.orders.rules.paid.targets.0: 'ledger' is a FIFO queue"),
        (
            '["web"]',
            "events.orders.rules.paid.targets.0: 'web' runs on ecs-express, which a rule cannot invoke: target 'jobs', the queue it consumes",
        ),
        ('["jobs", "jobs"]', "events.orders.rules.paid.targets: a target is listed twice"),
        ("[]", "events.orders.rules.paid.targets: List should have at least 1 item"),
    ],
)
def test_a_bad_target_is_one_line_naming_the_key(targets: str, message: str) -> None:
    assert message in error(rule(targets=targets))


def test_more_than_five_targets_is_refused() -> None:
    queues = "".join(f"\n[queues.q{i}]\n" for i in range(6))
    targets = json.dumps([f"q{i}" for i in range(6)])
    assert "at most 5 targets per rule" in error(rule(targets=targets), queues)


def test_rule_names_are_unique_across_buses_and_fit_awss_64_characters() -> None:
    other = '\n[events.audit]\n\n[events.audit.rules.paid]\npattern = { source = ["x"] }\ntargets = ["jobs"]\n'
    assert "events.audit.rules.paid: duplicate rule name: events.orders.rules.paid" in error(
        rule(), other
    )
    long = "r" * 56
    assert f"events.orders.rules.{long}: rule name 'acme-prod-{long}' is 66 characters" in error(
        rule(name=long)
    )


def test_a_pattern_over_eventbridges_4096_characters_is_refused() -> None:
    values = json.dumps(["x" * 100] * 41)
    assert "pattern: 4" in error(rule(pattern=f"{{ source = {values} }}"))


def test_publish_grants_put_events_on_exactly_the_environments_bus() -> None:
    m = manifest(rule())
    arns = Arns(region="us-east-1", account_id="111122223333")
    (st,) = [s for s in service_statements(m, "api", "prod", arns) if s.resource == "orders"]
    assert st.actions == ("events:PutEvents", "events:DescribeEventBus")
    assert st.resources == ("arn:aws:events:us-east-1:111122223333:event-bus/acme-prod-orders",)
    assert not [s for s in service_statements(m, "worker", "prod", arns) if s.resource == "orders"]
    assert "access level 'send' is not valid for a bus; use one of: publish" in error(
        "", '\n[services.other]\nruntime = "lambda"\nuses = { orders = "send" }\n'
    )


# --- the local delivery to a Lambda target ---------------------------------------------------


class FakeFunction:
    name = "worker"
    concurrency = 2
    broken = None

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.events: list[dict[str, Any]] = []

    async def invoke(self, event: dict[str, Any]) -> InvokeResult:
        self.events.append(event)
        return InvokeResult(error="boom" if self.fail else None)


def relay_batch(*bodies: str) -> dict[str, Any]:
    return {"Records": [{"messageId": f"m{i}", "body": b} for i, b in enumerate(bodies)]}


def test_a_relayed_event_invokes_the_function_with_the_rules_envelope() -> None:
    fn = FakeFunction()
    target = RuleTarget("orders", "paid", fn)
    event = {"id": "e-1", "detail-type": "OrderPaid", "detail": {"order_id": "o-1"}}
    result = asyncio.run(target.invoke(relay_batch(json.dumps(event))))
    assert result.payload == {"batchItemFailures": []}
    assert fn.events == [{"trellis_rule": "paid", "bus": "orders", "event": event}]
    assert (target.name, target.concurrency) == ("worker", 2)


def test_a_failed_invocation_leaves_the_event_in_the_relay() -> None:
    result = asyncio.run(
        RuleTarget("orders", "paid", FakeFunction(fail=True)).invoke(relay_batch('{"id": "e"}'))
    )
    assert result.ok and result.payload == {"batchItemFailures": [{"itemIdentifier": "m0"}]}


def test_a_relay_queue_name_clashes_with_no_manifest_name_and_fits_sqs() -> None:
    assert relay_queue_name("acme", "dev", "paid", "worker") == "acme-dev-_events-paid-worker"
    long = relay_queue_name("a" * 24, "production", "r" * 40, "s" * 40)
    assert len(long) + len("-dlq") <= 80
    assert long != relay_queue_name("a" * 24, "production", "r" * 40, "s" * 39)


def test_the_dashboard_draws_a_bus_and_an_edge_per_rule_target() -> None:
    from trellis.local.dashboard._architecture import edges, nodes, svg

    m = manifest(rule(targets='["jobs", "worker"]'))
    assert ("orders", "bus", "event bus, 1 rule") in [(n.name, n.kind, n.detail) for n in nodes(m)]
    found = {(e.source, e.target): (e.label, e.kind) for e in edges(m)}
    assert found[("orders", "jobs")] == ("rule paid", "event")
    assert found[("orders", "worker")] == ("rule paid", "event")
    assert found[("api", "orders")] == ("publish", "uses")
    assert "rule paid" in svg(m)


def test_a_publisher_in_the_network_reaches_eventbridge_through_an_interface_endpoint() -> None:
    from trellis.kinds._network import endpoints

    m = manifest(
        rule(),
        '\n[databases.books-db]\n\n[services.books]\nruntime = "lambda"\n'
        'uses = { books-db = "connect", orders = "publish" }\n',
    )
    assert endpoints(m)["events"] == "Interface"
    # Publishers outside the network need none.
    assert "events" not in endpoints(manifest(rule(), "\n[databases.books-db]\n"))
