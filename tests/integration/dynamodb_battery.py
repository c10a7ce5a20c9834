"""DynamoDB expressions and SQS receives replayed against moto, printed as JSON (run by test_emulator_speedups.py).

``python dynamodb_battery.py on|off`` runs the same calls with or without
trellis.local._moto_speedups; the test requires both outputs to be equal. Every
call runs at least twice so the second one goes through the speedups' caches,
and the order is chosen so that a cache keyed on too little would let a later,
invalid call through (same text, other names; same text, other key schema).
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

os.environ.update(
    AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1"
)


def calls() -> list[tuple[str, dict[str, Any]]]:
    s = lambda v: {"S": v}  # noqa: E731
    n = lambda v: {"N": str(v)}  # noqa: E731
    key = lambda pk, sk="a": {"pk": s(pk), "sk": s(sk)}  # noqa: E731
    out: list[tuple[str, dict[str, Any]]] = []
    claim = {
        "TableName": "t1",
        "UpdateExpression": (
            "SET #s = :running, started_at = if_not_exists(started_at, :now), lease = :lease"
            " ADD attempts :one REMOVE gone"
        ),
        "ConditionExpression": "attribute_not_exists(pk) OR #s IN (:queued, :failed)",
        "ExpressionAttributeNames": {"#s": "status"},
        "ReturnValues": "ALL_NEW",
    }
    for i in range(3):
        for pk in ("new", "new", f"other{i}"):
            values = {
                ":running": s("running"),
                ":now": s(f"t{i}"),
                ":lease": n(100 + i),
                ":one": n(1),
                ":queued": s("queued"),
                ":failed": s("failed"),
            }
            out.append(
                ("update_item", {**claim, "Key": key(pk), "ExpressionAttributeValues": values})
            )
    nested = {
        "TableName": "t1",
        "Key": key("nested"),
        "UpdateExpression": "SET m = if_not_exists(m, :empty), l = list_append(if_not_exists(l, :nil), :items)",
        "ExpressionAttributeValues": {
            ":empty": {"M": {"x": n(1)}},
            ":nil": {"L": []},
            ":items": {"L": [s("a"), n(2)]},
        },
        "ReturnValues": "UPDATED_NEW",
    }
    out += [("update_item", nested), ("update_item", nested)]
    for expression, values in [
        ("SET m.x = m.x + :one, l[0] = :v", {":one": n(5), ":v": s("z")}),
        ("SET missing_total = missing_total + :one", {":one": n(1)}),  # path does not exist
        ("SET a = :v SET b = :v", {":v": s("x")}),  # two SET clauses
        ("SET a = :v, a = :v", {":v": s("x")}),  # overlapping paths
        ("SET a = :missing", {":v": s("x")}),  # unknown placeholder
        ("SET pk = :v", {":v": s("x")}),  # a key attribute
        ("ADD tags :tags", {":tags": {"SS": ["a", "b"]}}),
        ("DELETE tags :tags", {":tags": {"SS": ["a"]}}),
        ("ADD tags :tags", {":tags": n(1)}),  # type mismatch
        ("SET e = :empty", {":empty": s("")}),
        ("REMOVE l[0], m.x", {}),
    ]:
        request: dict[str, Any] = {
            "TableName": "t1",
            "Key": key("nested"),
            "UpdateExpression": expression,
            "ReturnValues": "ALL_NEW",
        }
        if values:
            request["ExpressionAttributeValues"] = values
        out += [("update_item", request), ("update_item", request)]
    # The same text: first with names that pass, then with names that overlap / hit the key.
    for names in ({"#a": "x", "#b": "y"}, {"#a": "x", "#b": "x"}, {"#a": "x", "#b": "x"}):
        out.append(
            (
                "update_item",
                {
                    "TableName": "t1",
                    "Key": key("names"),
                    "UpdateExpression": "SET #a = :v, #b = :v",
                    "ExpressionAttributeNames": names,
                    "ExpressionAttributeValues": {":v": s("v")},
                },
            )
        )
    # The same text on a table where `pk` is an attribute, then on one where it is the key.
    for table in ("t2", "t1", "t1"):
        table_key = {"id": s("k")} if table == "t2" else key("pk")
        out.append(
            (
                "update_item",
                {
                    "TableName": table,
                    "Key": table_key,
                    "UpdateExpression": "SET pk = :v",
                    "ExpressionAttributeValues": {":v": s("v")},
                },
            )
        )
    for condition, values in [
        ("begins_with(#s, :p) AND size(#s) > :zero", {":p": s("run"), ":zero": n(0)}),
        ("attempts BETWEEN :lo AND :hi", {":lo": n(1), ":hi": n(2)}),
        ("NOT contains(#s, :x) OR attempts < :lo", {":x": s("run"), ":lo": n(1)}),
    ]:
        request = {
            "TableName": "t1",
            "Key": key("new"),
            "UpdateExpression": "SET touched = :t",
            "ConditionExpression": condition,
            "ExpressionAttributeNames": {"#s": "status"} if "#s" in condition else None,
            "ExpressionAttributeValues": {**values, ":t": s("yes")},
            "ReturnValues": "ALL_NEW",
        }
        request = {k: v for k, v in request.items() if v is not None}
        out += [("update_item", request), ("update_item", request)]
    transaction = {
        "TransactItems": [
            {
                "Update": {
                    "TableName": "t1",
                    "Key": key("new"),
                    "UpdateExpression": "SET done = :yes REMOVE lease",
                    "ConditionExpression": "lease = :lease",
                    "ExpressionAttributeValues": {":yes": s("yes"), ":lease": n(101)},
                }
            },
            {
                "Update": {
                    "TableName": "t1",
                    "Key": key("stats"),
                    "UpdateExpression": "ADD tally :one",
                    "ExpressionAttributeValues": {":one": n(1)},
                }
            },
            {"Put": {"TableName": "t2", "Item": {"id": s("tx"), "v": n(1)}}},
        ]
    }
    out += [("transact_write_items", transaction), ("transact_write_items", transaction)]
    out += transactions_that_roll_back(s, n, key)
    out += [
        ("get_item", {"TableName": "t1", "Key": key(pk), "ConsistentRead": True})
        for pk in ("new", "other0", "nested", "names", "stats")
    ]
    return out


def transactions_that_roll_back(s: Any, n: Any, key: Any) -> list[tuple[str, dict[str, Any]]]:
    """Cancelled transactions that changed items before failing; the scans show what is left.

    A rollback must restore each item it touched — updated in place, replaced by
    a Put, created by an Update or a Put (on both tables: with and without a
    sort key), deleted — and leave the tables' scan order as it was.
    """
    # "never" is never written: a check that it exists cancels the transaction.
    fail = {
        "ConditionCheck": {
            "TableName": "t2",
            "Key": {"id": s("never")},
            "ConditionExpression": "attribute_exists(id)",
        }
    }
    touch = {
        "Update": {
            "TableName": "t1",
            "Key": key("stats"),
            "UpdateExpression": "ADD tally :ten SET note = :n",
            "ExpressionAttributeValues": {":ten": n(10), ":n": s("rolled back")},
        }
    }
    create_t1 = {
        "Update": {
            "TableName": "t1",
            "Key": key("txnew", "b"),
            "UpdateExpression": "SET v = :v",
            "ExpressionAttributeValues": {":v": n(1)},
        }
    }
    create_t1_same_hash = {"Put": {"TableName": "t1", "Item": {**key("stats", "zz"), "v": n(2)}}}
    replace_t2 = {"Put": {"TableName": "t2", "Item": {"id": s("tx"), "v": n(99)}}}
    create_t2 = {"Put": {"TableName": "t2", "Item": {"id": s("txnew2"), "v": n(3)}}}
    delete_t2 = {"Delete": {"TableName": "t2", "Key": {"id": s("k")}}}
    delete_t1 = {"Delete": {"TableName": "t1", "Key": key("names")}}
    bad_expression = {
        "Update": {
            "TableName": "t2",
            "Key": {"id": s("late")},
            "UpdateExpression": "SET a = :missing",
        }
    }
    scans = [("scan", {"TableName": "t1"}), ("scan", {"TableName": "t2"})]
    # Items the transactions change in place, with neighbours after them (scan order).
    out: list[tuple[str, dict[str, Any]]] = [
        ("put_item", {"TableName": "t1", "Item": {**key("stats"), "tally": n(1)}}),
        ("put_item", {"TableName": "t1", "Item": {**key("stats", "b"), "tally": n(2)}}),
        ("put_item", {"TableName": "t2", "Item": {"id": s("tx"), "v": n(0)}}),
        ("put_item", {"TableName": "t2", "Item": {"id": s("after"), "v": n(0)}}),
    ]
    for items in (
        [touch, create_t1, create_t1_same_hash, replace_t2, create_t2, fail],  # no delete
        [touch, create_t2, delete_t2, fail],  # with a delete
        [delete_t1, touch, fail],  # a delete on the table with a sort key
        [touch, replace_t2, bad_expression],  # a validation error, after two writes
        [touch, touch],  # the same item twice
    ):
        out.append(("transact_write_items", {"TransactItems": items}))
        out += scans
    committing = [touch, create_t2, delete_t2]
    out.append(("transact_write_items", {"TransactItems": committing}))
    return out + scans


def main() -> None:
    from moto import mock_aws

    if sys.argv[1] == "on":
        from trellis.local import _moto_speedups

        _moto_speedups.apply()
    import boto3
    from botocore.exceptions import ClientError

    results: list[Any] = []
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name="us-east-1")
        ddb.create_table(
            TableName="t1",
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        ddb.create_table(
            TableName="t2",
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
        for operation, request in calls():
            try:
                response = getattr(ddb, operation)(**request)
                response.pop("ResponseMetadata", None)
                results.append({"ok": response})
            except ClientError as exc:
                error = exc.response["Error"]
                reasons = exc.response.get("CancellationReasons")
                results.append({"error": [error.get("Code"), error.get("Message")], "r": reasons})
        results.append({"sqs": sqs_round_trip(boto3.client("sqs", region_name="us-east-1"))})
    print(json.dumps(results, sort_keys=True, default=str, indent=1))


def sqs_round_trip(sqs: Any) -> list[Any]:
    """Receives from a queue with messages in flight, delayed and visible (the retention check)."""
    url = sqs.create_queue(QueueName="q", Attributes={"MessageRetentionPeriod": "60"})["QueueUrl"]
    seen: list[Any] = []
    for i in range(25):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}", DelaySeconds=900 if i % 5 == 0 else 0)
    for _ in range(3):
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=7, VisibilityTimeout=300)
        seen.append(sorted(m["Body"] for m in got.get("Messages", [])))
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    seen.append({k: attrs[k] for k in sorted(attrs) if k.startswith("Approximate")})
    return seen


if __name__ == "__main__":
    main()
