"""The api through `trellis dev`'s gateway: users, and a real presigned upload that becomes ready.

Only HTTP, as a client sees the stack: the api runs behind the gateway as a
Lambda function; the upload goes straight to the emulator's S3 with the
presigned POST; the bucket notifies the jobs queue and the worker marks the
file ready.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from trellis.testing import DevProcess, wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def dev(request: pytest.FixtureRequest) -> Iterator[DevProcess]:
    root = Path(__file__).resolve().parents[2]
    process = DevProcess(root / "trellis.toml").start()
    try:
        yield process
    finally:
        status = process.stop()
        if status != 0:
            print(process.output()[-3000:])


@pytest.fixture
def api(dev: DevProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{dev.base_url}/api", timeout=15, headers=dev.bearer()) as client:
        yield client


def test_users_round_trip_through_the_gateway(api: httpx.Client) -> None:
    created = api.post(
        "/users", json={"user_id": "e2e-ada", "name": "Ada", "email": "ada@e2e.example"}
    )
    assert created.status_code == 201, created.text
    user = created.json()

    assert api.get("/users/e2e-ada").json() == user
    duplicate = api.post(
        "/users", json={"user_id": "e2e-bob", "name": "Bob", "email": "ADA@e2e.example"}
    )
    assert duplicate.status_code == 409
    assert duplicate.json()["error"]["code"] == "email_taken"
    assert duplicate.json()["error"]["request_id"] == duplicate.headers["x-request-id"]

    renamed = api.patch("/users/e2e-ada", json={"name": "Countess", "version": user["version"]})
    assert renamed.status_code == 200 and renamed.json()["version"] == user["version"] + 1
    stale = api.patch("/users/e2e-ada", json={"name": "Lost", "version": user["version"]})
    assert stale.status_code == 409

    listed = api.get("/users", params={"limit": 100}).json()
    assert "e2e-ada" in [u["user_id"] for u in listed["items"]]
    assert api.get("/users", params={"cursor": "bogus"}).status_code == 400

    assert api.delete("/users/e2e-ada").status_code == 204
    assert api.get("/users/e2e-ada").status_code == 404


def _upload(api: httpx.Client, body: bytes, content_type: str, size: int) -> dict[str, Any]:
    created = api.post(
        "/files", json={"filename": "report.txt", "content_type": content_type, "size": size}
    )
    assert created.status_code == 201, created.text
    file: dict[str, Any] = created.json()
    upload = file["upload"]
    sent = httpx.post(
        upload["url"],
        data=upload["fields"],
        files={"file": ("report.txt", body, content_type)},
        timeout=15,
    )
    assert sent.status_code in (200, 201, 204), sent.text
    return file


def test_a_presigned_upload_is_recorded_pending(api: httpx.Client) -> None:
    file = _upload(api, b"quarterly numbers\n", "text/plain", 18)
    file_id = file["file"]["file_id"]

    seen = api.get(f"/files/{file_id}")

    assert seen.status_code == 200
    assert seen.json()["status"] in ("pending", "ready")
    assert file_id in [
        f["file_id"] for f in api.get("/files", params={"limit": 100}).json()["items"]
    ]
    refused = api.post(
        "/files", json={"filename": "x.exe", "content_type": "application/x-msdownload", "size": 1}
    )
    assert refused.status_code == 422


def test_an_uploaded_file_becomes_ready_with_checksum_and_a_working_download(
    api: httpx.Client,
) -> None:
    body = b"hello from the e2e test\n"
    file = _upload(api, body, "text/plain", len(body))
    file_id = file["file"]["file_id"]

    ready = wait_until(
        lambda: _ready(api, file_id),
        timeout_s=30,
        interval_s=0.2,
        what=f"file {file_id} to become ready (the worker handles the S3 event)",
    )

    assert ready["size"] == len(body)
    assert ready["checksum"] == "sha256:" + hashlib.sha256(body).hexdigest()
    assert ready["stored_content_type"] == "text/plain"
    download = httpx.get(ready["download_url"], timeout=15)
    assert download.status_code == 200 and download.content == body

    assert api.delete(f"/files/{file_id}").status_code == 204
    assert api.get(f"/files/{file_id}").status_code == 404


def test_bytes_replaced_after_validation_are_never_served_as_the_file(api: httpx.Client) -> None:
    body = b"the bytes the worker checked\n"
    file = _upload(api, body, "text/plain", len(body))
    file_id = file["file"]["file_id"]
    wait_until(
        lambda: _ready(api, file_id), timeout_s=30, interval_s=0.2, what="the file to be ready"
    )

    # The upload form is valid for minutes: whoever holds it can post other bytes to the key.
    upload = file["upload"]
    other = b"something else entirely!!!!!\n"
    assert len(other) == len(body)
    again = httpx.post(
        upload["url"], data=upload["fields"], files={"file": ("x.txt", other, "text/plain")}
    )
    assert again.status_code in (200, 201, 204), again.text

    ready = api.get(f"/files/{file_id}").json()
    assert ready["status"] == "ready"
    assert ready["checksum"] == "sha256:" + hashlib.sha256(body).hexdigest()
    download = httpx.get(ready["download_url"], timeout=15)
    assert download.status_code == 200
    assert download.content == body


def _ready(api: httpx.Client, file_id: str) -> dict[str, Any] | None:
    file: dict[str, Any] = api.get(f"/files/{file_id}").json()
    assert file["status"] != "rejected", file
    return file if file["status"] == "ready" else None
