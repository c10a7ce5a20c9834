"""The database admin function against a real PostgreSQL: users, grants, migrations, idempotence."""

from __future__ import annotations

import itertools
import json
import textwrap
from pathlib import Path
from typing import Any

import psycopg
import pytest
from tests.runtime_db.servers import PostgresServer

from trellis.runtime import database as db
from trellis.runtime.database import admin

MASTER, MASTER_PASSWORD = "master", "master-pw"
_n = itertools.count()


@pytest.fixture(scope="module")
def rds_like(postgres_server: PostgresServer) -> PostgresServer:
    """The server made to look like RDS: an ``rds_iam`` role and a non-superuser master."""
    with postgres_server.superuser() as conn:
        conn.execute("CREATE ROLE rds_iam")
        conn.execute(f"CREATE ROLE {MASTER} LOGIN CREATEROLE CREATEDB PASSWORD '{MASTER_PASSWORD}'")
        conn.execute(f"GRANT rds_iam TO {MASTER} WITH ADMIN OPTION")
    return postgres_server


def _migrations(root: Path) -> Path:
    directory = root / "migrations"
    (directory / "versions").mkdir(parents=True)
    (directory / "env.py").write_text(
        "from trellis.runtime.database import alembic_env\n\nalembic_env()\n"
    )
    (directory / "versions" / "0001_events.py").write_text(
        textwrap.dedent(
            """
            import sqlalchemy as sa
            from alembic import op

            revision = "0001"
            down_revision = None


            def upgrade() -> None:
                op.create_table(
                    "audit_events",
                    sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("what", sa.Text, nullable=False),
                )
            """
        )
    )
    return directory


def _secret(arn: str) -> str:
    assert arn == "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!cluster-x"
    return json.dumps({"username": MASTER, "password": MASTER_PASSWORD})


def _environ(
    server: PostgresServer, dbname: str, users: str, migrations: str = ""
) -> dict[str, str]:
    return {
        "AUDIT_DATABASE_URL": f"postgresql://ignored@127.0.0.1:{server.port}/{dbname}",
        "AUDIT_DATABASE_MASTER_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!cluster-x",
        "AUDIT_DATABASE_USERS": users,
        "AUDIT_DATABASE_MIGRATIONS": migrations,
    }


def _fetch(server: PostgresServer, dbname: str, query: str, *args: Any) -> Any:
    with server.superuser(dbname) as conn:
        row = conn.execute(query, args).fetchone()
    return row[0] if row else None


def test_admin_creates_the_database_migrates_and_grants_iam_users_idempotently(
    rds_like: PostgresServer, tmp_path: Path
) -> None:
    n = next(_n)
    dbname, api, worker = f"audit_adm_{n}", f"api_adm_{n}", f"worker_adm_{n}"
    environ = _environ(rds_like, dbname, f"{api},{worker}", f"{api}={_migrations(tmp_path)}")

    first = admin.run("audit", environ=environ, read_secret=_secret)
    second = admin.run("audit", environ=environ, read_secret=_secret)

    assert first["database_created"] is True
    assert first["migrations"] == {api: {"from": None, "to": "0001"}}
    assert sorted(first["users_created"]) == sorted([api, worker])
    assert second["database_created"] is False
    assert second["migrations"] == {api: {"from": "0001", "to": "0001"}}
    assert second["users_created"] == [] and second["users_revoked"] == []

    fetch = lambda q, *a: _fetch(rds_like, dbname, q, *a)  # noqa: E731
    assert fetch("SELECT pg_has_role(%s, 'rds_iam', 'MEMBER')", api) is True
    assert fetch("SELECT rolpassword IS NULL FROM pg_authid WHERE rolname = %s", api) is True
    assert fetch("SELECT tableowner FROM pg_tables WHERE tablename = 'audit_events'") == MASTER
    assert fetch("SELECT has_table_privilege(%s, 'audit_events', 'INSERT')", api) is True
    assert fetch("SELECT has_table_privilege(%s, 'audit_events', 'TRUNCATE')", api) is False
    assert fetch("SELECT has_schema_privilege(%s, 'public', 'CREATE')", api) is False
    assert fetch(f"SELECT version_num FROM {db.version_table(api)}") == "0001"
    # Nobody else may connect: CONNECT was revoked from PUBLIC.
    assert fetch("SELECT has_database_privilege('public', %s, 'CONNECT')", dbname) is False

    third = admin.run(
        "audit", environ={**environ, "AUDIT_DATABASE_USERS": api}, read_secret=_secret
    )
    assert third["users_revoked"] == [worker]
    assert fetch("SELECT has_database_privilege(%s, %s, 'CONNECT')", worker, dbname) is False
    assert fetch("SELECT has_database_privilege(%s, %s, 'CONNECT')", api, dbname) is True


