"""A service's PostgreSQL databases: a pool per database, transactions, errors, an engine.

``<NAME>_DATABASE_URL`` (``AUDIT_DATABASE_URL``) says where each database is and
who the service is::

    from trellis.runtime import database

    with database.connection("audit") as conn:       # one transaction
        conn.execute("INSERT INTO audit_events ...")

In AWS the URL has no password: every new connection signs an RDS IAM auth
token with the service's own role. Locally it carries the password ``trellis
dev`` generated. Database errors reach the client as platform errors (a unique
violation is a 409, an unreachable database a 503 with ``Retry-After``).

This package is imported only by services that use a database: nothing in
``trellis.runtime`` imports it at module level, and importing it loads no
driver until a pool, an engine or a probe is first needed.
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from trellis.runtime.database._engine import engine as engine
    from trellis.runtime.database._errors import (
        translate_database_error as translate_database_error,
    )
    from trellis.runtime.database._migrations import alembic_env as alembic_env
    from trellis.runtime.database._migrations import current_revision as current_revision
    from trellis.runtime.database._migrations import migrate as migrate
    from trellis.runtime.database._migrations import version_table as version_table
    from trellis.runtime.database._pool import close_all as close_all
    from trellis.runtime.database._pool import pool as pool
    from trellis.runtime.database._probe import ping as ping
    from trellis.runtime.database._transaction import connection as connection
    from trellis.runtime.database._transaction import retry_transaction as retry_transaction
    from trellis.runtime.database._users import UnsafeRoleError as UnsafeRoleError
    from trellis.runtime.database._users import ensure_database as ensure_database
    from trellis.runtime.database._users import ensure_service_user as ensure_service_user
    from trellis.runtime.database._users import revoke_service_user as revoke_service_user

_MODULE_OF: dict[str, str] = {
    "UnsafeRoleError": "_users",
    "alembic_env": "_migrations",
    "current_revision": "_migrations",
    "ensure_database": "_users",
    "ensure_service_user": "_users",
    "migrate": "_migrations",
    "revoke_service_user": "_users",
    "version_table": "_migrations",
    "close_all": "_pool",
    "connection": "_transaction",
    "engine": "_engine",
    "ping": "_probe",
    "pool": "_pool",
    "retry_transaction": "_transaction",
    "translate_database_error": "_errors",
}

__all__ = sorted(_MODULE_OF)


def __getattr__(name: str) -> Any:
    module_name = _MODULE_OF.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module_name}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
