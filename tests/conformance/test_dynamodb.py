"""DynamoDB as AWS documents it: limits, validation, response shapes, transactions, PartiQL, errors.

The operations are the ones the Trellis runtime (tables, jobs, idempotency),
the example services, the health checks and provisioning call, and what a
user's code sends through them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from tests.conformance._aws import Aws, doc, name, rejects, succeeds

pytestmark = [pytest.mark.integration, pytest.mark.conformance]

API = "https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/"
GUIDE = "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/"
QUOTAS = GUIDE + "ServiceQuotas.html"
TYPES = GUIDE + "HowItWorks.NamingRulesDataTypes.html"
ERRORS = GUIDE + "Programming.Errors.html"


@pytest.fixture(scope="module")
def ddb(aws: Aws) -> Any:
    return aws.client("dynamodb")


@pytest.fixture(scope="module")
def table(ddb: Any) -> str:
    """An on-demand table with a sort key and a global secondary index, shared by the read-only cases."""
    table_name = name("conf")
    ddb.create_table(
        TableName=table_name,
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "owner", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by_owner",
                "KeySchema": [{"AttributeName": "owner", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    ddb.get_waiter("table_exists").wait(TableName=table_name, WaiterConfig={"Delay": 0.2})
    return table_name


def hash_key_table(ddb: Any, attribute: str) -> str:
    """A new on-demand table keyed by one string attribute, once it is active: its name."""
    table_name = name("conf")
    ddb.create_table(
        TableName=table_name,
        KeySchema=[{"AttributeName": attribute, "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": attribute, "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    ddb.get_waiter("table_exists").wait(TableName=table_name, WaiterConfig={"Delay": 0.2})
    return table_name


def key(pk: str, sk: str = "0") -> dict[str, dict[str, str]]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def fresh(prefix: str = "item") -> str:
    return name(prefix)


# --- What a response carries ---------------------------------------------------------------------

CONSUMED = (
    "ConsumedCapacity: the capacity units consumed by the operation. ConsumedCapacity is only returned "
    "if the ReturnConsumedCapacity parameter was specified."
)


SINGLE_CALLS: list[Any] = [
    pytest.param(lambda ddb, t, pk: ddb.get_item(TableName=t, Key=key(pk)), id="GetItem"),
    pytest.param(
        lambda ddb, t, pk: ddb.put_item(TableName=t, Item={**key(pk), "n": {"N": "1"}}),
        id="PutItem",
    ),
    pytest.param(
        lambda ddb, t, pk: ddb.update_item(
            TableName=t,
            Key=key(pk),
            UpdateExpression="SET n = :n",
            ExpressionAttributeValues={":n": {"N": "2"}},
            ReturnValues="ALL_NEW",
        ),
        id="UpdateItem",
    ),
    pytest.param(lambda ddb, t, pk: ddb.delete_item(TableName=t, Key=key(pk)), id="DeleteItem"),
    pytest.param(
        lambda ddb, t, pk: ddb.query(
            TableName=t,
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": pk}},
        ),
        id="Query",
    ),
    pytest.param(lambda ddb, t, pk: ddb.scan(TableName=t, Limit=1), id="Scan"),
    pytest.param(
        lambda ddb, t, pk: ddb.batch_write_item(
            RequestItems={t: [{"PutRequest": {"Item": key(pk)}}]}
        ),
        id="BatchWriteItem",
    ),
    pytest.param(
        lambda ddb, t, pk: ddb.batch_get_item(RequestItems={t: {"Keys": [key(pk)]}}),
        id="BatchGetItem",
    ),
    pytest.param(
        lambda ddb, t, pk: ddb.transact_write_items(
            TransactItems=[{"Put": {"TableName": t, "Item": key(pk)}}]
        ),
        id="TransactWriteItems",
    ),
    pytest.param(
        lambda ddb, t, pk: ddb.transact_get_items(
            TransactItems=[{"Get": {"TableName": t, "Key": key(pk)}}]
        ),
        id="TransactGetItems",
    ),
]


@pytest.mark.parametrize("call", SINGLE_CALLS)
@doc(
    API + "API_UpdateItem.html",
    says=CONSUMED + " ItemCollectionMetrics is only returned if the "
    "ReturnItemCollectionMetrics parameter was specified.",
)
def test_capacity_and_collection_metrics_only_when_asked(
    ddb: Any, table: str, call: Callable[[Any, str, str], dict[str, Any]]
) -> None:
    pk = fresh()
    ddb.put_item(TableName=table, Item=key(pk))
    response = succeeds(lambda: call(ddb, table, pk))
    assert "ConsumedCapacity" not in response
    assert "ItemCollectionMetrics" not in response


@doc(
    API + "API_GetItem.html",
    says=CONSUMED + " TOTAL: the response includes only the aggregate "
    "ConsumedCapacity for the operation.",
)
def test_capacity_when_asked_for(ddb: Any, table: str) -> None:
    pk = fresh()
    ddb.put_item(TableName=table, Item=key(pk))
    got = ddb.get_item(TableName=table, Key=key(pk), ReturnConsumedCapacity="TOTAL")[
        "ConsumedCapacity"
    ]
    assert got["TableName"] == table
    assert got["CapacityUnits"] > 0
    queried = ddb.query(
        TableName=table,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": pk}},
        ReturnConsumedCapacity="INDEXES",
    )["ConsumedCapacity"]
    assert queried["TableName"] == table
    assert "Table" in queried


@doc(
    API + "API_PutItem.html",
    says="ItemCollectionMetrics: information about item collections, if any, that were affected by the "
    "operation. If the table does not have any local secondary indexes, this information is not "
    "returned in the response.",
)
def test_no_collection_metrics_without_a_local_index(ddb: Any, table: str) -> None:
    response = ddb.put_item(TableName=table, Item=key(fresh()), ReturnItemCollectionMetrics="SIZE")
    assert "ItemCollectionMetrics" not in response


@doc(
    API + "API_BatchWriteItem.html",
    says="UnprocessedItems: a map of tables and requests against those tables that were not processed "
    "(an empty map when all were); ItemCollectionMetrics and ConsumedCapacity only when requested.",
)
def test_batch_write_answers_unprocessed_items_only(ddb: Any, table: str) -> None:
    response = ddb.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": key(fresh())}}]})
    response.pop("ResponseMetadata")
    assert response == {"UnprocessedItems": {}}


@doc(
    API + "API_TableDescription.html",
    says="TableId: unique identifier for the table. BillingModeSummary: PAY_PER_REQUEST for on-demand. "
    "LocalSecondaryIndexes: represents one or more local secondary indexes on the table, if any. "
    "GlobalSecondaryIndexDescription: IndexArn, IndexSizeBytes, ItemCount, IndexStatus.",
)
def test_describe_table_shape(ddb: Any, table: str) -> None:
    description = ddb.describe_table(TableName=table)["Table"]
    assert description["TableStatus"] == "ACTIVE"
    assert description["TableId"]
    assert description["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert "LocalSecondaryIndexes" not in description
    (index,) = description["GlobalSecondaryIndexes"]
    assert index["IndexName"] == "by_owner"
    assert index["IndexArn"] == description["TableArn"] + "/index/by_owner"
    assert index["IndexStatus"] == "ACTIVE"
    assert {"IndexSizeBytes", "ItemCount", "KeySchema", "Projection"} <= index.keys()


@doc(
    API + "API_TableDescription.html",
    says="LocalSecondaryIndexes / GlobalSecondaryIndexes: the indexes on the table, if any.",
)
def test_a_table_without_indexes_describes_none(ddb: Any) -> None:
    table_name = name("conf")
    description = ddb.create_table(
        TableName=table_name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
    )["TableDescription"]
    for shown in (description, ddb.describe_table(TableName=table_name)["Table"]):
        assert "LocalSecondaryIndexes" not in shown
        assert "GlobalSecondaryIndexes" not in shown
        assert shown["ProvisionedThroughput"]["ReadCapacityUnits"] == 5
        assert shown["TableId"]


# --- Tables ----------------------------------------------------------------------------------------


@doc(
    API + "API_CreateTable.html",
    says="ResourceInUseException: the resource which is being attempted to be changed is in use (the table exists).",
)
def test_creating_an_existing_table_is_refused(ddb: Any, table: str) -> None:
    rejects(
        ddb,
        "ResourceInUseException",
        lambda: ddb.create_table(
            TableName=table,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        ),
    )


@doc(
    API + "API_CreateTable.html",
    says="ProvisionedThroughput: if you set BillingMode as PAY_PER_REQUEST, you cannot specify this property.",
)
def test_on_demand_with_provisioned_throughput_is_refused(ddb: Any) -> None:
    rejects(
        ddb,
        "ValidationException",
        lambda: ddb.create_table(
            TableName=name("conf"),
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
        ),
    )


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda ddb, t: ddb.get_item(TableName=t, Key=key("a")), id="GetItem"),
        pytest.param(lambda ddb, t: ddb.describe_table(TableName=t), id="DescribeTable"),
        pytest.param(
            lambda ddb, t: ddb.query(
                TableName=t,
                KeyConditionExpression="pk = :p",
                ExpressionAttributeValues={":p": {"S": "a"}},
            ),
            id="Query",
        ),
        pytest.param(
            lambda ddb, t: ddb.batch_write_item(
                RequestItems={t: [{"PutRequest": {"Item": key("a")}}]}
            ),
            id="BatchWriteItem",
        ),
        pytest.param(
            lambda ddb, t: ddb.transact_write_items(
                TransactItems=[{"Put": {"TableName": t, "Item": key("a")}}]
            ),
            id="TransactWriteItems",
        ),
    ],
)
@doc(
    API + "API_GetItem.html",
    says="ResourceNotFoundException: the operation tried to access a nonexistent table or index.",
)
def test_a_missing_table_is_reported(ddb: Any, call: Callable[[Any, str], Any]) -> None:
    rejects(ddb, "ResourceNotFoundException", lambda: call(ddb, name("missing")), status=400)


@doc(
    API + "API_UpdateTimeToLive.html",
    says="UpdateTimeToLive enables or disables TTL; ValidationException when TTL is already in the "
    "requested state. DescribeTimeToLive gives the status and the attribute name.",
)
def test_time_to_live(ddb: Any) -> None:
    table_name = hash_key_table(ddb, "id")
    spec = {"Enabled": True, "AttributeName": "expires_at"}
    succeeds(lambda: ddb.update_time_to_live(TableName=table_name, TimeToLiveSpecification=spec))
    described = ddb.describe_time_to_live(TableName=table_name)["TimeToLiveDescription"]
    assert described["AttributeName"] == "expires_at"
    assert described["TimeToLiveStatus"] in {"ENABLED", "ENABLING"}
    rejects(
        ddb,
        "ValidationException",
        lambda: ddb.update_time_to_live(TableName=table_name, TimeToLiveSpecification=spec),
    )


# --- Keys and values -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad_key",
    [
        pytest.param({"pk": {"S": "a"}}, id="sort-key-missing"),
        pytest.param({**key("a"), "extra": {"S": "x"}}, id="a-non-key-attribute"),
        pytest.param({"pk": {"N": "1"}, "sk": {"S": "0"}}, id="wrong-type"),
    ],
)
@doc(
    API + "API_GetItem.html",
    says="Key: you must provide all of the attributes of the primary key; for a composite primary key, "
    "both the partition key and the sort key (ValidationException: the provided key element does not "
    "match the schema).",
)
def test_a_key_must_match_the_schema(ddb: Any, table: str, bad_key: dict[str, Any]) -> None:
    rejects(ddb, "ValidationException", lambda: ddb.get_item(TableName=table, Key=bad_key))


@doc(
    QUOTAS,
    says="Item size: the maximum item size in DynamoDB is 400 KB, attribute names and values together.",
)
def test_an_item_over_400_kb_is_refused(ddb: Any, table: str) -> None:
    pk = fresh()
    succeeds(lambda: ddb.put_item(TableName=table, Item={**key(pk), "v": {"S": "x" * 400_000}}))
    rejects(
        ddb,
        "ValidationException",
        lambda: ddb.put_item(TableName=table, Item={**key(pk), "v": {"S": "x" * 409_601}}),
    )


@doc(
    TYPES,
    says="String and Binary type attributes can be empty, except key attributes: a key attribute "
    "value must not be empty.",
)
def test_empty_strings_only_outside_keys(ddb: Any, table: str) -> None:
    succeeds(lambda: ddb.put_item(TableName=table, Item={**key(fresh()), "note": {"S": ""}}))
    rejects(
        ddb,
        "ValidationException",
        lambda: ddb.put_item(TableName=table, Item={"pk": {"S": ""}, "sk": {"S": "0"}}),
    )


@pytest.mark.parametrize(
    "value",
    [
        pytest.param({"SS": []}, id="empty-set"),
        pytest.param({"SS": ["a", "a"]}, id="duplicate-strings"),
        pytest.param({"NS": ["1", "1.0"]}, id="duplicate-numbers"),
    ],
)
@doc(TYPES, says="Empty sets are not supported. All of the elements within a set must be unique.")
def test_sets_must_be_non_empty_and_unique(ddb: Any, table: str, value: dict[str, Any]) -> None:
    rejects(
        ddb,
        "ValidationException",
        lambda: ddb.put_item(TableName=table, Item={**key(fresh()), "s": value}),
    )


@doc(
    TYPES,
    says="Numbers can have up to 38 digits of precision; exceeding this results in an exception.",
)
def test_numbers_have_38_digits_of_precision(ddb: Any, table: str) -> None:
    pk = fresh()
    succeeds(lambda: ddb.put_item(TableName=table, Item={**key(pk), "n": {"N": "9" * 38}}))
    assert ddb.get_item(TableName=table, Key=key(pk))["Item"]["n"] == {"N": "9" * 38}
    rejects(
        ddb,
        "ValidationException",
        lambda: ddb.put_item(TableName=table, Item={**key(fresh()), "n": {"N": "1" * 39}}),
    )


# --- Expressions -----------------------------------------------------------------------------------

PLACEHOLDERS = (
    "ExpressionAttributeValues / ExpressionAttributeNames: substitution tokens for the expression. "
    "Every token supplied must be used, and every token used must be supplied (ValidationException)."
)


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(
            lambda ddb, t: ddb.put_item(
                TableName=t,
                Item=key(fresh()),
                ConditionExpression="attribute_not_exists(pk)",
                ExpressionAttributeValues={":unused": {"S": "x"}},
            ),
            id="unused-value",
        ),
        pytest.param(
            lambda ddb, t: ddb.put_item(
                TableName=t,
                Item=key(fresh()),
                ConditionExpression="attribute_not_exists(pk)",
                ExpressionAttributeNames={"#unused": "x"},
            ),
            id="unused-name",
        ),
        pytest.param(
            lambda ddb, t: ddb.query(
                TableName=t,
                KeyConditionExpression="pk = :p",
                ExpressionAttributeValues={":p": {"S": "a"}, ":q": {"S": "b"}},
            ),
            id="unused-value-in-a-query",
        ),
        pytest.param(
            lambda ddb, t: ddb.update_item(
                TableName=t, Key=key(fresh()), UpdateExpression="SET n = :missing"
            ),
            id="undefined-value",
        ),
    ],
)
@doc(API + "API_PutItem.html", says=PLACEHOLDERS)
def test_expression_placeholders_must_match(
    ddb: Any, table: str, call: Callable[[Any, str], Any]
) -> None:
    rejects(ddb, "ValidationException", lambda: call(ddb, table))


@doc(
    API + "API_PutItem.html",
    says="ReturnValues: for PutItem, the valid values are NONE and ALL_OLD.",
)
def test_put_item_return_values_are_none_or_all_old(ddb: Any, table: str) -> None:
    rejects(
        ddb,
        "ValidationException",
        lambda: ddb.put_item(TableName=table, Item=key(fresh()), ReturnValues="ALL_NEW"),
    )


@doc(
    API + "API_UpdateItem.html",
    says="ReturnValues: UPDATED_OLD returns only the updated attributes, as they appeared before the "
    "UpdateItem operation; ALL_NEW returns all of the attributes of the item, as they appear after it.",
)
def test_update_item_return_values(ddb: Any, table: str) -> None:
    pk = fresh()
    ddb.put_item(TableName=table, Item={**key(pk), "a": {"N": "1"}, "b": {"S": "keep"}})

    def update(return_values: str, value: str) -> dict[str, Any]:
        return dict(
            ddb.update_item(
                TableName=table,
                Key=key(pk),
                UpdateExpression="SET a = :a",
                ExpressionAttributeValues={":a": {"N": value}},
                ReturnValues=return_values,
            )["Attributes"]
        )

    assert update("UPDATED_OLD", "2") == {"a": {"N": "1"}}
    assert update("UPDATED_NEW", "3") == {"a": {"N": "3"}}
    assert update("ALL_NEW", "4") == {**key(pk), "a": {"N": "4"}, "b": {"S": "keep"}}


@doc(
    API + "API_UpdateItem.html",
    says="You cannot use UpdateItem to update any primary key attributes.",
)
def test_updating_a_key_attribute_is_refused(ddb: Any, table: str) -> None:
    pk = fresh()
    ddb.put_item(TableName=table, Item=key(pk))
    rejects(
        ddb,
        "ValidationException",
        lambda: ddb.update_item(
            TableName=table,
            Key=key(pk),
            UpdateExpression="SET sk = :s",
            ExpressionAttributeValues={":s": {"S": "9"}},
        ),
    )


@doc(
    API + "API_PutItem.html",
    says="ReturnValuesOnConditionCheckFailure: ALL_OLD returns the item as it was when a condition "
    "check failed (ConditionalCheckFailedException carries Item).",
)
def test_a_failed_condition_can_return_the_item(ddb: Any, table: str) -> None:
    pk = fresh()
    ddb.put_item(TableName=table, Item={**key(pk), "v": {"N": "1"}})
    response = rejects(
        ddb,
        "ConditionalCheckFailedException",
        lambda: ddb.put_item(
            TableName=table,
            Item=key(pk),
            ConditionExpression="attribute_not_exists(pk)",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        ),
    )
    assert response["Item"] == {**key(pk), "v": {"N": "1"}}


# --- Batches and transactions ----------------------------------------------------------------------


@doc(QUOTAS, says="BatchWriteItem: up to 25 PutItem or DeleteItem requests per call.")
def test_batch_write_takes_at_most_25_requests(ddb: Any, table: str) -> None:
    requests = [{"PutRequest": {"Item": key(fresh())}} for _ in range(26)]
    rejects(
        ddb, "ValidationException", lambda: ddb.batch_write_item(RequestItems={table: requests})
    )


@doc(
    API + "API_BatchWriteItem.html",
    says="The operation fails (ValidationException) if there are duplicate keys in a single request: "
    "you try to put and delete, or put twice, the same item in the same BatchWriteItem request.",
)
def test_batch_write_refuses_the_same_key_twice(ddb: Any, table: str) -> None:
    pk = fresh()
    requests = [{"PutRequest": {"Item": key(pk)}}, {"DeleteRequest": {"Key": key(pk)}}]
    rejects(
        ddb, "ValidationException", lambda: ddb.batch_write_item(RequestItems={table: requests})
    )


@doc(QUOTAS, says="BatchGetItem: up to 100 items per call.")
def test_batch_get_takes_at_most_100_keys(ddb: Any, table: str) -> None:
    keys = [key(fresh()) for _ in range(101)]
    rejects(
        ddb, "ValidationException", lambda: ddb.batch_get_item(RequestItems={table: {"Keys": keys}})
    )


@doc(QUOTAS, says="TransactWriteItems: up to 100 actions per transaction.")
def test_a_transaction_takes_at_most_100_actions(ddb: Any, table: str) -> None:
    items = [{"Put": {"TableName": table, "Item": key(fresh())}} for _ in range(101)]
    rejects(ddb, "ValidationException", lambda: ddb.transact_write_items(TransactItems=items))


@doc(
    API + "API_TransactWriteItems.html",
    says="You can't target the same item with multiple operations within the same transaction "
    "(ValidationException).",
)
def test_a_transaction_cannot_touch_an_item_twice(ddb: Any, table: str) -> None:
    pk = fresh()
    items = [
        {"Put": {"TableName": table, "Item": key(pk)}},
        {"Delete": {"TableName": table, "Key": key(pk)}},
    ]
    rejects(ddb, "ValidationException", lambda: ddb.transact_write_items(TransactItems=items))


@doc(
    API + "API_TransactWriteItems.html",
    says="TransactionCanceledException: the entire transaction request was canceled; CancellationReasons "
    "lists, in the order of the actions, the Code of each (ConditionalCheckFailed, or None).",
)
def test_a_cancelled_transaction_gives_reasons_and_writes_nothing(ddb: Any, table: str) -> None:
    taken, new = fresh(), fresh()
    ddb.put_item(TableName=table, Item=key(taken))
    items = [
        {
            "Put": {
                "TableName": table,
                "Item": key(taken),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        },
        {"Put": {"TableName": table, "Item": key(new)}},
    ]
    response = rejects(
        ddb, "TransactionCanceledException", lambda: ddb.transact_write_items(TransactItems=items)
    )
    assert [r["Code"] for r in response["CancellationReasons"]] == [
        "ConditionalCheckFailed",
        "None",
    ]
    assert "Item" not in ddb.get_item(TableName=table, Key=key(new))


@doc(
    API + "API_TransactWriteItems.html",
    says="ClientRequestToken makes the call idempotent: if the original call was successful, subsequent "
    "calls with the same client token return successfully without making any changes; the same token "
    "with other parameters within the 10-minute window is an IdempotentParameterMismatch exception.",
)
def test_a_transaction_repeated_with_its_token_is_applied_once(ddb: Any, table: str) -> None:
    pk, token = fresh(), name("token")
    add = [
        {
            "Update": {
                "TableName": table,
                "Key": key(pk),
                "UpdateExpression": "ADD #n :one",
                "ExpressionAttributeNames": {"#n": "n"},
                "ExpressionAttributeValues": {":one": {"N": "1"}},
            }
        }
    ]
    for _ in range(2):  # what the SDK sends again when an answer is lost
        succeeds(lambda: ddb.transact_write_items(TransactItems=add, ClientRequestToken=token))
    item = ddb.get_item(TableName=table, Key=key(pk), ConsistentRead=True)["Item"]
    assert item["n"] == {"N": "1"}
    other = [{"Put": {"TableName": table, "Item": key(fresh())}}]
    rejects(
        ddb,
        "IdempotentParameterMismatchException",
        lambda: ddb.transact_write_items(TransactItems=other, ClientRequestToken=token),
    )
    # Without a token of its own, each call gets a fresh one from the SDK: applied each time.
    ddb.transact_write_items(TransactItems=add)
    ddb.transact_write_items(TransactItems=add)
    item = ddb.get_item(TableName=table, Key=key(pk), ConsistentRead=True)["Item"]
    assert item["n"] == {"N": "3"}


# --- Query and scan --------------------------------------------------------------------------------


@doc(
    API + "API_Query.html",
    says="KeyConditionExpression: the condition must perform an equality test on a single partition "
    "key value (ValidationException otherwise).",
)
def test_a_query_must_name_the_partition_key(ddb: Any, table: str) -> None:
    rejects(
        ddb,
        "ValidationException",
        lambda: ddb.query(
            TableName=table,
            KeyConditionExpression="n = :v",
            ExpressionAttributeValues={":v": {"N": "1"}},
        ),
    )


@doc(
    API + "API_Query.html",
    says="ConsistentRead: strongly consistent reads are not supported on global secondary indexes.",
)
def test_consistent_reads_on_a_global_index_are_refused(ddb: Any, table: str) -> None:
    rejects(
        ddb,
        "ValidationException",
        lambda: ddb.query(
            TableName=table,
            IndexName="by_owner",
            KeyConditionExpression="#o = :o",
            ExpressionAttributeNames={"#o": "owner"},
            ExpressionAttributeValues={":o": {"S": "ada"}},
            ConsistentRead=True,
        ),
    )


@doc(
    API + "API_Query.html",
    says="Limit: the maximum number of items to evaluate; when it stops early, LastEvaluatedKey is "
    "returned, and ExclusiveStartKey continues from it. ScanIndexForward false reads in descending order.",
)
def test_query_pages_in_sort_key_order(ddb: Any, table: str) -> None:
    pk = fresh()
    for sk in ["c", "a", "d", "b", "e"]:
        ddb.put_item(TableName=table, Item=key(pk, sk))
    query = {
        "TableName": table,
        "KeyConditionExpression": "pk = :p",
        "ExpressionAttributeValues": {":p": {"S": pk}},
    }
    seen, start = [], None
    while True:
        page = ddb.query(**query, Limit=2, **({"ExclusiveStartKey": start} if start else {}))
        assert page["Count"] <= 2
        seen += [item["sk"]["S"] for item in page["Items"]]
        start = page.get("LastEvaluatedKey")
        if not start:
            break
    assert seen == ["a", "b", "c", "d", "e"]
    backwards = ddb.query(**query, ScanIndexForward=False)["Items"]
    assert [item["sk"]["S"] for item in backwards] == ["e", "d", "c", "b", "a"]


@doc(
    API + "API_Query.html",
    says="Count is the number of items returned after the filter; ScannedCount the number evaluated "
    "before any QueryFilter is applied.",
)
def test_a_filtered_query_counts_what_it_read(ddb: Any, table: str) -> None:
    pk = fresh()
    for i in range(4):
        ddb.put_item(TableName=table, Item={**key(pk, str(i)), "even": {"BOOL": i % 2 == 0}})
    page = ddb.query(
        TableName=table,
        KeyConditionExpression="pk = :p",
        FilterExpression="even = :t",
        ExpressionAttributeValues={":p": {"S": pk}, ":t": {"BOOL": True}},
    )
    assert (page["Count"], page["ScannedCount"]) == (2, 4)


@doc(
    API + "API_Query.html",
    says="Querying a global secondary index returns the items that have the index key.",
)
def test_a_query_on_a_global_index(ddb: Any, table: str) -> None:
    owner = fresh("owner")
    ddb.put_item(TableName=table, Item={**key(fresh()), "owner": {"S": owner}})
    ddb.put_item(TableName=table, Item=key(fresh()))
    items = ddb.query(
        TableName=table,
        IndexName="by_owner",
        KeyConditionExpression="#o = :o",
        ExpressionAttributeNames={"#o": "owner"},
        ExpressionAttributeValues={":o": {"S": owner}},
    )["Items"]
    assert [i["owner"]["S"] for i in items] == [owner]


# --- PartiQL -----------------------------------------------------------------------------------------


@doc(
    GUIDE + "ql-reference.select.html",
    says="SELECT expression FROM table WHERE condition: a WHERE clause with an equality condition on "
    "the partition key reads those items; parameters are passed as ?.",
)
def test_partiql_select_by_key(ddb: Any, table: str) -> None:
    pk = fresh()
    ddb.put_item(TableName=table, Item={**key(pk), "n": {"N": "5"}})
    for statement in (
        f'SELECT * FROM "{table}" WHERE pk = ?',
        f'SELECT * FROM "{table}" WHERE pk=?',
    ):
        items = succeeds(
            lambda s=statement: ddb.execute_statement(Statement=s, Parameters=[{"S": pk}])
        )["Items"]
        assert items == [{**key(pk), "n": {"N": "5"}}]


@doc(
    GUIDE + "ql-reference.update.html",
    says="UPDATE table SET path = data [, ...] WHERE condition: modifies the value of one or more "
    "attributes of an item; the WHERE clause must name the full primary key.",
)
def test_partiql_update(ddb: Any, table: str) -> None:
    pk = fresh()
    ddb.put_item(TableName=table, Item={**key(pk), "n": {"N": "5"}})
    succeeds(
        lambda: ddb.execute_statement(
            Statement=f"UPDATE \"{table}\" SET n = 6 WHERE pk = '{pk}' AND sk = '0'"
        )
    )
    succeeds(
        lambda: ddb.execute_statement(
            Statement=f'UPDATE "{table}" SET label = ? WHERE pk = ? AND sk = ?',
            Parameters=[{"S": "six"}, {"S": pk}, {"S": "0"}],
        )
    )
    assert ddb.get_item(TableName=table, Key=key(pk))["Item"] == {
        **key(pk),
        "n": {"N": "6"},
        "label": {"S": "six"},
    }


@doc(
    GUIDE + "ql-reference.delete.html",
    says="DELETE FROM table WHERE condition: deletes an existing item; the WHERE clause must name the "
    "full primary key.",
)
def test_partiql_delete(ddb: Any, table: str) -> None:
    pk = fresh()
    ddb.put_item(TableName=table, Item=key(pk))
    succeeds(
        lambda: ddb.execute_statement(
            Statement=f'DELETE FROM "{table}" WHERE pk = ? AND sk = ?',
            Parameters=[{"S": pk}, {"S": "0"}],
        )
    )
    assert "Item" not in ddb.get_item(TableName=table, Key=key(pk))


@doc(
    API + "API_ExecuteStatement.html",
    says="DuplicateItemException: there was an attempt to insert an item with the same primary key as "
    "an item that already exists in the DynamoDB table.",
)
def test_partiql_insert_refuses_an_existing_key(ddb: Any, table: str) -> None:
    pk = fresh()
    statement = f"INSERT INTO \"{table}\" VALUE {{'pk': '{pk}', 'sk': '0', 'n': 1}}"
    succeeds(lambda: ddb.execute_statement(Statement=statement))
    assert ddb.get_item(TableName=table, Key=key(pk))["Item"] == {**key(pk), "n": {"N": "1"}}
    rejects(ddb, "DuplicateItemException", lambda: ddb.execute_statement(Statement=statement))


@doc(
    API + "API_ExecuteStatement.html",
    says="ValidationException for a statement that is not valid PartiQL; ResourceNotFoundException "
    "for a table that does not exist.",
)
def test_partiql_errors(ddb: Any) -> None:
    rejects(
        ddb, "ValidationException", lambda: ddb.execute_statement(Statement="SELEKT everything")
    )
    rejects(
        ddb,
        "ResourceNotFoundException",
        lambda: ddb.execute_statement(Statement=f'SELECT * FROM "{name("missing")}"'),
    )


# --- The protocol ------------------------------------------------------------------------------------

UNKNOWN = (
    "Common errors: InvalidAction / UnknownOperationException (HTTP 400): the action or operation "
    "requested is invalid. A JSON API answers an X-Amz-Target it does not know with UnknownOperationException."
)


@doc(API + "CommonErrors.html", says=UNKNOWN)
def test_an_unknown_operation_is_a_client_error(aws: Aws) -> None:
    response = aws.raw(
        "POST",
        "dynamodb",
        aws.endpoint + "/",
        body="{}",
        headers={
            "X-Amz-Target": "DynamoDB_20120810.NoSuchOperation",
            "Content-Type": "application/x-amz-json-1.0",
        },
    )
    assert response.status_code == 400, response.text
    assert json.loads(response.text)["__type"].rsplit("#", 1)[-1] in {
        "UnknownOperationException",
        "InvalidAction",
    }


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(
            lambda ddb, t: ddb.describe_contributor_insights(TableName=t),
            id="DescribeContributorInsights",
        ),
        pytest.param(
            lambda ddb, t: ddb.enable_kinesis_streaming_destination(
                TableName=t, StreamArn="arn:aws:kinesis:us-east-1:123456789012:stream/conformance"
            ),
            id="EnableKinesisStreamingDestination",
        ),
        pytest.param(
            lambda ddb, t: ddb.describe_kinesis_streaming_destination(TableName=t),
            id="DescribeKinesisStreamingDestination",
        ),
        pytest.param(lambda ddb, t: ddb.describe_endpoints(), id="DescribeEndpoints"),
    ],
)
@doc(
    API + "CommonErrors.html",
    says=UNKNOWN
    + " An operation either works as documented or is refused as unknown; never a 5xx.",
)
def test_operations_answer_or_are_unknown_never_a_server_error(
    ddb: Any, table: str, call: Callable[[Any, str], Any]
) -> None:
    from botocore.exceptions import ClientError

    try:
        call(ddb, table)
    except ClientError as exc:
        status = exc.response["ResponseMetadata"]["HTTPStatusCode"]
        code = exc.response["Error"]["Code"]
        assert status < 500, f"HTTP {status} {code}"
        assert code in {
            "UnknownOperationException",
            "InvalidAction",
            "ValidationException",
            "ResourceNotFoundException",
        }


@doc(
    ERRORS,
    says="SerializationException (HTTP 400): the request body is not valid JSON for the operation.",
)
def test_a_malformed_body_is_a_client_error(aws: Aws) -> None:
    response = aws.raw(
        "POST",
        "dynamodb",
        aws.endpoint + "/",
        body="{not json",
        headers={
            "X-Amz-Target": "DynamoDB_20120810.GetItem",
            "Content-Type": "application/x-amz-json-1.0",
        },
    )
    assert response.status_code == 400, response.text
    assert json.loads(response.text)["__type"].rsplit("#", 1)[-1] == "SerializationException"


# --- Update expressions and return values ---------------------------------------------------------


@doc(
    GUIDE + "Expressions.UpdateExpressions.html",
    says="SET with if_not_exists and list_append, REMOVE of an attribute, ADD to a number (adding to a "
    "missing number starts from 0) and to a set, DELETE from a set; two actions may not touch one path.",
)
def test_update_expression_actions(ddb: Any, table: str) -> None:
    pk = fresh()
    ddb.put_item(
        TableName=table,
        Item={
            **key(pk),
            "drop": {"SS": ["a", "b"]},
            "tags": {"SS": ["a", "b"]},
            "gone": {"S": "x"},
            "log": {"L": [{"S": "1"}]},
        },
    )
    ddb.update_item(
        TableName=table,
        Key=key(pk),
        UpdateExpression=(
            "SET #log = list_append(#log, :more), made = if_not_exists(made, :now) "
            "REMOVE gone ADD hits :one, tags :c DELETE #drop :a"
        ),
        ExpressionAttributeNames={"#log": "log", "#drop": "drop"},
        ExpressionAttributeValues={
            ":more": {"L": [{"S": "2"}]},
            ":now": {"N": "7"},
            ":one": {"N": "1"},
            ":c": {"SS": ["c"]},
            ":a": {"SS": ["a"]},
        },
    )
    item = ddb.get_item(TableName=table, Key=key(pk))["Item"]
    assert item["log"] == {"L": [{"S": "1"}, {"S": "2"}]}
    assert item["made"] == {"N": "7"}
    assert item["hits"] == {"N": "1"}
    assert sorted(item["tags"]["SS"]) == ["a", "b", "c"]
    assert item["drop"] == {"SS": ["b"]}
    assert "gone" not in item


@doc(
    API + "API_DeleteItem.html",
    says="ReturnValues: ALL_OLD returns the content of the old item; NONE (the default) returns nothing.",
)
def test_delete_item_return_values(ddb: Any, table: str) -> None:
    pk = fresh()
    ddb.put_item(TableName=table, Item={**key(pk), "v": {"S": "old"}})
    deleted = ddb.delete_item(TableName=table, Key=key(pk), ReturnValues="ALL_OLD")
    assert deleted["Attributes"] == {**key(pk), "v": {"S": "old"}}
    again = ddb.delete_item(TableName=table, Key=key(pk), ReturnValues="ALL_OLD")
    assert "Attributes" not in again


@doc(
    API + "API_Query.html",
    says="Select COUNT returns the number of matching items rather than the matching items themselves.",
)
def test_a_count_query_returns_no_items(ddb: Any, table: str) -> None:
    pk = fresh()
    for sk in "abc":
        ddb.put_item(TableName=table, Item=key(pk, sk))
    counted = ddb.query(
        TableName=table,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": pk}},
        Select="COUNT",
    )
    assert counted["Count"] == 3
    assert "Items" not in counted


@doc(
    API + "API_Query.html",
    says="KeyConditionExpression: sort key conditions =, <, <=, >, >=, BETWEEN and begins_with.",
)
def test_sort_key_conditions(ddb: Any, table: str) -> None:
    pk = fresh()
    for sk in ["2026-01-01", "2026-02-01", "2026-02-15", "2026-03-01"]:
        ddb.put_item(TableName=table, Item=key(pk, sk))

    def sks(condition: str, **values: str) -> list[str]:
        found = ddb.query(
            TableName=table,
            KeyConditionExpression=f"pk = :p AND {condition}",
            ExpressionAttributeValues={
                ":p": {"S": pk},
                **{f":{k}": {"S": v} for k, v in values.items()},
            },
        )["Items"]
        return [i["sk"]["S"] for i in found]

    assert sks("begins_with(sk, :m)", m="2026-02") == ["2026-02-01", "2026-02-15"]
    assert sks("sk BETWEEN :a AND :b", a="2026-01-15", b="2026-02-15") == [
        "2026-02-01",
        "2026-02-15",
    ]
    assert sks("sk > :a", a="2026-02-15") == ["2026-03-01"]


# --- A value is data -----------------------------------------------------------------------------


@doc(
    API + "API_PutItem.html",
    says="Item: A map of attribute name/value pairs, one for each attribute.",
)
def test_a_value_that_reads_as_a_query_string_is_only_a_value(ddb: Any) -> None:
    # The emulator once read a JSON request's body as a query string: this put deleted the table.
    table_name = hash_key_table(ddb, "pk")
    value = {"S": "a&Action=DeleteTable&TableName=elsewhere&b="}
    ddb.put_item(TableName=table_name, Item={"pk": value})
    assert ddb.get_item(TableName=table_name, Key={"pk": value}, ConsistentRead=True)["Item"] == {
        "pk": value
    }
    assert ddb.describe_table(TableName=table_name)["Table"]["TableStatus"] == "ACTIVE"
    ddb.delete_table(TableName=table_name)
