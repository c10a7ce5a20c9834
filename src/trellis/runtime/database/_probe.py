"""``ping(url)``: the readiness probe of a database (``/ready``)."""

from __future__ import annotations

from trellis.runtime.database._errors import translate_database_error
from trellis.runtime.database._pool import connect_kwargs
from trellis.runtime.database._url import parse_url

__all__ = ["ping"]

#: The probe makes one quick attempt: ``/ready`` bounds it anyway.
PROBE_CONNECT_TIMEOUT_S = 2


def ping(url: str) -> bool:
    """Log in to the database at ``url`` with the service's credentials and run ``SELECT 1``.

    It opens its own short connection rather than borrowing from the pool: the
    probe proves that a NEW login works (token, password, network), which is
    what a new instance needs. Failures raise platform errors (503, or 500 for
    a refused login).
    """
    import psycopg

    try:
        parsed = parse_url(url)
    except ValueError as exc:
        raise translate_database_error(exc) from exc
    kwargs = connect_kwargs(parsed)()
    kwargs["connect_timeout"] = PROBE_CONNECT_TIMEOUT_S
    try:
        with psycopg.connect(**kwargs, autocommit=True) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        raise translate_database_error(exc, database=parsed.dbname) from exc
    return True
