"""trellis.runtime.database against a real PostgreSQL server."""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from tests.runtime_db.servers import PostgresServer, cleanup, free_port

from trellis.runtime import (
    AccessDenied,
    Conflict,
    DependencyUnavailable,
    ServiceSettings,
    Unprocessable,
    create_app,
)
from trellis.runtime import database as db


def _schema(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE users (id int PRIMARY KEY, email text UNIQUE NOT NULL)")
        conn.execute(
            "CREATE TABLE events (id serial PRIMARY KEY, user_id int REFERENCES users(id),"
            " amount int CHECK (amount >= 0))"
        )
        conn.execute("CREATE TABLE counters (id int PRIMARY KEY, value int NOT NULL)")
        conn.execute("INSERT INTO counters VALUES (1, 0)")


def _app() -> TestClient:
    settings = ServiceSettings(trellis_project="acme", trellis_env="test", trellis_service="api")
    app = create_app(settings, readiness=[])

    @app.post("/users/{user_id}")
    def add_user(user_id: int, email: str) -> dict[str, Any]:
        with db.connection("audit") as conn:
            conn.execute("INSERT INTO users VALUES (%s, %s)", (user_id, email))
        return {"id": user_id}

    @app.post("/events")
    def add_event(user_id: int, amount: int) -> dict[str, Any]:
        with db.connection("audit") as conn:
            conn.execute("INSERT INTO events (user_id, amount) VALUES (%s, %s)", (user_id, amount))
        return {"ok": True}

    @app.get("/users/{user_id}/raw")
    def raw(user_id: int) -> dict[str, Any]:
        # A route that lets a driver error through untranslated: the app still renders it.
        conn = db.pool("audit").getconn()
        try:
            conn.execute("INSERT INTO users VALUES (%s, 'dup@example.com')", (user_id,))
        finally:
            db.pool("audit").putconn(conn)
        return {}

    return TestClient(app, raise_server_exceptions=False)


def test_one_connection_serves_a_thousand_calls_in_one_process(database: str) -> None:
    pids = set()
    for _ in range(1000):
        with db.connection("audit") as conn:
            row = conn.execute("SELECT pg_backend_pid()").fetchone()
            assert row is not None
            pids.add(row[0])

    stats = db.pool("audit").get_stats()
    # Reported in the runtime's docs: 1 connection opened for 1,000 calls.
    assert stats["connections_num"] == 1
    assert len(pids) == 1
    assert db.pool("audit") is db.pool("audit")


def test_a_connection_killed_by_the_server_is_replaced_before_use(
    database: str, postgres_server: PostgresServer
) -> None:
    with db.connection("audit") as conn:
        first = conn.execute("SELECT pg_backend_pid()").fetchone()
    assert first is not None
    with postgres_server.superuser() as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (first[0],))

    with db.connection("audit") as conn:
        second = conn.execute("SELECT pg_backend_pid()").fetchone()

    assert second is not None and second[0] != first[0]
    # The dead one is discarded on checkout; the pool may refill its minimum in the
    # background while the caller gets another: 2 or 3 connections made in all.
    assert db.pool("audit").get_stats()["connections_num"] <= 3


def test_commit_on_success_and_rollback_on_error(database: str) -> None:
    _schema(database)
    with db.connection("audit") as conn:
        conn.execute("INSERT INTO users VALUES (1, 'a@example.com')")

    def failing_route() -> None:
        with db.connection("audit") as conn:
            conn.execute("INSERT INTO users VALUES (2, 'b@example.com')")
            raise RuntimeError("the route failed after its write")

    with pytest.raises(RuntimeError):
        failing_route()

    with db.connection("audit") as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM users ORDER BY id").fetchall()]
    assert ids == [1]


def test_constraint_violations_reach_the_client_as_409_and_422_json(database: str) -> None:
    _schema(database)
    client = _app()
    assert client.post("/users/1", params={"email": "a@example.com"}).status_code == 200

    duplicate = client.post("/users/2", params={"email": "a@example.com"})
    missing_parent = client.post("/events", params={"user_id": 99, "amount": 1})
    negative = client.post("/events", params={"user_id": 1, "amount": -5})
    untranslated = client.get("/users/1/raw")

    assert duplicate.status_code == 409
    assert duplicate.json()["error"]["code"] == "conflict"
    # The constraint's and the table's names stay in the log.
    assert (
        "users_email_key" not in duplicate.text
        and "users" not in duplicate.json()["error"]["message"]
    )
    assert missing_parent.status_code == 409
    assert negative.status_code == 422
    assert negative.json()["error"]["code"] == "validation_error"
    assert untranslated.status_code == 409
    assert "Traceback" not in duplicate.text + negative.text + untranslated.text


