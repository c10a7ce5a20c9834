"""Databases locally: one PostgreSQL server per ``[databases.<name>]``, IAM auth emulated.

In AWS a service logs in as its own database user with an IAM token, and only a
service that declares ``connect`` has ``rds-db:connect`` on its user. Locally the
user (a login role with a generated password) exists only for those services:
a service without ``connect`` has no role, so it cannot log in. A role dropped from
the manifest is dropped from the server at the next provisioning.

Privileges: the database belongs to the superuser ``trellis``, which runs the
migrations (``trellis db migrate``), so only it changes the schema. A service's
role may connect to its database (nobody else may: ``CONNECT`` is revoked from
``PUBLIC``), use the ``public`` schema and read and write every table and
sequence in it, present and future (default privileges of ``trellis``): the data,
not the schema — what a running service needs, and no more.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from trellis.kinds import Database, database_name, database_user
from trellis.local.provisioners import Provisioning
from trellis.local.servers.postgres import SUPERUSER, PostgresServer


def start_server(directory: Path, spec: Database, *, durable: bool = True) -> PostgresServer:
    """The entry's server, not yet started (:func:`trellis.local.provision.start_servers` does)."""
    return PostgresServer(directory, durable=durable)


def connecting_services(ctx_manifest: Any, name: str) -> list[str]:
    """The services that declare ``connect`` on database ``name``."""
    return [
        service
        for service in ctx_manifest.services
        if any(r == name and "connect" in levels for r, levels in ctx_manifest.uses(service))
    ]


def provision(ctx: Provisioning, name: str, spec: Database) -> None:
    server: PostgresServer = ctx.server("database", name)
    database = database_name(name)
    roles = {database_user(s): s for s in connecting_services(ctx.manifest, name)}
    passwords = ensure_database(server, database, list(roles))
    for role, service in roles.items():
        ctx.out.per_service[("database", name, service)] = server.url(
            database, role, passwords[role]
        )
    # What the summary shows: no credentials (each service's URL has its own).
    ctx.out.values[("database", name)] = f"postgresql://127.0.0.1:{server.port}/{database}"


def ensure_database(
    server: PostgresServer, database: str, roles: list[str], *, drop: bool = True
) -> dict[str, str]:
    """Create ``database`` and ``roles`` as its login roles; return their passwords.

    The SQL is the admin function's (:mod:`trellis.runtime.database._users`), so a
    service has the same privileges here as in AWS; only the login differs (a
    password instead of an IAM token). ``drop``: also drop every other service
    role (the server's roles are exactly the manifest's); tests that share a
    server between manifests keep them.
    """
    from psycopg import sql

    from trellis.runtime.database._users import (
        MARK,
        ensure_service_user,
        managed_roles,
    )
    from trellis.runtime.database._users import ensure_database as create_database

    passwords = {role: server.credentials.password(f"role:{role}") for role in roles}
    with server.connect("postgres") as conn:
        create_database(conn, database)
        # The server's own databases too: a service role connects to its database only.
        for other in ("postgres", "template1"):
            conn.execute(
                sql.SQL("REVOKE CONNECT, TEMPORARY ON DATABASE {} FROM PUBLIC").format(
                    sql.Identifier(other)
                )
            )
    with server.connect(database) as conn:
        # Roles made before they carried the mark (every role on this server but the
        # superuser is ours: the server was created for this project) are adopted.
        for (legacy,) in conn.execute(
            "SELECT rolname FROM pg_roles WHERE rolcanlogin AND NOT rolsuper"
        ).fetchall():
            conn.execute(
                sql.SQL("COMMENT ON ROLE {} IS {}").format(
                    sql.Identifier(legacy), sql.Literal(MARK)
                )
            )
        for role in sorted(managed_roles(conn) - set(passwords)) if drop else ():
            # Its privileges here (and its default-privilege entries) go first.
            conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
            conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))
        for role, password in passwords.items():
            ensure_service_user(
                conn, role, database=database, iam=False, password=password, owner=SUPERUSER
            )
    return passwords


def grant(conn: Any, database: str, role: str) -> None:
    """Give ``role`` the service privileges on ``database`` (connected to it, as ``trellis``).

    Run again after a migration: ``ON ALL TABLES`` covers what exists now, the default
    privileges what ``trellis`` creates later.
    """
    from trellis.runtime.database._users import grant_privileges

    grant_privileges(conn, role, database=database, owner=SUPERUSER)
