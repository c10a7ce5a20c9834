"""Session-wide real servers (PostgreSQL, Valkey) and per-test databases for the runtime tests."""

from __future__ import annotations

import itertools
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.runtime_db.servers import PostgresServer, ValkeyServer, cleanup

_counter = itertools.count()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    root = Path(tempfile.mkdtemp(prefix="trellis-pg-"))
    server = PostgresServer(root)
    server.init()
    server.start()
    try:
        yield server
    finally:
        server.stop()
        cleanup(root)


@pytest.fixture
def database(postgres_server: PostgresServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh database ``audit`` of the service (``AUDIT_DATABASE_URL`` set); yields its URL."""
    from trellis.runtime import database as db

    n = next(_counter)
    url = postgres_server.create_database(f"audit_{n}", user=f"api_{n}", password=f"pw-{n}")
    monkeypatch.setenv("AUDIT_DATABASE_URL", url)
    monkeypatch.setenv("TRELLIS_DB_POOL_TIMEOUT_S", "2")
    monkeypatch.setenv("TRELLIS_DB_CONNECT_TIMEOUT_S", "1")
    db.close_all()
    yield url
    db.close_all()


@pytest.fixture(scope="session")
def valkey_server() -> Iterator[ValkeyServer]:
    root = Path(tempfile.mkdtemp(prefix="trellis-valkey-"))
    server = ValkeyServer(root, {"acme-test-api": "cache-pw"})
    server.start()
    try:
        yield server
    finally:
        server.stop()
        cleanup(root)


@pytest.fixture
def cache_url(valkey_server: ValkeyServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Cache ``sessions`` of the service (``SESSIONS_CACHE_URL`` set), emptied; yields its URL."""
    from trellis.runtime import cache as c

    url = valkey_server.url("acme-test-api")
    monkeypatch.setenv("SESSIONS_CACHE_URL", url)
    c.close_all()
    c.client("sessions").flushall()
    yield url
    c.close_all()


@pytest.fixture(autouse=True)
def _no_aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(("AWS_", "TRELLIS_DB_")) or name.endswith(
            ("_DATABASE_URL", "_CACHE_URL")
        ):
            monkeypatch.delenv(name)
