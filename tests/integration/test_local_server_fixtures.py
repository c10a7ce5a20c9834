"""The pytest plugin's database and cache fixtures: session servers, a database per test."""

from __future__ import annotations

import os
import time
from pathlib import Path

import psycopg
import pytest
import valkey
from tests.integration.test_db_cli import project

from trellis.testing._servers import LocalServers

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def manifest_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fixture-project")
    path = project(root)
    text = path.read_text().replace(
        'uses = { audit = "connect" }', 'uses = { audit = "connect", sessions = "readwrite" }'
    )
    path.write_text(text + "\n[caches.sessions]\n")
    return path


def test_each_test_database_is_a_migrated_clone_of_its_own(
    trellis_database, trellis_servers: LocalServers, manifest_path: Path
) -> None:
    first = trellis_database("audit", service="api", manifest=manifest_path)
    assert os.environ["AUDIT_DATABASE_URL"] == first.url
    with psycopg.connect(first.url) as conn:
        conn.execute("INSERT INTO history (what) VALUES ('only in the first')")
        assert conn.execute("SELECT current_user, current_database()").fetchone() == (
            "api",
            first.database,
        )
    started = time.perf_counter()
    second = trellis_database("audit", service="api", manifest=manifest_path)
    clone_s = time.perf_counter() - started
    assert second.database != first.database
    with psycopg.connect(second.url) as conn:
        assert conn.execute("SELECT count(*) FROM history").fetchone() == (0,)
    print(f"\nserver start {trellis_servers.timings}; clone {clone_s:.3f} s")


def test_a_service_without_connect_gets_no_test_database(
    trellis_database, manifest_path: Path
) -> None:
    with pytest.raises(ValueError, match=r'services\.worker\.uses has no audit = "connect"'):
        trellis_database("audit", service="worker", manifest=manifest_path)


def test_each_test_cache_starts_empty_and_the_service_logs_in_as_itself(
    trellis_cache, manifest_path: Path
) -> None:
    first = trellis_cache("sessions", service="api", manifest=manifest_path)
    assert os.environ["SESSIONS_CACHE_URL"] == first.url
    with valkey.Valkey.from_url(first.url) as client:
        client.set("k", "v")
        assert client.acl_whoami() == "acme-dev-api"
    second = trellis_cache("sessions", service="api", manifest=manifest_path)
    with valkey.Valkey.from_url(second.url) as client:
        assert client.get("k") is None


def test_trellis_service_points_the_env_vars_at_the_tests_own_database_and_cache(
    trellis_service, manifest_path: Path
) -> None:
    api = trellis_service("api", manifest=manifest_path)
    url = os.environ["AUDIT_DATABASE_URL"]
    assert url == api.env["AUDIT_DATABASE_URL"]
    with psycopg.connect(url) as conn:
        user, database = conn.execute("SELECT current_user, current_database()").fetchone()
        assert user == "api" and database.startswith("audit_t")
        conn.execute("INSERT INTO history (what) VALUES ('x')")
    with valkey.Valkey.from_url(os.environ["SESSIONS_CACHE_URL"]) as client:
        assert client.acl_whoami() == f"{api.project}-dev-api"
        assert client.dbsize() == 0


def test_two_projects_with_a_database_of_the_same_name_get_their_own_schemas(
    trellis_database, manifest_path: Path, tmp_path: Path
) -> None:
    """Regression: both projects' clones came from one ``audit_template``.

    The second project's migrations (revision "0001" too) found the first's version
    table at "0001" and ran nothing: its tests saw the first project's tables.
    """
    other = project(tmp_path)
    versions = other.parent / "backend/api/migrations/versions"
    (versions / "0001_history.py").write_text(
        (versions / "0001_history.py")
        .read_text()
        .replace('op.create_table("history"', 'op.create_table("ledger"')
    )
    mine = trellis_database("audit", service="api", manifest=manifest_path)
    theirs = trellis_database("audit", service="api", manifest=other)

    def tables(url: str) -> set[str]:
        with psycopg.connect(url) as conn:
            rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            return {row[0] for row in rows} - {"alembic_version_api"}

    assert tables(mine.url) == {"history"}
    assert tables(theirs.url) == {"ledger"}
