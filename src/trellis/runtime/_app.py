"""The FastAPI app factory: every service gets the same edges.

``create_app`` returns an ordinary FastAPI app with what every Trellis service
needs and nobody should rewrite per service: liveness and readiness routes, a
request id on every log line and response, a body size limit, one access log
line per request, and one error shape for every failure::

    {"error": {"code": "not_found", "message": "...", "request_id": "..."}}

The middlewares are pure ASGI (not ``BaseHTTPMiddleware``): they add no task
per request and never buffer a response.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from http import HTTPStatus
from typing import Annotated, Any, Final

import anyio
import anyio.to_thread
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from trellis.runtime._auth import GatewayOriginMiddleware
from trellis.runtime._clients import AwsClients, clients_for
from trellis.runtime._errors import (
    DependencyUnavailable,
    InternalError,
    PayloadTooLarge,
    TrellisError,
    is_aws_error,
    translate_aws_error,
)
from trellis.runtime._kinds import RuntimeKind, runtime_kind_of_field
from trellis.runtime._logging import (
    bind_request_id,
    configure_logging,
    current_request_id,
    get_logger,
)
from trellis.runtime._settings import ServiceSettings
from trellis.runtime._tracing import configure_tracing, instrument_app

__all__ = [
    "ClientsDep",
    "ReadinessCheck",
    "SettingsDep",
    "create_app",
    "default_readiness_checks",
    "error_body",
    "get_clients",
    "get_settings",
]

_log = get_logger("trellis.runtime.app")

_REQUEST_ID_RE: Final = re.compile(r"[A-Za-z0-9._-]{1,128}")
_REQUEST_ID_HEADER: Final = b"x-request-id"

#: Readiness probes make one quick attempt: a probe that retries for 30 s
#: tells the load balancer nothing it needs to know.
_PROBE_CONNECT_TIMEOUT_S: Final = 1.0
_PROBE_READ_TIMEOUT_S: Final = 2.0


# --------------------------------------------------------------------------- errors


class TrellisFieldError(BaseModel):
    """One invalid input: where it is (``["body", "email"]``) and what is wrong."""

    loc: list[str | int]
    message: str


class TrellisErrorInfo(BaseModel):
    """The ``error`` object of every error response."""

    code: str
    message: str
    request_id: str | None
    fields: list[TrellisFieldError] | None = None


class TrellisErrorResponse(BaseModel):
    """Body of every error response."""

    error: TrellisErrorInfo


#: Error responses every operation can return, documented in the OpenAPI schema.
_ERROR_DOCS: Final = {
    "400": "Bad request",
    "401": "No verified caller (missing, bad or expired token)",
    "403": "Caller not allowed (no API key, no or a bad signature, not through the gateway)",
    "413": "Request body too large",
    "422": "Request validation failed",
    "500": "Internal error",
    "503": "Dependency unavailable or throttled (see Retry-After)",
}
# Prefixed names: a service's own "ErrorResponse" schema must not be overwritten.
_ERROR_REF: Final = {"$ref": "#/components/schemas/TrellisErrorResponse"}
_FASTAPI_422: Final = '"#/components/schemas/HTTPValidationError"'


def _document_errors(app: FastAPI) -> None:
    """Add the platform's error responses to every operation of ``app``'s OpenAPI schema.

    Done on the generated schema rather than with ``FastAPI(responses=...)``:
    that builds a pydantic field per route and status at start-up (about 1 ms
    per route on a cold start), while this runs only when the schema is asked for.
    """
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = generate()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        error_schema = TrellisErrorResponse.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )
        components.update(error_schema.pop("$defs", {}))
        components["TrellisErrorResponse"] = error_schema
        content = {"application/json": {"schema": _ERROR_REF}}
        for path_item in schema.get("paths", {}).values():
            for operation in path_item.values():
                responses = operation.setdefault("responses", {})
                for status, description in _ERROR_DOCS.items():
                    documented = responses.setdefault(status, {"description": description})
                    # FastAPI's default 422 body is not what clients get; a
                    # body a route documented itself is left alone.
                    if "content" not in documented or _FASTAPI_422 in json.dumps(documented):
                        documented["content"] = content
        for name in ("HTTPValidationError", "ValidationError"):
            if f'"#/components/schemas/{name}"' not in json.dumps(schema):
                components.pop(name, None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


_HTTP_CODES: Final = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "throttled",
}

# Pydantic names the model class in these messages; clients get a neutral text.
_NEUTRAL_MESSAGES: Final = {
    "model_type": "Input should be an object",
    "model_attributes_type": "Input should be an object",
    "dataclass_type": "Input should be an object",
    "dataclass_exact_type": "Input should be an object",
    "is_instance_of": "Input has the wrong type",
    "is_subclass_of": "Input has the wrong type",
    "json_invalid": "Malformed JSON",
}


def error_body(
    code: str, message: str, request_id: str | None = None, **extra: Any
) -> dict[str, Any]:
    """The platform error shape: ``{"error": {"code", "message", "request_id", ...extra}}``."""
    error: dict[str, Any] = {"code": code, "message": message, "request_id": request_id}
    for key, value in extra.items():
        error.setdefault(key, value)
    return {"error": error}


def _error_headers(error: TrellisError) -> dict[str, str]:
    return {"Retry-After": str(error.retry_after)} if error.retry_after is not None else {}


def _render(error: TrellisError) -> JSONResponse:
    return JSONResponse(
        error_body(error.code, error.message, current_request_id(), **(error.detail or {})),
        status_code=error.status,
        headers=_error_headers(error),
    )


async def _trellis_error_handler(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, TrellisError)
    return _render(exc)


async def _validation_error_handler(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    fields = []
    malformed = False
    for error in exc.errors():
        kind = str(error.get("type", ""))
        malformed = malformed or kind == "json_invalid"
        fields.append(
            {
                "loc": [
                    part if isinstance(part, int) else str(part) for part in error.get("loc", ())
                ],
                "message": _NEUTRAL_MESSAGES.get(kind, str(error.get("msg", "invalid value"))),
            }
        )
    message = "malformed JSON body" if malformed else "request validation failed"
    return JSONResponse(
        error_body("validation_error", message, current_request_id(), fields=fields),
        status_code=422,
    )


async def _http_exception_handler(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    if status < 400 or status in {204, 304}:
        # Not an error (redirects raised as exceptions): no error body.
        return Response(status_code=status, headers=exc.headers)
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "error"
    message = exc.detail if isinstance(exc.detail, str) and exc.detail else phrase
    return JSONResponse(
        error_body(_HTTP_CODES.get(status, f"http_{status}"), message, current_request_id()),
        status_code=status,
        headers=exc.headers,
    )


async def _send_error(send: Send, error: TrellisError, request_id: str | None) -> None:
    response = JSONResponse(
        error_body(error.code, error.message, request_id, **(error.detail or {})),
        status_code=error.status,
        headers=_error_headers(error),
    )
    await send(
        {
            "type": "http.response.start",
            "status": response.status_code,
            "headers": response.raw_headers,
        }
    )
    await send({"type": "http.response.body", "body": response.body})


# ----------------------------------------------------------------------- middleware


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
                await _send_error(send_with_id, _as_platform_error(exc), request_id)
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


def _origin_secret_reader(clients: AwsClients, secret_id: str) -> Callable[[], str]:
    def read() -> str:
        value = clients.secretsmanager.get_secret_value(SecretId=secret_id).get("SecretString")
        if not value:
            raise DependencyUnavailable("the gateway origin secret has no value")
        return value

    return read


def _as_platform_error(exc: Exception) -> TrellisError:
    if isinstance(exc, TrellisError):
        return exc
    if is_aws_error(exc):
        # An adapter forgot to translate; translate here so the client still
        # gets the right status (the translator logs the AWS detail).
        return translate_aws_error(exc)
    _log.exception("request.unhandled_exception", exc_type=type(exc).__name__)
    return InternalError()


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
                    await _send_error(send, _InvalidContentLength(), current_request_id())
                    return
                if declared > limit:
                    await _send_error(send, _too_large(limit), current_request_id())
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
            await _send_error(send, _too_large(limit), current_request_id())


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"request body exceeds {limit} bytes", detail={"max_bytes": limit})


# ------------------------------------------------------------------------ readiness


@dataclass(frozen=True)
class ReadinessCheck:
    """A named probe of one dependency: ``check`` returns normally when it is usable.

    ``check`` is a plain (blocking) callable; ``/ready`` runs every check in a
    worker thread, concurrently, each bounded by ``timeout_s``.
    """

    name: str
    check: Callable[[], object]
    timeout_s: float = 3.0


def default_readiness_checks(
    settings: ServiceSettings, clients: AwsClients
) -> list[ReadinessCheck]:
    """One cheap read-only probe per resource field of ``settings``.

    ``users_table_name`` → check ``users_table`` (``DescribeTable``);
    ``jobs_queue_url`` → ``jobs_queue`` (``GetQueueAttributes``); buckets use
    ``HeadBucket``, topics ``GetTopicAttributes``, secrets ``DescribeSecret``
    and parameters ``GetParameter``. Unset optional fields are skipped, and so
    are buckets the service may only write (``TRELLIS_WRITE_ONLY_BUCKETS``): its
    role allows no read-only call on them, so a probe could only fail.
    """
    write_only = {
        f"{name.strip().replace('-', '_')}_bucket_name"
        for name in settings.trellis_write_only_buckets.split(",")
        if name.strip()
    }
    checks: list[ReadinessCheck] = []
    for field in type(settings).model_fields:
        kind = runtime_kind_of_field(field)
        value = getattr(settings, field, None)
        if kind is None or not isinstance(value, str) or not value or field in write_only:
            continue
        checks.append(ReadinessCheck(field.rsplit("_", 1)[0], _bind(kind, clients, value)))
    return checks


def _bind(kind: RuntimeKind, clients: AwsClients, value: str) -> Callable[[], object]:
    return lambda: kind.probe(clients, value)


async def _run_check(check: ReadinessCheck) -> TrellisError | None:
    try:
        with anyio.fail_after(check.timeout_s):
            # A hung probe's thread is abandoned, not awaited: /ready answers in time.
            await anyio.to_thread.run_sync(check.check, abandon_on_cancel=True)
    except TimeoutError:
        _log.warning("readiness.timeout", check=check.name, timeout_s=check.timeout_s)
        return DependencyUnavailable(f"{check.name} timed out")
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready", never a crash
        if isinstance(exc, TrellisError):
            error = exc
        elif is_aws_error(exc):
            error = translate_aws_error(exc, resource=check.name)
        else:
            error = DependencyUnavailable()
        _log.warning(
            "readiness.failed",
            check=check.name,
            error=error.code,
            exc_type=type(exc).__name__,
            exc_message=str(exc),
        )
        return error
    return None


async def _readiness(checks: Sequence[ReadinessCheck]) -> tuple[dict[str, str], list[TrellisError]]:
    outcomes: dict[str, TrellisError | None] = {}

    async def run(check: ReadinessCheck) -> None:
        outcomes[check.name] = await _run_check(check)

    async with anyio.create_task_group() as group:
        for check in checks:
            group.start_soon(run, check)
    results = {}
    failures = []
    for check in checks:
        outcome = outcomes[check.name]
        results[check.name] = "ok" if outcome is None else outcome.code
        if outcome is not None:
            failures.append(outcome)
    return results, failures


# ----------------------------------------------------------------------- dependencies


def get_settings(request: Request) -> ServiceSettings:
    """The app's settings (a FastAPI dependency)."""
    settings: ServiceSettings = request.app.state.settings
    return settings


