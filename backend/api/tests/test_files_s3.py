"""The files repository against the emulator: records, real presigned uploads, downloads."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import httpx
import pytest
from backend.api.tests.helpers import Stack

from api.files import FileNotFound, FilesRepository
from api.models import FileCreate
from api.settings import UploadPolicy
from trellis.runtime import AwsClients, Unprocessable
from trellis.testing import AnswerDroppingProxy

pytestmark = pytest.mark.integration

POLICY = UploadPolicy(max_bytes=1024, content_types=frozenset({"text/plain", "image/png"}))


def repo(stack: Stack) -> FilesRepository:
    return FilesRepository(
        stack.clients.dynamodb,
        stack.clients.s3,
        table_name=stack.settings.files_table_name,
        bucket=stack.settings.uploads_bucket_name,
        policy=POLICY,
    )


def mark_ready(
    stack: Stack, file_id: str, body: bytes, content_type: str, version_id: str | None = None
) -> None:
    """What the worker does on the object-created event (the contract it implements)."""
    values = {
        ":ready": {"S": "ready"},
        ":pending": {"S": "pending"},
        ":size": {"N": str(len(body))},
        ":sum": {"S": "sha256:" + hashlib.sha256(body).hexdigest()},
        ":ct": {"S": content_type},
        ":at": {"S": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")},
    }
    update = (
        "SET #s = :ready, #size = :size, checksum = :sum, stored_content_type = :ct, ready_at = :at"
    )
    if version_id is not None:
        update += ", version_id = :v"
        values[":v"] = {"S": version_id}
    stack.admin("dynamodb").update_item(
        TableName=stack.settings.files_table_name,
        Key={"file_id": {"S": file_id}},
        UpdateExpression=update,
        ConditionExpression="attribute_exists(file_id) AND #s = :pending",
        ExpressionAttributeNames={"#s": "status", "#size": "size"},  # reserved words
        ExpressionAttributeValues=values,
    )


def test_a_presigned_post_uploads_to_the_server_chosen_key(stack: Stack) -> None:
    files = repo(stack)
    body = b"hello, world\n"

    file, upload = files.create(
        FileCreate(filename="hello.txt", content_type="Text/Plain", size=13)
    )

    assert file["status"] == "pending" and file["content_type"] == "text/plain"
    assert upload.fields["key"] == f"uploads/{file['file_id']}"
    response = httpx.post(
        upload.url, data=upload.fields, files={"file": ("ignored.txt", body, "text/plain")}
    )
    assert response.status_code in (200, 201, 204), response.text
    stored = stack.admin("s3").get_object(
        Bucket=stack.settings.uploads_bucket_name, Key=upload.fields["key"]
    )
    assert stored["Body"].read() == body
    assert stored["ContentType"] == "text/plain"


def test_pending_then_ready_with_a_download_url_that_serves_the_object(stack: Stack) -> None:
    files = repo(stack)
    body = b"\x89PNG fake"
    file, upload = files.create(FileCreate(filename="pic.png", content_type="image/png", size=9))
    httpx.post(upload.url, data=upload.fields, files={"file": ("pic.png", body, "image/png")})

    pending = files.get(file["file_id"])
    assert pending["status"] == "pending" and "download_url" not in pending

    mark_ready(stack, file["file_id"], body, "image/png")
    ready = files.get(file["file_id"])

    assert ready["status"] == "ready"
    assert ready["size"] == 9
    assert ready["checksum"] == "sha256:" + hashlib.sha256(body).hexdigest()
    assert ready["download_expires_at"] > datetime.now(UTC)
    download = httpx.get(ready["download_url"])
    assert download.status_code == 200 and download.content == body
    assert 'filename="pic.png"' in download.headers["content-disposition"]


def test_the_download_link_serves_the_validated_version_after_the_key_is_overwritten(
    stack: Stack,
) -> None:
    files = repo(stack)
    original = b"checked bytes"
    file, upload = files.create(FileCreate(filename="a.txt", content_type="text/plain", size=13))
    httpx.post(upload.url, data=upload.fields, files={"file": ("a.txt", original, "text/plain")})
    s3 = stack.admin("s3")
    bucket, key = stack.settings.uploads_bucket_name, upload.fields["key"]
    checked = s3.head_object(Bucket=bucket, Key=key)["VersionId"]
    mark_ready(stack, file["file_id"], original, "text/plain", version_id=checked)
    # The upload form is still valid: the same POST replaces the bytes under the key.
    replaced = httpx.post(
        upload.url, data=upload.fields, files={"file": ("a.txt", b"other bytes!!", "text/plain")}
    )
    assert replaced.status_code in (200, 201, 204)
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"other bytes!!"

    download = httpx.get(files.get(file["file_id"])["download_url"])

    assert download.status_code == 200
    assert download.content == original


def test_disallowed_type_or_oversize_is_refused_and_nothing_is_recorded(stack: Stack) -> None:
    files = repo(stack)

    with pytest.raises(Unprocessable) as exc:
        files.create(FileCreate(filename="x.exe", content_type="application/x-msdos", size=2048))

    fields = {tuple(f["loc"]) for f in exc.value.detail["fields"]}  # type: ignore[index]
    assert fields == {("body", "content_type"), ("body", "size")}
    assert files.list(10, None).items == []


def test_delete_removes_object_and_record(stack: Stack) -> None:
    files = repo(stack)
    file, upload = files.create(FileCreate(filename="a.txt", content_type="text/plain", size=1))
    httpx.post(upload.url, data=upload.fields, files={"file": ("a.txt", b"a", "text/plain")})

    files.delete(file["file_id"])

    with pytest.raises(FileNotFound):
        files.get(file["file_id"])
    with pytest.raises(FileNotFound):
        files.delete(file["file_id"])
    listed = stack.admin("s3").list_objects_v2(
        Bucket=stack.settings.uploads_bucket_name, Prefix="uploads/"
    )
    assert listed.get("KeyCount", 0) == 0


def test_files_page_in_creation_order_without_skips_or_repeats(stack: Stack) -> None:
    files = repo(stack)
    ids = [
        files.create(FileCreate(filename=f"{i}.txt", content_type="text/plain", size=1))[0][
            "file_id"
        ]
        for i in range(7)
    ]

    seen: list[str] = []
    cursor = None
    while True:
        page = files.list(3, cursor)
        assert page.scanned_count <= 4
        seen += [f["file_id"] for f in page.items]
        if (cursor := page.next_cursor) is None:
            break

    assert seen == ids


def test_a_file_whose_record_answer_was_lost_is_not_a_conflict(stack: Stack) -> None:
    # The SDK sends the PutItem again after losing its answer: the record it meets is its own.
    with AnswerDroppingProxy(stack.emulator.endpoint) as proxy:
        settings = stack.settings.model_copy(update={"aws_endpoint_url": proxy.endpoint})
        clients = AwsClients(settings)
        files = FilesRepository(
            clients.dynamodb,
            clients.s3,
            table_name=settings.files_table_name,
            bucket=settings.uploads_bucket_name,
            policy=POLICY,
        )
        proxy.drop_next("PutItem")

        created, _upload = files.create(
            FileCreate(filename="a.txt", content_type="text/plain", size=3)
        )

        assert proxy.seen.count("PutItem") == 2
    assert repo(stack).get(created["file_id"])["status"] == "pending"
