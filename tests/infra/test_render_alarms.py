"""The alarms every module renders (metric, namespace, statistic, threshold, dimensions,
actions) and where ``[alarms]`` sends them, read from the rendered Terraform with python-hcl2."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest

from tests.infra.conftest import EVERYTHING, ROOT, write_tree
from tests.infra.hclconfig import Config, as_list
from trellis.iam_eval import Request, allowed
from trellis.infra import render
from trellis.infra._deploy import Account, deploy_documents
from trellis.kinds import TOPIC
from trellis.manifest import Manifest, load_manifest, load_manifest_text

MODULES = ROOT / "terraform" / "modules"
ALARM = "aws_cloudwatch_metric_alarm"
ACTIONS = "${var.alarm_actions}"
ACCOUNT = Account(account_id="111122223333", partition="aws", region="eu-west-1")


@functools.cache
def module_config(module: str) -> Config:
    return Config.load(MODULES / module)


def alarms(module: str) -> dict[str, dict[str, Any]]:
    cfg = module_config(module)
    return {name: body for (t, name), body in cfg.resources.items() if t == ALARM}


def metric_queries(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The alarm's metric queries, with those of its ``dynamic "metric_query"`` blocks."""
    out = list(as_list(body.get("metric_query")))
    for dynamic in as_list(body.get("dynamic")):
        for content in as_list(dynamic["metric_query"]["content"]):
            out.append({**content, "for_each": dynamic["metric_query"]["for_each"]})
    return out


def metric(query: dict[str, Any]) -> dict[str, Any]:
    (m,) = as_list(query["metric"])
    return dict(m)


def notifies(body: dict[str, Any]) -> None:
    """Alarm and recovery both go to the module's alarm_actions."""
    assert body["alarm_actions"] == ACTIONS
    assert body["ok_actions"] == ACTIONS
    assert body["treat_missing_data"] == "notBreaching"


# --- each module's alarms ------------------------------------------------------------------


def test_a_lambda_function_alarms_on_errors_throttles_and_duration_near_its_timeout() -> None:
    a = alarms("lambda-service")
    assert set(a) == {"errors", "throttles", "duration"}
    dims = {"FunctionName": "${aws_lambda_function.this.function_name}"}
    for name, metric_name in (("errors", "Errors"), ("throttles", "Throttles")):
        assert a[name]["namespace"] == "AWS/Lambda"
        assert a[name]["metric_name"] == metric_name
        assert a[name]["dimensions"] == dims
        assert a[name]["statistic"] == "Sum"
        assert a[name]["comparison_operator"] == "GreaterThanThreshold"
        notifies(a[name])
    assert a["errors"]["threshold"] == "${var.error_alarm_threshold}"
    assert a["throttles"]["threshold"] == 0
    d = a["duration"]
    assert (d["namespace"], d["metric_name"], d["dimensions"]) == ("AWS/Lambda", "Duration", dims)
    assert d["extended_statistic"] == "p99" and "statistic" not in d
    assert d["comparison_operator"] == "GreaterThanOrEqualToThreshold"
    # Duration is in milliseconds; the timeout in seconds.
    assert d["threshold"] == "${var.timeout_seconds * 1000 * var.duration_alarm_percent / 100}"
    assert (d["evaluation_periods"], d["datapoints_to_alarm"], d["period"]) == (3, 2, 300)
    notifies(d)
    default = module_config("lambda-service").variables["duration_alarm_percent"]
    assert default["default"] == 80


def test_a_queue_alarms_on_its_oldest_message_and_a_non_empty_dlq() -> None:
    a = alarms("sqs-queue")
    assert set(a) == {"oldest_message", "dlq_depth"}
    age = a["oldest_message"]
    assert (age["namespace"], age["metric_name"]) == ("AWS/SQS", "ApproximateAgeOfOldestMessage")
    assert age["dimensions"] == {"QueueName": "${aws_sqs_queue.this.name}"}
    assert age["statistic"] == "Maximum"
    assert age["threshold"] == "${var.oldest_message_alarm_seconds}"
    dlq = a["dlq_depth"]
    assert (dlq["metric_name"], dlq["threshold"]) == ("ApproximateNumberOfMessagesVisible", 0)
    assert dlq["dimensions"] == {"QueueName": "${aws_sqs_queue.dlq.name}"}
    assert dlq["comparison_operator"] == "GreaterThanThreshold"
    for body in a.values():
        notifies(body)
    variables = module_config("sqs-queue").variables
    assert variables["oldest_message_alarm_seconds"]["default"] == 300


