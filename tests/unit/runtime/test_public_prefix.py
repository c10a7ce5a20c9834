"""Self-links carry the prefix the client's URL has: the stage in AWS, only the route locally.

Under the real Lambda handler with API Gateway REST (v1) events, and under the ASGI
server with the X-Forwarded-Prefix the gateway sets for containers.
"""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from tests.unit.runtime.test_lambda import rest_event

from trellis.local.apigw import build_event
from trellis.runtime import create_app, lambda_handler

CONTEXT = SimpleNamespace(aws_request_id="lambda-req-7", function_name="acme-live-worker")


@pytest.fixture
def app(settings_factory: Any, fake_session: Any) -> FastAPI:
    from trellis.runtime import AwsClients

    settings = settings_factory(trellis_route="/api")
    app = create_app(settings, clients=AwsClients(settings, session=fake_session), readiness=[])

    @app.post("/jobs", status_code=202)
    def submit(request: Request) -> dict[str, str]:
        return {
            "root_path": request.scope["root_path"],
            "status_url": f"{request.scope['root_path']}/jobs/j-1",
            "url_for": request.url_for("read", job_id="j-1").path,
        }

    @app.get("/jobs/{job_id}", name="read")
    def read(job_id: str, request: Request) -> dict[str, str]:
        return {"job_id": job_id, "path": request.url.path}

    return app


def _body(response: dict[str, Any]) -> dict[str, Any]:
    assert response["statusCode"] in (200, 202), response
    return dict(json.loads(response["body"]))


def test_behind_the_live_stage_links_start_with_the_stage_and_the_route(app: FastAPI) -> None:
    # API Gateway's event: `path` is the resource path, requestContext.path what the client used.
    event = rest_event("POST", "/api/jobs")
    event["requestContext"].update(stage="live", path="/live/api/jobs")
    body = _body(lambda_handler(app)(event, CONTEXT))
    assert body == {
        "root_path": "/live/api",
        "status_url": "/live/api/jobs/j-1",
        "url_for": "/live/api/jobs/j-1",
    }


def test_routing_is_unchanged_by_the_prefix(app: FastAPI) -> None:
    event = rest_event("GET", "/api/jobs/j-1")
    event["requestContext"].update(stage="live", path="/live/api/jobs/j-1")
    assert _body(lambda_handler(app)(event, CONTEXT)) == {
        "job_id": "j-1",
        "path": "/live/api/jobs/j-1",
    }


def test_a_percent_encoded_client_path_still_finds_the_stage(app: FastAPI) -> None:
    event = rest_event("GET", "/api/jobs/a b")
    event["requestContext"].update(stage="live", path="/live/api/jobs/a%20b")
    assert _body(lambda_handler(app)(event, CONTEXT))["path"] == "/live/api/jobs/a b"


def test_under_trellis_devs_gateway_links_have_the_route_and_no_stage(app: FastAPI) -> None:
    # The local gateway's URL has no stage segment; its event says so (stage "dev" all the same).
    event = build_event(
        method="POST",
        path="/api/jobs",
        query_string=b"",
        headers=[("host", "127.0.0.1:8000")],
        body=b"",
        route="/api",
        stage="dev",
    )
    body = _body(lambda_handler(app)(event, CONTEXT))
    assert body["status_url"] == "/api/jobs/j-1"
    assert body["url_for"] == "/api/jobs/j-1"


def test_a_route_named_like_the_stage_is_not_taken_for_it(app: FastAPI) -> None:
    event = rest_event("POST", "/api/jobs")
    event["requestContext"].update(stage="api", path="/api/jobs")
    assert _body(lambda_handler(app)(event, CONTEXT))["status_url"] == "/api/jobs/j-1"


def test_a_container_takes_the_prefix_from_x_forwarded_prefix(app: FastAPI) -> None:
    with TestClient(app) as http:
        behind = http.post("/jobs", headers={"x-forwarded-prefix": "/live/api"}).json()
        direct = http.post("/jobs").json()
        read = http.get("/jobs/j-1", headers={"x-forwarded-prefix": "/live/api"}).json()
    assert behind["status_url"] == "/live/api/jobs/j-1"
    assert behind["url_for"] == "/live/api/jobs/j-1"
    assert direct["status_url"] == "/jobs/j-1"  # called on its own URL: no prefix
    assert read == {"job_id": "j-1", "path": "/live/api/jobs/j-1"}


@pytest.mark.parametrize(
    "prefix",
    ["//evil.example", "/a//b", "https://evil.example/x", "/x?y=1", "/x\r\nLocation: /", "/a b"],
)
def test_a_prefix_that_is_not_plain_path_segments_is_ignored(app: FastAPI, prefix: str) -> None:
    # A forged header must not turn a self-link into a link to another site.
    with TestClient(app) as http:
        body = http.post("/jobs", headers={"x-forwarded-prefix": prefix}).json()
    assert body["status_url"] == "/jobs/j-1"
