"""HTTP request ⇄ API Gateway REST (payload v1) proxy event, as API Gateway builds them.

A service deployed behind the ``/<route>/{proxy+}`` resource of a REST API
receives exactly this shape, so a Lambda service runs the deployed code path
when ``trellis dev`` calls its handler with it.
"""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/x-www-form-urlencoded")


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def build_event(
    *,
    method: str,
    path: str,
    query_string: bytes,
    headers: Iterable[tuple[str, str]],
    body: bytes,
    route: str,
    stage: str,
    source_ip: str = "127.0.0.1",
    account_id: str = "123456789012",
    authorizer: dict[str, Any] | None = None,
    identity: dict[str, str] | None = None,
) -> dict[str, object]:
    """The proxy event API Gateway sends for ``method path`` under resource ``route/{proxy+}``.

    ``authorizer`` is what a Lambda authorizer returned (``principalId`` and its
    context: ``jwt`` routes); ``identity`` adds the caller fields API Gateway sets
    for ``iam`` (``userArn``, ``accessKey``, ...) and ``api_key`` (``apiKeyId``) routes.
    """
    header_list = list(headers)
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for key, value in header_list:
        # API Gateway keeps the last value in `headers` and all of them in `multiValueHeaders`.
        single[key] = value
        multi.setdefault(key, []).append(value)
    query_pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    query: dict[str, str] = {}
    multi_query: dict[str, list[str]] = {}
    for key, value in query_pairs:
        query[key] = value
        multi_query.setdefault(key, []).append(value)
    proxy = path[len(route) :].lstrip("/") if path.startswith(route) else path.lstrip("/")
    content_type = single.get("content-type", single.get("Content-Type", ""))
    is_text = not body or (content_type.startswith(_TEXT_TYPES) and _is_utf8(body))
    request_id = str(uuid.uuid4())
    now_ms = int(time.time() * 1000)
    return {
        "resource": f"{route}/{{proxy+}}",
        "path": path,
        "httpMethod": method,
        "headers": single or None,
        "multiValueHeaders": multi or None,
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": {"proxy": proxy} if proxy else None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": f"{route}/{{proxy+}}",
            "httpMethod": method,
            # The path the client used: trellis dev's URLs have no stage segment (the
            # runtime builds self-links from it: /worker/jobs/<id> here, /live/... in AWS).
            "path": path,
            "stage": stage,
            "requestId": request_id,
            "extendedRequestId": request_id,
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime()),
            "requestTimeEpoch": now_ms,
            "accountId": account_id,
            "apiId": "local",
            "protocol": "HTTP/1.1",
            "domainName": single.get("host", "localhost"),
            "identity": {
                "sourceIp": source_ip,
                "userAgent": single.get("user-agent", ""),
                **(identity or {}),
            },
            **({"authorizer": authorizer} if authorizer is not None else {}),
        },
        "body": (body.decode() if is_text else base64.b64encode(body).decode()) if body else None,
        "isBase64Encoded": bool(body) and not is_text,
    }


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def parse_result(result: object) -> HttpResponse:
    """Turn a Lambda proxy result into an HTTP response; a malformed one is a 502, as on AWS."""
    if not isinstance(result, dict) or not isinstance(result.get("statusCode"), int):
        return HttpResponse(
            502, [("content-type", "application/json")], b'{"message": "Internal server error"}'
        )
    headers: list[tuple[str, str]] = []
    multi = result.get("multiValueHeaders") or {}
    for key, values in multi.items():
        headers.extend((key.lower(), str(v)) for v in values)
    for key, value in (result.get("headers") or {}).items():
        if key not in multi:
            headers.append((key.lower(), str(value)))
    raw = result.get("body") or ""
    body = base64.b64decode(raw) if result.get("isBase64Encoded") else str(raw).encode()
    return HttpResponse(int(result["statusCode"]), headers, body)
