"""Event buses in the rendered Terraform (parsed with python-hcl2): the bus module's rules and
targets, the queues' policies, the Lambda permissions and the publishers' statements."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.infra.conftest import write_tree
from tests.infra.hclconfig import Config, as_list
from trellis.infra import render
from trellis.manifest import Manifest
from trellis.runtime.events import AWS_EVENT, envelope

RULE_ARN = (
    "arn:${local.partition}:events:${local.region}:${local.account_id}:rule/"
    "kit-${var.environment}-commerce/kit-${var.environment}-"
)


@pytest.fixture(scope="module")
def tree(everything_manifest: Manifest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tree(tmp_path_factory.mktemp("events"), render(everything_manifest))


@pytest.fixture(scope="module")
def root(tree: Path) -> Config:
    return Config.load(tree / "terraform")


def test_a_bus_renders_its_rules_and_targets(root: Config) -> None:
    bus = root.modules["commerce_bus"]
    assert bus["source"] == "./modules/event-bus"
    assert bus["name"] == "kit-${var.environment}-commerce"
    rules = bus["rules"]
    assert sorted(rules) == ["big-refund", "paid"]
    assert rules["paid"]["name"] == "kit-${var.environment}-paid"
    # The pattern is the manifest's table as JSON (sorted keys: a stable render).
    assert json.loads(rules["big-refund"]["event_pattern"]) == {
        "detail": {"amount": [{"numeric": [">=", 1000]}]},
        "detail-type": ["RefundIssued"],
    }
    targets = bus["targets"]
    assert sorted(targets) == ["big-refund-tasks", "paid-fanout", "paid-worker"]
    assert targets["paid-fanout"] == {
        "rule": "paid",
        "kind": "sqs",
        "arn": "${module.fanout_queue.arn}",
    }
    worker = targets["paid-worker"]
    # target_arn: the live alias when the service has SnapStart, else the function.
    assert (worker["kind"], worker["arn"]) == ("lambda", "${module.worker_service.target_arn}")
    # The input transformer wraps the matched event in the envelope lambda_handler dispatches.
    filled = json.loads(worker["input_template"].replace(AWS_EVENT, '{"id": "e"}'))
    assert filled == envelope("commerce", "paid", {"id": "e"})
    assert bus["maximum_retry_attempts"] == 185


def test_a_target_queue_admits_eventbridge_from_its_rules_only(root: Config) -> None:
    publishers = {
        name: [p for p in root.modules[f"{name}_queue"]["publishers"] if "events" in p["service"]]
        for name in ("fanout", "tasks", "ledger")
    }
    assert publishers["fanout"] == [
        {"service": "events.amazonaws.com", "source_arn": RULE_ARN + "paid"}
    ]
    assert publishers["tasks"] == [
        {"service": "events.amazonaws.com", "source_arn": RULE_ARN + "big-refund"}
    ]
    assert publishers["ledger"] == []


def test_the_module_lets_each_lambda_target_be_invoked_by_its_rule_alone(tree: Path) -> None:
    module = Config.load(tree / "terraform" / "modules" / "event-bus")
    permission = module.resources[("aws_lambda_permission", "this")]
    assert permission["principal"] == "events.amazonaws.com"
    assert permission["action"] == "lambda:InvokeFunction"
    assert permission["source_arn"] == "${aws_cloudwatch_event_rule.this[each.value.rule].arn}"
    assert 'target.kind == "lambda"' in permission["for_each"]
    target = module.resources[("aws_cloudwatch_event_target", "this")]
    assert target["event_bus_name"] == "${aws_cloudwatch_event_bus.this.name}"
    # Every module argument the renderer passes is a variable of the module.
    assert set(module.variables) >= {"name", "description", "rules", "targets", "tags"}


def test_a_publisher_gets_the_buss_arn_from_the_module(tree: Path) -> None:
    api = (tree / "terraform" / "service_api.tf").read_text()
    assert re.search(r"COMMERCE_BUS_ARN += module\.commerce_bus\.arn", api)
    worker = (tree / "terraform" / "service_worker.tf").read_text()
    assert "COMMERCE_BUS_ARN" not in worker  # a target is not a publisher


def test_only_a_publisher_gets_put_events_and_on_its_bus_alone(root: Config) -> None:
    granted = [
        (doc, st)
        for doc, st in root.policy_statements()
        if "events:PutEvents" in as_list(st["actions"])
    ]
    assert [doc for doc, _st in granted] == ["api"]
    ((_doc, st),) = granted
    assert st["sid"] == "CommerceBus"
    assert sorted(st["actions"]) == ["events:DescribeEventBus", "events:PutEvents"]
    assert st["resources"] == [
        "arn:${local.partition}:events:${local.region}:${local.account_id}:event-bus/"
        "kit-${var.environment}-commerce"
    ]