def test_a_serialization_failure_is_retried_on_a_fresh_transaction(
    database: str, postgres_server: PostgresServer
) -> None:
    _schema(database)
    attempts = []

    def work(conn: psycopg.Connection[Any]) -> int:
        attempts.append(1)
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        row = conn.execute("SELECT value FROM counters WHERE id = 1").fetchone()
        assert row is not None
        if len(attempts) == 1:
            # Another writer commits between our read and our write: a real 40001.
            with psycopg.connect(database, autocommit=True) as other:
                other.execute("UPDATE counters SET value = value + 100 WHERE id = 1")
        conn.execute("UPDATE counters SET value = %s WHERE id = 1", (row[0] + 1,))
        return int(row[0]) + 1

    result = db.retry_transaction("audit", work, sleep=lambda _s: None)

    assert len(attempts) == 2
    assert result == 101


def test_a_transaction_that_keeps_losing_ends_in_503_with_retry_after(database: str) -> None:
    attempts = []

    def always_loses(conn: psycopg.Connection[Any]) -> None:
        attempts.append(1)
        conn.execute("DO $$ BEGIN RAISE EXCEPTION USING ERRCODE = '40P01'; END $$")

    with pytest.raises(DependencyUnavailable) as caught:
        db.retry_transaction("audit", always_loses, attempts=3, sleep=lambda _s: None)

    assert len(attempts) == 3
    assert caught.value.retry_after == 1
    assert isinstance(caught.value.__cause__, psycopg.errors.DeadlockDetected)


def test_a_conflict_is_not_retried(database: str) -> None:
    _schema(database)
    attempts = []

    def insert(conn: psycopg.Connection[Any]) -> None:
        attempts.append(1)
        conn.execute("INSERT INTO counters VALUES (1, 0)")

    with pytest.raises(Conflict):
        db.retry_transaction("audit", insert, sleep=lambda _s: None)
    assert len(attempts) == 1


def test_database_down_gives_503_with_retry_after_and_recovers_after_restart(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = Path(tempfile.mkdtemp(prefix="trellis-pg-down-"))
    server = PostgresServer(root)
    server.init()
    server.start()
    try:
        url = server.create_database("audit", user="api", password="pw")
        monkeypatch.setenv("AUDIT_DATABASE_URL", url)
        monkeypatch.setenv("TRELLIS_DB_POOL_TIMEOUT_S", "1")
        monkeypatch.setenv("TRELLIS_DB_CONNECT_TIMEOUT_S", "1")
        db.close_all()
        _schema(url)
        client = _app()
        assert client.post("/users/1", params={"email": "a@example.com"}).status_code == 200

        server.stop()
        down = client.post("/users/2", params={"email": "b@example.com"})
        with pytest.raises(DependencyUnavailable):
            db.ping(url)

        server.start()
        recovered = client.post("/users/3", params={"email": "c@example.com"})

        assert down.status_code == 503
        assert down.headers["Retry-After"] == "2"
        assert down.json()["error"]["code"] == "dependency_unavailable"
        assert "Traceback" not in down.text and "127.0.0.1" not in down.text
        assert recovered.status_code == 200
        assert db.ping(url) is True
    finally:
        db.close_all()
        server.stop()
        cleanup(root)


def test_ping_logs_in_and_a_refused_login_is_access_denied(
    database: str, postgres_server: PostgresServer
) -> None:
    assert db.ping(database) is True
    wrong = database.replace(":pw-", ":wrong-")
    with pytest.raises(AccessDenied):
        db.ping(wrong)


def test_the_engine_uses_the_same_database_and_its_errors_render(database: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    from trellis.runtime._http_errors import as_platform_error

    _schema(database)
    engine = db.engine("audit")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO users VALUES (1, 'a@example.com')"))
    with pytest.raises(IntegrityError) as caught, engine.begin() as conn:
        conn.execute(text("INSERT INTO users VALUES (1, 'b@example.com')"))

    assert db.engine("audit") is engine
    assert isinstance(as_platform_error(caught.value), Conflict)
    with db.connection("audit") as conn:
        assert conn.execute("SELECT count(*) FROM users").fetchone() == (1,)


def test_concurrent_first_use_builds_one_pool(database: str) -> None:
    pools = []

    def grab() -> None:
        pools.append(db.pool("audit"))

    threads = [threading.Thread(target=grab) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len({id(p) for p in pools}) == 1


def test_bad_data_is_422(database: str) -> None:
    with pytest.raises(Unprocessable), db.connection("audit") as conn:
        conn.execute("SELECT 'not a number'::int")


class AuditSettings(ServiceSettings):
    audit_database_url: str


def test_ready_probes_the_database_with_a_new_login(
    database: str, postgres_server: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def ready(url: str) -> Any:
        settings = AuditSettings(
            trellis_project="acme",
            trellis_env="test",
            trellis_service="api",
            audit_database_url=url,
        )
        return TestClient(create_app(settings)).get("/ready")

    up = ready(database)
    refused = ready(database.replace(":pw-", ":wrong-"))
    unreachable = ready(f"postgresql://api:pw@127.0.0.1:{free_port()}/audit")

    assert up.status_code == 200
    assert refused.status_code == 503 and unreachable.status_code == 503
    assert "wrong" not in refused.text
