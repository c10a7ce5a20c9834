"""The platform's error responses: one JSON shape for every failure, documented in OpenAPI.

::

    {"error": {"code": "not_found", "message": "...", "request_id": "..."}}

The handlers here render :class:`~trellis.runtime.TrellisError`, request validation
errors and Starlette's HTTP exceptions (a 405 names every method of its path in
``Allow``); :func:`error_responses` documents a route's own error statuses with
the same schema.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from http import HTTPStatus
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import Send

from trellis.runtime._errors import (
    InternalError,
    MethodNotAllowed,
    TrellisError,
    is_aws_error,
    translate_aws_error,
)
from trellis.runtime._logging import current_request_id, get_logger

__all__ = [
    "TrellisErrorResponse",
    "add_openapi_patch",
    "error_body",
    "error_responses",
    "install_error_handlers",
]

_log = get_logger("trellis.runtime.app")


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


def add_openapi_patch(app: FastAPI, patch: Callable[[dict[str, Any]], None]) -> None:
    """Run ``patch`` on ``app``'s OpenAPI schema, once, when the schema is first asked for.

    For what only the running app knows (limits from its settings, say). Patches run
    in the order they were added, each on the schema the previous ones left; nothing
    runs at start-up, so a cold start does not pay for the schema.
    """
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = generate()
        patch(schema)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _document_errors(schema: dict[str, Any]) -> None:
    """Add the platform's error responses to every operation of the schema.

    Done on the generated schema rather than with ``FastAPI(responses=...)``:
    that builds a pydantic field per route and status at start-up (about 1 ms
    per route on a cold start), while this runs only when the schema is asked for.
    """
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


def error_responses(*statuses: int | tuple[int, str]) -> dict[int | str, dict[str, Any]]:
    """A route's own error statuses, in the platform's shape, for its ``responses=``.

    ``error_responses(404, (409, "The version is stale"))``: each status with its
    description (a default one when only the status is given) and the
    ``TrellisErrorResponse`` body every error has.
    """
    out: dict[int | str, dict[str, Any]] = {}
    for item in statuses:
        status, description = item if isinstance(item, tuple) else (item, "")
        if not description:
            description = _ERROR_DOCS.get(str(status)) or HTTPStatus(status).phrase
        out[status] = {
            "description": description,
            "content": {"application/json": {"schema": _ERROR_REF}},
        }
    return out


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
    headers = {"Retry-After": str(error.retry_after)} if error.retry_after is not None else {}
    if isinstance(error, MethodNotAllowed):
        headers["Allow"] = ", ".join(error.allow)
    return headers


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


#: Methods a 405's ``Allow`` may name.
_METHODS: Final = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route of the app answers at the request's path.

    Starlette's own ``Allow`` names the methods of the first route whose path
    matched (``GET /users/{id}`` → ``GET``), although ``PATCH`` and ``DELETE`` of
    the same path exist in other routes. Each method is tried on every route,
    included routers too, through the routes' own matching.
    """
    routes = request.app.router.routes
    return [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes
        )
    ]


async def _http_exception_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    if status == 405:
        methods = _allowed_methods(request)
        if methods:
            exc.headers = {**(exc.headers or {}), "Allow": ", ".join(methods)}
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


async def send_error(send: Send, error: TrellisError, request_id: str | None) -> None:
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


def install_error_handlers(app: FastAPI) -> None:
    """Render every error of ``app`` in the platform's shape, and document it in OpenAPI."""
    app.add_exception_handler(TrellisError, _trellis_error_handler)
    app.add_exception_handler(RequestValidationError, _validation_error_handler)
    app.add_exception_handler(StarletteHTTPException, _http_exception_handler)
    add_openapi_patch(app, _document_errors)


def as_platform_error(exc: Exception) -> TrellisError:
    """``exc`` as the platform error a client gets (a 500 for anything unknown, logged)."""
    if isinstance(exc, TrellisError):
        return exc
    if is_aws_error(exc):
        # An adapter forgot to translate; translate here so the client still
        # gets the right status (the translator logs the AWS detail).
        return translate_aws_error(exc)
    driver_error = _translate_driver_error(exc)
    if driver_error is not None:
        return driver_error
    _log.exception("request.unhandled_exception", exc_type=type(exc).__name__)
    return InternalError()


def _translate_driver_error(exc: Exception) -> TrellisError | None:
    """A database or cache driver's error that a route let through, as its platform error.

    The drivers are looked up in ``sys.modules``: one not loaded cannot have
    raised, and a service without a database never imports one.
    """
    psycopg = sys.modules.get("psycopg")
    if psycopg is not None:
        orig = getattr(exc, "orig", None)  # SQLAlchemy's DBAPIError wraps psycopg's error
        driver_exc = orig if isinstance(orig, psycopg.Error) else exc
        if isinstance(driver_exc, psycopg.Error):
            from trellis.runtime.database._errors import translate_database_error

            return translate_database_error(driver_exc)
    valkey_exceptions = sys.modules.get("valkey.exceptions")
    if valkey_exceptions is not None and isinstance(exc, valkey_exceptions.ValkeyError):
        from trellis.runtime.cache._errors import translate_cache_error

        return translate_cache_error(exc)
    return None
