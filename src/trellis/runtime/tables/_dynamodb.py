"""Implementation of :mod:`trellis.runtime.tables` (import from there)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from decimal import Context, Decimal
from typing import TYPE_CHECKING, Any, Final

from trellis.runtime._errors import BadRequest, Conflict, aws_errors

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

__all__ = [
    "CursorCodec",
    "InvalidCursor",
    "Page",
    "TransactionCancelled",
    "cancellation_reasons",
    "marshal",
    "marshal_item",
    "query_page",
    "transact_write",
    "unmarshal",
    "unmarshal_item",
]

#: Page sizes DynamoDB reads per call are bounded by what the API accepts.
MAX_PAGE_SIZE: Final = 1000
#: A cursor longer than this is not one we issued.
_MAX_CURSOR_CHARS: Final = 2048
_CURSOR_VERSION: Final = 1
_SIG_BYTES: Final = 16


# --------------------------------------------------------------------- attribute values

#: DynamoDB numbers: 38 significant digits, magnitudes from 1E-130 to under 1E+126.
_MAX_DIGITS: Final = 38
_MIN_ADJUSTED: Final = -130
_MAX_ADJUSTED: Final = 125
_INTEGER_TEXT: Final = re.compile(r"-?[0-9]+")


# Wide enough that normalising a DynamoDB number never rounds it.
_WIDE: Final = Context(prec=_MAX_DIGITS + _MAX_ADJUSTED + 10)


def _number(value: int | Decimal) -> str:
    """The ``N`` text of a number DynamoDB can hold exactly; ``ValueError`` for any other."""
    if isinstance(value, int):
        text = str(value)
        if len(text.lstrip("-")) <= _MAX_DIGITS:
            return text  # the common case, without building a Decimal
        value = Decimal(value)
    if not value.is_finite():
        raise ValueError(f"DynamoDB cannot store {value} (numbers are finite)")
    digits = value.as_tuple().digits
    if value:
        # DynamoDB trims leading and trailing zeros before it counts digits.
        significant = len("".join(map(str, digits)).strip("0"))
        if significant > _MAX_DIGITS or not _MIN_ADJUSTED <= value.adjusted() <= _MAX_ADJUSTED:
            raise ValueError(
                f"DynamoDB cannot store {value} exactly "
                "(38 significant digits, magnitudes 1E-130 to under 1E+126)"
            )
    if len(digits) > _MAX_DIGITS:
        # Trailing zeros past 38 digits (10**40, say): the exponent form is the same number.
        return str(value.normalize(_WIDE))
    return str(value)


def _from_number(text: str) -> int | Decimal:
    """An ``N`` value exactly: ``int`` when integral, else ``Decimal`` (never a float)."""
    if _INTEGER_TEXT.fullmatch(text):
        return int(text)
    number = Decimal(text)
    if number == number.to_integral_value():
        return int(number)
    return number


def _set(values: AbstractSet[Any]) -> dict[str, Any]:
    if not values:
        raise ValueError("DynamoDB has no empty sets (leave the attribute out)")
    # Members sorted: equal sets marshal to equal requests, whatever their hash order.
    if all(isinstance(v, str) for v in values):
        return {"SS": sorted(values)}
    if all(isinstance(v, (int, Decimal)) and not isinstance(v, bool) for v in values):
        return {"NS": [_number(v) for v in sorted(values)]}
    if all(isinstance(v, (bytes, bytearray, memoryview)) for v in values):
        return {"BS": sorted(bytes(v) for v in values)}
    raise TypeError("a DynamoDB set holds only strings, only numbers or only bytes")


def marshal(value: Any) -> dict[str, Any]:
    """One Python value as a DynamoDB attribute value.

    ``str`` → S, ``bool`` → BOOL, ``int`` / ``Decimal`` → N, ``None`` → NULL,
    ``bytes`` → B, ``list``/``tuple`` → L, ``dict`` → M, and sets of strings,
    numbers or bytes → SS / NS / BS. What DynamoDB cannot hold exactly is
    refused rather than rounded: floats (``TypeError``: use ``Decimal``),
    numbers past 38 digits or outside 1E-130..1E+126, NaN and infinities,
    and empty sets (``ValueError``).
    """
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, (int, Decimal)):
        return {"N": _number(value)}
    if value is None:
        return {"NULL": True}
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"B": bytes(value)}
    if isinstance(value, (set, frozenset)):
        return _set(value)
    if isinstance(value, (list, tuple)):
        return {"L": [marshal(v) for v in value]}
    if isinstance(value, Mapping):
        # Inside a map None is a value (NULL), as boto3 stores it; only items drop it.
        return {"M": {str(k): marshal(v) for k, v in value.items()}}
    hint = "use Decimal" if isinstance(value, float) else "use str, int, Decimal or bytes"
    raise TypeError(f"cannot store a {type(value).__name__} in DynamoDB ({hint})")


def marshal_item(item: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """A dict of plain values as a DynamoDB item (top-level ``None`` values are left out)."""
    return {str(k): marshal(v) for k, v in item.items() if v is not None}


def unmarshal(value: Mapping[str, Any]) -> Any:
    """One DynamoDB attribute value as a Python value.

    Numbers come back exact: ``int`` when integral, ``Decimal`` otherwise (as
    boto3's ``TypeDeserializer`` reads them, with ints where they fit); sets
    as ``set``; binary as ``bytes``. :func:`marshal` writes every result back.
    """
    ((kind, data),) = value.items()
    if kind == "S":
        return data
    if kind == "N":
        return _from_number(str(data))
    if kind == "BOOL":
        return bool(data)
    if kind == "NULL":
        return None
    if kind == "B":
        return bytes(data)
    if kind == "L":
        return [unmarshal(v) for v in data]
    if kind == "M":
        return unmarshal_item(data)
    if kind == "SS":
        return set(data)
    if kind == "NS":
        return {_from_number(str(v)) for v in data}
    if kind == "BS":
        return {bytes(v) for v in data}
    raise ValueError(f"unsupported DynamoDB attribute type {kind!r}")


def unmarshal_item(item: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """A DynamoDB item as a dict of plain values."""
    return {k: unmarshal(v) for k, v in item.items()}


# ----------------------------------------------------------------------------- cursors


class InvalidCursor(BadRequest):
    """The ``cursor`` query parameter is not one this service issued (400)."""

    code = "invalid_cursor"
    default_message = "invalid cursor"


@dataclass(frozen=True)
class CursorCodec:
    """Encode a page's last key as an opaque cursor; decode and validate it back.

    ``key_names`` are the attributes of the key being resumed (for a GSI: the
    table's key and the index's key), each with its DynamoDB type (``"S"`` or
    ``"N"``). ``fixed`` pins attributes whose value the server chooses (the
    partition of a listing): they are never carried in the cursor, so a client
    cannot move a cursor to another partition. With ``secret`` the cursor
    carries an HMAC-SHA256 tag and any tampering is refused; without it the
    cursor is still validated strictly, which is enough when every position
    inside the partition is one the caller may read anyway.

    >>> codec = CursorCodec({"user_id": "S"})
    >>> codec.decode(codec.encode({"user_id": {"S": "u1"}}))
    {'user_id': {'S': 'u1'}}
    """

    key_names: Mapping[str, str]
    fixed: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    secret: bytes | None = None
    max_value_chars: int = 1024

    def encode(self, last_key: Mapping[str, Mapping[str, Any]]) -> str:
        """The cursor for ``last_key`` (a ``LastEvaluatedKey`` or an item holding the key)."""
        values: list[Any] = []
        for name, kind in self.key_names.items():
            if name in self.fixed:
                continue
            attribute = last_key.get(name)
            if attribute is None or kind not in attribute:
                raise ValueError(f"last key has no {kind} attribute {name!r}")
            values.append(attribute[kind])
        payload = json.dumps([_CURSOR_VERSION, values], separators=(",", ":")).encode()
        if self.secret is not None:
            payload += hmac.new(self.secret, payload, hashlib.sha256).digest()[:_SIG_BYTES]
        return base64.urlsafe_b64encode(payload).decode().rstrip("=")

    def decode(self, cursor: str) -> dict[str, dict[str, Any]]:
        """The ``ExclusiveStartKey`` a cursor stands for; :class:`InvalidCursor` if it is not ours."""
        if not cursor or len(cursor) > _MAX_CURSOR_CHARS:
            raise InvalidCursor()
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        except (binascii.Error, ValueError):
            raise InvalidCursor() from None
        if self.secret is not None:
            raw, tag = raw[:-_SIG_BYTES], raw[-_SIG_BYTES:]
            expected = hmac.new(self.secret, raw, hashlib.sha256).digest()[:_SIG_BYTES]
            if not hmac.compare_digest(tag, expected):
                raise InvalidCursor()
        try:
            version, values = json.loads(raw)
        except (ValueError, TypeError, UnicodeDecodeError, RecursionError):
            # A client controls the nesting: past the parser's depth it is a bad cursor, not a 500.
            raise InvalidCursor() from None
        carried = [(n, k) for n, k in self.key_names.items() if n not in self.fixed]
        if version != _CURSOR_VERSION or not isinstance(values, list):
            raise InvalidCursor()
        if len(values) != len(carried):
            raise InvalidCursor()
        key: dict[str, dict[str, Any]] = {n: dict(v) for n, v in self.fixed.items()}
        for (name, kind), value in zip(carried, values, strict=True):
            key[name] = {kind: self._checked(kind, value)}
        return key

    def _checked(self, kind: str, value: Any) -> str:
        if kind == "S":
            if not isinstance(value, str) or not 0 < len(value) <= self.max_value_chars:
                raise InvalidCursor()
            return value
        if kind == "N":
            if not isinstance(value, str) or not value or len(value) > 40:
                raise InvalidCursor()
            try:
                int(value)
            except ValueError:
                raise InvalidCursor() from None
            return value
        raise ValueError(f"unsupported key type {kind!r} in a cursor")


# ------------------------------------------------------------------------------- pages


@dataclass(frozen=True)
class Page:
    """One page of items, the cursor of the next page (None on the last) and the work done.

    ``scanned_count`` is how many items DynamoDB read to answer (its
    ``ScannedCount``): the figure that shows a page costs what its size says.
    """

    items: list[dict[str, Any]]
    next_cursor: str | None
    scanned_count: int


def query_page(
    dynamodb: DynamoDBClient,
    *,
    table_name: str,
    partition: tuple[str, str],
    codec: CursorCodec,
    limit: int,
    cursor: str | None = None,
    index_name: str | None = None,
    scan_forward: bool = True,
    consistent_read: bool = False,
) -> Page:
    """Read one page of the partition ``partition = (attribute, value)``, in sort key order.

    DynamoDB is asked for ``limit + 1`` items: the extra one only tells
    whether another page exists, so the last page never ends with an empty
    page. The next cursor is built from the key of the last item returned
    (or from ``LastEvaluatedKey`` when DynamoDB stopped early at its 1 MB page
    limit), so the next page starts right after it. A cursor that is not
    ours raises :class:`InvalidCursor` before DynamoDB is called.
    """
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise ValueError(f"limit must be within 1..{MAX_PAGE_SIZE}, got {limit}")
    name, value = partition
    request: dict[str, Any] = {
        "TableName": table_name,
        "KeyConditionExpression": "#pk = :pk",
        "ExpressionAttributeNames": {"#pk": name},
        "ExpressionAttributeValues": {":pk": {"S": value}},
        "Limit": limit + 1,
        "ScanIndexForward": scan_forward,
    }
    if index_name is not None:
        request["IndexName"] = index_name
    if consistent_read:
        request["ConsistentRead"] = True
    if cursor is not None:
        start = codec.decode(cursor)
        if start.get(name) != {"S": value}:
            raise InvalidCursor()
        request["ExclusiveStartKey"] = start
    with aws_errors("Query", table_name):
        response = dynamodb.query(**request)
    raw_items: Sequence[dict[str, Any]] = response.get("Items", [])
    next_cursor: str | None = None
    if len(raw_items) > limit:
        raw_items = raw_items[:limit]
        next_cursor = codec.encode(raw_items[-1])
    elif response.get("LastEvaluatedKey") and raw_items:
        # Stopped early (1 MB) or exactly at `limit + 1` with nothing after: resume
        # after the last item we hand out; an empty next page is possible but
        # never a skipped or repeated one.
        next_cursor = codec.encode(raw_items[-1])
    return Page(
        items=[unmarshal_item(item) for item in raw_items],
        next_cursor=next_cursor,
        scanned_count=int(response.get("ScannedCount", len(raw_items))),
    )


# ------------------------------------------------------------------------ lost answers


def item_as_it_was(error: BaseException) -> dict[str, Any] | None:
    """The item a failed condition saw, if the request asked for it; else None.

    The SDK retries a call whose answer was lost (a read timeout, a reset
    connection) although DynamoDB may have applied it, and the retry then fails
    its own condition. Ask for the item with
    ``ReturnValuesOnConditionCheckFailure="ALL_OLD"`` and compare it with what
    the call writes to tell its own earlier attempt from someone else's write.
    ``error`` is the platform's :class:`~trellis.runtime.Conflict` (raised from
    the botocore error) or the botocore error itself; for a cancelled
    transaction, the item of its first failed action.

    ::

        try:
            with aws_errors("PutItem", table):
                db.put_item(TableName=table, Item=item,
                            ConditionExpression="attribute_not_exists(pk)",
                            ReturnValuesOnConditionCheckFailure="ALL_OLD")
        except Conflict as exc:
            if item_as_it_was(exc) != item:  # else: this call's own write, retried
                raise
    """
    source = error if getattr(error, "response", None) is not None else error.__cause__
    response: Mapping[str, Any] = getattr(source, "response", None) or {}
    item = response.get("Item")
    if item is None:
        for reason in response.get("CancellationReasons") or []:
            if isinstance(reason, Mapping) and reason.get("Code") == "ConditionalCheckFailed":
                item = reason.get("Item")
                break
    return dict(item) if isinstance(item, Mapping) else None


def put_new_item(
    dynamodb: DynamoDBClient, table: str, item: Mapping[str, Any], *, key: str
) -> None:
    """``PutItem`` only where no item has this key; :class:`~trellis.runtime.Conflict` if one does.

    ``item`` is in attribute values (:func:`marshal_item`), ``key`` the table's
    hash key attribute. If the item found under the key is exactly ``item``, it is
    this call's own write (its answer lost and the call retried by the SDK), not
    a conflict.

    ::

        put_new_item(db, table, marshal_item({"file_id": file_id, ...}), key="file_id")
    """
    try:
        with aws_errors("PutItem", table):
            dynamodb.put_item(
                TableName=table,
                Item=dict(item),
                ConditionExpression="attribute_not_exists(#key)",
                ExpressionAttributeNames={"#key": key},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
    except Conflict as exc:
        if item_as_it_was(exc) != item:
            raise


# ------------------------------------------------------------------------ transactions


def cancellation_reasons(exc: BaseException) -> list[str] | None:
    """Why a ``TransactWriteItems`` was cancelled: one code per item, in request order.

    ``"None"`` marks an item that did not fail; ``"ConditionalCheckFailed"``
    one whose condition was false. Returns None when ``exc`` is not a
    ``TransactionCanceledException``. Older botocore versions only carry the
    reasons in the message text (``[None, ConditionalCheckFailed]``); both are read.
    """
    response: Mapping[str, Any] = getattr(exc, "response", None) or {}
    error: Mapping[str, Any] = response.get("Error") or {}
    if error.get("Code") != "TransactionCanceledException":
        return None
    reasons = response.get("CancellationReasons")
    if isinstance(reasons, list) and reasons:
        return [str(r.get("Code", "None")) if isinstance(r, Mapping) else "None" for r in reasons]
    message = str(error.get("Message") or "")
    start, end = message.rfind("["), message.rfind("]")
    if 0 <= start < end:
        return [part.strip() for part in message[start + 1 : end].split(",")]
    return []


class TransactionCancelled(Conflict):
    """A ``TransactWriteItems`` lost a condition (or raced another transaction) (409).

    ``reasons`` holds one code per item, in request order (``"None"`` for an
    item that did not fail): :meth:`failed` tells which condition lost, so
    the adapter can raise the error that names it.
    """

    def __init__(self, reasons: Sequence[str], message: str | None = None) -> None:
        super().__init__(message)
        self.reasons = list(reasons)

    def failed(self, index: int) -> bool:
        """True if item ``index`` of the transaction failed its condition."""
        return index < len(self.reasons) and self.reasons[index] == "ConditionalCheckFailed"

    @property
    def raced(self) -> bool:
        """True if another transaction held one of the items (retrying may succeed)."""
        return "TransactionConflict" in self.reasons


def transact_write(
    dynamodb: DynamoDBClient,
    items: Sequence[Mapping[str, Any]],
    *,
    resource: str | None = None,
    client_token: str | None = None,
) -> None:
    """``TransactWriteItems``, all or nothing; a lost condition raises :class:`TransactionCancelled`.

    Other AWS errors are translated as usual (throttling → 503, ...).
    ``client_token`` makes a retried call idempotent for 10 minutes.
    """
    request: dict[str, Any] = {"TransactItems": [dict(item) for item in items]}
    if client_token is not None:
        request["ClientRequestToken"] = client_token
    try:
        with aws_errors("TransactWriteItems", resource):
            dynamodb.transact_write_items(**request)
    except Conflict as exc:
        cause = exc.__cause__
        reasons = cancellation_reasons(cause) if cause is not None else None
        raise TransactionCancelled(reasons or []) from cause
