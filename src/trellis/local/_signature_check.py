"""moto's SigV4 check of a JSON or query API call, without rebuilding the request in botocore.

With IAM enforced, moto verifies every call's signature by building a
botocore ``AWSRequest`` from the request and running botocore's signer over
it: about a fifth of a DynamoDB GetItem's time in the emulator (cProfile). For the
calls the AWS APIs other than S3 make — a POST (or GET) of ``/`` without a
query string and with a body of bytes — the canonical request botocore
builds from moto's inputs is short enough to write down, and this module
computes the same signature from the same inputs: the headers moto keeps
(those the client listed as signed), the payload hash botocore would take
(``X-Amz-Content-SHA256`` when it was signed, else the body's SHA-256), the
``X-Amz-Date`` moto reads. Any other request (S3, a path or query string to
canonicalise, a form moto passes as a dict, no signed ``Host``) goes through
moto's own check. ``tests/unit/test_signature_check.py`` compares both on a
battery of requests, forged ones included.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib
from typing import Any

from botocore.auth import SIGNED_HEADERS_BLACKLIST

from trellis.local import _sigv4

_BLACKLIST = frozenset(SIGNED_HEADERS_BLACKLIST)


def install() -> None:
    """Take the short path in moto's ``IAMRequest`` (the non-S3 check) where it applies."""
    access_control: Any = importlib.import_module("moto.iam.access_control")
    request_class = access_control.IAMRequest
    if getattr(request_class, "_trellis_signature", False):
        return
    original = request_class._calculate_signature

    def _calculate_signature(self: Any) -> str:
        computed = signature_of(self)
        return original(self) if computed is None else computed

    request_class._calculate_signature = _calculate_signature
    request_class._trellis_signature = True


def signature_of(request: Any) -> str | None:
    """The signature moto's ``_calculate_signature`` computes for ``request``, or None if not ours.

    ``request`` is moto's ``IAMRequest``: ``_method``, ``_path``, ``_body``,
    ``_data``, ``_headers``, ``_region``, ``_service`` and ``_access_key``.
    """
    body = request._body
    if request._path != "/" or not isinstance(body, bytes) or (not body and request._data):
        return None
    headers = request._headers
    authorization = headers["Authorization"]
    listed = authorization.partition("SignedHeaders=")[2].partition(",")[0].split(";")
    # moto keeps a header when its lowercased name is listed as given; botocore then
    # drops its blacklist and signs what is left, lowercased.
    kept: dict[str, list[str]] = {}
    timestamp = None
    content_sha256 = None
    for name, value in headers.items():
        lowered = name.lower()
        if lowered not in listed:
            continue
        if name == "X-Amz-Date":
            timestamp = value
        if lowered == "x-amz-content-sha256":
            content_sha256 = value
        if lowered not in _BLACKLIST:
            kept.setdefault(lowered, []).append(value)
    if timestamp is None or "host" not in kept:
        return None  # moto fails on these, or signs a host taken from a relative URL
    names = sorted(kept)
    lines = [request._method.upper(), "/", ""]
    for name in names:
        lines.append(f"{name}:{','.join(' '.join(v.split()) for v in kept[name])}")
    lines.append("")
    lines.append(";".join(names))
    lines.append(content_sha256 if content_sha256 is not None else hashlib.sha256(body).hexdigest())
    canonical = "\n".join(lines)
    scope = f"{timestamp[:8]}/{request._region}/{request._service}/aws4_request"
    to_sign = (
        f"{_sigv4.ALGORITHM}\n{timestamp}\n{scope}\n"
        f"{hashlib.sha256(canonical.encode('utf-8')).hexdigest()}"
    )
    secret = request._access_key.create_credentials().secret_key
    key = _sigv4.signing_key(secret, timestamp[:8], request._region, request._service)
    return hmac.digest(key, to_sign.encode("utf-8"), "sha256").hex()
