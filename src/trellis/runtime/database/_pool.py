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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from trellis.runtime._logging import get_logger
from trellis.runtime.database._config import pool_config
from trellis.runtime.database._tokens import RdsTokenSource
from trellis.runtime.database._url import DatabaseUrl, url_of

if TYPE_CHECKING:
    import psycopg
    from psycopg_pool import ConnectionPool

__all__ = ["checkout", "close_all", "connect_kwargs", "pool"]

_log = get_logger("trellis.runtime.database")

_pools: dict[str, ConnectionPool] = {}
_lock = threading.Lock()
# Token sources by (host, port, user): the pool and the engine of one database share one.
_tokens: dict[tuple[str, int, str], RdsTokenSource] = {}
# Connections handed out by `checkout`, per database.
_in_use: dict[str, int] = {}


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
        open=False,
    )
    with _lock:
        raced = _pools.get(name)
        if raced is not None:
            return raced
        # Wait for the first connection: a request arriving while it is still being
        # made would otherwise make the pool grow a second one. A database that is
        # down fails this request (PoolTimeout, a 503) and the next one tries again.
        try:
            created.open(wait=True, timeout=config.timeout_s)
        except Exception:
            created.close()
            raise
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


@contextmanager
def checkout(name: str) -> Iterator[psycopg.Connection[Any]]:
    """A connection of ``name``'s pool, returned when the block ends.

    When no connection comes in time and none is checked out, the database is
    unreachable, not busy: the pool is dropped, so the next request makes a new
    one that connects at once. The pool's own reconnect backoff doubles after
    every failure, and would keep a recovered database unused for minutes.
    """
    from psycopg_pool import PoolTimeout

    current = pool(name)
    try:
        with current.connection() as conn:
            with _lock:
                _in_use[name] = _in_use.get(name, 0) + 1
            try:
                yield conn
            finally:
                with _lock:
                    _in_use[name] -= 1
    except PoolTimeout:
        _discard_if_unreachable(name, current)
        raise


def _discard_if_unreachable(name: str, current: ConnectionPool) -> None:
    with _lock:
        if _pools.get(name) is not current or _in_use.get(name, 0) > 0:
            return
        del _pools[name]
    _log.warning("database.pool_discarded", database=name, reason="no connection could be made")
    current.close(timeout=0)


def close_all() -> None:
    """Close every pool and engine of this process (tests, and a container's shutdown)."""
    with _lock:
        pools = list(_pools.values())
        _pools.clear()
        _tokens.clear()
        _in_use.clear()
    for each in pools:
        each.close()
    engines = sys.modules.get("trellis.runtime.database._engine")
    if engines is not None:
        engines.dispose_all()
