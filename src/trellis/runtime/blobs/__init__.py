"""S3 helpers for services: presigned uploads and downloads, deletes.

Uploads never pass through a service (Lambda's synchronous payload stops at
6 MB): the service signs a POST policy that lets the client send one object
straight to S3, under a key the *server* chose, with the content type and
size range the policy pins, for a few minutes. Downloads are short-lived
presigned GETs. Presigning is local computation (no request to S3), but it
needs credentials, so missing credentials surface as
:class:`~trellis.runtime.AccessDenied` like any other AWS error.

S3 does enforce a POST policy's conditions; emulators may not (moto does
not), so whoever processes the object-created event must check size and
content type again.
"""

from __future__ import annotations

from trellis.runtime.blobs._s3 import (
    MAX_PRESIGN_EXPIRY_S,
    PresignedDownload,
    PresignedPost,
    delete_object,
    presign_download,
    presign_post,
)

__all__ = [
    "MAX_PRESIGN_EXPIRY_S",
    "PresignedDownload",
    "PresignedPost",
    "delete_object",
    "presign_download",
    "presign_post",
]