def test_a_table_alarms_on_throttle_events_and_system_errors_of_every_operation() -> None:
    a = alarms("dynamodb-table")
    assert set(a) == {"throttles", "system_errors"}
    table = {"TableName": "${aws_dynamodb_table.this.name}"}
    throttles = metric_queries(a["throttles"])
    (expression,) = [q for q in throttles if "expression" in q]
    assert expression["return_data"] is True
    assert expression["expression"] == "FILL(reads, 0) + FILL(writes, 0)"
    (per_kind,) = [q for q in throttles if "metric" in q]
    m = metric(per_kind)
    assert (m["namespace"], m["dimensions"], m["stat"]) == ("AWS/DynamoDB", table, "Sum")
    assert per_kind["for_each"] == {"reads": "ReadThrottleEvents", "writes": "WriteThrottleEvents"}
    assert a["throttles"]["threshold"] == "${var.throttle_alarm_threshold}"

    errors = metric_queries(a["system_errors"])
    assert [q["expression"] for q in errors if "expression" in q] == ["SUM(METRICS())"]
    (per_op,) = [q for q in errors if "metric" in q]
    m = metric(per_op)
    assert m["metric_name"] == "SystemErrors"
    assert m["dimensions"] == {**table, "Operation": "${metric_query.value}"}
    assert per_op["for_each"] == "${local.system_error_operations}"
    operations = module_config("dynamodb-table").locals["system_error_operations"]
    # Every data-plane call a table access level grants is summed.
    from trellis.iam import ACTIONS as LEVELS

    granted = {a.split(":")[1] for level in LEVELS["table"].values() for a in level}
    assert granted - {"DescribeTable"} <= set(operations)
    assert len(operations) <= 10  # CloudWatch: at most 10 metrics in an alarm's math
    assert a["system_errors"]["threshold"] == 0
    for body in a.values():
        notifies(body)


def test_an_app_runner_service_alarms_on_5xx_cpu_and_memory() -> None:
    a = alarms("apprunner-service")
    assert set(a) == {"http_5xx", "utilization"}
    dims = "${local.metric_dimensions}"
    locals_ = module_config("apprunner-service").locals["metric_dimensions"]
    assert locals_ == {
        "ServiceName": "${aws_apprunner_service.this.service_name}",
        "ServiceID": "${aws_apprunner_service.this.service_id}",
    }
    five = a["http_5xx"]
    assert (five["namespace"], five["metric_name"]) == ("AWS/AppRunner", "5xxStatusResponses")
    assert (five["dimensions"], five["statistic"]) == (dims, "Sum")
    use = a["utilization"]
    assert use["for_each"] == {"cpu": "CPUUtilization", "memory": "MemoryUtilization"}
    assert (use["namespace"], use["metric_name"]) == ("AWS/AppRunner", "${each.value}")
    assert (use["dimensions"], use["statistic"]) == (dims, "Average")
    assert use["threshold"] == "${var.utilization_alarm_percent}"
    for body in a.values():
        notifies(body)


def test_an_ecs_express_service_alarms_on_cpu_and_memory_and_not_on_an_unknown_balancer() -> None:
    a = alarms("ecs-express-service")
    # The ALB's LoadBalancer dimension is no attribute of the Express service: no 5xx alarm.
    assert set(a) == {"utilization"}
    use = a["utilization"]
    assert use["for_each"] == {"cpu": "CPUUtilization", "memory": "MemoryUtilization"}
    assert use["namespace"] == "AWS/ECS"
    assert use["dimensions"] == "${local.metric_dimensions}"
    assert module_config("ecs-express-service").locals["metric_dimensions"] == {
        "ClusterName": '${split("/", aws_ecs_express_gateway_service.this.service_arn)[1]}',
        "ServiceName": "${aws_ecs_express_gateway_service.this.service_name}",
    }
    assert use["statistic"] == "Average"
    notifies(use)


