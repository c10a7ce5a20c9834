"""trellis.runtime.tables: attribute values, cursors, bounded pages, transaction reasons."""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from typing import Any

import pytest
from botocore.exceptions import ClientError

import trellis.runtime.tables as tables
from trellis.runtime import BadRequest, Conflict, Throttled, aws_errors
from trellis.runtime.tables import (
    CursorCodec,
    InvalidCursor,
    TransactionCancelled,
    cancellation_reasons,
    marshal_item,
    query_page,
    transact_write,
    unmarshal_item,
)

CODEC = CursorCodec(
    {"user_id": "S", "list_pk": "S", "list_sk": "S"}, fixed={"list_pk": {"S": "USER"}}
)


def test_the_public_api_is_the_curated_export_list() -> None:
    assert sorted(tables.__all__) == [
        "CursorCodec",
        "InvalidCursor",
        "Page",
        "TransactionCancelled",
        "cancellation_reasons",
        "item_as_it_was",
        "marshal",
        "marshal_item",
        "put_new_item",
        "query_page",
        "transact_write",
        "unmarshal",
        "unmarshal_item",
    ]


def test_items_round_trip_without_decimals() -> None:
    item = {"s": "x", "n": 42, "b": True, "l": ["a", 1], "m": {"k": "v"}, "bytes": b"\x00"}

    stored = marshal_item({**item, "dropped": None})

    assert stored["n"] == {"N": "42"} and "dropped" not in stored
    assert unmarshal_item(stored) == item
    assert type(unmarshal_item(stored)["n"]) is int


def test_floats_are_refused_rather_than_rounded() -> None:
    with pytest.raises(TypeError):
        marshal_item({"price": 0.1})


def test_a_cursor_decodes_to_the_key_it_encoded_with_the_fixed_partition() -> None:
    key = {"user_id": {"S": "u1"}, "list_pk": {"S": "USER"}, "list_sk": {"S": "2026#u1"}}

    cursor = CODEC.encode(key)

    assert CODEC.decode(cursor) == key
    assert "USER" not in base64.urlsafe_b64decode(cursor + "==").decode()
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def _b64(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "!!!",
        "a" * 3000,
        _b64("just a string"),
        _b64([1, ["only-one"]]),
        _b64([2, ["u1", "2026#u1"]]),  # unknown version
        _b64([1, ["u1", 7]]),  # wrong type
        _b64([1, ["u1", ""]]),  # empty key value
        _b64([1, ["u1", "x" * 2000]]),
        _b64({"user_id": {"S": "u1"}}),  # a raw LastEvaluatedKey is not a cursor
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    ],
)
def test_anything_but_a_cursor_we_issued_is_invalid(cursor: str) -> None:
    with pytest.raises(InvalidCursor) as exc:
        CODEC.decode(cursor)
    assert isinstance(exc.value, BadRequest) and exc.value.status == 400


def test_a_signed_cursor_refuses_tampering_and_other_keys() -> None:
    signed = CursorCodec({"id": "S"}, secret=b"k1")
    cursor = signed.encode({"id": {"S": "a"}})

    assert signed.decode(cursor) == {"id": {"S": "a"}}
    forged = _b64([1, ["b"]])
    with pytest.raises(InvalidCursor):
        signed.decode(forged)
    with pytest.raises(InvalidCursor):
        CursorCodec({"id": "S"}, secret=b"k2").decode(cursor)


def test_number_keys_are_checked_too() -> None:
    codec = CursorCodec({"n": "N"})
    assert codec.decode(codec.encode({"n": {"N": "12"}})) == {"n": {"N": "12"}}
    with pytest.raises(InvalidCursor):
        codec.decode(_b64([1, ["1e999"]]))


class ScriptedDynamoDB:
    """Answers each query with the next scripted response; remembers requests."""

    def __init__(self, *responses: dict[str, Any]) -> None:
        self.responses = list(responses)
        self.requests: list[dict[str, Any]] = []

    def query(self, **request: Any) -> dict[str, Any]:
        self.requests.append(request)
        return self.responses.pop(0)


def _user(i: int) -> dict[str, Any]:
    return marshal_item({"user_id": f"u{i}", "list_pk": "USER", "list_sk": f"t{i}#u{i}"})


