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
    # Every attribute type, nested: the serializer's shortcut must render them as moto does.
    typed = {
        **key("typed"),
        "b": {"B": b"\x00\xffbytes"},
        "bs": {"BS": [b"one", b"\x01"]},
        "ns": {"NS": ["1", "2.5"]},
        "ss": {"SS": ["x", ""]},
        "null": {"NULL": True},
        "yes": {"BOOL": True},
        "no": {"BOOL": False},
        "empty": {"S": ""},
        "m": {"M": {"l": {"L": [n(1), {"M": {"b": {"B": b"z"}}}, {"L": []}]}, "e": {"M": {}}}},
    }
    out += [("put_item", {"TableName": "t1", "Item": typed})]
    out += [
        ("get_item", {"TableName": "t1", "Key": key(pk), "ConsistentRead": True})
        for pk in ("new", "other0", "nested", "names", "stats", "typed")
    ]
    out += [
        ("get_item", {"TableName": "t1", "Key": key("typed"), "ProjectionExpression": "m.l[1], b"})
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
        results.append({"queries": query_battery(ddb, ClientError)})
        results.append({"sqs": sqs_round_trip(boto3.client("sqs", region_name="us-east-1"))})
        results.append({"other services": other_services(boto3, ClientError)})
    print(json.dumps(results, sort_keys=True, default=str, indent=1))


def query_battery(ddb: Any, client_error: type[Exception]) -> list[Any]:
    """Queries of a table (one partition) and of its index, paged both ways, filtered, empty.

    The speedups answer a table query from its partition and an index query from
    unsorted items: the pages, their order and LastEvaluatedKey must not change.
    """
    ddb.create_table(
        TableName="q1",
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "g", "AttributeType": "S"},
            {"AttributeName": "gs", "AttributeType": "N"},
        ],
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by_g",
                "KeySchema": [
                    {"AttributeName": "g", "KeyType": "HASH"},
                    {"AttributeName": "gs", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            },
            {
                "IndexName": "by_g_only",
                "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            },
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    ddb.create_table(
        TableName="q2",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "N"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    # Inserted out of order, partitions interleaved; some items outside the index (no g),
    # index keys that tie (same gs in one g partition).
    for i in (7, 3, 11, 0, 5, 9, 1, 12, 4, 8, 2, 10, 6):
        item = {"pk": {"S": f"p{i % 3}"}, "sk": {"S": f"{i:03d}"}, "v": {"N": str(i)}}
        if i % 4:
            item |= {"g": {"S": f"g{i % 2}"}, "gs": {"N": str(i // 3)}}
        ddb.put_item(TableName="q1", Item=item)
    for i in (5, 1, 3):
        ddb.put_item(TableName="q2", Item={"id": {"N": str(i)}, "v": {"S": "x"}})

    def part(p: str) -> dict[str, Any]:
        return {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": p}}}

    def index(name: str, g: str) -> dict[str, Any]:
        return {
            "IndexName": name,
            "KeyConditionExpression": "g = :g",
            "ExpressionAttributeValues": {":g": {"S": g}},
        }

    requests: list[dict[str, Any]] = [
        {"TableName": "q1", **part("p0")},
        {"TableName": "q1", **part("p1"), "ScanIndexForward": False},
        {"TableName": "q1", **part("nobody")},
        {
            "TableName": "q1",
            "KeyConditionExpression": "pk = :p AND sk BETWEEN :a AND :b",
            "ExpressionAttributeValues": {
                ":p": {"S": "p2"},
                ":a": {"S": "002"},
                ":b": {"S": "009"},
            },
        },
        {
            "TableName": "q1",
            "KeyConditionExpression": "pk = :p AND begins_with(sk, :a)",
            "FilterExpression": "v > :min",
            "ExpressionAttributeValues": {":p": {"S": "p0"}, ":a": {"S": "00"}, ":min": {"N": "2"}},
        },
        {"TableName": "q1", **index("by_g", "g1")},
        {"TableName": "q1", **index("by_g", "g0"), "ScanIndexForward": False},
        {"TableName": "q1", **index("by_g_only", "g1")},
        {"TableName": "q1", **part("p0"), "Select": "COUNT"},
        {
            "TableName": "q2",
            "KeyConditionExpression": "id = :i",
            "ExpressionAttributeValues": {":i": {"N": "3"}},
        },
        {"TableName": "q1", **part("p0"), "ConsistentRead": True, "IndexName": "by_g"},
    ]
    out: list[Any] = []
    for request in requests:
        for limit in (None, 2):
            pages: list[Any] = []
            start = None
            while True:
                extra = ({"Limit": limit} if limit else {}) | (
                    {"ExclusiveStartKey": start} if start else {}
                )
                try:
                    page = ddb.query(**request, **extra)
                except client_error as exc:
                    pages.append({"error": exc.response["Error"]})  # type: ignore[attr-defined]
                    break
                page.pop("ResponseMetadata", None)
                pages.append(page)
                start = page.get("LastEvaluatedKey")
                if not start or len(pages) > 20:
                    break
            out.append(pages)
    return out


def other_services(boto3: Any, client_error: type[Exception]) -> list[Any]:
    """Responses of the other services the emulator serves, with what differs per run masked.

    The speedups' response shortcut is used by every service whose backend hands
    the serializer dicts: these responses must not change either.
    """
    import re
    from datetime import datetime

    def client(name: str) -> Any:
        return boto3.client(name, region_name="us-east-1")

    sns, ssm, sm, iam, sts, events, sqs = (
        client(n) for n in ("sns", "ssm", "secretsmanager", "iam", "sts", "events", "sqs")
    )
    topic = sns.create_topic(Name="t", Attributes={"DisplayName": "d"})["TopicArn"]
    queue = sqs.create_queue(QueueName="other", Attributes={"DelaySeconds": "1"})["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
    queue_arn = queue_arn["Attributes"]["QueueArn"]
    calls: list[Any] = [
        lambda: sns.get_topic_attributes(TopicArn=topic),
        lambda: sns.list_topics(),
        lambda: sns.subscribe(
            TopicArn=topic, Protocol="sqs", Endpoint=queue.replace("http", "arn")
        ),
        lambda: sns.list_subscriptions_by_topic(TopicArn=topic),
        lambda: sns.publish(
            TopicArn=topic,
            Message="m",
            MessageAttributes={"a": {"DataType": "String", "StringValue": "v"}},
        ),
        lambda: ssm.put_parameter(Name="/p/a", Value="v", Type="String"),
        lambda: ssm.get_parameter(Name="/p/a"),
        lambda: ssm.get_parameters(Names=["/p/a", "/p/missing"]),
        lambda: ssm.get_parameters_by_path(Path="/p"),
        lambda: ssm.get_parameter(Name="/p/missing"),
        lambda: sm.create_secret(Name="s", SecretString="v", Tags=[{"Key": "k", "Value": "v"}]),
        lambda: sm.describe_secret(SecretId="s"),
        lambda: sm.get_secret_value(SecretId="s"),
        lambda: sm.list_secrets(),
        lambda: iam.create_role(
            RoleName="r", AssumeRolePolicyDocument="{}", Tags=[{"Key": "k", "Value": "v"}]
        ),
        lambda: iam.get_role(RoleName="r"),
        lambda: iam.put_role_policy(RoleName="r", PolicyName="p", PolicyDocument="{}"),
        lambda: iam.list_role_policies(RoleName="r"),
        lambda: iam.get_role(RoleName="missing"),
        lambda: sts.get_caller_identity(),
        lambda: events.put_rule(Name="e", EventPattern='{"source": ["x"]}'),
        lambda: events.list_rules(),
        lambda: events.put_targets(Rule="e", Targets=[{"Id": "1", "Arn": topic}]),
        lambda: events.list_targets_by_rule(Rule="e"),
        lambda: sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"]),
        lambda: sqs.list_queues(),
        lambda: sqs.get_queue_url(QueueName="missing"),
    ]
    random = re.compile(
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"  # uuids
        r"|-[A-Za-z0-9]{6}$"  # a secret ARN's suffix
        r"|^AROA[A-Z0-9]{17}$"  # role ids
        r"|^\d{10}(\.\d+)?$"  # epoch timestamps
    )

    def mask(value: Any) -> Any:
        if isinstance(value, dict):
            return {mask(k): mask(v) for k, v in value.items() if k != "ResponseMetadata"}
        if isinstance(value, list):
            return [mask(v) for v in value]
        if isinstance(value, datetime):
            return "<time>"
        if isinstance(value, str):
            return random.sub("<random>", value)
        return value

    out: list[Any] = []
    for call in calls:
        try:
            out.append(mask(call()))
        except client_error as exc:
            out.append({"error": exc.response["Error"]})  # type: ignore[attr-defined]
    return out


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
    # Message attributes, filtered per receive: each answer filters its own copy.
    tagged = sqs.create_queue(QueueName="tagged")["QueueUrl"]
    sqs.send_message(
        QueueUrl=tagged,
        MessageBody="t",
        MessageAttributes={
            "Custom.a": {"DataType": "String", "StringValue": "1"},
            "other": {"DataType": "Number", "StringValue": "2"},
            "bin": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
        },
    )
    for names in (["Custom.*"], ["All"], ["other", "missing"], []):
        got = sqs.receive_message(
            QueueUrl=tagged,
            MessageAttributeNames=names,
            AttributeNames=["ApproximateReceiveCount"],
            VisibilityTimeout=0,
        )
        for message in got.get("Messages", []):
            seen.append(
                {
                    "names": names,
                    "attributes": message.get("MessageAttributes"),
                    "md5": message.get("MD5OfMessageAttributes"),
                    "count": message["Attributes"]["ApproximateReceiveCount"],
                }
            )
    return seen


if __name__ == "__main__":
    main()
