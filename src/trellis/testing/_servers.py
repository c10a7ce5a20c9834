"""Real PostgreSQL and Valkey servers for tests: one per database/cache for the session,
and per test its own database (cloned from a migrated template) or its own cache index.

Servers start on first use (a session that touches no database starts none), with
their data in pytest's temporary folder and durability off (no fsync): fast, and
nothing to keep. A test's database is ``CREATE DATABASE ... TEMPLATE``: the
migrations of every service that connects run once per session, into the template.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trellis.kinds import CACHE, DATABASE, ResourceKind, cache_user, database_name, database_user
from trellis.manifest import Manifest

#: Valkey databases (``SELECT`` indexes) of a test server: a test's cache is one of them.
CACHE_INDEXES = 1024


@dataclass(frozen=True)
class TestDatabase:
    """A test's own database on the session's server."""

    name: str
    #: The PostgreSQL database (``audit_t3``), a clone of the migrated template.
    database: str
    #: The owner's URL (``trellis``: schema changes, assertions).
    admin_url: str
    #: The service's own URL (what its env var carries), or the owner's without a service.
    url: str


@dataclass(frozen=True)
class TestCache:
    """A test's own cache: an empty Valkey database index on the session's server."""

    name: str
    index: int
    admin_url: str
    url: str


class LocalServers:
    """The session's database and cache servers, started on first use."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._servers: dict[tuple[ResourceKind, str], Any] = {}
        self._templates: set[tuple[str, str]] = set()
        self._counter = itertools.count(1)
        self._lock = threading.Lock()
        #: Seconds each server took to start, and the last test database's clone.
        self.timings: dict[str, float] = {}

    def server(self, kind: ResourceKind, name: str) -> Any:
        from trellis.local.servers import PostgresServer, ValkeyServer

        with self._lock:
            key = (kind, name)
            if key not in self._servers:
                folder = self.directory / ("databases" if kind == "database" else "caches") / name
                started = time.perf_counter()
                if kind == "database":
                    server: Any = PostgresServer(folder, durable=False).start()
                else:
                    server = ValkeyServer(folder, durable=False, databases=CACHE_INDEXES).start()
                self.timings[f"{kind} {name} start"] = time.perf_counter() - started
                self._servers[key] = server
            return self._servers[key]

    def servers_for(self, manifest: Manifest) -> dict[tuple[ResourceKind, str], Any]:
        """The servers of every database and cache of ``manifest`` (started if need be)."""
        found: dict[tuple[ResourceKind, str], Any] = {}
        for name in manifest.specs(DATABASE):
            found[("database", name)] = self.server("database", name)
        for name in manifest.specs(CACHE):
            found[("cache", name)] = self.server("cache", name)
        return found

    def stop(self) -> None:
        from trellis.local.provision import stop_servers

        stop_servers(self._servers)
        self._servers.clear()

    def database(
        self, manifest: Manifest, root: Path, name: str, service: str | None = None
    ) -> TestDatabase:
        """A new database for one test: a clone of ``name``'s migrated template."""
        from psycopg import sql

        from trellis.local.provisioners.database import connecting_services

        server = self.server("database", name)
        template = self._template(manifest, root, name)
        roles = [database_user(s) for s in connecting_services(manifest, name)]
        clone = f"{database_name(name)}_t{os.getpid()}_{next(self._counter)}"
        started = time.perf_counter()
        with server.connect("postgres") as conn:
            conn.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(clone), sql.Identifier(template)
                )
            )
            # The clone has the template's tables, grants and default privileges; only the
            # database's own privileges are not copied.
            for role in roles:
                conn.execute(
                    sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}").format(
                        sql.Identifier(clone), sql.Identifier(role)
                    )
                )
        self.timings["database clone"] = time.perf_counter() - started
        url = server.url(clone)
        if service is not None:
            role = database_user(service)
            if role not in roles:
                raise ValueError(f'services.{service}.uses has no {name} = "connect"')
            url = server.url(clone, role, server.credentials.password(f"role:{role}"))
        return TestDatabase(name, clone, server.url(clone), url)

    def drop_database(self, test_db: TestDatabase) -> None:
        from psycopg import sql

        server = self.server("database", test_db.name)
        with server.connect("postgres") as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(test_db.database)
                )
            )

    def _template(self, manifest: Manifest, root: Path, name: str) -> str:
        """``<database>_template_<project>``: created, given its roles, migrated once per session."""
        from trellis.local.migrations import run_migrations
        from trellis.local.provisioners.database import (
            connecting_services,
            ensure_database,
            grant,
        )

        # One template per project: two manifests (a test's own, the example's) may name
        # their databases alike, and their migrations even share revision ids.
        digest = hashlib.sha256(str(root).encode()).hexdigest()[:8]
        template = f"{database_name(name)[:40]}_template_{digest}"
        key = (str(root), name)
        with self._lock:
            if key in self._templates:
                return template
            server = self._servers[("database", name)]
            services = connecting_services(manifest, name)
            ensure_database(server, template, [database_user(s) for s in services], drop=False)
            for service in services:
                migrations = root / manifest.service_path(service) / "migrations"
                if (migrations / "env.py").is_file():
                    run_migrations(migrations, server.url(template), service=service)
            with server.connect(template) as conn:
                for role in [database_user(s) for s in services]:
                    grant(conn, template, role)
            with server.connect("postgres") as conn:
                # A template is cloned only when nobody is connected to it: an env.py's
                # engine may keep its pooled connection open.
                conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()",
                    (template,),
                )
            self._templates.add(key)
            return template

    def cache(
        self, manifest: Manifest, name: str, env: str, service: str | None = None
    ) -> TestCache:
        """An empty cache for one test: the next database index, flushed."""
        from trellis.local.provisioners.cache import readwrite_services

        server = self.server("cache", name)
        index = next(self._counter) % CACHE_INDEXES
        with server.client(db=index) as client:
            client.flushdb()
        url = server.url(db=index)
        if service is not None:
            if service not in readwrite_services(manifest, name):
                raise ValueError(f'services.{service}.uses has no {name} = "readwrite"')
            user = cache_user(manifest.project.name, env, service)
            password = server.credentials.password(f"user:{user}")
            with server.client() as client:
                client.execute_command(
                    "ACL", "SETUSER", user, "reset", "on", f">{password}", "~*", "&*", "+@all"
                )
            url = server.url(user, password, db=index)
        return TestCache(name, index, server.url(db=index), url)