def test_a_connecting_service_without_migrations_is_skipped(
    rds_like: PostgresServer, tmp_path: Path
) -> None:
    # The build lists every connecting service; one that has no migrations/ has none to run.
    n = next(_n)
    dbname, api, worker = f"audit_adm_{n}", f"api_adm_{n}", f"worker_adm_{n}"
    missing = tmp_path / "migrations" / "worker"
    environ = _environ(
        rds_like, dbname, f"{api},{worker}", f"{api}={_migrations(tmp_path)},{worker}={missing}"
    )

    summary = admin.run("audit", environ=environ, read_secret=_secret)

    assert summary["migrations"] == {api: {"from": None, "to": "0001"}}
    assert sorted(summary["users_created"]) == sorted([api, worker])


@pytest.mark.parametrize("user", [MASTER, "postgres", "rds_superuser", "pg_read_all_data"])
def test_admin_refuses_to_take_over_a_role_it_did_not_create(
    rds_like: PostgresServer, user: str
) -> None:
    """Regression: a service named like the master must not get rds_iam on the master's role."""
    dbname = f"audit_adm_{next(_n)}"
    with pytest.raises(db.UnsafeRoleError):
        admin.run("audit", environ=_environ(rds_like, dbname, user), read_secret=_secret)

    assert (
        _fetch(rds_like, "postgres", "SELECT pg_has_role(%s, 'rds_iam', 'MEMBER')", MASTER) is True
    )
    assert (
        _fetch(
            rds_like,
            "postgres",
            "SELECT count(*) FROM pg_auth_members m JOIN pg_roles r"
            " ON r.oid = m.member WHERE r.rolname = 'postgres'",
        )
        == 0
    )


def test_a_local_password_user_can_use_future_tables_but_not_change_the_schema(
    rds_like: PostgresServer,
) -> None:
    n = next(_n)
    dbname, user = f"audit_local_{n}", f"api_local_{n}"
    with psycopg.connect(
        host="127.0.0.1",
        port=rds_like.port,
        user=MASTER,
        password=MASTER_PASSWORD,
        dbname="postgres",
        autocommit=True,
    ) as maintenance:
        db.ensure_database(maintenance, dbname)
    master = psycopg.connect(
        host="127.0.0.1",
        port=rds_like.port,
        user=MASTER,
        password=MASTER_PASSWORD,
        dbname=dbname,
        autocommit=True,
    )
    with master:
        assert db.ensure_service_user(master, user, database=dbname, iam=False, password="local-pw")
        master.execute("CREATE TABLE later (id int PRIMARY KEY)")
    url = rds_like.url(user, "local-pw", dbname)

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO later VALUES (1)")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("CREATE TABLE mine (id int)")
    # A role never granted this database cannot log in to it.
    with rds_like.superuser() as su:
        su.execute(f"CREATE ROLE outsider_{n} LOGIN PASSWORD 'x'")
    with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
        psycopg.connect(rds_like.url(f"outsider_{n}", "x", dbname))


def test_the_master_secret_is_read_from_secrets_manager() -> None:
    from moto import mock_aws

    with mock_aws():
        import boto3

        client = boto3.client("secretsmanager", region_name="us-east-1")
        arn = client.create_secret(
            Name="rds!cluster-x", SecretString=json.dumps({"username": "m", "password": "p"})
        )["ARN"]
        import os

        os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
        assert json.loads(admin.read_master_secret(arn)) == {"username": "m", "password": "p"}


def test_the_handler_names_what_is_missing_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ValueError, match="AUDIT_DATABASE_URL"):
        admin.handler({"database": "audit"}, None)
    with pytest.raises(ValueError, match='"database"'):
        admin.handler({}, None)

    assert "database.admin_failed" in capsys.readouterr().out


def test_a_secret_that_is_not_json_is_refused_without_echoing_it(rds_like: PostgresServer) -> None:
    with pytest.raises(ValueError, match="username and password") as caught:
        admin.run(
            "audit",
            environ=_environ(rds_like, "audit_x", "api"),
            read_secret=lambda _arn: "hunter2-not-json",
        )
    assert "hunter2" not in str(caught.value)
