"""The local API gateway: one port, ``/<route>/...`` → the service that owns the route.

Lambda services get an API Gateway REST proxy event through their real
handler; container services get the request over HTTP with the route prefix
stripped, as a ``{proxy}`` HTTP integration forwards it. The gateway answers
the way API Gateway does when the backend fails: 502 for a function error,
504 for a timeout, 413 for a payload over Lambda's 6 MB synchronous limit.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from trellis.local.apigw import HttpResponse, build_event, parse_result
from trellis.local.services import LambdaFunction

#: Lambda's synchronous invocation payload limit (the event carries the body).
LAMBDA_PAYLOAD_LIMIT = 6 * 1024 * 1024
#: API Gateway REST API payload limit.
API_PAYLOAD_LIMIT = 10 * 1024 * 1024

Scope = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[dict[str, Any]], Any]


@dataclass(frozen=True)
class Route:
    prefix: str
    service: str
    function: LambdaFunction | None = None
    base_url: str | None = None

    def matches(self, path: str) -> bool:
        return path == self.prefix or path.startswith(self.prefix + "/")


class Gateway:
    """An ASGI app routing by longest prefix; serve it with uvicorn."""

    def __init__(self, routes: list[Route], *, stage: str, log: Callable[[str, str], None]) -> None:
        self.routes = sorted(routes, key=lambda r: len(r.prefix), reverse=True)
        self.stage = stage
        self.log = log
        self._http = httpx.AsyncClient(timeout=httpx.Timeout(30.0, connect=2.0))

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        if scope["type"] != "http":
            return
        started = time.perf_counter()
        response = await self._handle(scope, receive)
        await send(
            {
                "type": "http.response.start",
                "status": response.status,
                "headers": [(k.encode(), v.encode()) for k, v in response.headers],
            }
        )
        await send({"type": "http.response.body", "body": response.body})
        elapsed = (time.perf_counter() - started) * 1000
        self.log("gateway", f"{scope['method']} {scope['path']} {response.status} {elapsed:.0f}ms")

    async def _handle(self, scope: Scope, receive: Receive) -> HttpResponse:
        path: str = scope["path"]
        route = next((r for r in self.routes if r.matches(path)), None)
        if route is None:
            return _error(404, "not_found", f"no service serves {path}")
        limit = LAMBDA_PAYLOAD_LIMIT if route.function else API_PAYLOAD_LIMIT
        body = await _read_body(receive, limit)
        if body is None:
            return _error(
                413,
                "payload_too_large",
                f"request body is over the {limit // (1024 * 1024)} MB limit",
            )
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        if route.function is not None:
            return await self._invoke(route.function, route, scope, headers, body)
        return await self._proxy(route, scope, headers, body)

    async def _invoke(
        self,
        fn: LambdaFunction,
        route: Route,
        scope: Scope,
        headers: list[tuple[str, str]],
        body: bytes,
    ) -> HttpResponse:
        client = scope.get("client") or ("127.0.0.1", 0)
        event = build_event(
            method=scope["method"],
            path=scope["path"],
            query_string=scope.get("query_string", b""),
            headers=headers,
            body=body,
            route=route.prefix,
            stage=self.stage,
            source_ip=client[0],
        )
        result = await fn.invoke(event)
        if result.timed_out:
            return HttpResponse(
                504,
                [("content-type", "application/json")],
                b'{"message": "Endpoint request timed out"}',
            )
        if not result.ok:
            return HttpResponse(
                502, [("content-type", "application/json")], b'{"message": "Internal server error"}'
            )
        return parse_result(result.payload)

    async def _proxy(
        self, route: Route, scope: Scope, headers: list[tuple[str, str]], body: bytes
    ) -> HttpResponse:
        assert route.base_url is not None
        rest = scope["path"][len(route.prefix) :] or "/"
        url = f"{route.base_url}{rest}"
        forwarded = [
            (k, v) for k, v in headers if k.lower() not in {"host", "content-length", "connection"}
        ]
        forwarded.append(("x-forwarded-prefix", route.prefix))
        try:
            resp = await self._http.request(
                scope["method"],
                url,
                params=scope.get("query_string", b"").decode("latin-1"),
                headers=forwarded,
                content=body,
            )
        except httpx.TimeoutException:
            return HttpResponse(
                504,
                [("content-type", "application/json")],
                b'{"message": "Endpoint request timed out"}',
            )
        except httpx.TransportError:
            return HttpResponse(
                502, [("content-type", "application/json")], b'{"message": "Internal server error"}'
            )
        skip = {"content-length", "transfer-encoding", "connection", "content-encoding"}
        return HttpResponse(
            resp.status_code,
            [(k, v) for k, v in resp.headers.multi_items() if k.lower() not in skip],
            resp.content,
        )


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


def _error(status: int, code: str, message: str) -> HttpResponse:
    body = {"error": {"code": code, "message": message, "request_id": uuid.uuid4().hex}}
    return HttpResponse(status, [("content-type", "application/json")], json.dumps(body).encode())
