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
``X-Amz-Date`` moto reads. S3 calls (moto's ``S3IAMRequest``) take the same
short path: S3's signer does not normalise the path, takes the query string
as the URL gives it, sorted, and signs the ``X-Amz-Content-SHA256`` an SDK
always sends. Any other request (a path or query string to canonicalise for
the other APIs, a form moto passes as a dict, no signed ``Host``, an S3 call
without a signed content hash) goes through moto's own check.
``tests/unit/test_signature_check.py`` compares both on a battery of
requests, forged ones included.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from botocore.auth import SIGNED_HEADERS_BLACKLIST

from trellis.local import _sigv4

_BLACKLIST = frozenset(SIGNED_HEADERS_BLACKLIST)


def install() -> None:
    """Take the short path in moto's ``IAMRequest`` and ``S3IAMRequest`` where it applies."""
    access_control: Any = importlib.import_module("moto.iam.access_control")
    for request_class, short in (
        (access_control.IAMRequest, signature_of),
        (access_control.S3IAMRequest, s3_signature_of),
    ):
        if getattr(request_class, "_trellis_signature", False):
            continue
        _take_short_path(request_class, short)


def _take_short_path(request_class: Any, short: Callable[[Any], str | None]) -> None:
    original = request_class._calculate_signature

    def _calculate_signature(self: Any) -> str:
        computed = short(self)
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
    return _signature(request, "/", "", body)


def s3_signature_of(request: Any) -> str | None:
    """What moto computes for an ``S3IAMRequest`` (botocore's ``S3SigV4Auth``), or None.

    Its ``_path`` is the raw path and query string; the signer takes the path as it is
    and the query's ``key=value`` pairs as written, sorted.
    """
    path = request._path
    if not isinstance(path, str) or path.startswith("//") or "#" in path:
        return None  # urlsplit would read a host or a fragment out of it: moto's
    parts = urlsplit(path)
    query = ""
    if parts.query:
        pairs = sorted(pair.partition("=")[::2] for pair in parts.query.split("&"))
        query = "&".join(f"{key}={value}" for key, value in pairs)
    return _signature(request, parts.path, query, None)


def _signature(request: Any, path: str, query: str, body: bytes | None) -> str | None:
    """The SigV4 signature over the headers moto keeps; ``body`` None: S3's signed hash only."""
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
    if content_sha256 is None:
        if body is None:
            return None  # S3's signer would hash a body moto may hold as a form: moto's
        content_sha256 = hashlib.sha256(body).hexdigest()
    names = sorted(kept)
    lines = [request._method.upper(), path, query]
    for name in names:
        lines.append(f"{name}:{','.join(' '.join(v.split()) for v in kept[name])}")
    lines.append("")
    lines.append(";".join(names))
    lines.append(content_sha256)
    canonical = "\n".join(lines)
    scope = f"{timestamp[:8]}/{request._region}/{request._service}/aws4_request"
    to_sign = (
        f"{_sigv4.ALGORITHM}\n{timestamp}\n{scope}\n"
        f"{hashlib.sha256(canonical.encode('utf-8')).hexdigest()}"
    )
    secret = request._access_key.create_credentials().secret_key
    key = _sigv4.signing_key(secret, timestamp[:8], request._region, request._service)
    return hmac.digest(key, to_sign.encode("utf-8"), "sha256").hex()
