"""Routes get the caller the gateway verified; containers answer only the gateway."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from trellis.local.apigw import build_event
from trellis.runtime import (
    AwsClients,
    OptionalPrincipalDep,
    PrincipalDep,
    create_app,
    lambda_handler,
)
from trellis.runtime._auth import GatewayOriginMiddleware


def add_routes(app: FastAPI) -> FastAPI:
    @app.get("/me")
    def me(principal: PrincipalDep) -> dict[str, Any]:
        return {"auth": principal.auth, "id": principal.id, "scopes": sorted(principal.scopes)}

    @app.get("/maybe")
    def maybe(principal: OptionalPrincipalDep) -> dict[str, Any]:
        return {"id": principal.id if principal else None}

    return app


@pytest.fixture
def lambda_app(settings_factory: Any, fake_session: Any) -> Any:
    settings = settings_factory(trellis_route="/api")
    app = create_app(settings, clients=AwsClients(settings, session=fake_session), readiness=[])
    return lambda_handler(add_routes(app))


def invoke(handler: Any, path: str, **context: Any) -> tuple[int, Any]:
    event = build_event(
        method="GET",
        path=path,
        query_string=b"",
        headers=[("host", "gw"), *context.pop("headers", [])],
        body=b"",
        route="/api",
        stage="dev",
        **context,
    )
    result = handler(event, None)
    return result["statusCode"], json.loads(result["body"])


def test_a_lambda_route_gets_the_jwt_principal_from_the_authorizer_context(lambda_app: Any) -> None:
    claims = {"sub": "u-1", "scope": "users:read users:write", "aud": "acme-web"}
    status, body = invoke(
        lambda_app,
        "/api/me",
        authorizer={"principalId": "u-1", "claims": json.dumps(claims), "scope": claims["scope"]},
    )
    assert status == 200
    assert body == {"auth": "jwt", "id": "u-1", "scopes": ["users:read", "users:write"]}


def test_a_lambda_route_reads_cognito_style_claims_iam_and_api_key_callers(lambda_app: Any) -> None:
    status, body = invoke(lambda_app, "/api/me", authorizer={"claims": {"sub": "c-7"}})
    assert (status, body["id"], body["auth"]) == (200, "c-7", "jwt")
    arn = "arn:aws:iam::123456789012:user/ops"
    status, body = invoke(lambda_app, "/api/me", identity={"userArn": arn, "accountId": "1"})
    assert (status, body["auth"], body["id"]) == (200, "iam", arn)
    status, body = invoke(lambda_app, "/api/me", identity={"apiKeyId": "k-1"})
    assert (status, body["auth"], body["id"]) == (200, "api_key", "k-1")


def test_a_lambda_route_without_a_principal_is_401_and_headers_are_never_trusted(
    lambda_app: Any,
) -> None:
    forged = [("x-trellis-auth", "jwt"), ("x-trellis-principal", "admin")]
    status, body = invoke(lambda_app, "/api/me", headers=forged)
    assert status == 401
    assert body["error"]["code"] == "unauthorized"
    assert invoke(lambda_app, "/api/maybe")[1] == {"id": None}


class Secret:
    def __init__(self, value: str) -> None:
        self.value = value
        self.reads = 0

    def __call__(self) -> str:
        self.reads += 1
        return self.value


@pytest.fixture
def secret() -> Secret:
    return Secret("the-origin-secret")


@pytest.fixture
def container(
    settings_factory: Any, fake_session: Any, secret: Secret, monkeypatch: Any
) -> TestClient:
    settings = settings_factory(trellis_origin_secret_id="acme/test/_trellis-origin")
    clients = AwsClients(settings, session=fake_session)
    # The reader create_app builds calls Secrets Manager; here it is the fake secret.
    monkeypatch.setattr("trellis.runtime._app._origin_secret_reader", lambda _c, _id: secret)
    return TestClient(add_routes(create_app(settings, clients=clients, readiness=[])))


def via_gateway(**extra: str) -> dict[str, str]:
    return {"x-trellis-origin": "the-origin-secret", **extra}


def test_a_container_refuses_requests_without_the_origin_secret(container: TestClient) -> None:
    for headers in ({}, {"x-trellis-origin": "guess"}):
        resp = container.get("/maybe", headers=headers)
        assert resp.status_code == 403
        assert resp.json()["error"]["code"] == "forbidden"
        assert "through its gateway" in resp.json()["error"]["message"]
    assert container.get("/ready").status_code == 403


def test_health_answers_without_the_origin_secret(container: TestClient) -> None:
    assert container.get("/health").status_code == 200


def test_through_the_gateway_a_container_route_gets_the_principal_headers(
    container: TestClient,
) -> None:
    headers = via_gateway(
        **{
            "x-trellis-auth": "jwt",
            "x-trellis-principal": "u-2",
            "x-trellis-claims": json.dumps({"sub": "u-2", "scope": "a"}),
        }
    )
    resp = container.get("/me", headers=headers)
    assert resp.json() == {"auth": "jwt", "id": "u-2", "scopes": ["a"]}
    # An `auth = "none"` route: the gateway sends no principal.
    assert (
        container.get("/me", headers=via_gateway(**{"x-trellis-auth": "none"})).status_code == 401
    )


def test_the_origin_secret_is_read_once_and_again_after_a_rotation(
    settings_factory: Any, fake_session: Any
) -> None:
    secret = Secret("old")
    now = [0.0]
    inner = FastAPI()

    @inner.get("/x")
    def x() -> dict[str, str]:
        return {"ok": "yes"}

    client = TestClient(GatewayOriginMiddleware(inner, secret, clock=lambda: now[0]))
    assert client.get("/x", headers={"x-trellis-origin": "old"}).status_code == 200
    assert client.get("/x", headers={"x-trellis-origin": "old"}).status_code == 200
    assert secret.reads == 1
    secret.value = "new"
    now[0] = 31.0
    assert client.get("/x", headers={"x-trellis-origin": "new"}).status_code == 200
    assert secret.reads == 2
    # A wrong secret within 30 s of the last read does not refetch (no amplification).
    assert client.get("/x", headers={"x-trellis-origin": "guess"}).status_code == 403
    assert secret.reads == 2
