"""`trellis add bus` / `add rule` / `remove rule`: the manifest, code and Terraform they write."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.scaffold.conftest import run, snapshot
from trellis.infra import drift
from trellis.manifest import load_manifest

PATTERN = {
    "detail-type": ["OrderPaid"],
    "$or": [{"source": ["shop.api"]}, {"source": ["shop.web"]}],
}


def add_rule(project: Path, *targets: str, name: str = "paid", pattern: object = PATTERN) -> int:
    argv = ["add", "rule", "orders", name, "--pattern-json", json.dumps(pattern)]
    for target in targets:
        argv += ["--target", target]
    return run(project, *argv)


def test_add_bus_and_rule_then_remove_them_gives_back_the_tree(project: Path) -> None:
    before = snapshot(project)
    assert run(project, "add", "queue", "audit", "--consume", "api") == 0
    assert run(project, "add", "bus", "orders", "--publish", "api") == 0
    assert add_rule(project, "audit", "api") == 0
    manifest = load_manifest(project / "trellis.toml")
    rule = manifest.events["orders"].rules["paid"]
    assert (rule.pattern, rule.targets) == (PATTERN, ["audit", "api"])
    assert manifest.services["api"].uses["orders"] == ["publish"]
    text = (project / "trellis.toml").read_text()
    # The pattern is written as TOML a person would write ($or quoted: not a bare key).
    assert '"$or" = [{ source = ["shop.api"] }, { source = ["shop.web"] }]' in text
    resources = (project / "backend/api/api/resources.py").read_text()
    assert "def orders_bus(settings: Settings, clients: AwsClients) -> EventPublisher:" in resources
    tests = (project / "backend/api/tests/test_api_resources.py").read_text()
    assert "def test_publishes_to_the_orders_bus" in tests
    bus_tf = (project / "terraform/bus_orders.tf").read_text()
    assert re.search(r"source += \"\./modules/event-bus\"", bus_tf)
    assert "module.api_service.target_arn" in bus_tf and "module.audit_queue.arn" in bus_tf
    assert "events.amazonaws.com" in (project / "terraform/queue_audit.tf").read_text()
    assert drift(project, manifest) == []
    assert run(project, "remove", "rule", "orders", "paid") == 0
    assert run(project, "remove", "bus", "orders", "--force") == 0
    assert run(project, "remove", "queue", "audit", "--force") == 0
    assert snapshot(project) == before


def test_add_rule_twice_changes_nothing_and_other_values_are_refused(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(project, "add", "queue", "audit") == 0
    assert run(project, "add", "bus", "orders") == 0
    assert add_rule(project, "audit") == 0
    after = snapshot(project)
    assert add_rule(project, "audit") == 0
    assert "nothing to do" in capsys.readouterr().out
    assert add_rule(project, "audit", pattern={"detail-type": ["Other"]}) == 2
    assert "events.orders.rules.paid exists with other values" in capsys.readouterr().err
    assert snapshot(project) == after


def test_add_rule_refuses_a_bad_pattern_or_target_naming_the_key(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(project, "add", "queue", "audit") == 0
    before = snapshot(project)
    assert add_rule(project, "audit") == 2
    assert "no events.orders in" in capsys.readouterr().err
    assert run(project, "add", "bus", "orders") == 0
    with_bus = snapshot(project)
    assert add_rule(project, "audit", pattern={"source": "shop.api"}) == 2
    assert "events.orders.rules.paid.pattern.source: must be an array" in capsys.readouterr().err
    assert add_rule(project, "nowhere") == 2
    assert "events.orders.rules.paid.targets.0: unknown queue or service 'nowhere'" in (
        capsys.readouterr().err
    )
    assert snapshot(project) == with_bus
    assert snapshot(project) != before


def test_removing_a_target_queue_with_force_drops_it_from_its_rules(project: Path) -> None:
    assert run(project, "add", "queue", "audit") == 0
    assert run(project, "add", "queue", "ledger") == 0
    assert run(project, "add", "bus", "orders") == 0
    assert add_rule(project, "audit", "ledger") == 0
    assert add_rule(project, "audit", name="refunds", pattern={"detail-type": ["Refund"]}) == 0
    assert run(project, "remove", "queue", "audit") == 2
    assert run(project, "remove", "queue", "audit", "--force") == 0
    rules = load_manifest(project / "trellis.toml").events["orders"].rules
    # paid keeps its other target; refunds had no other and is gone.
    assert list(rules) == ["paid"] and rules["paid"].targets == ["ledger"]
