"""The ``trellis_service`` fixture: a service's env, under its own least-privilege key."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest
from botocore.exceptions import ClientError

from trellis.manifest import load_manifest_text
from trellis.testing import ServiceEnvironment

pytestmark = pytest.mark.integration

MANIFEST = load_manifest_text(
    """
[project]
name = "shop"
region = "us-east-1"
github_repository = "acme/shop"
environments = ["dev", "prod"]

[services.orders]
runtime = "lambda"
route = "/orders"
auth = "none"
uses = { order_items = "readwrite", events = "send", catalog = "read" }

[services.reports]
runtime = "ecs-express"
uses = { order_items = "read" }

[queues.events]

[tables.order_items]
hash_key = "order_id"

[tables.catalog]
hash_key = "sku"
"""
)


def test_the_service_gets_its_dev_env_and_its_own_key(
    trellis_service: Callable[..., ServiceEnvironment],
) -> None:
    orders = trellis_service("orders", manifest=MANIFEST)
    assert orders.project.startswith("shop-") and orders.project != "shop"
    table = f"{orders.project}-dev-order_items"
    assert orders.env["ORDER_ITEMS_TABLE_NAME"] == table
    assert orders.env["TRELLIS_SERVICE"] == "orders"
    assert orders.env["AWS_ENDPOINT_URL"] == orders.emulator.endpoint
    assert orders.credentials is not None
    assert orders.env["AWS_ACCESS_KEY_ID"] == orders.credentials.access_key_id != "testing"
    for key, value in orders.env.items():
        assert os.environ[key] == value
    # Its own key can do what its policy grants, and nothing else.
    dynamodb = orders.client("dynamodb")
    dynamodb.put_item(TableName=table, Item={"order_id": {"S": "o1"}})
    with pytest.raises(ClientError) as denied:
        dynamodb.put_item(TableName=orders.address("table", "catalog"), Item={"sku": {"S": "s1"}})
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "dynamodb:PutItem" in denied.value.response["Error"]["Message"]
    # The admin key sets up and asserts anything.
    orders.admin("dynamodb").put_item(
        TableName=orders.address("table", "catalog"), Item={"sku": {"S": "s1"}}
    )
    assert orders.admin("dynamodb").get_item(TableName=table, Key={"order_id": {"S": "o1"}})["Item"]


def test_two_services_of_one_test_get_separate_projects_and_keys(
    trellis_service: Callable[..., ServiceEnvironment],
) -> None:
    reports = trellis_service("reports", manifest=MANIFEST, env="prod")
    assert reports.env["AWS_REGION"] == "us-east-1"
    assert reports.env["ORDER_ITEMS_TABLE_NAME"].endswith("-prod-order_items")
    with pytest.raises(ClientError) as denied:
        reports.client("dynamodb").put_item(
            TableName=reports.env["ORDER_ITEMS_TABLE_NAME"], Item={"order_id": {"S": "o1"}}
        )
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"


def test_iam_off_runs_the_service_as_administrator(
    trellis_service: Callable[..., ServiceEnvironment], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRELLIS_IAM", "off")
    reports = trellis_service("reports", manifest=MANIFEST)
    assert reports.credentials is None
    reports.client("dynamodb").put_item(
        TableName=reports.env["ORDER_ITEMS_TABLE_NAME"], Item={"order_id": {"S": "o1"}}
    )


def test_a_denied_action_is_withheld_from_that_service_only(
    trellis_service: Callable[..., ServiceEnvironment], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRELLIS_IAM_DENY", "orders:sqs:SendMessage,reports:dynamodb:GetItem")
    orders = trellis_service("orders", manifest=MANIFEST)
    with pytest.raises(ClientError) as denied:
        orders.client("sqs").send_message_batch(
            QueueUrl=orders.env["EVENTS_QUEUE_URL"], Entries=[{"Id": "1", "MessageBody": "x"}]
        )
    assert "sqs:SendMessage on resource" in denied.value.response["Error"]["Message"]
    orders.client("dynamodb").get_item(
        TableName=orders.env["ORDER_ITEMS_TABLE_NAME"], Key={"order_id": {"S": "o1"}}
    )


def test_an_unknown_service_is_a_clear_error(
    trellis_service: Callable[..., ServiceEnvironment],
) -> None:
    with pytest.raises(ValueError, match="unknown service 'nope' \\(services: orders, reports\\)"):
        trellis_service("nope", manifest=MANIFEST)


def test_each_test_provisions_with_one_shared_client_per_aws_service(
    trellis_service: Callable[..., ServiceEnvironment], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Making a boto3 client costs about ten requests; the provisioners ask for one per
    # resource, and a generated project's tests provision the whole manifest each.
    orders = trellis_service("orders", manifest=MANIFEST)
    emulator = orders.emulator
    made: list[str] = []
    real_client = type(emulator).client

    def counted(self: object, service: str, **kwargs: object) -> object:
        made.append(service)
        return real_client(self, service, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(type(emulator), "client", counted)
    again = trellis_service("orders", manifest=MANIFEST)
    assert again.project != orders.project
    assert made == []  # provisioning and the identity used the shared clients
    assert again.client("dynamodb").describe_table(TableName=again.address("table", "catalog"))
    assert made == ["dynamodb"]  # the service's own client is its own
    assert emulator.shared_client("sqs") is emulator.shared_client("sqs")
    assert emulator.shared_client("sqs") is not emulator.client("sqs")
