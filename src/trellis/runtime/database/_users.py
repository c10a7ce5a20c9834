"""The SQL of "this service's database user exists, with exactly these privileges".

One function for both homes of a database: in AWS the admin function calls it
with ``iam=True`` (the user logs in with an IAM token: ``GRANT rds_iam``, no
password); locally ``trellis dev`` calls it with the generated password. A
service user may read and write the rows of every table of the ``public``
schema (and use its sequences), now and for tables the migrations create
later; it owns nothing and may not change the schema: migrations run as the
owner.

Roles this module manages carry the comment :data:`MARK`. It refuses to touch
a role that exists without it (the master user, ``rdsadmin``, a role someone
made by hand): a service called ``postgres`` must not be handed the master's
login.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    import psycopg

__all__ = [
    "MARK",
    "UnsafeRoleError",
    "ensure_database",
    "ensure_service_user",
    "grant_privileges",
    "managed_roles",
    "revoke_service_user",
]

#: The comment on every role created here.
MARK: Final = "trellis:service-user"

_ROLE_RE: Final = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_RESERVED_PREFIXES: Final = ("pg_", "rds")
_TABLE_PRIVILEGES: Final = "SELECT, INSERT, UPDATE, DELETE"
_SEQUENCE_PRIVILEGES: Final = "USAGE, SELECT, UPDATE"


class UnsafeRoleError(ValueError):
    """A service user name that is not ours to manage (reserved, or an existing foreign role)."""


def _check_name(user: str) -> None:
    if not _ROLE_RE.fullmatch(user):
        raise UnsafeRoleError(f"database user {user!r} is not a lower-case SQL identifier")
    if user.startswith(_RESERVED_PREFIXES) or user in {"postgres", "public"}:
        raise UnsafeRoleError(f"database user {user!r} is a reserved role name")


def managed_roles(conn: psycopg.Connection[Any]) -> set[str]:
    """The roles of the cluster that this module created."""
    rows = conn.execute(
        "SELECT r.rolname FROM pg_roles r JOIN pg_shdescription d"
        " ON d.objoid = r.oid AND d.classoid = 'pg_authid'::regclass"
        " WHERE d.description = %s",
        (MARK,),
    ).fetchall()
    return {row[0] for row in rows}


def ensure_service_user(
    conn: psycopg.Connection[Any],
    user: str,
    *,
    database: str,
    iam: bool,
    password: str | None = None,
    owner: str | None = None,
    schema: str = "public",
) -> bool:
    """Create or update ``user`` so that it can log in to ``database`` and use its tables.

    ``conn`` is a connection to ``database`` as a role that may create roles
    and owns the schema's tables (the RDS master; a local superuser). With
    ``iam`` the role has no password and is granted ``rds_iam``; without, it
    gets ``password``. ``owner`` is the role that will create tables later (the
    one running the migrations; the connection's user by default): its future
    tables are granted to ``user`` too. Idempotent; returns True if the role
    was created. Raises :class:`UnsafeRoleError` for a name it must not manage.
    """
    from psycopg import sql

    _check_name(user)
    if not iam and not password:
        raise ValueError("a user without IAM authentication needs a password")
    role = sql.Identifier(user)
    exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (user,)).fetchone()
    if exists and user not in managed_roles(conn):
        raise UnsafeRoleError(
            f"database role {user!r} exists and was not created by Trellis: refusing to manage it"
        )
    # A password is composed client-side (utility statements take no parameters) as a literal.
    secret = (
        sql.SQL("PASSWORD NULL") if iam else sql.SQL("PASSWORD {}").format(sql.Literal(password))
    )
    # CREATE ROLE's defaults are NOSUPERUSER NOCREATEDB NOCREATEROLE; ALTER may not even
    # restate NOSUPERUSER unless run by a superuser (the RDS master is not one).
    verb = "ALTER ROLE {} LOGIN {}" if exists else "CREATE ROLE {} LOGIN {}"
    conn.execute(sql.SQL(verb).format(role, secret))
    conn.execute(sql.SQL("COMMENT ON ROLE {} IS {}").format(role, sql.Literal(MARK)))
    if iam:
        conn.execute(sql.SQL("GRANT rds_iam TO {}").format(role))
    grant_privileges(conn, user, database=database, owner=owner, schema=schema)
    return not exists


def grant_privileges(
    conn: psycopg.Connection[Any],
    user: str,
    *,
    database: str,
    owner: str | None = None,
    schema: str = "public",
) -> None:
    """Grant ``user`` a service's privileges on ``database``: its rows, not its schema.

    ``ON ALL TABLES`` covers the tables that exist now, the default privileges
    those ``owner`` (the connection's user by default) creates later; run it
    again after a migration made by another role. Idempotent.
    """
    from psycopg import sql

    role = sql.Identifier(user)
    owner_role = sql.Identifier(owner) if owner else sql.SQL("CURRENT_USER")
    ns = sql.Identifier(schema)
    statements = [
        sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(database), role),
        sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(ns, role),
        sql.SQL("GRANT " + _TABLE_PRIVILEGES + " ON ALL TABLES IN SCHEMA {} TO {}").format(
            ns, role
        ),
        sql.SQL("GRANT " + _SEQUENCE_PRIVILEGES + " ON ALL SEQUENCES IN SCHEMA {} TO {}").format(
            ns, role
        ),
        sql.SQL(
            "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} GRANT "
            + _TABLE_PRIVILEGES
            + " ON TABLES TO {}"
        ).format(owner_role, ns, role),
        sql.SQL(
            "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} GRANT "
            + _SEQUENCE_PRIVILEGES
            + " ON SEQUENCES TO {}"
        ).format(owner_role, ns, role),
    ]
    for statement in statements:
        conn.execute(statement)


def revoke_service_user(conn: psycopg.Connection[Any], user: str, *, database: str) -> None:
    """Take ``database`` away from ``user`` (its service no longer declares ``connect``).

    The role stays (it may use other databases of the cluster); it can no
    longer connect to this one. Only roles this module manages are touched.
    """
    from psycopg import sql

    _check_name(user)
    if user not in managed_roles(conn):
        raise UnsafeRoleError(f"database role {user!r} was not created by Trellis")
    conn.execute(
        sql.SQL("REVOKE CONNECT ON DATABASE {} FROM {}").format(
            sql.Identifier(database), sql.Identifier(user)
        )
    )


def ensure_database(conn: psycopg.Connection[Any], database: str) -> bool:
    """Create ``database`` if it is missing, and let no one connect to it by default.

    ``conn`` must be in autocommit mode, connected to another database
    (``postgres``). PostgreSQL grants ``CONNECT`` on a new database to
    ``PUBLIC``; revoking it means only the users granted by
    :func:`ensure_service_user` (and the owner) get in. Returns True if created.
    """
    from psycopg import sql

    exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone()
    if not exists:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    conn.execute(
        sql.SQL("REVOKE CONNECT, TEMPORARY ON DATABASE {} FROM PUBLIC").format(
            sql.Identifier(database)
        )
    )
    return not exists


def stale_users(conn: psycopg.Connection[Any], database: str, wanted: Iterable[str]) -> set[str]:
    """Managed roles that may still connect to ``database`` but are not in ``wanted``."""
    rows = conn.execute(
        "SELECT rolname FROM pg_roles WHERE has_database_privilege(oid, %s, 'CONNECT')"
        " AND NOT rolsuper",
        (database,),
    ).fetchall()
    can_connect = {row[0] for row in rows}
    return (can_connect & managed_roles(conn)) - set(wanted)
