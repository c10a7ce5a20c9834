"""Signature Version 4 as S3 verifies it: the canonical request, the signing key, the scope.

moto checks SigV4 only in the ``Authorization`` header, by re-signing the
request with botocore. Presigned URLs, presigned POST policies and the
emulator's own API (``/moto-api/``) need the same check from the server's
side; botocore's signers cannot do it (they take the time from the clock, and
rewrite the request as they sign it), so this is the algorithm itself:
https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
and ``sigv4-query-string-auth.html``.

Only standard-library work per request: a few HMACs and one SHA-256.
"""

from __future__ import annotations

import calendar
import functools
import hashlib
import hmac
import re
from collections.abc import Callable
from typing import NamedTuple
from urllib.parse import quote, unquote

ALGORITHM = "AWS4-HMAC-SHA256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
#: Presigned URLs live at most seven days (S3's limit).
MAX_EXPIRES_S = 604_800
#: How far a signing clock may run ahead of ours (S3 allows 15 minutes of skew).
MAX_SKEW_S = 900


class Scope(NamedTuple):
    """``<key id>/<yyyymmdd>/<region>/<service>/aws4_request``, as a credential names it."""

    key_id: str
    date: str
    region: str
    service: str

    @classmethod
    def parse(cls, credential: str) -> Scope | None:
        parts = credential.split("/")
        if len(parts) != 5 or parts[4] != "aws4_request" or not all(parts[:4]):
            return None
        return cls(parts[0], parts[1], parts[2], parts[3])

    @property
    def text(self) -> str:
        """The credential scope without the key id (what the string to sign carries)."""
        return f"{self.date}/{self.region}/{self.service}/aws4_request"


_AMZ_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z")
_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*")


def parse_amz_date(text: str) -> float | None:
    """Seconds since the epoch of an ``X-Amz-Date`` (``20261201T083000Z``), or None.

    A regular expression, not ``time.strptime``: that was a third of a presigned
    request's check.
    """
    match = _AMZ_DATE.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(g) for g in match.groups())
    if not (1 <= month <= 12 and 1 <= day <= 31 and hour < 24 and minute < 60 and second < 61):
        return None
    return float(calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0)))


def canonical_uri(raw_path: str) -> str:
    """S3's canonical URI: each character encoded once, whatever the client left unencoded.

    S3 (unlike the other services) neither normalises the path nor encodes it twice.
    """
    return quote(unquote(raw_path), safe="/~")


def query_pairs(raw_query: str) -> list[tuple[str, str]]:
    """The decoded ``(name, value)`` pairs of a raw query string, in order."""
    pairs = []
    for part in raw_query.split("&"):
        if part:
            name, _, value = part.partition("=")
            pairs.append((unquote(name), unquote(value)))
    return pairs


def _encode(text: str) -> str:
    return text if _UNRESERVED.fullmatch(text) else quote(text, safe="-_.~")


def canonical_query(pairs: list[tuple[str, str]], *, without: str = "") -> str:
    """The canonical query string of decoded pairs, leaving out parameter ``without``."""
    encoded = sorted((_encode(n), _encode(v)) for n, v in pairs if n != without)
    return "&".join(f"{name}={value}" for name, value in encoded)


def canonical_request(
    method: str,
    raw_path: str,
    query: str,
    signed_headers: str,
    header: Callable[[str], str | None],
    payload_hash: str,
) -> str:
    """The canonical request; ``header(name)`` gives a request header's value (or None)."""
    lines = [method.upper(), canonical_uri(raw_path), query]
    for name in signed_headers.split(";"):
        value = header(name) or ""
        lines.append(f"{name}:{' '.join(value.split())}")
    lines.append("")
    lines.append(signed_headers)
    lines.append(payload_hash)
    return "\n".join(lines)


@functools.lru_cache(maxsize=256)
def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    # Four HMACs that change once a day per key: remembered, as SDKs do.
    key = hmac.digest(f"AWS4{secret}".encode(), date.encode(), "sha256")
    for part in (region, service, "aws4_request"):
        key = hmac.digest(key, part.encode(), "sha256")
    return key


def signature(secret: str, scope: Scope, string_to_sign: str) -> str:
    key = signing_key(secret, scope.date, scope.region, scope.service)
    return hmac.digest(key, string_to_sign.encode("utf-8"), "sha256").hex()


def string_to_sign(amz_date: str, scope: Scope, request: str) -> str:
    digest = hashlib.sha256(request.encode("utf-8")).hexdigest()
    return f"{ALGORITHM}\n{amz_date}\n{scope.text}\n{digest}"


def matches(expected: str, given: str) -> bool:
    """Compare signatures in constant time (a local emulator, but the habit costs nothing)."""
    return hmac.compare_digest(expected.encode(), given.encode())


def authorization_fields(header: str) -> dict[str, str] | None:
    """``Credential``, ``SignedHeaders`` and ``Signature`` of a SigV4 Authorization header."""
    algorithm, _, rest = header.strip().partition(" ")
    if algorithm != ALGORITHM:
        return None
    fields = {}
    for item in rest.split(","):
        name, _, value = item.strip().partition("=")
        fields[name] = value
    if not {"Credential", "SignedHeaders", "Signature"} <= fields.keys():
        return None
    return fields
