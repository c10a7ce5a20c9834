"""`trellis db migrate` and `trellis db shell` on a real local PostgreSQL."""

from __future__ import annotations

import textwrap
from pathlib import Path

import psycopg
import pytest

from trellis.cli import main
from trellis.kinds import DATABASE
from trellis.local.provision import data_dir
from trellis.local.servers import PostgresServer

pytestmark = pytest.mark.integration

# The env.py every scaffolded service has (the db-admin function runs the same one in AWS).
ENV_PY = """
from trellis.runtime.database import alembic_env

alembic_env()
"""

REVISION = """
from alembic import op
import sqlalchemy as sa

revision = "0001"
down_revision = None


def upgrade():
    op.create_table("history", sa.Column("id", sa.Integer, primary_key=True), sa.Column("what", sa.Text))
"""


def project(root: Path) -> Path:
    (root / "trellis.toml").write_text(
        textwrap.dedent(
            """
            [project]
            name = "acme"
            region = "us-east-1"
            github_repository = "acme/backend"
            environments = ["dev"]

            [services.api]
            runtime = "lambda"
            uses = { audit = "connect" }

            [services.worker]
            runtime = "lambda"

            [databases.audit]
            """
        )
    )
    versions = root / "backend/api/migrations/versions"
    versions.mkdir(parents=True)
    (root / "backend/api/migrations/env.py").write_text(ENV_PY)
    (versions / "0001_history.py").write_text(REVISION)
    return root / "trellis.toml"


def test_migrate_creates_the_schema_as_the_owner_and_the_service_may_use_it(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    manifest = str(project(tmp_path))
    assert main(["--manifest", manifest, "db", "migrate", "--service", "api"]) == 0
    assert "databases.audit: migrated to head" in capfd.readouterr().out

    # The service inserts through psql as its own user (trellis dev not running: the
    # command starts the server on the project's data and stops it again).
    sql = "INSERT INTO history (what) VALUES ('x') RETURNING current_user, id"
    status = main(["--manifest", manifest, "db", "shell", "--service", "api", "-c", sql])
    out = capfd.readouterr().out
    assert status == 0, out
    assert "api" in out and "INSERT 0 1" in out

    server = PostgresServer(data_dir(tmp_path, "dev", DATABASE, "audit"))
    with server, psycopg.connect(server.url("audit")) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version_api").fetchone() == ("0001",)
        owner = conn.execute("SELECT tableowner FROM pg_tables WHERE tablename = 'history'")
        assert owner.fetchone() == ("trellis",)


def test_shell_refuses_a_service_without_connect(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    manifest = str(project(tmp_path))
    assert (
        main(["--manifest", manifest, "db", "shell", "--service", "worker", "-c", "SELECT 1"]) == 2
    )
    err = capfd.readouterr().err
    assert 'services.worker.uses has no audit = "connect"' in err
    assert "Traceback" not in err


def test_migrate_without_migrations_names_the_service_path(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    manifest = str(project(tmp_path))
    (tmp_path / "backend/api/migrations/env.py").unlink()
    assert main(["--manifest", manifest, "db", "migrate", "--service", "api"]) == 2
    assert "services.api.path: no alembic migrations at" in capfd.readouterr().err
