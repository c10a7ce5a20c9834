"""Files: metadata in the ``files`` table, content in the ``uploads`` bucket.

The api never sees a file's bytes. ``create`` validates the declared type and
size, records the file as ``pending`` and signs a POST policy for exactly
``uploads/<file_id>``; the client uploads straight to S3. S3 notifies the
``jobs`` queue, and the worker moves the item from ``pending`` to ``ready``
(with ``size``, ``checksum``, ``stored_content_type``, ``ready_at`` and the
``version_id`` it checked) or to ``rejected`` (with ``reason``), with a
conditional update on the same item. Downloads are signed for that version:
bytes posted to the key later (the upload form stays valid until it expires)
are never served as the file.

The ``files`` table's item layout is :mod:`file_records` (the worker records its
side through it too). Listing uses the GSI ``by_created`` exactly as users do.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, Protocol

import file_records
from api.models import FileCreate
from api.settings import UploadPolicy
from api.users import timestamp, utcnow
from trellis.runtime import Conflict, NotFound, Unprocessable, aws_errors
from trellis.runtime.blobs import PresignedPost, delete_object, presign_download, presign_post
from trellis.runtime.tables import (
    CursorCodec,
    Page,
    marshal_item,
    put_new_item,
    query_page,
    unmarshal_item,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client

_PUBLIC_FIELDS: Final = (
    "file_id",
    "status",
    "filename",
    "content_type",
    "max_bytes",
    "created_at",
    "size",
    "checksum",
    "stored_content_type",
    "ready_at",
    "reason",
)

CURSOR = CursorCodec(
    {"file_id": "S", "list_pk": "S", "list_sk": "S"},
    fixed={"list_pk": {"S": file_records.LIST_PARTITION}},
)


class FileNotFound(NotFound):
    default_message = "file not found"


class FileStore(Protocol):
    """What the routes need from a files store (the AWS one, or a fake in tests)."""

    def create(self, new: FileCreate) -> tuple[dict[str, Any], PresignedPost]: ...
    def get(self, file_id: str) -> dict[str, Any]: ...
    def delete(self, file_id: str) -> None: ...
    def list(self, limit: int, cursor: str | None) -> Page: ...


def check_upload(new: FileCreate, policy: UploadPolicy) -> str:
    """The normalised content type, or :class:`Unprocessable` naming the field at fault."""
    content_type = new.content_type.lower()
    problems = []
    if content_type not in policy.content_types:
        allowed = ", ".join(sorted(policy.content_types))
        problems.append(
            {"loc": ["body", "content_type"], "message": f"content type not allowed ({allowed})"}
        )
    if new.size > policy.max_bytes:
        problems.append(
            {"loc": ["body", "size"], "message": f"file larger than {policy.max_bytes} bytes"}
        )
    if problems:
        raise Unprocessable("upload not allowed", detail={"fields": problems})
    return content_type


def public(item: dict[str, Any]) -> dict[str, Any]:
    return {name: item.get(name) for name in _PUBLIC_FIELDS}


class FilesRepository:
    """File records in DynamoDB and their objects in S3."""

    def __init__(
        self,
        dynamodb: DynamoDBClient,
        s3: S3Client,
        *,
        table_name: str,
        bucket: str,
        policy: UploadPolicy,
        clock: Callable[[], datetime] = utcnow,
        new_id: Callable[[], str] = lambda: uuid.uuid4().hex,
    ) -> None:
        self._db = dynamodb
        self._s3 = s3
        self._table = table_name
        self._bucket = bucket
        self._policy = policy
        self._clock = clock
        self._new_id = new_id

    def create(self, new: FileCreate) -> tuple[dict[str, Any], PresignedPost]:
        """Record a pending file and sign its upload (nothing is signed for a refused one)."""
        content_type = check_upload(new, self._policy)
        file_id = self._new_id()
        item = file_records.new_file(
            file_id,
            filename=new.filename,
            content_type=content_type,
            max_bytes=new.size,
            created_at=timestamp(self._clock()),
        )
        # Recorded before signing: the object-created event always finds its item.
        # A retried put that meets its own record is not a conflict (put_new_item).
        put_new_item(self._db, self._table, marshal_item(item), key="file_id")
        upload = presign_post(
            self._s3,
            bucket=self._bucket,
            key=item["key"],
            content_type=content_type,
            max_bytes=new.size,
            expires_s=self._policy.upload_expiry_s,
            clock=self._clock,
        )
        return public(item), upload

    def get(self, file_id: str) -> dict[str, Any]:
        """The file's metadata, with a short-lived download URL once it is ready."""
        item = self._get_item(file_id)
        if item is None:
            raise FileNotFound()
        file = public(item)
        if item.get("status") == file_records.READY:
            download = presign_download(
                self._s3,
                bucket=self._bucket,
                key=item["key"],
                filename=item.get("filename"),
                # Without a version (a bucket without versioning) the link serves the key's latest bytes.
                version_id=item.get("version_id"),
                expires_s=self._policy.download_expiry_s,
                clock=self._clock,
            )
            file.update(download_url=download.url, download_expires_at=download.expires_at)
        return file

    def list(self, limit: int, cursor: str | None) -> Page:
        """One page of files in creation order; ``limit + 1`` items read at most."""
        page = query_page(
            self._db,
            table_name=self._table,
            index_name=file_records.LIST_INDEX,
            partition=("list_pk", file_records.LIST_PARTITION),
            codec=CURSOR,
            limit=limit,
            cursor=cursor,
        )
        return Page([public(i) for i in page.items], page.next_cursor, page.scanned_count)

    def delete(self, file_id: str) -> None:
        """Delete the object, then the record (a failed object delete leaves it retryable)."""
        item = self._get_item(file_id)
        if item is None:
            raise FileNotFound()
        delete_object(self._s3, bucket=self._bucket, key=item["key"])
        try:
            with aws_errors("DeleteItem", self._table):
                self._db.delete_item(
                    TableName=self._table,
                    Key=file_records.key(file_id),
                    ConditionExpression="attribute_exists(file_id)",
                )
        except Conflict as exc:
            raise FileNotFound() from exc  # deleted by a concurrent request

    def _get_item(self, file_id: str) -> dict[str, Any] | None:
        with aws_errors("GetItem", self._table):
            response = self._db.get_item(
                TableName=self._table, Key=file_records.key(file_id), ConsistentRead=True
            )
        item = response.get("Item")
        return unmarshal_item(item) if item else None
