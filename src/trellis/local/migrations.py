"""Alembic migrations of a service (``<service path>/migrations``), run on a local database."""

from __future__ import annotations

from pathlib import Path


def run_migrations(script_location: Path, url: str, revision: str = "head") -> None:
    """``alembic upgrade`` from ``script_location`` with an in-memory config (no alembic.ini).

    The migrations' ``env.py`` reads the URL from ``config.get_main_option("sqlalchemy.url")``
    (a ``postgresql+psycopg://`` URL of the database's owner).
    """
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(script_location))
    sa_url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    # The config is a ConfigParser: % would start an interpolation.
    config.set_main_option("sqlalchemy.url", sa_url.replace("%", "%%"))
    command.upgrade(config, revision)
