"""One psycopg connection pool per database per process, created on first use.

The pool outlives a Lambda invocation (it is module state), so a warm
instance reuses its connection. Every checkout is checked (an empty query):
a connection the server closed (idle timeout, failover, ``pg_terminate_backend``)
is discarded and replaced before the caller sees it. In AWS every new
connection gets an IAM token through the pool's ``kwargs`` callback.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from trellis.runtime._logging import get_logger
from trellis.runtime.database._config import pool_config
from trellis.runtime.database._tokens import RdsTokenSource
from trellis.runtime.database._url import DatabaseUrl, url_of

if TYPE_CHECKING:
    from psycopg_pool import ConnectionPool

__all__ = ["close_all", "connect_kwargs", "pool"]

_log = get_logger("trellis.runtime.database")

_pools: dict[str, ConnectionPool] = {}
_lock = threading.Lock()
# Token sources by (host, port, user): the pool and the engine of one database share one.
_tokens: dict[tuple[str, int, str], RdsTokenSource] = {}


def token_source(url: DatabaseUrl) -> RdsTokenSource:
    """The process's token source for ``url``'s host, port and user."""
    key = (url.host, url.port, url.user)
    with _lock:
        source = _tokens.get(key)
        if source is None:
            source = _tokens[key] = RdsTokenSource(url.host, url.port, url.user)
        return source


def connect_kwargs(url: DatabaseUrl) -> Callable[[], dict[str, Any]]:
    """A callable giving the libpq parameters of one NEW connection to ``url``.

    With an IAM URL each call carries the current token as the password.
    """
    base: dict[str, Any] = url.connect_kwargs()
    base.setdefault("connect_timeout", pool_config().connect_timeout_s)
    service = os.environ.get("TRELLIS_SERVICE")
    if service:
        base.setdefault("application_name", service)
    source = token_source(url) if url.iam else None

    def kwargs() -> dict[str, Any]:
        if source is None:
            return dict(base)
        return {**base, "password": source.token()}

    return kwargs


def _configure(conn: Any) -> None:
    # Transactions are explicit (`connection()` opens one): no implicit BEGIN
    # left open by a read, and the pool's check is a plain empty query.
    conn.autocommit = True


def pool(name: str) -> ConnectionPool:
    """The process's pool of database ``name`` (from ``<NAME>_DATABASE_URL``), opened on first use."""
    existing = _pools.get(name)
    if existing is not None:
        return existing
    with _lock:
        existing = _pools.get(name)
        if existing is not None:
            return existing
    url = url_of(name)
    from psycopg_pool import ConnectionPool

    config = pool_config()
    created: ConnectionPool = ConnectionPool(
        kwargs=connect_kwargs(url),
        min_size=config.min_size,
        max_size=config.max_size,
        timeout=config.timeout_s,
        configure=_configure,
        check=ConnectionPool.check_connection,
        name=f"trellis.{name}",
        # Open now but do not wait: a database that is down fails the request
        # that needs it (a 503), not the import or the cold start.
        open=False,
    )
    with _lock:
        raced = _pools.get(name)
        if raced is not None:
            return raced
        created.open(wait=False)
        _pools[name] = created
    _log.info(
        "database.pool_created",
        database=name,
        target=url.redacted(),
        iam=url.iam,
        min_size=config.min_size,
        max_size=config.max_size,
    )
    return created


def close_all() -> None:
    """Close every pool and engine of this process (tests, and a container's shutdown)."""
    with _lock:
        pools = list(_pools.values())
        _pools.clear()
        _tokens.clear()
    for each in pools:
        each.close()
    engines = sys.modules.get("trellis.runtime.database._engine")
    if engines is not None:
        engines.dispose_all()
