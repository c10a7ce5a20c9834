"""trellis.runtime.blobs: presigned POST policies and downloads, signed offline."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlparse

import boto3
import pytest
from botocore.config import Config

import trellis.runtime.blobs as blobs
from trellis.runtime import AccessDenied
from trellis.runtime.blobs import presign_download, presign_post

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def s3(**credentials: Any) -> Any:
    session = boto3.session.Session(region_name="us-east-1", **credentials)
    return session.client("s3", config=Config(signature_version="s3v4"))


@pytest.fixture
def signer() -> Any:
    return s3(aws_access_key_id="testing", aws_secret_access_key="testing")


def test_the_public_api_is_the_curated_export_list() -> None:
    assert sorted(blobs.__all__) == [
        "MAX_PRESIGN_EXPIRY_S",
        "PresignedDownload",
        "PresignedPost",
        "delete_object",
        "presign_download",
        "presign_post",
    ]


def test_a_presigned_post_pins_key_type_size_and_expiry(signer: Any) -> None:
    post = presign_post(
        signer,
        bucket="b",
        key="uploads/f1",
        content_type="image/png",
        max_bytes=500,
        expires_s=120,
        clock=lambda: NOW,
    )

    policy = json.loads(base64.b64decode(post.fields["policy"]))
    assert post.fields["key"] == "uploads/f1"
    assert post.fields["Content-Type"] == "image/png"
    assert {"bucket": "b"} in policy["conditions"]
    assert {"key": "uploads/f1"} in policy["conditions"]  # exact, not starts-with
    assert ["eq", "$Content-Type", "image/png"] in policy["conditions"]
    assert ["content-length-range", 1, 500] in policy["conditions"]
    assert post.expires_at == datetime(2026, 1, 2, 3, 6, 5, tzinfo=UTC)
    assert not any("starts-with" in json.dumps(c) for c in policy["conditions"])


@pytest.mark.parametrize("expires_s", [0, 8 * 24 * 3600])
def test_expiry_beyond_sigv4_limits_is_a_programming_error(signer: Any, expires_s: int) -> None:
    with pytest.raises(ValueError, match="expires_s"):
        presign_post(
            signer, bucket="b", key="k", content_type="text/plain", max_bytes=1, expires_s=expires_s
        )


def test_a_download_url_is_short_lived_and_names_the_file_safely(signer: Any) -> None:
    download = presign_download(
        signer,
        bucket="b",
        key="uploads/f1",
        expires_s=60,
        filename='résumé "final"\r\n.pdf',
        clock=lambda: NOW,
    )

    query = parse_qs(urlparse(download.url).query)
    assert query["X-Amz-Expires"] == ["60"]
    disposition = query["response-content-disposition"][0]
    assert "\r" not in disposition and "\n" not in disposition
    assert disposition.startswith('attachment; filename="r_sum_ _final___.pdf"')
    assert "filename*=UTF-8''r%C3%A9sum%C3%A9" in disposition


def test_a_download_of_a_version_signs_that_version(signer: Any) -> None:
    download = presign_download(signer, bucket="b", key="uploads/f1", version_id="v1/+=")
    assert parse_qs(urlparse(download.url).query)["versionId"] == ["v1/+="]
    latest = presign_download(signer, bucket="b", key="uploads/f1")
    assert "versionId" not in parse_qs(urlparse(latest.url).query)


def test_signing_without_credentials_is_access_denied(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")

    with pytest.raises(AccessDenied):
        presign_download(s3(), bucket="b", key="k")