def get_clients(request: Request) -> AwsClients:
    """The app's AWS clients (a FastAPI dependency)."""
    clients: AwsClients = request.app.state.clients
    return clients


#: ``def route(settings: SettingsDep)`` receives the app's settings.
SettingsDep = Annotated[ServiceSettings, Depends(get_settings)]
#: ``def route(clients: ClientsDep)`` receives the app's :class:`AwsClients`.
ClientsDep = Annotated[AwsClients, Depends(get_clients)]


# ---------------------------------------------------------------------------- factory


def create_app(
    settings: ServiceSettings,
    *,
    title: str | None = None,
    version: str = "0.1.0",
    clients: AwsClients | None = None,
    readiness: Sequence[ReadinessCheck] | None = None,
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]] | None = None,
) -> FastAPI:
    """A FastAPI app with the platform's routes, middleware and error handling.

    - ``GET /health``: liveness, never touches AWS.
    - ``GET /ready``: runs ``readiness`` (default: :func:`default_readiness_checks`;
      pass ``[]`` for none) and answers 200 or 503 with ``Retry-After``.
    - Request id from ``x-request-id`` (if sane), API Gateway's request id, or
      a new one; bound to every log line and echoed in ``x-request-id``.
    - Bodies over ``settings.max_body_bytes`` get 413.
    - With ``settings.trellis_origin_secret_id`` (routed container services), every
      request but ``/health`` needs the gateway's origin secret, else 403; routes get
      the caller the gateway verified through :data:`PrincipalDep`.
    - Every error is rendered as ``{"error": {"code", "message", "request_id"}}``.

    Also configures logging and (when an OTLP endpoint is set) tracing.
    ``lifespan`` runs around the app's life under an ASGI server (a container
    service's queue consumer, say); Lambda's handler does not run it.
    ``app.state.settings`` and ``app.state.clients`` feed :data:`SettingsDep`
    and :data:`ClientsDep`.
    """
    configure_logging(settings.trellis_service, settings.log_level)
    configure_tracing(settings.trellis_service)
    clients = clients if clients is not None else clients_for(settings)
    if readiness is None:
        probe_clients = clients.with_options(
            connect_timeout_s=_PROBE_CONNECT_TIMEOUT_S,
            read_timeout_s=_PROBE_READ_TIMEOUT_S,
            max_attempts=1,
        )
        readiness = default_readiness_checks(settings, probe_clients)
    checks = tuple(readiness)
    names = [check.name for check in checks]
    if len(set(names)) != len(names):
        raise ValueError(f"readiness check names must be unique: {names}")

    app = FastAPI(
        title=title or f"{settings.trellis_project}-{settings.trellis_service}",
        version=version,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.clients = clients
    app.state.readiness = checks

    service = settings.trellis_service

    @app.get("/health", tags=["platform"], summary="Liveness")
    async def health() -> dict[str, str]:
        return {"status": "ok", "service": service}

    @app.get(
        "/ready",
        tags=["platform"],
        summary="Readiness of every dependency",
        responses={503: {"description": "A dependency is not ready"}},
    )
    async def ready() -> JSONResponse:
        results, failures = await _readiness(checks)
        if not failures:
            return JSONResponse({"status": "ready", "checks": results})
        failed = [name for name, result in results.items() if result != "ok"]
        retry_after = max(
            (f.retry_after for f in failures if f.retry_after is not None),
            default=DependencyUnavailable.default_retry_after or 2,
        )
        body = error_body(
            "dependency_unavailable",
            f"not ready: {', '.join(failed)}",
            current_request_id(),
        )
        body.update(status="not_ready", checks=results)
        return JSONResponse(body, status_code=503, headers={"Retry-After": str(retry_after)})

    app.add_exception_handler(TrellisError, _trellis_error_handler)
    app.add_exception_handler(RequestValidationError, _validation_error_handler)
    app.add_exception_handler(StarletteHTTPException, _http_exception_handler)

    # Added last = outermost: the request id must be bound before anything logs.
    app.add_middleware(BodySizeLimitMiddleware, max_body_bytes=settings.max_body_bytes)
    origin = settings.trellis_origin_secret_id
    if origin:
        # Before the body is read: a request that bypassed the gateway gets nothing.
        app.add_middleware(GatewayOriginMiddleware, fetch=_origin_secret_reader(clients, origin))
    app.add_middleware(RequestContextMiddleware)

    _document_errors(app)
    instrument_app(app)
    return app
