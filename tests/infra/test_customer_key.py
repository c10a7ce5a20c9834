"""``encryption = "customer"``: the rendered key, its policy and each resource's use of it (parsed HCL)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.infra.conftest import ROOT
from tests.infra.hclconfig import Config, as_list
from trellis.kinds import KINDS

MODULES = ROOT / "terraform" / "modules"
KEY = "${module.key.arn}"


def module(name: str) -> Config:
    return Config.load(MODULES / name)


def root_module(tree: Path, label: str) -> dict[str, Any]:
    cfg = Config.load(tree / "terraform")
    return cfg.modules[label]


def test_the_example_stays_on_aws_managed_keys() -> None:
    # Nothing in the committed example names a customer key.
    assert not (ROOT / "terraform" / "key.tf").exists()
    for tf in (ROOT / "terraform").glob("*.tf"):
        assert "module.key" not in tf.read_text(encoding="utf-8"), tf.name


def test_one_key_per_environment_named_by_the_environment(customer_key_tree: Path) -> None:
    key = root_module(customer_key_tree, "key")
    assert key["source"] == "./modules/kms-key"
    assert key["alias"] == "alias/kit-${var.environment}-key"
    # Production keeps a deleted key recoverable for AWS's longest window.
    assert key["deletion_window_days"] == "${var.production ? 30 : 7}"
    assert key["tags"]["Name"] == "kit-${var.environment}-key"


def test_the_key_rotates_and_has_a_bounded_deletion_window() -> None:
    cfg = module("kms-key")
    body = cfg.resources[("aws_kms_key", "this")]
    assert body["enable_key_rotation"] is True
    assert body["rotation_period_in_days"] == "${var.rotation_period_days}"
    assert body["deletion_window_in_days"] == "${var.deletion_window_days}"
    assert cfg.variables["rotation_period_days"]["default"] == 365
    assert (
        "var.deletion_window_days >= 7"
        in as_list(cfg.variables["deletion_window_days"]["validation"])[0]["condition"]
    )
    alias = cfg.resources[("aws_kms_alias", "this")]
    assert alias["target_key_id"] == "${aws_kms_key.this.key_id}"


def test_the_key_policy_admits_the_account_logs_and_deliveries_only() -> None:
    cfg = module("kms-key")
    policy = cfg.resources[("aws_kms_key", "this")]["policy"]
    assert (
        "concat([local.account_statement], local.logs_statements, local.delivery_statements)"
        in (policy)
    )
    account = cfg.locals["account_statement"]
    assert account["Principal"] == {
        "AWS": "arn:${data.aws_partition.current.partition}:iam::${local.account_id}:root"
    }
    logs = cfg.locals["logs_statements"]
    assert 'Principal = {Service = "logs.${data.aws_region.current.region}.amazonaws.com"}' in logs
    assert 'ArnLike = {"kms:EncryptionContext:aws:logs:arn" = arns}' in logs
    deliveries = cfg.locals["delivery_statements"]
    assert 'Action = ["kms:Decrypt", "kms:GenerateDataKey"]' in deliveries
    assert 'ArnLike = {"aws:SourceArn" = sources}' in deliveries
    assert 'StringEquals = {"aws:SourceAccount" = local.account_id}' in deliveries


def test_the_key_policy_names_the_environments_log_groups_and_delivering_resources(
    customer_key_tree: Path,
) -> None:
    key = root_module(customer_key_tree, "key")
    logs = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:"
    assert key["log_group_arns"] == [
        f"{logs}/aws/lambda/kit-${{var.environment}}-*",
        f"{logs}/aws/apigateway/kit-${{var.environment}}/*",
        f"{logs}/ecs/kit-${{var.environment}}-*",
    ]
    # The media bucket notifies the tasks queue; the events topic feeds the fanout queue;
    # the commerce bus's rules send to the tasks queue.
    rule = "arn:${local.partition}:events:${local.region}:${local.account_id}:rule/kit-${var.environment}-commerce/kit-${var.environment}-"
    assert key["deliveries"] == {
        "events.amazonaws.com": [f"{rule}big-refund", f"{rule}paid"],
        "s3.amazonaws.com": ["arn:${local.partition}:s3:::kit-${var.environment}-media"],
        "sns.amazonaws.com": [
            "arn:${local.partition}:sns:${local.region}:${local.account_id}:kit-${var.environment}-events"
        ],
    }


def test_every_resource_that_takes_a_key_gets_the_environments_key(
    customer_key_tree: Path,
) -> None:
    cfg = Config.load(customer_key_tree / "terraform")
    wired = {}
    for entry in KINDS:
        for label, body in cfg.modules.items():
            if body["source"] == f"./modules/{entry.terraform_module}" and entry.key_argument:
                wired[label] = body.get(entry.key_argument)
    assert wired == {
        "tasks_queue": KEY,
        "fanout_queue": KEY,
        "ledger_queue": KEY,
        "orders_table": KEY,
        "media_bucket": KEY,
        "events_topic": KEY,
        "stripe_key_secret": KEY,
        # A plain parameter is not encrypted; a SecureString is.
        "flags_parameter": None,
        "signing_key_parameter": KEY,
        "ledger_db_database": KEY,
        "audit_database": KEY,
        "sessions_cache": KEY,
    }
    # Every log group: services (Lambda and ECS), authorizers, the admin function, the gateway.
    logged = {
        label: body.get("log_kms_key_arn")
        for label, body in cfg.modules.items()
        if body["source"]
        in ("./modules/lambda-service", "./modules/ecs-express-service", "./modules/api-gateway")
    }
    assert logged and set(logged.values()) == {KEY}, logged
    # The gateway's origin secret, and each schedule that sends to an (encrypted) queue.
    assert cfg.resources[("aws_secretsmanager_secret", "origin")]["kms_key_id"] == KEY
    schedules = {
        label: body.get("target_kms_key_arn")
        for label, body in cfg.modules.items()
        if body["source"] == "./modules/schedule"
    }
    assert schedules == {
        "nightly_schedule": KEY,
        "close_books_schedule": KEY,
        "ping_schedule": None,
    }


def test_each_module_encrypts_with_the_key_it_is_given() -> None:
    def attr(name: str, rtype: str, key: str, resource: str = "this") -> Any:
        return module(name).resources[(rtype, resource)][key]

    assert attr("sqs-queue", "aws_sqs_queue", "kms_master_key_id") == "${var.kms_key_arn}"
    assert attr("sqs-queue", "aws_sqs_queue", "kms_master_key_id", "dlq") == "${var.kms_key_arn}"
    assert attr("sns-topic", "aws_sns_topic", "kms_master_key_id") == "${var.kms_key_id}"
    sse = as_list(
        as_list(attr("s3-bucket", "aws_s3_bucket_server_side_encryption_configuration", "rule"))[0][
            "apply_server_side_encryption_by_default"
        ]
    )[0]
    assert sse["kms_master_key_id"] == "${var.kms_key_arn}"
    rule = as_list(attr("s3-bucket", "aws_s3_bucket_server_side_encryption_configuration", "rule"))
    # An S3 Bucket Key: one data key per bucket, not one KMS call per object.
    assert rule[0]["bucket_key_enabled"] == "${var.kms_key_arn != null}"
    ddb = as_list(attr("dynamodb-table", "aws_dynamodb_table", "server_side_encryption"))[0]
    assert ddb == {"enabled": "${var.kms_key_arn != null}", "kms_key_arn": "${var.kms_key_arn}"}
    assert attr("secret", "aws_secretsmanager_secret", "kms_key_id") == "${var.kms_key_arn}"
    assert attr("ssm-parameter", "aws_ssm_parameter", "key_id") == (
        "${var.secure ? var.kms_key_id : null}"
    )
    assert attr("lambda-service", "aws_cloudwatch_log_group", "kms_key_id") == (
        "${var.log_kms_key_arn}"
    )
    assert attr("ecs-express-service", "aws_cloudwatch_log_group", "kms_key_id") == (
        "${var.log_kms_key_arn}"
    )


def test_a_schedules_role_may_use_its_queues_key_through_sqs_only() -> None:
    cfg = module("schedule")
    doc = cfg.data[("aws_iam_policy_document", "target")]
    dynamic = as_list(doc["dynamic"])[0]["statement"]
    content = as_list(dynamic["content"])[0]
    assert (
        dynamic["for_each"] == "${var.target_kms_key_arn == null ? [] : [var.target_kms_key_arn]}"
    )
    assert set(content["actions"]) == {"kms:Decrypt", "kms:GenerateDataKey"}
    assert content["resources"] == ["${statement.value}"]
    condition = as_list(content["condition"])[0]
    assert condition["variable"] == "kms:ViaService"
    assert condition["values"] == ["sqs.${data.aws_region.current.region}.amazonaws.com"]


def test_rendered_service_policies_name_the_key_through_each_service(
    customer_key_tree: Path,
) -> None:
    cfg = Config.load(customer_key_tree / "terraform")
    worker = {st["sid"]: st for doc, st in cfg.policy_statements() if doc == "worker"}
    tasks = worker["TasksQueueKey"]
    assert tasks["resources"] == [KEY]
    assert set(tasks["actions"]) == {"kms:Decrypt", "kms:GenerateDataKey"}
    condition = as_list(tasks["condition"])
    assert condition == [
        {
            "test": "StringEquals",
            "variable": "kms:ViaService",
            "values": ["sqs.${local.region}.amazonaws.com"],
        }
    ]
    assert worker["OrdersTableKey"]["actions"] == ["kms:Decrypt"]
    # No key statement for what the key does not encrypt for a service's use.
    assert not any(sid.endswith(("DatabaseKey", "CacheKey")) for sid in worker)
