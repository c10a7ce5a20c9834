"""The api service: users on DynamoDB (cached in Valkey, changes audited in PostgreSQL) and
files on S3, behind ``/api`` on the gateway."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from api import routes
from api.deps import Deps
from api.files import FileStore
from api.history import History, NoHistory
from api.settings import Settings, UploadPolicy
from api.users import UserStore
from trellis.runtime import AwsClients, add_openapi_patch, clients_for, create_app, lambda_handler

#: What Lambda calls: ``handler(event, context) -> response``.
LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]


def build_app(
    settings: Settings,
    clients: AwsClients | None = None,
    *,
    upload_policy: UploadPolicy | None = None,
    users: UserStore | None = None,
    files: FileStore | None = None,
    history: History | None = None,
    **options: Any,
) -> FastAPI:
    """The api app; ``clients`` defaults to clients built from ``settings``.

    ``users`` / ``files`` / ``history`` replace the AWS repositories, the cache and the
    audit database (tests use in-memory fakes); ``upload_policy`` defaults to the ``UPLOAD_*`` env vars; ``options``
    go to :func:`trellis.runtime.create_app` (``readiness=[]``, say).
    """
    clients = clients if clients is not None else clients_for(settings)
    policy = upload_policy if upload_policy is not None else UploadPolicy()
    app = create_app(settings, title="api", clients=clients, **options)
    app.state.deps = Deps(settings, clients, policy, users=users, files=files, history=history)
    for router in routes.ROUTERS:
        app.include_router(router)
    if not isinstance(app.state.deps.history, NoHistory):
        # Without an audit database there is no history to serve: no route, a plain 404.
        app.include_router(routes.history)
    add_openapi_patch(app, _upload_policy_schema(policy))
    return app


def build_handler(settings: Settings, clients: AwsClients | None = None) -> LambdaHandler:
    """The Lambda handler: API Gateway events go through the same app as under uvicorn."""
    return lambda_handler(build_app(settings, clients))


def _upload_policy_schema(policy: UploadPolicy) -> Callable[[dict[str, Any]], None]:
    """Put the configured content types and size cap into ``FileCreate``'s schema.

    Clients (and the fuzzer) then know in advance what ``POST /files`` accepts;
    the service still checks it (422) since the schema is only advice.
    """

    def patch(schema: dict[str, Any]) -> None:
        properties = schema["components"]["schemas"]["FileCreate"]["properties"]
        properties["content_type"]["enum"] = sorted(policy.content_types)
        properties["size"]["maximum"] = policy.max_bytes

    return patch
