"""The emulator's DynamoDB transactions: all or nothing, at a cost that does not grow with the table."""

from __future__ import annotations

import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from trellis.local.emulator import Emulator

pytestmark = pytest.mark.integration


def make_table(ddb: Any, name: str, range_key: bool) -> None:
    attrs = [{"AttributeName": "pk", "AttributeType": "S"}]
    schema = [{"AttributeName": "pk", "KeyType": "HASH"}]
    if range_key:
        attrs.append({"AttributeName": "sk", "AttributeType": "S"})
        schema.append({"AttributeName": "sk", "KeyType": "RANGE"})
    ddb.create_table(
        TableName=name, AttributeDefinitions=attrs, KeySchema=schema, BillingMode="PAY_PER_REQUEST"
    )


@pytest.mark.parametrize("range_key", [False, True])
def test_a_failed_transaction_rolls_back_every_write(
    trellis_emulator: Emulator, unique_name: Any, range_key: bool
) -> None:
    ddb = trellis_emulator.client("dynamodb")
    table = unique_name("tx")
    make_table(ddb, table, range_key)

    def key(pk: str) -> dict[str, Any]:
        return {"pk": {"S": pk}, **({"sk": {"S": "s"}} if range_key else {})}

    ddb.put_item(TableName=table, Item={**key("a"), "n": {"N": "1"}})
    ddb.put_item(TableName=table, Item={**key("b"), "n": {"N": "1"}})
    ddb.put_item(TableName=table, Item={**key("d"), "n": {"N": "1"}})
    with pytest.raises(ClientError) as exc:
        ddb.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": table,
                        "Key": key("a"),
                        "UpdateExpression": "SET n = :two",
                        "ExpressionAttributeValues": {":two": {"N": "2"}},
                    }
                },
                {"Put": {"TableName": table, "Item": {**key("c"), "n": {"N": "1"}}}},
                {"Delete": {"TableName": table, "Key": key("b")}},
                {
                    "ConditionCheck": {
                        "TableName": table,
                        "Key": key("d"),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
        )
    assert exc.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert ddb.get_item(TableName=table, Key=key("a"))["Item"]["n"] == {"N": "1"}
    assert "Item" in ddb.get_item(TableName=table, Key=key("b"))
    assert "Item" not in ddb.get_item(TableName=table, Key=key("c"))


def test_a_transaction_costs_the_same_on_a_large_table(
    trellis_emulator: Emulator, unique_name: Any
) -> None:
    ddb = trellis_emulator.client("dynamodb")
    small, large = unique_name("small"), unique_name("large")
    for name in (small, large):
        make_table(ddb, name, range_key=False)
    for start in range(0, 3000, 25):
        ddb.batch_write_item(
            RequestItems={
                large: [
                    {"PutRequest": {"Item": {"pk": {"S": f"k{i}"}, "pad": {"S": "x" * 200}}}}
                    for i in range(start, start + 25)
                ]
            }
        )

    def per_call(table: str) -> float:
        started = time.perf_counter()
        for i in range(20):
            ddb.transact_write_items(
                TransactItems=[
                    {"Put": {"TableName": table, "Item": {"pk": {"S": f"t{i}"}}}},
                    {
                        "Update": {
                            "TableName": table,
                            "Key": {"pk": {"S": "counter"}},
                            "UpdateExpression": "ADD n :one",
                            "ExpressionAttributeValues": {":one": {"N": "1"}},
                        }
                    },
                ]
            )
        return (time.perf_counter() - started) / 20

    small_cost, large_cost = per_call(small), per_call(large)
    # A backup of 3,000 items per call would make this many times slower; allow generous noise.
    assert large_cost < small_cost * 3 + 0.01, (small_cost, large_cost)
