"""The platform's ASGI middleware: a request id and an access log line on every request,
a body size limit, and the public path prefix (``root_path``) self-links are built from.

Pure ASGI (not ``BaseHTTPMiddleware``): they add no task per request and never
buffer a response.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from trellis.runtime._errors import PayloadTooLarge, TrellisError
from trellis.runtime._http_errors import as_platform_error, send_error
from trellis.runtime._logging import bind_request_id, current_request_id, get_logger

__all__ = ["BodySizeLimitMiddleware", "PublicPrefixMiddleware", "RequestContextMiddleware"]

_log = get_logger("trellis.runtime.app")

_REQUEST_ID_RE: Final = re.compile(r"[A-Za-z0-9._-]{1,128}")
_REQUEST_ID_HEADER: Final = b"x-request-id"


def _request_id_from(scope: Scope) -> str:
    for name, value in scope.get("headers") or ():
        if name == _REQUEST_ID_HEADER:
            candidate: str = value.decode("latin-1")
            if _REQUEST_ID_RE.fullmatch(candidate):
                return candidate
            break
    # Under Mangum the API Gateway event rides along in the scope; its request
    # id is the one API Gateway's own access logs carry.
    event = scope.get("aws.event")
    if isinstance(event, dict):
        context = event.get("requestContext")
        if isinstance(context, dict):
            api_request_id = context.get("requestId")
            if isinstance(api_request_id, str) and _REQUEST_ID_RE.fullmatch(api_request_id):
                return api_request_id
    return uuid.uuid4().hex


class RequestContextMiddleware:
    """Request id, access log line and last-resort error rendering, in one ASGI layer.

    They share the request's id, final status and start time, and the
    catch-all must sit inside the access log so the log sees its 500.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        request_id = _request_id_from(scope)
        header = (_REQUEST_ID_HEADER, request_id.encode("latin-1"))
        status = 500
        response_started = False
        started_at = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = int(message["status"])
                headers = [
                    (k, v) for k, v in message.get("headers", ()) if k.lower() != _REQUEST_ID_HEADER
                ]
                headers.append(header)
                message = {**message, "headers": headers}
            await send(message)

        with bind_request_id(request_id):
            try:
                await self.app(scope, receive, send_with_id)
            except Exception as exc:
                if response_started:
                    # Too late for an error body; the server closes the connection.
                    _log.exception("request.failed_after_response_start")
                    raise
                await send_error(send_with_id, as_platform_error(exc), request_id)
            finally:
                duration_ms = round((time.perf_counter() - started_at) * 1000, 2)
                log = _log.error if status >= 500 else _log.info
                log(
                    "request",
                    method=scope.get("method"),
                    path=scope.get("path"),
                    status=status,
                    duration_ms=duration_ms,
                )


class _InvalidContentLength(TrellisError):
    status = 400
    code = "bad_request"
    default_message = "invalid Content-Length header"


class _BodyTooLarge(Exception):
    """Raised from ``receive`` once the streamed body passes the limit."""


class BodySizeLimitMiddleware:
    """Reject bodies over ``max_body_bytes`` with 413, by header or while streaming.

    A declared ``Content-Length`` over the limit is refused before a byte is
    read. A body without one (chunked) is counted as it arrives; past the
    limit ``receive`` raises, whatever the app answers is discarded and the
    client gets the 413 instead.
    """

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        limit = self.max_body_bytes
        for name, value in scope.get("headers") or ():
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared < 0:
                    await send_error(send, _InvalidContentLength(), current_request_id())
                    return
                if declared > limit:
                    await send_error(send, _too_large(limit), current_request_id())
                    return
                break

        received = 0
        exceeded = False
        response_started = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise _BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal response_started
            if exceeded and not response_started:
                # The app is answering our exception (e.g. FastAPI turns body
                # read errors into a 400): drop it; the 413 follows.
                return
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            # Whatever the app made of our exception, the answer is the 413.
            if not exceeded:
                raise
        if exceeded and not response_started:
            await send_error(send, _too_large(limit), current_request_id())


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"request body exceeds {limit} bytes", detail={"max_bytes": limit})


#: A prefix is path segments of unreserved characters: never ``//host`` (a link to another
#: site), a scheme, a query or anything a header could smuggle into a ``Location``.
_PREFIX_RE: Final = re.compile(r"(/[A-Za-z0-9._~-]+)+")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers") or ():
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


def public_prefix(scope: Scope) -> str:
    """The path before the app's own paths, as the client's URL has it (``/live/worker``).

    Behind API Gateway's Lambda proxy (the event Mangum leaves in ``aws.event``): the stage
    (``requestContext.path`` is the path the client used, ``/live/worker/jobs``; ``path``
    the resource path, ``/worker/jobs``) and the service's route (what Mangum stripped).
    A container behind the gateway: ``X-Forwarded-Prefix``, which the API Gateway
    integration and the local gateway set. Anything else, or a prefix that is not plain
    path segments: ``""``.
    """
    event = scope.get("aws.event")
    if isinstance(event, dict) and isinstance(event.get("httpMethod"), str):
        path = str(event.get("path") or "/")
        inner = str(scope.get("path") or "/")
        if path.endswith(inner):
            route = path[: len(path) - len(inner)]
        elif inner == "/":
            route = path.rstrip("/")
        else:
            route = ""
        context = event.get("requestContext") or {}
        public = str(context.get("path") or "")
        stage = str(context.get("stage") or "")
        if public.endswith(path):
            stage_prefix = public[: len(public) - len(path)]
        elif stage and (public == f"/{stage}" or public.startswith(f"/{stage}/")):
            stage_prefix = f"/{stage}"
        else:
            # Called without the stage in the URL (trellis dev's gateway).
            stage_prefix = ""
        prefix = stage_prefix + route
    else:
        prefix = (_header(scope, b"x-forwarded-prefix") or "").rstrip("/")
    return prefix if _PREFIX_RE.fullmatch(prefix) else ""


class PublicPrefixMiddleware:
    """Set ``root_path`` to the public prefix, so links the app builds work where it is deployed.

    ``POST /worker/jobs`` behind the ``live`` stage answers ``status_url``
    ``/live/worker/jobs/<id>``: routes build links from ``request.scope["root_path"]``
    (or ``request.url_for``), never from the route setting alone. ``path`` keeps the ASGI
    convention of including ``root_path``, so routing is unchanged.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope.get("root_path"):
            prefix = public_prefix(scope)
            if prefix:
                scope = dict(scope)
                scope["root_path"] = prefix
                scope["path"] = prefix + scope["path"]
                if scope.get("raw_path"):
                    scope["raw_path"] = prefix.encode() + bytes(scope["raw_path"])
        await self.app(scope, receive, send)
