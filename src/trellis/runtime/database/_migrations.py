"""Alembic migrations without an ``alembic.ini``: the runner and the ``env.py`` body.

A service keeps its migrations in ``<service path>/migrations/`` (``env.py``,
``script.py.mako``, ``versions/``). Its ``env.py`` is two lines::

    from trellis.runtime.database import alembic_env
    alembic_env()      # or alembic_env(target_metadata=Base.metadata) for autogenerate

:func:`migrate` runs them on a connection it is given (the admin function's
master connection in AWS, ``trellis db migrate`` locally). Each service's
history lives in its own version table, ``alembic_version_<service>``, so two
services migrating one database never see each other's revisions.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Connection

__all__ = ["alembic_env", "current_revision", "migrate", "version_table"]


def version_table(service: str) -> str:
    """The table holding ``service``'s revision: ``alembic_version_api``."""
    return f"alembic_version_{service.replace('-', '_')}"


def _config(directory: Path, connection: Connection, service: str) -> Any:
    from alembic.config import Config

    if not (directory / "env.py").is_file():
        raise FileNotFoundError(f"{directory} has no env.py: it is not a migrations directory")
    config = Config()
    config.set_main_option("script_location", str(directory))
    config.attributes["connection"] = connection
    config.attributes["version_table"] = version_table(service)
    return config


def migrate(
    directory: str | Path, connection: Connection, *, service: str, revision: str = "head"
) -> str | None:
    """Migrate ``connection``'s database to ``revision`` with the scripts in ``directory``.

    ``connection`` is a SQLAlchemy connection; the migrations run in one
    transaction that is committed here. Returns the revision afterwards.
    """
    from alembic import command

    command.upgrade(_config(Path(directory), connection, service), revision)
    connection.commit()
    return current_revision(connection, service=service)


def current_revision(connection: Connection, *, service: str) -> str | None:
    """``service``'s revision in the database, or None before its first migration."""
    from alembic.runtime.migration import MigrationContext

    context = MigrationContext.configure(connection, opts={"version_table": version_table(service)})
    return context.get_current_revision()


def alembic_env(target_metadata: Any = None) -> None:
    """The body of a service's ``migrations/env.py``.

    Online: on the connection :func:`migrate` passed (or, run by the plain
    ``alembic`` command, one made from the ``sqlalchemy.url`` option).
    Offline (``alembic upgrade --sql``): the SQL is printed.
    """
    from alembic import context

    config = context.config
    table = config.attributes.get("version_table", "alembic_version")
    options: dict[str, Any] = {"target_metadata": target_metadata, "version_table": table}
    if context.is_offline_mode():
        context.configure(
            url=config.get_main_option("sqlalchemy.url"), literal_binds=True, **options
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, **options)
        with context.begin_transaction():
            context.run_migrations()
        return
    from sqlalchemy import create_engine, pool

    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no connection given and no sqlalchemy.url option set")
    with create_engine(url, poolclass=pool.NullPool).connect() as own:
        context.configure(connection=own, **options)
        with context.begin_transaction():
            context.run_migrations()
        own.commit()
