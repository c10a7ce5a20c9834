"""The FastAPI app factory: every service gets the same edges.

``create_app`` returns an ordinary FastAPI app with what every Trellis service
needs and nobody should rewrite per service: liveness and readiness routes, a
request id on every log line and response, a body size limit, one access log
line per request, and one error shape for every failure::

    {"error": {"code": "not_found", "message": "...", "request_id": "..."}}

Its parts live beside it: the error responses (``_http_errors``), the
middleware (``_middleware``) and the readiness checks (``_readiness``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse

from trellis.runtime._auth import GatewayOriginMiddleware
from trellis.runtime._clients import AwsClients, clients_for
from trellis.runtime._errors import DependencyUnavailable
from trellis.runtime._http_errors import error_body, install_error_handlers
from trellis.runtime._logging import configure_logging, current_request_id
from trellis.runtime._middleware import (
    BodySizeLimitMiddleware,
    PublicPrefixMiddleware,
    RequestContextMiddleware,
)
from trellis.runtime._readiness import (
    PROBE_CONNECT_TIMEOUT_S,
    PROBE_READ_TIMEOUT_S,
    ReadinessCheck,
    default_readiness_checks,
    run_checks,
)
from trellis.runtime._routing import SingleHopRoute
from trellis.runtime._settings import ServiceSettings
from trellis.runtime._tracing import configure_tracing, instrument_app

__all__ = ["ClientsDep", "SettingsDep", "create_app", "get_clients", "get_settings"]


def _origin_secret_reader(clients: AwsClients, secret_id: str) -> Callable[[], str]:
    def read() -> str:
        value = clients.secretsmanager.get_secret_value(SecretId=secret_id).get("SecretString")
        if not value:
            raise DependencyUnavailable("the gateway origin secret has no value")
        return value

    return read


# ----------------------------------------------------------------------- dependencies


# The dependencies here are ``async def`` although they never await: FastAPI runs a plain
# ``def`` dependency in its thread pool, a thread hop per dependency per request for
# what is a dictionary read.


async def get_settings(request: Request) -> ServiceSettings:
    """The app's settings (a FastAPI dependency)."""
    settings: ServiceSettings = request.app.state.settings
    return settings


async def get_clients(request: Request) -> AwsClients:
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
            connect_timeout_s=PROBE_CONNECT_TIMEOUT_S,
            read_timeout_s=PROBE_READ_TIMEOUT_S,
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
    # `@app.get(...)` routes on plain `def`s make one thread-pool hop, not FastAPI's two.
    app.router.route_class = SingleHopRoute
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
        results, failures = await run_checks(checks)
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

    install_error_handlers(app)

    # Innermost: the access log and the other middleware keep seeing the app's own path.
    app.add_middleware(PublicPrefixMiddleware)
    # Added last = outermost: the request id must be bound before anything logs.
    app.add_middleware(BodySizeLimitMiddleware, max_body_bytes=settings.max_body_bytes)
    origin = settings.trellis_origin_secret_id
    if origin:
        # Before the body is read: a request that bypassed the gateway gets nothing.
        app.add_middleware(GatewayOriginMiddleware, fetch=_origin_secret_reader(clients, origin))
    app.add_middleware(RequestContextMiddleware)

    instrument_app(app)
    return app
