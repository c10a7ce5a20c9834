"""DynamoDB helpers for services: attribute values, opaque cursors, bounded pages.

What every table-backed API gets wrong the same way, done once:

- :func:`marshal` / :func:`unmarshal` convert plain Python values to and from
  the low-level client's attribute values (``{"S": "x"}``) without loading
  boto3's resource layer. They read as boto3's ``TypeDeserializer`` does,
  exactly (``int`` for integral numbers, ``Decimal`` for the others, sets of
  strings, numbers and bytes), and whatever they read can be written back;
  what DynamoDB cannot hold exactly (floats, NaN, 39 digits) is refused.
- :class:`CursorCodec` turns a ``LastEvaluatedKey`` into an opaque, URL-safe
  cursor and back. A cursor is validated on the way in (shape, key names,
  types, size and, with a secret, an HMAC signature); anything else raises
  :class:`~trellis.runtime.BadRequest` (400), never a DynamoDB error.
- :func:`query_page` reads one page of a partition (of a table or a GSI) with
  ``Limit`` and ``ExclusiveStartKey``: DynamoDB reads at most ``limit + 1``
  items whatever the size of the table, and a cursor resumes exactly after
  the last item returned, so pages never skip or repeat while the data is
  unchanged. No ``Scan``.
- :func:`put_new_item` writes an item only where its key is free, and takes a
  retry that meets its own write for the success it was.
- :func:`item_as_it_was` reads the item a failed condition saw
  (``ReturnValuesOnConditionCheckFailure="ALL_OLD"``), so a conditional write
  retried by the SDK after its answer was lost can tell its own earlier write
  from someone else's.
- :func:`transact_write` runs a ``TransactWriteItems`` and, when a condition
  loses, raises :class:`TransactionCancelled` carrying one reason per item,
  so an adapter can say *which* condition lost (the user id, the email...).

Everything here works on the low-level client (``clients.dynamodb``) and
imports nothing from boto3 itself.
"""

from __future__ import annotations

from trellis.runtime.tables._dynamodb import (
    CursorCodec,
    InvalidCursor,
    Page,
    TransactionCancelled,
    cancellation_reasons,
    item_as_it_was,
    marshal,
    marshal_item,
    put_new_item,
    query_page,
    transact_write,
    unmarshal,
    unmarshal_item,
)

__all__ = [
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
