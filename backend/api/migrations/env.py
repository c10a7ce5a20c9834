"""Alembic's environment for the api's migrations (``trellis db migrate``, the db-admin function)."""

from trellis.runtime.database import alembic_env

alembic_env()
