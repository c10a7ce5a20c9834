"""Alembic's environment for the api's ``audit`` database.

`trellis db migrate` (locally) and the db-admin function (in AWS) run the
migrations on a connection they opened themselves and hand it over as
``config.attributes["connection"]``; no ``alembic.ini`` and no URL here.
"""

from __future__ import annotations

from alembic import context

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run the migrations with `trellis db migrate` (it opens the connection)")

context.configure(connection=connection, transactional_ddl=True)
with context.begin_transaction():
    context.run_migrations()
