"""The local API gateway: one port, ``/<route>/...`` → the service that owns the route.

Lambda services get an API Gateway REST proxy event through their real
handler; container services get the request over HTTP with the route prefix
stripped, as a ``{proxy}`` HTTP integration forwards it. The gateway answers
the way API Gateway does when the backend fails: 502 for a function error,
504 for a timeout, 413 for a payload over Lambda's 6 MB synchronous limit.

It enforces each route's ``auth`` as API Gateway does (see :mod:`trellis.local.auth`):
``api_key`` and ``iam`` refuse with 403, ``jwt`` with 401 (no, bad or expired
token), in the platform's JSON error shape, before the service is called. A
path no rule covers is refused (fail closed). What the check learnt reaches
the service as on AWS: ``requestContext.authorizer``/``identity`` in a Lambda
event, ``X-Trellis-*`` headers (set only by the gateway) for a container, along
with the origin secret that proves the request came through the gateway.

A service that is broken (its code does not import since the last save) gets
no request: the gateway answers 502 with the start-up error in the platform's
JSON error shape, until a save fixes it. Every request is traced: the gateway
opens the trace (a W3C ``traceparent`` header reaches the service) and reports
the request, with its span, to ``on_request``. Paths under ``/_trellis/``
other than the issuer's documents go to the ``console`` app (the dashboard).
"""

from __future__ import annotations

import json
import re
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from trellis.authorizer import JwtVerifier, TokenError, authorizer_context, bearer_token
from trellis.local.apigw import HttpResponse, build_event, parse_result
from trellis.local.auth import (
    DISCOVERY_PATH,
    ISSUER_PATH,
    JWKS_PATH,
    AuthRefused,
    DevIssuer,
    SigV4Verifier,
)
from trellis.local.services import ContainerService, LambdaFunction
from trellis.manifest import HEALTH_PATH, AuthMode

#: Lambda's synchronous invocation payload limit (the event carries the body).
LAMBDA_PAYLOAD_LIMIT = 6 * 1024 * 1024
#: API Gateway REST API payload limit.
API_PAYLOAD_LIMIT = 10 * 1024 * 1024

Scope = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[dict[str, Any]], Any]


#: Request headers only the gateway may set: a client's copies are dropped.
TRUSTED_HEADER_PREFIX = "x-trellis-"
ORIGIN_HEADER = "x-trellis-origin"


@dataclass(frozen=True)
class Route:
    prefix: str
    service: str
    function: LambdaFunction | None = None
    base_url: str | None = None
    #: A container service: its current address (``base_url`` follows it across reloads).
    container: ContainerService | None = None
    #: ``(path prefix below the route, auth)``, longest first; ``""`` covers the whole route.
    auth: tuple[tuple[str, AuthMode], ...] = ()

    @property
    def broken(self) -> str | None:
        """Why the service behind this route cannot start now, or None."""
        backend = self.function or self.container
        broken = getattr(backend, "broken", None)
        return broken if isinstance(broken, str) else None

    def upstream(self) -> str | None:
        return self.container.base_url if self.container is not None else self.base_url

    def matches(self, path: str) -> bool:
        return path == self.prefix or path.startswith(self.prefix + "/")

    def auth_for(self, path: str) -> AuthMode | None:
        """The auth of a full gateway path of this route; None when no rule covers it."""
        rest = path[len(self.prefix) :]
        if rest == HEALTH_PATH:
            return "none"
        for prefix, mode in self.auth:
            if prefix == "" or rest == prefix or rest.startswith(prefix + "/"):
                return mode
        return None


@dataclass
class GatewayAuth:
    """What the gateway needs to check callers (built by ``trellis dev`` from the manifest)."""

    #: The development issuer whose key set the gateway serves.
    issuer: DevIssuer | None = None
    issuer_url: str = ""
    #: A verifier per service with jwt routes (its audience, the development issuer).
    jwt: dict[str, JwtVerifier] = field(default_factory=dict)
    #: Local API key value → its id (any key of the stage opens any api_key route, as on AWS).
    api_keys: dict[str, str] = field(default_factory=dict)
    sigv4: SigV4Verifier | None = None
    #: Added to every request forwarded to a container service.
    origin_secret: str | None = None