def test_each_gateway_route_alarms_on_its_5xx_rate_and_p99_latency() -> None:
    a = alarms("api-gateway")
    assert set(a) == {"route_5xx_rate", "route_latency"}
    dims = "${local.route_metric_dimensions[each.key]}"
    for body in a.values():
        assert body["for_each"] == "${var.routes}"
        notifies(body)
    locals_ = module_config("api-gateway").locals["route_metric_dimensions"]
    for part in (
        "ApiName = aws_api_gateway_rest_api.this.name",
        'Resource = "/${r.path_part}/{proxy+}"',
        'Method = "ANY"',
        "Stage = aws_api_gateway_stage.this.stage_name",
    ):
        assert part in locals_
    rate = metric_queries(a["route_5xx_rate"])
    (expression,) = [q for q in rate if "expression" in q]
    assert expression["expression"] == (
        "IF(requests >= ${var.error_rate_min_requests}, 100 * errors / requests, 0)"
    )
    stats = {q["id"]: metric(q) for q in rate if "metric" in q}
    assert {k: (m["metric_name"], m["stat"], m["dimensions"]) for k, m in stats.items()} == {
        "errors": ("5XXError", "Sum", dims),
        "requests": ("5XXError", "SampleCount", dims),
    }
    assert a["route_5xx_rate"]["threshold"] == "${var.error_rate_alarm_percent}"
    latency = a["route_latency"]
    assert (latency["namespace"], latency["metric_name"]) == ("AWS/ApiGateway", "Latency")
    assert (latency["dimensions"], latency["extended_statistic"]) == (dims, "p99")
    assert latency["threshold"] == "${var.latency_alarm_p99_ms}"
    # Detailed metrics (per method) are what the Resource and Method dimensions need.
    settings = module_config("api-gateway").resources[("aws_api_gateway_method_settings", "all")]
    assert as_list(settings["settings"])[0]["metrics_enabled"] is True


# --- the rendered root: every alarmed module gets the routing, queues their thresholds --------


def tree(tmp_path: Path, manifest: Manifest) -> Config:
    return Config.load(write_tree(tmp_path, render(manifest)) / "terraform")


@pytest.fixture(scope="module")
def everything(tmp_path_factory: pytest.TempPathFactory) -> Config:
    return tree(tmp_path_factory.mktemp("alarms"), load_manifest(EVERYTHING))


@functools.cache
def _alarmed_sources() -> frozenset[str]:
    return frozenset(
        f"./modules/{m.name}"
        for m in MODULES.iterdir()
        if (m / "main.tf").exists() and "aws_cloudwatch_metric_alarm" in (m / "main.tf").read_text()
    )


def test_every_module_with_alarms_is_given_the_environments_actions(everything: Config) -> None:
    sources = _alarmed_sources()
    assert sources == {
        "./modules/lambda-service",
        "./modules/sqs-queue",
        "./modules/dynamodb-table",
        "./modules/apprunner-service",
        "./modules/ecs-express-service",
        "./modules/api-gateway",
    }
    given = {
        name: body.get("alarm_actions")
        for name, body in everything.modules.items()
        if body["source"] in sources
    }
    # Every runtime, the gateway, the JWT authorizer and db-admin functions, queues, tables.
    assert {"api_service", "web_service", "legacy_service", "worker_service", "gateway"} <= set(
        given
    )
    assert set(given.values()) == {"${local.alarm_actions}"}


def test_a_queue_module_gets_its_manifest_threshold(everything: Config) -> None:
    assert everything.modules["fanout_queue"]["oldest_message_alarm_seconds"] == 900
    assert everything.modules["tasks_queue"]["oldest_message_alarm_seconds"] == 300


