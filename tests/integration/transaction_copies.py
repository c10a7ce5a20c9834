"""How many items a TransactWriteItems deep-copies on a 3,000-item table (run by test_emulator_dynamodb.py).

``python transaction_copies.py on|off`` prints the count with or without
trellis.local._moto_speedups: a deterministic stand-in for "a transaction's
cost does not grow with the table", which wall-clock time would only suggest.
"""

from __future__ import annotations

import copy
import os
import sys
from typing import Any

os.environ.update(
    AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1"
)

ITEMS = 3000


def main() -> None:
    from moto import mock_aws
    from moto.dynamodb.models.dynamo_type import Item

    if sys.argv[1] == "on":
        from trellis.local import _moto_speedups

        _moto_speedups.apply()
    import boto3

    copies = [0]

    def counting_deepcopy(self: Any, memo: dict[int, Any]) -> Any:
        # What copy.deepcopy does for a plain object, counted.
        copies[0] += 1
        clone = Item.__new__(Item)
        memo[id(self)] = clone
        for name, value in self.__dict__.items():
            setattr(clone, name, copy.deepcopy(value, memo))
        return clone

    with mock_aws():
        ddb = boto3.client("dynamodb", region_name="us-east-1")
        ddb.create_table(
            TableName="t",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
        for start in range(0, ITEMS, 25):
            ddb.batch_write_item(
                RequestItems={
                    "t": [
                        {"PutRequest": {"Item": {"pk": {"S": f"k{i}"}}}}
                        for i in range(start, start + 25)
                    ]
                }
            )
        Item.__deepcopy__ = counting_deepcopy  # type: ignore[attr-defined]
        ddb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "t", "Item": {"pk": {"S": "new"}}}},
                {
                    "Update": {
                        "TableName": "t",
                        "Key": {"pk": {"S": "k7"}},
                        "UpdateExpression": "ADD n :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                },
            ]
        )
    print(copies[0])


if __name__ == "__main__":
    main()