@dataclass(frozen=True)
class RequestRecord:
    """One request the gateway answered, with the span it opened for it."""

    method: str
    path: str
    status: int
    duration_ms: float
    #: The service whose route matched; None for the gateway's own paths and unknown routes.
    service: str | None
    #: Wall-clock start, seconds since the epoch.
    started: float
    trace_id: str
    span_id: str
    parent_span_id: str | None = None
    #: The caller's principal when the route's auth let it through.
    principal: str = ""


_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$")


def _trace_ids(headers: list[tuple[str, str]]) -> tuple[str, str, str | None]:
    """(trace id, this span's id, parent span id): the caller's trace if it sent one."""
    for key, value in headers:
        if key.lower() == "traceparent":
            match = _TRACEPARENT.match(value.strip().lower())
            if match and set(match.group(1)) != {"0"}:
                return match.group(1), secrets.token_hex(8), match.group(2)
    return secrets.token_hex(16), secrets.token_hex(8), None


@dataclass(frozen=True)
class _Caller:
    """Who the gateway let through: the Lambda event's context and a container's headers."""

    mode: AuthMode
    principal: str = ""
    authorizer: dict[str, Any] | None = None
    identity: dict[str, str] = field(default_factory=dict)
    claims: str | None = None


class Gateway:
    """An ASGI app routing by longest prefix; serve it with uvicorn."""

    def __init__(
        self,
        routes: list[Route],
        *,
        stage: str,
        log: Callable[[str, str], None],
        auth: GatewayAuth | None = None,
        console: Callable[[Scope, Receive, Send], Any] | None = None,
        on_request: Callable[[RequestRecord], None] | None = None,
    ) -> None:
        self.routes = sorted(routes, key=lambda r: len(r.prefix), reverse=True)
        self.stage = stage
        self.log = log
        self.auth = auth if auth is not None else GatewayAuth()
        self.console = console
        self.on_request = on_request
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
        path: str = scope["path"]
        if self.console is not None and _is_console(path):
            await self.console(scope, receive, send)
            return
        started = time.perf_counter()
        wall = time.time()
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        trace_id, span_id, parent = _trace_ids(headers)
        scope = {**scope, "trellis.trace": (trace_id, span_id)}
        route = next((r for r in self.routes if r.matches(path)), None)
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
        if self.on_request is not None:
            self.on_request(
                RequestRecord(
                    method=scope["method"],
                    path=path,
                    status=response.status,
                    duration_ms=elapsed,
                    service=route.service if route is not None else None,
                    started=wall,
                    trace_id=trace_id,
                    span_id=span_id,
                    parent_span_id=parent,
                    principal=scope.get("trellis.principal", ""),
                )
            )

    async def _handle(self, scope: Scope, receive: Receive) -> HttpResponse:
        path: str = scope["path"]
        if path == ISSUER_PATH or path.startswith(ISSUER_PATH + "/"):
            return self._issuer_document(path)
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
        try:
            caller = self._authenticate(route, scope, headers, body)
        except AuthRefused as refused:
            return _error(refused.status, refused.code, refused.message)
        scope["trellis.principal"] = caller.principal
        if route.broken is not None:
            return _error(
                502,
                "service_unavailable",
                f"{route.broken}. Its log shows the whole error; "
                "trellis dev starts it again when you save a fix.",
            )
        headers = [
            (k, v)
            for k, v in headers
            if not k.lower().startswith(TRUSTED_HEADER_PREFIX) and k.lower() != "traceparent"
        ]
        trace = scope.get("trellis.trace")
        if trace is not None:
            # The service's spans become children of the gateway's span.
            headers.append(("traceparent", f"00-{trace[0]}-{trace[1]}-01"))
        if route.function is not None:
            return await self._invoke(route.function, route, scope, headers, body, caller)
        return await self._proxy(route, scope, headers, body, caller)

    def _issuer_document(self, path: str) -> HttpResponse:
        issuer = self.auth.issuer
        if issuer is None:
            return _error(404, "not_found", "this gateway runs no development issuer")
        if path == JWKS_PATH:
            document = issuer.jwks()
        elif path == DISCOVERY_PATH:
            document = issuer.discovery(self.auth.issuer_url)
        else:
            return _error(404, "not_found", f"no document at {path}")
        return HttpResponse(
            200, [("content-type", "application/json")], json.dumps(document).encode()
        )

    def _authenticate(
        self, route: Route, scope: Scope, headers: list[tuple[str, str]], body: bytes
    ) -> _Caller:
        """The caller of ``route``, or :class:`AuthRefused` as API Gateway would answer."""
        mode = route.auth_for(scope["path"])
        if mode is None:
            # Fail closed: the manifest gives every routed path an auth, so this is a bug.
            raise AuthRefused(403, "forbidden", "no auth rule covers this path")
        if mode == "none":
            return _Caller("none")
        lowered = {k.lower(): v for k, v in headers}
        if mode == "api_key":
            key_id = self.auth.api_keys.get(lowered.get("x-api-key", ""))
            if key_id is None:
                raise AuthRefused(
                    403, "forbidden", "Forbidden: a valid x-api-key header is required"
                )
            return _Caller(
                "api_key",
                principal=key_id,
                identity={"apiKey": lowered["x-api-key"], "apiKeyId": key_id},
            )
        if mode == "jwt":
            verifier = self.auth.jwt.get(route.service)
            if verifier is None:
                raise AuthRefused(401, "unauthorized", "Unauthorized: no issuer for this route")
            try:
                claims = verifier.verify(bearer_token(lowered.get("authorization")))
            except TokenError as exc:
                raise AuthRefused(401, "unauthorized", f"Unauthorized: {exc.message}") from None
            context = authorizer_context(claims)
            return _Caller(
                "jwt",
                principal=context["sub"],
                authorizer={"principalId": context["sub"], **context, "integrationLatency": 0},
                claims=context["claims"],
            )
        if self.auth.sigv4 is None:
            raise AuthRefused(403, "forbidden", "Missing Authentication Token")
        identity = self.auth.sigv4.verify(
            method=scope["method"],
            host=lowered.get("host", "localhost"),
            path=scope["path"],
            query_string=scope.get("query_string", b"").decode("latin-1"),
            headers=headers,
            body=body,
        )
        return _Caller(
            "iam",
            principal=identity.arn,
            identity={
                "accessKey": identity.access_key_id,
                "accountId": self.auth.sigv4.account_id,
                "caller": identity.user,
                "user": identity.user,
                "userArn": identity.arn,
            },
        )

    async def _invoke(
        self,
        fn: LambdaFunction,
        route: Route,
        scope: Scope,
        headers: list[tuple[str, str]],
        body: bytes,
        caller: _Caller,
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
            authorizer=caller.authorizer,
            identity=caller.identity,
        )
        result = await fn.invoke(event)
        if result.init_error:
            return _error(
                502,
                "service_unavailable",
                f"{result.error}. Its log shows the whole error; "
                "trellis dev starts it again when you save a fix.",
            )
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
        self,
        route: Route,
        scope: Scope,
        headers: list[tuple[str, str]],
        body: bytes,
        caller: _Caller,
    ) -> HttpResponse:
        upstream = route.upstream()
        assert upstream is not None
        rest = scope["path"][len(route.prefix) :] or "/"
        url = f"{upstream}{rest}"
        forwarded = [
            (k, v)
            for k, v in headers
            # A client's own X-Forwarded-Prefix would come first and win (the API Gateway
            # integration overwrites it too): links the container builds use it.
            if k.lower() not in {"host", "content-length", "connection", "x-forwarded-prefix"}
        ]
        forwarded.append(("x-forwarded-prefix", route.prefix))
        # What the API Gateway integration maps from $context (see the api-gateway module).
        forwarded.append(("x-trellis-auth", caller.mode))
        if caller.principal:
            forwarded.append(("x-trellis-principal", caller.principal))
        if caller.claims is not None:
            forwarded.append(("x-trellis-claims", caller.claims))
        if self.auth.origin_secret is not None:
            forwarded.append((ORIGIN_HEADER, self.auth.origin_secret))
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


def _is_console(path: str) -> bool:
    """Paths of the dashboard: everything under ``/_trellis`` but the issuer's documents."""
    if path in (JWKS_PATH, DISCOVERY_PATH):
        return False
    return path == ISSUER_PATH or path.startswith(ISSUER_PATH + "/")


def _error(status: int, code: str, message: str) -> HttpResponse:
    body = {"error": {"code": code, "message": message, "request_id": uuid.uuid4().hex}}
    return HttpResponse(status, [("content-type", "application/json")], json.dumps(body).encode())
