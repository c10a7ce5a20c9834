"""Alembic migrations of a service (``<service path>/migrations``), run on a local database.

The same runner as the db-admin function's in AWS
(:func:`trellis.runtime.database.migrate`): each service's revision is kept in
its own version table (``alembic_version_<service>``), so local and deployed
databases carry the same history.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from trellis.local.servers import PostgresServer
    from trellis.manifest import Manifest


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


def migrate_database(
    manifest: Manifest,
    root: Path,
    server: PostgresServer,
    name: str,
    revision: str = "head",
    *,
    only: str | None = None,
) -> dict[str, str | None]:
    """Migrate database ``name`` with the migrations of every service that connects to it.

    What the db-admin function does in AWS before new code goes live: each
    connecting service's ``<path>/migrations`` (one without any is skipped), run as
    the database's owner, then the service roles granted what the migrations made.
    ``only`` migrates that service's migrations alone (``trellis db migrate --service``);
    every connecting service's role is granted either way. Returns each migrated
    service's revision.
    """
    from trellis.kinds import database_name, database_user
    from trellis.local.provisioners.database import connecting_services, grant

    database = database_name(name)
    services = connecting_services(manifest, name)
    revisions: dict[str, str | None] = {}
    for service in services if only is None else [only]:
        migrations = root / manifest.service_path(service) / "migrations"
        if (migrations / "env.py").is_file():
            revisions[service] = run_migrations(
                migrations, server.url(database), revision, service=service
            )
    if revisions:
        with server.connect(database) as conn:
            for service in services:
                grant(conn, database, database_user(service))
    return revisions
