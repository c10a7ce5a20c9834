"""The api's audit trail (PostgreSQL) and user cache (Valkey), on real servers and the emulator.

Each test gets its own database (a clone migrated once per session) and its own
cache index, under the api's own database user, ACL user and IAM key.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import psycopg
import pytest
from backend.api.tests.helpers import Stack
from fastapi.testclient import TestClient

from api.app import build_app
from api.settings import Settings
from api.user_cache import _OFFER, CACHE
from trellis.runtime import Principal, cache, database, get_principal

pytestmark = pytest.mark.integration

CALLER = Principal("jwt", "u-auditor", {"sub": "u-auditor"})


def user(user_id: str = "ada") -> dict[str, str]:
    return {"user_id": user_id, "name": "Ada", "email": f"{user_id}@example.com"}


@pytest.fixture
def http(stack: Stack) -> Iterator[TestClient]:
    # Pools and clients are per process and keyed by name: each test's URLs are its own.
    database.close_all()
    cache.close_all()
    app = build_app(stack.settings, stack.clients, readiness=[])
    app.dependency_overrides[get_principal] = lambda: CALLER
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client
    database.close_all()
    cache.close_all()


def raw_user(stack: Stack, user_id: str) -> dict[str, object] | None:
    item = stack.admin("dynamodb").get_item(
        TableName=stack.settings.users_table_name, Key={"user_id": {"S": user_id}}
    )
    return item.get("Item")


def test_each_change_is_in_postgres_with_its_caller(http: TestClient, stack: Stack) -> None:
    assert http.post("/users", json=user()).status_code == 201
    assert http.patch("/users/ada", json={"email": "ada@king.org", "version": 1}).status_code == 200
    assert http.delete("/users/ada").status_code == 204

    history = http.get("/users/ada/history").json()["items"]

    assert [(e["version"], e["action"], e["changes"]) for e in history] == [
        (1, "created", {"name": "Ada", "email": "ada@example.com"}),
        (2, "updated", {"email": "ada@king.org"}),
        (3, "deleted", {}),
    ]
    assert {e["actor"] for e in history} == {"u-auditor"}
    # Straight from the table, as the api's own database user.
    with psycopg.connect(stack.settings.audit_database_url) as conn:
        rows = conn.execute("SELECT action FROM user_history ORDER BY id").fetchall()
    assert rows == [("created",), ("updated",), ("deleted",)]


def test_a_cached_read_is_served_from_valkey(http: TestClient, stack: Stack) -> None:
    http.post("/users", json=user())
    http.get("/users/ada")  # a miss: read from DynamoDB and offered to the cache

    # Gone from DynamoDB behind the api's back: only the cache can still answer.
    stack.admin("dynamodb").delete_item(
        TableName=stack.settings.users_table_name, Key={"user_id": {"S": "ada"}}
    )
    cached = http.get("/users/ada")

    assert cached.status_code == 200 and cached.json()["user_id"] == "ada"


def test_a_read_after_an_update_or_delete_is_never_stale(http: TestClient) -> None:
    http.post("/users", json=user())
    assert http.get("/users/ada").json()["version"] == 1  # cached

    http.patch("/users/ada", json={"name": "Ada King", "version": 1})
    assert http.get("/users/ada").json()["name"] == "Ada King"

    http.delete("/users/ada")
    assert http.get("/users/ada").status_code == 404
    # Created again: a new life of the user, not the deleted one's tombstone.
    http.post("/users", json=user() | {"name": "Ada II"})
    assert http.get("/users/ada").json()["name"] == "Ada II"


def test_a_slow_reader_cannot_plant_an_older_version(http: TestClient, stack: Stack) -> None:
    http.post("/users", json=user())
    before = http.get("/users/ada").json()  # version 1, as a slow reader fetched it
    http.patch("/users/ada", json={"name": "Ada King", "version": 1})
    http.get("/users/ada")  # version 2 cached

    offer = cache.client(CACHE).register_script(_OFFER)
    # The slow reader offers what it read before the update: refused.
    kept = offer(keys=["user:ada"], args=[json.dumps(before), before["created_at"], 1, 300])

    assert kept == 0
    assert http.get("/users/ada").json()["name"] == "Ada King"


def test_a_change_is_refused_whole_when_the_database_is_down(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    down = stack.settings.model_copy(
        update={"audit_database_url": "postgresql://api:x@127.0.0.1:1/audit"}
    )
    monkeypatch.setenv("AUDIT_DATABASE_URL", down.audit_database_url)
    monkeypatch.setenv("TRELLIS_DB_CONNECT_TIMEOUT_S", "1")
    monkeypatch.setenv("TRELLIS_DB_POOL_TIMEOUT_S", "2")
    database.close_all()
    app = build_app(down, stack.clients, readiness=[])
    app.dependency_overrides[get_principal] = lambda: CALLER
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post("/users", json=user())

    assert response.status_code == 503, response.text
    assert response.headers["retry-after"]
    assert response.json()["error"]["code"] == "dependency_unavailable"
    # Nothing changed: the audit transaction is opened before the user is written.
    assert raw_user(stack, "ada") is None
    database.close_all()


def test_reads_degrade_to_dynamodb_when_the_cache_is_down(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROFILES_CACHE_URL", "redis://acme-dev-api:x@127.0.0.1:1")
    cache.close_all()
    settings = Settings()
    app = build_app(settings, stack.clients, readiness=[])
    app.dependency_overrides[get_principal] = lambda: CALLER
    stack.admin("dynamodb").put_item(
        TableName=settings.users_table_name,
        Item={
            "user_id": {"S": "ada"},
            "name": {"S": "Ada"},
            "email": {"S": "ada@example.com"},
            "version": {"N": "1"},
            "created_at": {"S": "2026-01-01T00:00:00.000000Z"},
            "updated_at": {"S": "2026-01-01T00:00:00.000000Z"},
        },
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        read = client.get("/users/ada")
        change = client.patch("/users/ada", json={"name": "x", "version": 1})

    assert read.status_code == 200 and read.json()["name"] == "Ada"
    # A change it could not invalidate would be served stale later: refused, unchanged.
    assert change.status_code == 503, change.text
    item = raw_user(stack, "ada")
    assert item is not None and item["name"] == {"S": "Ada"}
    cache.close_all()
