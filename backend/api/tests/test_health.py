"""The api service's app answers liveness without touching AWS."""

from __future__ import annotations

import pytest
from backend.api.tests.helpers import Stack
from fastapi.testclient import TestClient

from api.app import build_app
from api.settings import Settings


def settings() -> Settings:
    return Settings(
        trellis_project="acme",
        trellis_env="dev",
        trellis_service="api",
        users_table_name="acme-dev-users",
        files_table_name="acme-dev-files",
        uploads_bucket_name="acme-dev-uploads",
        audit_database_url="postgresql://api:unused@127.0.0.1:1/audit",
        profiles_cache_url="redis://acme-dev-api:unused@127.0.0.1:1",
    )


def test_health_is_ok_and_names_the_service() -> None:
    with TestClient(build_app(settings())) as client:
        resp = client.get("/health")
    assert resp.status_code == 200
    assert resp.json() == {"status": "ok", "service": "api"}
    assert resp.headers["x-request-id"]


def test_ready_is_503_with_retry_after_when_aws_is_unreachable() -> None:
    unreachable = settings().model_copy(
        update={"aws_endpoint_url": "http://127.0.0.1:1", "aws_connect_timeout_s": 0.2}
    )
    with TestClient(build_app(unreachable)) as client:
        resp = client.get("/ready")
    assert resp.status_code == 503
    assert resp.headers["retry-after"]
    assert resp.json()["error"]["code"] == "dependency_unavailable"


@pytest.mark.integration
def test_ready_checks_every_resource_the_api_uses(stack: Stack) -> None:
    # Under the api's own key: DescribeTable and HeadBucket (s3:ListBucket) must be allowed;
    # the database and the cache as the api's own users.
    with TestClient(build_app(stack.settings, stack.clients)) as client:
        resp = client.get("/ready")
    assert resp.status_code == 200, resp.text
    assert set(resp.json()["checks"]) == {
        "users_table",
        "files_table",
        "uploads_bucket",
        "audit_database",
        "profiles_cache",
    }
