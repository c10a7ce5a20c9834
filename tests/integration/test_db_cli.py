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


def _privileges(conn: psycopg.Connection, role: str) -> tuple:
    """What ``role`` may do: on the database, and on a table ``trellis`` creates later."""
    return conn.execute(
        "SELECT has_database_privilege(%(r)s, current_database(), 'CONNECT'),"
        " has_database_privilege(%(r)s, current_database(), 'TEMPORARY'),"
        " has_database_privilege(%(r)s, current_database(), 'CREATE'),"
        " has_schema_privilege(%(r)s, 'public', 'CREATE'),"
        " has_table_privilege(%(r)s, 'later', 'SELECT,INSERT,UPDATE,DELETE'),"
        " has_table_privilege(%(r)s, 'later', 'TRUNCATE'),"
        " EXISTS (SELECT 1 FROM pg_shdescription d JOIN pg_roles r ON d.objoid = r.oid"
        "   WHERE r.rolname = %(r)s AND d.description = %(mark)s)",
        {"r": role, "mark": "trellis:service-user"},
    ).fetchone()


def test_a_local_service_role_has_exactly_the_privileges_the_admin_function_grants_in_aws(
    tmp_path: Path,
) -> None:
    """Locally and in AWS one SQL makes a service user: the same privileges on both."""
    from trellis.local.provisioners.database import ensure_database
    from trellis.runtime.database._users import ensure_service_user

    server = PostgresServer(tmp_path / "pg")
    with server:
        ensure_database(server, "audit", ["api"])
        with server.connect("audit") as conn:
            # The role the admin function makes in AWS (with a password: no rds_iam here).
            ensure_service_user(
                conn, "aws_like", database="audit", iam=False, password="pw", owner="trellis"
            )
            conn.execute("CREATE TABLE later (id int)")
            local, aws = _privileges(conn, "api"), _privileges(conn, "aws_like")
    assert local == aws == (True, False, False, False, True, False, True)


def test_a_role_from_an_older_data_folder_is_adopted_and_a_dropped_service_loses_its_role(
    tmp_path: Path,
) -> None:
    from trellis.local.provisioners.database import ensure_database

    server = PostgresServer(tmp_path / "pg")
    with server:
        with server.connect("postgres") as conn:
            # What an earlier Trellis left behind: a login role without the mark.
            conn.execute("CREATE ROLE api LOGIN PASSWORD 'old'")
            conn.execute("CREATE ROLE gone LOGIN PASSWORD 'old'")
        passwords = ensure_database(server, "audit", ["api"])
        with psycopg.connect(server.url("audit", "api", passwords["api"])) as conn:
            assert conn.execute("SELECT current_user").fetchone() == ("api",)
        with server.connect("postgres") as conn:
            roles = {r for (r,) in conn.execute("SELECT rolname FROM pg_roles")}
    assert "gone" not in roles
