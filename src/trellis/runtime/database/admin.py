"""The database admin function: users and migrations, run by the deploy before new code goes live.

Lambda ``<project>-<env>-db-admin`` runs inside the VPC with handler
``trellis.runtime.database.admin.handler`` and is invoked with
``{"database": "audit"}``. For database ``audit`` it reads:

- ``AUDIT_DATABASE_URL``: where the database is (its user part is ignored);
- ``AUDIT_DATABASE_MASTER_SECRET_ARN``: the RDS-managed master secret (JSON
  with ``username`` and ``password``), read with the function's own role;
- ``AUDIT_DATABASE_USERS``: the service users, comma-separated (``api,worker``);
- ``AUDIT_DATABASE_MIGRATIONS`` (optional): ``service=dir`` entries,
  comma-separated (``api=migrations/api``); a relative ``dir`` is relative to the
  function's package root (``LAMBDA_TASK_ROOT``).

It creates the database if it is missing, runs each service's migrations as
the master user (so the master owns the tables), creates or updates every
listed user (IAM login, ``GRANT rds_iam``, read/write on the tables), and
revokes ``CONNECT`` from users it made earlier that are no longer listed.
Everything is idempotent: running it twice changes nothing the second time.
It returns a JSON summary; a failure is logged and raised, so the deploy
step that invoked it fails.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trellis.runtime._logging import configure_logging, get_logger
from trellis.runtime.database._url import DatabaseUrl, env_var, parse_url

__all__ = ["AdminRequest", "handler", "read_master_secret", "request_from_env", "run"]

_log = get_logger("trellis.runtime.database")

#: Reads a secret's string by ARN.
SecretReader = Callable[[str], str]


@dataclass(frozen=True)
class AdminRequest:
    """What the admin function does for one database."""

    database: str
    url: DatabaseUrl
    secret_arn: str
    users: tuple[str, ...]
    migrations: tuple[tuple[str, Path], ...]


def _prefix(database: str) -> str:
    return env_var(database).removesuffix("_URL")


def request_from_env(database: str, environ: Mapping[str, str]) -> AdminRequest:
    """The request for ``database`` from the function's env vars; a missing one is named."""
    prefix = _prefix(database)
    missing = [
        var
        for var in (f"{prefix}_URL", f"{prefix}_MASTER_SECRET_ARN", f"{prefix}_USERS")
        if var not in environ
    ]
    if missing:
        raise ValueError(
            f"database {database!r}: {', '.join(missing)} not set on the admin function"
        )
    users = tuple(u.strip() for u in environ[f"{prefix}_USERS"].split(",") if u.strip())
    root = Path(environ.get("LAMBDA_TASK_ROOT") or os.getcwd())
    migrations: list[tuple[str, Path]] = []
    for entry in environ.get(f"{prefix}_MIGRATIONS", "").split(","):
        if not entry.strip():
            continue
        service, sep, directory = entry.strip().partition("=")
        if not sep or not service or not directory:
            raise ValueError(f"{prefix}_MIGRATIONS: {entry!r} is not service=dir")
        path = Path(directory)
        migrations.append((service, path if path.is_absolute() else root / path))
    return AdminRequest(
        database=database,
        url=parse_url(environ[f"{prefix}_URL"]),
        secret_arn=environ[f"{prefix}_MASTER_SECRET_ARN"],
        users=users,
        migrations=tuple(migrations),
    )


def read_master_secret(arn: str) -> str:
    """The master secret's JSON string, read from Secrets Manager with the function's role."""
    import boto3.session

    client = boto3.session.Session().client(
        "secretsmanager", endpoint_url=os.environ.get("AWS_ENDPOINT_URL") or None
    )
    value: str = client.get_secret_value(SecretId=arn)["SecretString"]
    return value


def _master_kwargs(request: AdminRequest, secret: str, dbname: str) -> dict[str, Any]:
    try:
        parsed = json.loads(secret)
        username, password = str(parsed["username"]), str(parsed["password"])
    except (ValueError, KeyError, TypeError):
        # Never echo the secret: say only what shape was expected.
        raise ValueError("the master secret is not JSON with username and password") from None
    kwargs: dict[str, Any] = dict(request.url.options)
    kwargs.update(
        host=request.url.host,
        port=request.url.port,
        dbname=dbname,
        user=username,
        password=password,
        connect_timeout=10,
        application_name="trellis-db-admin",
    )
    return kwargs


def run(
    database: str,
    *,
    environ: Mapping[str, str] | None = None,
    read_secret: SecretReader = read_master_secret,
) -> dict[str, Any]:
    """Do the admin work for ``database``; returns the summary :func:`handler` returns."""
    import psycopg
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    from trellis.runtime.database import _migrations as migrations_module
    from trellis.runtime.database._users import (
        ensure_database,
        ensure_service_user,
        revoke_service_user,
        stale_users,
    )

    request = request_from_env(database, os.environ if environ is None else environ)
    secret = read_secret(request.secret_arn)
    dbname = request.url.dbname
    master = _master_kwargs(request, secret, dbname)
    summary: dict[str, Any] = {"database": database, "dbname": dbname}

    with psycopg.connect(**{**master, "dbname": "postgres"}, autocommit=True) as maintenance:
        summary["database_created"] = ensure_database(maintenance, dbname)

    applied: dict[str, Any] = {}
    if request.migrations:
        engine = create_engine(
            "postgresql+psycopg://", creator=lambda: psycopg.connect(**master), poolclass=NullPool
        )
        try:
            for service, directory in request.migrations:
                if not (directory / "env.py").is_file():
                    # A connecting service without migrations (the build warned): nothing to run.
                    _log.info("database.no_migrations", database=database, service=service)
                    continue
                with engine.connect() as migration_conn:
                    before = migrations_module.current_revision(migration_conn, service=service)
                    migration_conn.rollback()
                    after = migrations_module.migrate(directory, migration_conn, service=service)
                applied[service] = {"from": before, "to": after}
                _log.info("database.migrated", database=database, service=service, to=after)
        finally:
            engine.dispose()
    summary["migrations"] = applied

    created: list[str] = []
    with psycopg.connect(**master) as conn, conn.transaction():
        for user in request.users:
            if ensure_service_user(conn, user, database=dbname, iam=True):
                created.append(user)
        revoked = sorted(stale_users(conn, dbname, request.users))
        for user in revoked:
            revoke_service_user(conn, user, database=dbname)
    summary.update(users=list(request.users), users_created=created, users_revoked=revoked)
    _log.info("database.admin_done", **summary)
    return summary


def handler(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    """The Lambda handler: ``{"database": "audit"}`` → the summary of what was done."""
    configure_logging("db-admin", os.environ.get("LOG_LEVEL", "INFO"))
    database = event.get("database") if isinstance(event, Mapping) else None
    if not isinstance(database, str) or not database:
        _log.error(
            "database.admin_bad_event",
            event_keys=sorted(event) if isinstance(event, Mapping) else None,
        )
        raise ValueError('the admin event must be {"database": "<name>"}')
    try:
        return run(database)
    except Exception as exc:
        _log.exception("database.admin_failed", database=database, exc_type=type(exc).__name__)
        raise
