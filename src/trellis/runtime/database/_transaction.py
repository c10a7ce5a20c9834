"""``connection(name)``: one transaction on a pooled connection, errors translated.

Serialization failures and deadlocks are PostgreSQL asking the client to run
the transaction again; :func:`retry_transaction` does that a bounded number of
times with jittered backoff. ``connection`` itself cannot re-run the body of a
``with`` block, so it only translates the error; pass the body as a function to
:func:`retry_transaction` to have it retried.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from trellis.runtime._errors import TrellisError
from trellis.runtime._logging import get_logger
from trellis.runtime.database._errors import is_retryable, translate_database_error
from trellis.runtime.database._pool import checkout

if TYPE_CHECKING:
    import psycopg

__all__ = ["connection", "retry_transaction"]

_log = get_logger("trellis.runtime.database")

T = TypeVar("T")

#: Attempts of a transaction that keeps losing to concurrent ones (the first included).
DEFAULT_ATTEMPTS = 4


@contextmanager
def connection(name: str) -> Iterator[psycopg.Connection[Any]]:
    """A pooled connection to database ``name`` inside a transaction.

    Commits when the block ends normally, rolls back when it raises; a
    database error leaves as a platform error (``Conflict``, ``Unprocessable``,
    ``DependencyUnavailable`` with ``Retry-After``, ...) ``from`` the original.
    Errors of your own code pass through unchanged, after the rollback.
    """
    import psycopg
    import psycopg_pool

    try:
        with checkout(name) as conn, conn.transaction():
            yield conn
    except (psycopg.Error, psycopg_pool.PoolTimeout, psycopg_pool.PoolClosed) as exc:
        raise translate_database_error(exc, database=name) from exc


def retry_transaction(
    name: str,
    work: Callable[[psycopg.Connection[Any]], T],
    *,
    attempts: int = DEFAULT_ATTEMPTS,
    base_delay_s: float = 0.02,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run ``work(conn)`` in a transaction of database ``name``; run it again when it loses.

    A serialization failure (``40001``) or a deadlock (``40P01``) rolls the
    transaction back and runs ``work`` again on a fresh transaction, up to
    ``attempts`` times, sleeping ``base_delay_s * 2**n`` with full jitter in
    between. ``work`` must therefore do nothing outside the database it cannot
    repeat. Past the last attempt the client gets a 503 with ``Retry-After``.
    """
    import psycopg
    import psycopg_pool

    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    for attempt in range(1, attempts + 1):
        try:
            with checkout(name) as conn, conn.transaction():
                return work(conn)
        except TrellisError:
            raise
        except (psycopg.Error, psycopg_pool.PoolTimeout, psycopg_pool.PoolClosed) as exc:
            if not is_retryable(exc) or attempt == attempts:
                raise translate_database_error(exc, database=name) from exc
            delay = random.uniform(0, base_delay_s * 2 ** (attempt - 1))
            _log.info(
                "database.transaction_retried",
                database=name,
                attempt=attempt,
                sqlstate=getattr(exc, "sqlstate", None),
                delay_s=round(delay, 4),
            )
            sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover
