"""``engine(name)``: a SQLAlchemy 2 engine on the same database and credentials.

SQLAlchemy keeps its own pool (``pool_pre_ping`` replaces connections the
server closed); every connection it opens asks :func:`connect_kwargs` for its
parameters, so in AWS each gets a current IAM token, exactly like the psycopg pool.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from trellis.runtime.database._config import pool_config
from trellis.runtime.database._pool import connect_kwargs
from trellis.runtime.database._url import url_of

if TYPE_CHECKING:
    from sqlalchemy import Engine

__all__ = ["engine"]

_engines: dict[str, Engine] = {}
_lock = threading.Lock()


def engine(name: str, **options: Any) -> Engine:
    """The process's SQLAlchemy engine of database ``name`` (``postgresql+psycopg``).

    ``options`` go to ``create_engine`` the first time (``echo=True``, ...).
    Errors are SQLAlchemy's (``sqlalchemy.exc.IntegrityError`` wraps psycopg's):
    translate them with ``translate_database_error(exc.orig)``.
    """
    with _lock:
        existing = _engines.get(name)
        if existing is not None:
            return existing
        import psycopg
        from sqlalchemy import create_engine

        kwargs = connect_kwargs(url_of(name))
        config = pool_config()

        def creator() -> psycopg.Connection[Any]:
            return psycopg.connect(**kwargs())

        created = create_engine(
            "postgresql+psycopg://",
            creator=creator,
            pool_pre_ping=True,
            pool_size=config.max_size,
            max_overflow=0,
            pool_timeout=config.timeout_s,
            **options,
        )
        _engines[name] = created
        return created


def dispose_all() -> None:
    """Dispose of every engine of this process (tests)."""
    with _lock:
        engines = list(_engines.values())
        _engines.clear()
    for each in engines:
        each.dispose()
