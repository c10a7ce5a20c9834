"""PostgreSQL errors → the platform's error taxonomy.

By SQLSTATE class, never by message: a client learns that its write conflicts
(409) or is invalid (422), or that the database is unavailable (503 with
``Retry-After``); the SQLSTATE and the server's message go to the log only (it
may name tables, constraints and values).
"""

from __future__ import annotations

from typing import Final

from trellis.runtime._errors import (
    AccessDenied,
    Conflict,
    DependencyUnavailable,
    InternalError,
    TrellisError,
    Unprocessable,
)
from trellis.runtime._logging import get_logger

__all__ = ["RETRYABLE_SQLSTATES", "is_retryable", "sqlstate_of", "translate_database_error"]

_log = get_logger("trellis.runtime.database")

#: Serialization failure, deadlock: the transaction may succeed if run again.
RETRYABLE_SQLSTATES: Final = frozenset({"40001", "40P01"})
_CONFLICT: Final = {
    "23505": "the item already exists",
    "23503": "the change refers to an item that does not exist, or is still referred to",
    "23P01": "the change conflicts with an existing item",
}
_INVALID: Final = frozenset({"23502", "23514", "22001", "22003", "22007", "22008", "22P02"})
# Server going away or not accepting connections: admin/crash shutdown, cannot
# connect now (starting, recovering), too many connections, out of resources.
_UNAVAILABLE: Final = frozenset({"57P01", "57P02", "57P03", "53300", "53000", "53100", "53200"})
_TIMEOUT: Final = frozenset({"57014", "55P03", "25P03"})
# A login refused while connecting carries no SQLSTATE (libpq reports it as text):
# password or IAM token (RDS says "PAM authentication failed"), a missing role,
# pg_hba, or CONNECT revoked.
_LOGIN_REFUSED: Final = (
    "password authentication failed",
    "PAM authentication failed",
    "no pg_hba.conf entry",
    "does not exist",
    "permission denied for database",
    "not permitted to log in",
)


def sqlstate_of(exc: BaseException) -> str | None:
    """The SQLSTATE of a psycopg error, if the server sent one."""
    code = getattr(exc, "sqlstate", None)
    return code if isinstance(code, str) else None


def is_retryable(exc: BaseException) -> bool:
    """True for a serialization failure or a deadlock: run the whole transaction again."""
    return sqlstate_of(exc) in RETRYABLE_SQLSTATES


def translate_database_error(exc: BaseException, *, database: str | None = None) -> TrellisError:
    """The platform error a client should see for ``exc`` (a psycopg or pool error).

    Use it as ``raise translate_database_error(exc, database="audit") from exc``;
    :func:`trellis.runtime.database.connection` does it for you.
    """
    if isinstance(exc, TrellisError):
        return exc
    code = sqlstate_of(exc)
    kind = type(exc).__name__
    fields = {"database": database, "sqlstate": code, "exc_type": kind}
    if code in _CONFLICT:
        _log.info("database.conflict", **fields, constraint=_constraint(exc))
        return Conflict(_CONFLICT[code])
    if code in _INVALID:
        _log.info("database.invalid_data", **fields, constraint=_constraint(exc))
        return Unprocessable("the data is not valid for this operation")
    if code in RETRYABLE_SQLSTATES:
        _log.warning("database.contention", **fields)
        return DependencyUnavailable("the database is busy, retry later", retry_after=1)
    if code in _TIMEOUT:
        _log.warning("database.timeout", **fields)
        return DependencyUnavailable("the database did not answer in time", retry_after=1)
    if (code is not None and code.startswith("28")) or _is_refused_login(exc):
        # A refused login (bad password, IAM token rejected, no such role, or pg_hba):
        # the deployment is wrong, not the client.
        _log.error("database.login_refused", **fields, message=str(exc))
        return AccessDenied()
    if code == "42501":
        _log.error("database.permission_denied", **fields, message=str(exc))
        return AccessDenied()
    if code in _UNAVAILABLE or (code is not None and code.startswith("08")) or _is_outage(exc):
        _log.warning("database.unavailable", **fields, message=str(exc))
        return DependencyUnavailable()
    _log.error("database.error", **fields, message=str(exc))
    return InternalError()


def _is_refused_login(exc: BaseException) -> bool:
    if sqlstate_of(exc) is not None or type(exc).__name__ != "OperationalError":
        return False
    text = str(exc)
    return "FATAL" in text and any(marker in text for marker in _LOGIN_REFUSED)


def _constraint(exc: BaseException) -> str | None:
    diag = getattr(exc, "diag", None)
    name = getattr(diag, "constraint_name", None)
    return name if isinstance(name, str) else None


def _is_outage(exc: BaseException) -> bool:
    """A connection that could not be made or was lost, or no connection free in time."""
    import psycopg

    if isinstance(exc, psycopg.OperationalError) and sqlstate_of(exc) is None:
        return True
    try:
        from psycopg_pool import PoolClosed, PoolTimeout, TooManyRequests
    except ImportError:  # pragma: no cover - psycopg without its pool
        return False
    return isinstance(exc, (PoolTimeout, PoolClosed, TooManyRequests))