def test_each_environment_gets_exactly_the_routing_it_declares(everything: Config) -> None:
    own = "arn:${local.partition}:sns:${local.region}:${local.account_id}:kit-prod-alarms"
    assert everything.locals["alarm_routes"] == {
        "dev": ["arn:aws:sns:eu-west-1:444455556666:kit-chat"],
        "prod": [own, "arn:aws:sns:eu-west-1:444455556666:kit-pager"],
    }
    assert everything.locals["alarm_actions"] == (
        "${lookup(local.alarm_routes, var.environment, [])}"
    )
    assert everything.locals["alarm_emails"] == {
        "prod": ["oncall@kit.example.com", "platform@kit.example.com"]
    }
    sub = everything.resources[("aws_sns_topic_subscription", "alarm_email")]
    assert sub["for_each"] == "${toset(lookup(local.alarm_emails, var.environment, []))}"
    assert sub["protocol"] == "email"
    assert sub["endpoint"] == "${each.value}"
    assert sub["topic_arn"] == (
        "arn:${local.partition}:sns:${local.region}:${local.account_id}:kit-${var.environment}-alarms"
    )


def test_without_routing_no_alarm_has_an_action(tmp_path: Path) -> None:
    text = EVERYTHING.read_text().split("\n[alarms.environments.dev]")[0]
    bare = load_manifest_text(text.rsplit("# dev pages", 1)[0])
    assert bare.alarms.environments == {}
    cfg = tree(tmp_path, bare)
    assert cfg.locals["alarm_actions"] == []
    assert "alarm_routes" not in cfg.locals and "alarm_emails" not in cfg.locals
    assert not (tmp_path / "terraform" / "alarms.tf").exists()
    assert all(t != "aws_sns_topic_subscription" for t, _n in cfg.resources)
    # The alarms are rendered all the same, with the (empty) actions.
    assert {
        b.get("alarm_actions") for b in cfg.modules.values() if b["source"] in _alarmed_sources()
    } == {"${local.alarm_actions}"}
    # And the deploy roles get no subscription grant.
    for env in bare.project.environments:
        doc = deploy_documents(bare, env, ACCOUNT)["deploy_role"]["policies"]
        sids = {st["Sid"] for d in doc for st in d["Statement"]}
        assert "SubscribeEmailsToOwnAlarmTopic" not in sids


@pytest.mark.parametrize("path", [ROOT / "trellis.toml", EVERYTHING], ids=["example", "everything"])
def test_a_deploy_role_subscribes_emails_only_to_its_own_alarm_topic(path: Path) -> None:
    m = load_manifest(path)
    region, project = m.project.region, m.project.name
    account = Account(account_id="111122223333", partition="aws", region=region)
    for env in m.project.environments:
        policies = deploy_documents(m, env, account)["deploy_role"]["policies"]
        for other in m.project.environments:
            topic = f"arn:aws:sns:{region}:111122223333:{project}-{other}-alarms"
            email = {"sns:Protocol": "email", "sns:Endpoint": "x@example.com"}
            assert allowed(Request("sns:Subscribe", topic, email), policies) == (env == other)


def test_without_topics_the_alarm_topic_takes_nothing_but_emails() -> None:
    # (A stack with topics lets its deploy roles subscribe queues to their own topics:
    # ManageTopics. The example has none, so only the email grant is there.)
    m = load_manifest(ROOT / "trellis.toml")
    assert not m.specs(TOPIC)
    account = Account(account_id="111122223333", partition="aws", region=m.project.region)
    for env in m.project.environments:
        policies = deploy_documents(m, env, account)["deploy_role"]["policies"]
        topic = f"arn:aws:sns:{m.project.region}:111122223333:acme-{env}-alarms"
        for protocol in ("https", "sqs", "lambda", "sms"):
            request = Request("sns:Subscribe", topic, {"sns:Protocol": protocol})
            assert not allowed(request, policies), (env, protocol)
