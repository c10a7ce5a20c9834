"""Implementation of :mod:`trellis.runtime.blobs` (import from there)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from trellis.runtime._errors import aws_errors

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

__all__ = [
    "MAX_PRESIGN_EXPIRY_S",
    "PresignedDownload",
    "PresignedPost",
    "delete_object",
    "presign_download",
    "presign_post",
]

#: SigV4 presigned URLs live at most 7 days; ours should live minutes.
MAX_PRESIGN_EXPIRY_S: Final = 7 * 24 * 3600


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class PresignedPost:
    """A browser-style upload: POST ``fields`` then the file as multipart form data to ``url``."""

    url: str
    fields: dict[str, str]
    expires_at: datetime


@dataclass(frozen=True)
class PresignedDownload:
    """A GET ``url`` that serves the object until ``expires_at``."""

    url: str
    expires_at: datetime


def _check_expiry(expires_s: int) -> None:
    if not 1 <= expires_s <= MAX_PRESIGN_EXPIRY_S:
        raise ValueError(f"expires_s must be within 1..{MAX_PRESIGN_EXPIRY_S}, got {expires_s}")


def presign_post(
    s3: S3Client,
    *,
    bucket: str,
    key: str,
    content_type: str,
    max_bytes: int,
    min_bytes: int = 1,
    expires_s: int = 300,
    clock: Callable[[], datetime] = _utcnow,
) -> PresignedPost:
    """A presigned POST for exactly ``key``, ``content_type`` and ``min_bytes..max_bytes``.

    The policy pins the key (``eq``, not ``starts-with``: the client cannot
    pick another path), the ``Content-Type`` and a ``content-length-range``;
    it expires after ``expires_s`` seconds.
    """
    _check_expiry(expires_s)
    if not 0 <= min_bytes <= max_bytes:
        raise ValueError(f"need 0 <= min_bytes <= max_bytes, got {min_bytes}..{max_bytes}")
    expires_at = clock() + timedelta(seconds=expires_s)
    # botocore adds the bucket and `{"key": key}` (an exact match) itself.
    conditions: list[Any] = [
        ["eq", "$Content-Type", content_type],
        ["content-length-range", min_bytes, max_bytes],
    ]
    with aws_errors("GeneratePresignedPost", bucket):
        signed = s3.generate_presigned_post(
            Bucket=bucket,
            Key=key,
            Fields={"Content-Type": content_type},
            Conditions=conditions,
            ExpiresIn=expires_s,
        )
    return PresignedPost(
        url=str(signed["url"]),
        fields={str(k): str(v) for k, v in signed["fields"].items()},
        expires_at=expires_at,
    )


def presign_download(
    s3: S3Client,
    *,
    bucket: str,
    key: str,
    expires_s: int = 300,
    filename: str | None = None,
    version_id: str | None = None,
    clock: Callable[[], datetime] = _utcnow,
) -> PresignedDownload:
    """A presigned GET of ``key``; with ``filename``, browsers save it under that name.

    With ``version_id`` the URL serves that version of the object and no
    other, even after the key is overwritten: pass the version that was
    checked. The signer then needs ``s3:GetObjectVersion`` (bucket ``read``).
    """
    _check_expiry(expires_s)
    params: dict[str, Any] = {"Bucket": bucket, "Key": key}
    if version_id is not None:
        params["VersionId"] = version_id
    if filename is not None:
        params["ResponseContentDisposition"] = _attachment(filename)
    expires_at = clock() + timedelta(seconds=expires_s)
    with aws_errors("GeneratePresignedUrl", bucket):
        url = s3.generate_presigned_url("get_object", Params=params, ExpiresIn=expires_s)
    return PresignedDownload(url=str(url), expires_at=expires_at)


def delete_object(s3: S3Client, *, bucket: str, key: str) -> None:
    """Delete ``key`` (idempotent: deleting an absent key succeeds, as in S3).

    In a versioned bucket this adds a delete marker; earlier versions are
    left to the bucket's lifecycle rules.
    """
    with aws_errors("DeleteObject", bucket):
        s3.delete_object(Bucket=bucket, Key=key)


def _attachment(filename: str) -> str:
    # RFC 6266: an ASCII fallback plus the UTF-8 name, so no header injection
    # and no mojibake whatever the user named the file.
    from urllib.parse import quote

    ascii_name = "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "_" for c in filename)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"
