"""The items of the ``files`` table: the api records a file when it signs its upload, the
worker records what the upload turned out to be. Both go through this module, so the
item layout is written once.

Item layout (hash key ``file_id``)::

    file_id, status, key, filename, content_type, max_bytes, created_at,
    list_pk="FILE", list_sk="<created_at>#<file_id>"
    ready:     + size, checksum, stored_content_type, ready_at, version_id
    rejected:  + size, reason, rejected_at

A file is ``pending`` until the worker has checked its object, then ``ready`` or
``rejected``, once: both changes are conditional on ``pending``. Listing queries the
``by_created`` index of the ``FILE`` partition.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from trellis.runtime.tables import marshal, marshal_item, unmarshal_item

__all__ = [
    "KEY_PREFIX",
    "LIST_INDEX",
    "LIST_PARTITION",
    "PENDING",
    "READY",
    "REJECTED",
    "Checked",
    "PendingFile",
    "file_id_of",
    "key",
    "mark_ready",
    "mark_rejected",
    "new_file",
    "object_key",
    "pending",
]

PENDING: Final = "pending"
READY: Final = "ready"
REJECTED: Final = "rejected"
#: Where a file's object is in the uploads bucket: ``uploads/<file_id>``.
KEY_PREFIX: Final = "uploads/"
LIST_INDEX: Final = "by_created"
LIST_PARTITION: Final = "FILE"


def object_key(file_id: str) -> str:
    """The key of a file's object in the uploads bucket."""
    return KEY_PREFIX + file_id


def file_id_of(object_key: str) -> str | None:
    """The file an object key belongs to; None for a key outside the uploads prefix."""
    if not object_key.startswith(KEY_PREFIX):
        return None
    return object_key.removeprefix(KEY_PREFIX)


def key(file_id: str) -> dict[str, dict[str, Any]]:
    """The item's key, as the low-level client takes it."""
    return marshal_item({"file_id": file_id})


def new_file(
    file_id: str, *, filename: str, content_type: str, max_bytes: int, created_at: str
) -> dict[str, Any]:
    """A pending file's item (plain values): recorded before its upload is signed."""
    return {
        "file_id": file_id,
        "status": PENDING,
        "key": object_key(file_id),
        "filename": filename,
        "content_type": content_type,
        # The policy's upper bound; the worker rejects anything larger.
        "max_bytes": max_bytes,
        "created_at": created_at,
        "list_pk": LIST_PARTITION,
        "list_sk": f"{created_at}#{file_id}",
    }


@dataclass(frozen=True)
class PendingFile:
    """What the worker checks an uploaded object against: what the api allowed."""

    file_id: str
    content_type: str | None
    max_bytes: int | None


def pending(item: Mapping[str, Mapping[str, Any]] | None) -> PendingFile | None:
    """The pending file a ``GetItem`` found; None when there is none, or it is recorded already."""
    if item is None:
        return None
    values = unmarshal_item(item)
    if values.get("status") != PENDING:
        return None
    max_bytes = values.get("max_bytes")
    return PendingFile(
        file_id=str(values["file_id"]),
        content_type=values.get("content_type"),
        max_bytes=int(max_bytes) if max_bytes else None,
    )


@dataclass(frozen=True)
class Checked:
    """What the worker found in an uploaded object."""

    size: int
    checksum: str
    stored_content_type: str
    #: The version that was checked (None without versioning): the one downloads serve.
    version_id: str | None = None


def _from_pending(table: str, file_id: str, values: dict[str, Any]) -> dict[str, Any]:
    """A ``TransactWriteItems`` update of a pending file: ``values`` set, if still pending."""
    names = {f"#a{i}": name for i, name in enumerate(values)}
    sets = ", ".join(f"{placeholder} = :a{i}" for i, placeholder in enumerate(names))
    marshalled = {f":a{i}": marshal(value) for i, value in enumerate(values.values())}
    return {
        "Update": {
            "TableName": table,
            "Key": key(file_id),
            "UpdateExpression": f"SET {sets}",
            "ConditionExpression": "#status = :pending",
            "ExpressionAttributeNames": {**names, "#status": "status"},
            "ExpressionAttributeValues": {**marshalled, ":pending": marshal(PENDING)},
        }
    }


def mark_ready(table: str, file_id: str, checked: Checked, *, at: str) -> dict[str, Any]:
    """The update that records a checked upload as ready (a transaction item)."""
    values: dict[str, Any] = {
        "status": READY,
        "size": checked.size,
        "checksum": checked.checksum,
        "stored_content_type": checked.stored_content_type,
        "ready_at": at,
    }
    if checked.version_id:
        values["version_id"] = checked.version_id
    return _from_pending(table, file_id, values)


def mark_rejected(table: str, file_id: str, *, reason: str, size: int, at: str) -> dict[str, Any]:
    """The update that records an upload as rejected, and why (a transaction item)."""
    values = {"status": REJECTED, "reason": reason, "size": size, "rejected_at": at}
    return _from_pending(table, file_id, values)
