"""The api service: users on DynamoDB and files on S3."""

from __future__ import annotations

import inspect
import threading
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from api.files import FilesRepository, FileStore
from api.routes import files as files_router
from api.routes import me as me_router
from api.routes import users as users_router
from api.settings import Settings, UploadPolicy
from api.users import UsersRepository, UserStore
from trellis.runtime import AwsClients, clients_for, create_app


class Stores:
    """The app's repositories, built on first use (a ``/health`` never loads boto3)."""

    def __init__(
        self,
        settings: Settings,
        clients: AwsClients,
        policy: UploadPolicy,
        *,
        users: UserStore | None = None,
        files: FileStore | None = None,
    ) -> None:
        self._settings = settings
        self._clients = clients
        self._policy = policy
        self._users = users
        self._files = files
        self._lock = threading.Lock()

    def users(self) -> UserStore:
        if self._users is None:
            with self._lock:
                if self._users is None:
                    self._users = UsersRepository(
                        self._clients.dynamodb, self._settings.users_table_name
                    )
        return self._users

    def files(self) -> FileStore:
        if self._files is None:
            with self._lock:
                if self._files is None:
                    self._files = FilesRepository(
                        self._clients.dynamodb,
                        self._clients.s3,
                        table_name=self._settings.files_table_name,
                        bucket=self._settings.uploads_bucket_name,
                        policy=self._policy,
                    )
        return self._files


def build_app(
    settings: Settings,
    clients: AwsClients | None = None,
    *,
    upload_policy: UploadPolicy | None = None,
    users: UserStore | None = None,
    files: FileStore | None = None,
    **options: Any,
) -> FastAPI:
    """The api app; ``clients`` defaults to clients built from ``settings``.

    ``users`` / ``files`` replace the AWS repositories (tests use in-memory
    fakes); ``upload_policy`` defaults to the ``UPLOAD_*`` env vars.
    """
    clients = clients if clients is not None else clients_for(settings)
    policy = upload_policy if upload_policy is not None else UploadPolicy()
    app = create_app(settings, title="api", clients=clients, **options)
    app.state.stores = Stores(settings, clients, policy, users=users, files=files)
    app.include_router(me_router)
    app.include_router(users_router)
    app.include_router(files_router)
    _document_upload_policy(app, policy)
    _allow_every_method_of_the_path(app)
    return app


def _document_upload_policy(app: FastAPI, policy: UploadPolicy) -> None:
    """Put the configured content types and size cap into ``FileCreate``'s schema.

    Clients (and the fuzzer) then know in advance what ``POST /files`` accepts;
    the service still checks it (422) since the schema is only advice.
    """
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = generate()
        properties = schema["components"]["schemas"]["FileCreate"]["properties"]
        properties["content_type"]["enum"] = sorted(policy.content_types)
        properties["size"]["maximum"] = policy.max_bytes
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _allow_every_method_of_the_path(app: FastAPI) -> None:
    """A 405's ``Allow`` lists every method of the path, not just the first route's.

    Starlette answers with the methods of the first route whose path matched
    (``GET /users/{id}`` → ``Allow: GET``), although PATCH and DELETE exist too.
    """
    render = app.exception_handlers[StarletteHTTPException]
    # Flattened once: FastAPI keeps included routers as nested objects.
    routes = [
        route
        for route in [
            *app.router.routes,
            *me_router.routes,
            *users_router.routes,
            *files_router.routes,
        ]
        if getattr(route, "methods", None)
    ]

    async def handler(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 405:
            methods: set[str] = set()
            for route in routes:
                match, _ = route.matches(request.scope)
                if match is not Match.NONE:
                    methods |= set(getattr(route, "methods", ()))
            if methods:
                exc.headers = {**(exc.headers or {}), "Allow": ", ".join(sorted(methods))}
        response = render(request, exc)
        return await response if inspect.isawaitable(response) else response

    app.add_exception_handler(StarletteHTTPException, handler)