def test_query_page_asks_for_one_extra_item_and_resumes_after_the_last_returned() -> None:
    db = ScriptedDynamoDB(
        {"Items": [_user(i) for i in range(4)], "ScannedCount": 4, "LastEvaluatedKey": _user(3)}
    )

    page = query_page(
        db,  # type: ignore[arg-type]
        table_name="t",
        index_name="by_created",
        partition=("list_pk", "USER"),
        codec=CODEC,
        limit=3,
    )

    assert [i["user_id"] for i in page.items] == ["u0", "u1", "u2"]
    assert page.scanned_count == 4
    assert CODEC.decode(page.next_cursor or "") == _user(2)
    request = db.requests[0]
    assert request["Limit"] == 4 and request["IndexName"] == "by_created"
    assert "ExclusiveStartKey" not in request


def test_query_page_passes_the_cursor_as_exclusive_start_key() -> None:
    db = ScriptedDynamoDB({"Items": [_user(5)], "ScannedCount": 1})

    page = query_page(
        db,  # type: ignore[arg-type]
        table_name="t",
        partition=("list_pk", "USER"),
        codec=CODEC,
        limit=3,
        cursor=CODEC.encode(_user(4)),
    )

    assert db.requests[0]["ExclusiveStartKey"] == _user(4)
    assert page.next_cursor is None  # fewer than limit + 1 and no LastEvaluatedKey


def test_query_page_resumes_after_an_early_stop_at_dynamodbs_1_mb_limit() -> None:
    db = ScriptedDynamoDB({"Items": [_user(0)], "ScannedCount": 1, "LastEvaluatedKey": _user(0)})

    page = query_page(
        db,  # type: ignore[arg-type]
        table_name="t",
        partition=("list_pk", "USER"),
        codec=CODEC,
        limit=10,
    )

    assert CODEC.decode(page.next_cursor or "") == _user(0)


def test_query_page_refuses_a_cursor_into_another_partition() -> None:
    codec = CursorCodec({"user_id": "S", "list_pk": "S", "list_sk": "S"})
    other = codec.encode({"user_id": {"S": "x"}, "list_pk": {"S": "OTHER"}, "list_sk": {"S": "x"}})
    db = ScriptedDynamoDB()

    with pytest.raises(InvalidCursor):
        query_page(
            db,  # type: ignore[arg-type]
            table_name="t",
            partition=("list_pk", "USER"),
            codec=codec,
            limit=3,
            cursor=other,
        )
    assert db.requests == []


def _cancelled(*codes: str, with_reasons: bool = True) -> ClientError:
    response: dict[str, Any] = {
        "Error": {
            "Code": "TransactionCanceledException",
            "Message": f"Transaction cancelled [{', '.join(codes)}]",
        },
        "ResponseMetadata": {"HTTPStatusCode": 400},
    }
    if with_reasons:
        response["CancellationReasons"] = [{"Code": c} for c in codes]
    return ClientError(response, "TransactWriteItems")  # type: ignore[arg-type]


def test_cancellation_reasons_come_from_the_response_or_the_message() -> None:
    assert cancellation_reasons(_cancelled("None", "ConditionalCheckFailed")) == [
        "None",
        "ConditionalCheckFailed",
    ]
    assert cancellation_reasons(
        _cancelled("ConditionalCheckFailed", "None", with_reasons=False)
    ) == ["ConditionalCheckFailed", "None"]
    assert cancellation_reasons(ValueError("x")) is None


class FailingTransactions:
    def __init__(self, error: Exception) -> None:
        self.error = error

    def transact_write_items(self, **_: Any) -> None:
        raise self.error


def test_transact_write_names_the_item_whose_condition_failed() -> None:
    db = FailingTransactions(_cancelled("None", "ConditionalCheckFailed"))

    with pytest.raises(TransactionCancelled) as exc:
        transact_write(db, [{"Put": {}}, {"Put": {}}])  # type: ignore[arg-type]

    assert isinstance(exc.value, Conflict) and exc.value.status == 409
    assert not exc.value.failed(0) and exc.value.failed(1) and not exc.value.failed(5)


def test_transact_write_lets_throttling_through_as_throttling() -> None:
    error = ClientError(
        {
            "Error": {"Code": "ThrottlingException", "Message": "slow down"},
            "ResponseMetadata": {"HTTPStatusCode": 400},
        },
        "TransactWriteItems",
    )

    with pytest.raises(Throttled):
        transact_write(FailingTransactions(error), [{"Put": {}}])  # type: ignore[arg-type]


