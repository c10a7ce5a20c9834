"""The emulator's DynamoDB transactions: all or nothing, copying what they name, not the table."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
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


@pytest.mark.parametrize("speedups", ["on", "off"])
def test_a_transaction_copies_the_items_it_names_not_the_table(speedups: str) -> None:
    # A fresh interpreter: the speedups patch moto's classes for the whole process.
    out = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("transaction_copies.py")), speedups],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    copies = int(out.strip())
    if speedups == "on":
        # The one existing item it updates (the Put's target does not exist yet) —
        # and update_item's own copy of the item it changes.
        assert copies <= 2, copies
    else:
        # What it prevents: moto copies the whole 3,000-item table for each action.
        assert copies >= 2 * 3000, copies
