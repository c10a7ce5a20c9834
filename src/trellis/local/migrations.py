"""Alembic migrations of a service (``<service path>/migrations``), run on a local database.

The same runner as the db-admin function's in AWS
(:func:`trellis.runtime.database.migrate`): each service's revision is kept in
its own version table (``alembic_version_<service>``), so local and deployed
databases carry the same history.
"""

from __future__ import annotations

from pathlib import Path


def run_migrations(
    script_location: Path, url: str, revision: str = "head", *, service: str
) -> str | None:
    """``alembic upgrade`` of ``service``'s migrations on the database at ``url`` (its owner).

    Returns the revision the database is at afterwards.
    """
    from sqlalchemy import create_engine, pool

    from trellis.runtime.database import migrate

    sa_url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = create_engine(sa_url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            return migrate(script_location, connection, service=service, revision=revision)
    finally:
        engine.dispose()