# ------------------------------------------------------------- exact round trips


def test_numbers_come_back_exact_past_float_precision() -> None:
    big = 12345678901234567890123456789012345678  # 38 digits, DynamoDB's precision
    item = {"big": big, "price": Decimal("19.99"), "tiny": Decimal("1E-130"), "neg": -7}

    back = unmarshal_item(marshal_item(item))

    assert back == item
    assert type(back["big"]) is int and type(back["neg"]) is int
    assert back["price"] == Decimal("19.99") and type(back["price"]) is Decimal
    assert unmarshal_item({"n": {"N": "0.30000000000000000001"}})["n"] == Decimal(
        "0.30000000000000000001"
    )
    assert unmarshal_item({"n": {"N": "1E+2"}})["n"] == 100  # integral: an int, as stored


def test_every_set_kind_round_trips_and_can_be_written_back() -> None:
    item = {
        "tags": {"a", "b"},
        "scores": {1, 2, Decimal("2.5")},
        "blobs": {b"\x00", b"\xff"},
        "frozen": frozenset({"x"}),
    }

    stored = marshal_item(item)

    assert sorted(stored["tags"]["SS"]) == ["a", "b"]
    assert sorted(stored["scores"]["NS"]) == ["1", "2", "2.5"]
    assert sorted(stored["blobs"]["BS"]) == [b"\x00", b"\xff"]
    back = unmarshal_item(stored)
    assert back == {**item, "frozen": {"x"}}
    assert marshal_item(back) == marshal_item(item)  # what was read can be written back


@pytest.mark.parametrize(
    "value",
    [
        set(),  # DynamoDB has no empty sets
        {"a", 1},  # nor mixed ones
        Decimal("NaN"),
        Decimal("Infinity"),
        float("inf"),
        1.5,  # a float's rounding would be stored silently
        10**38 + 1,  # 39 significant digits: more than DynamoDB holds
        Decimal("1E-131"),  # below its smallest magnitude
        object(),
    ],
    # Stable ids (pytest -n collects in every worker): a set's or an object's repr varies.
    ids=[
        "empty set",
        "mixed set",
        "NaN",
        "Infinity",
        "inf",
        "1.5",
        "39 digits",
        "1E-131",
        "object",
    ],
)
def test_values_dynamodb_cannot_hold_exactly_are_refused(value: Any) -> None:
    with pytest.raises((TypeError, ValueError)):
        tables.marshal(value)


def test_none_inside_lists_and_maps_is_kept_as_null() -> None:
    stored = marshal_item({"m": {"k": None}, "l": [None], "gone": None})
    assert stored == {"m": {"M": {"k": {"NULL": True}}}, "l": {"L": [{"NULL": True}]}}
    assert unmarshal_item(stored) == {"m": {"k": None}, "l": [None]}


def test_a_cursor_nested_too_deep_for_the_json_parser_is_a_400() -> None:
    cursor = base64.urlsafe_b64encode(b"[" * 1536).decode().rstrip("=")
    assert len(cursor) <= 2048  # what the routes accept
    with pytest.raises(InvalidCursor):
        CODEC.decode(cursor)


def _failed(code: str, operation: str, **response: Any) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "failed"}, **response}, operation)


def test_item_as_it_was_reads_the_item_a_failed_condition_saw() -> None:
    item = {"pk": {"S": "a"}, "v": {"N": "1"}}
    direct = _failed("ConditionalCheckFailedException", "PutItem", Item=item)
    assert tables.item_as_it_was(direct) == item
    # The platform's Conflict, raised from the botocore error, as aws_errors raises it.
    with pytest.raises(Conflict) as raised, aws_errors("PutItem", "t"):
        raise direct
    assert tables.item_as_it_was(raised.value) == item
    # A cancelled transaction: the item of its first failed action.
    cancelled = _failed(
        "TransactionCanceledException",
        "TransactWriteItems",
        CancellationReasons=[
            {"Code": "None"},
            {"Code": "ConditionalCheckFailed", "Item": item},
        ],
    )
    assert tables.item_as_it_was(cancelled) == item
    # Not asked for (no ReturnValuesOnConditionCheckFailure), or not an AWS error: None.
    assert tables.item_as_it_was(_failed("ConditionalCheckFailedException", "PutItem")) is None
    assert tables.item_as_it_was(ValueError("x")) is None
