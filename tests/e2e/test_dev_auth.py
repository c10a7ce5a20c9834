"""Route auth through a real `trellis dev`: what API Gateway would refuse is refused.

The "fast" stack: the api is a container service (ECS Express) with `auth = "jwt"`,
the worker a Lambda function with `auth = "jwt"` and its drain endpoint on `iam`.
Every refusal here was a 200 before routes had auth.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import find_process
from trellis.testing import DevProcess

pytestmark = pytest.mark.e2e

STACK = Path(__file__).resolve().parent / "stacks/fast/trellis.toml"


@pytest.fixture(scope="module")
def dev() -> Iterator[DevProcess]:
    with DevProcess(STACK) as process:
        yield process


@pytest.fixture
def gw(dev: DevProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=dev.base_url, timeout=15) as client:
        yield client


def refused(resp: httpx.Response, status: int) -> str:
    assert resp.status_code == status, resp.text
    error = resp.json()["error"]
    assert error["code"] == {401: "unauthorized", 403: "forbidden"}[status]
    assert error["request_id"]
    return str(error["message"])


def test_a_jwt_service_refuses_a_request_without_a_token(gw: httpx.Client) -> None:
    assert "missing bearer token" in refused(gw.get("/api/users"), 401)
    assert "missing bearer token" in refused(gw.post("/worker/jobs", json={"type": "x"}), 401)
    assert "missing bearer token" in refused(gw.get("/api/ready"), 401)


def test_a_bad_or_expired_token_is_401(gw: httpx.Client, dev: DevProcess) -> None:
    expired = dev.token(ttl_s=-120)
    assert "expired" in refused(
        gw.get("/api/users", headers={"authorization": f"Bearer {expired}"}), 401
    )
    forged = dev.token()[:-8] + "AAAAAAAA"
    assert "signature" in refused(
        gw.get("/api/users", headers={"authorization": f"Bearer {forged}"}), 401
    )


def test_health_is_open_and_a_token_opens_the_rest(gw: httpx.Client, dev: DevProcess) -> None:
    assert gw.get("/api/health").status_code == 200
    assert gw.get("/worker/health").status_code == 200
    headers = dev.bearer(sub="ada", scopes=["users:read"])
    assert gw.get("/api/users", headers=headers).status_code == 200
    me = gw.get("/api/me", headers=headers).json()
    assert me == {"auth": "jwt", "id": "ada", "scopes": ["users:read"]}


def test_the_token_command_prints_a_token_the_gateway_accepts(
    gw: httpx.Client, dev: DevProcess
) -> None:
    token = subprocess.run(
        [sys.executable, "-m", "trellis", "--manifest", str(STACK), "token", "--sub", "cli-user"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout.strip()
    resp = gw.get("/api/me", headers={"authorization": f"Bearer {token}"})
    assert resp.status_code == 200, resp.text
    assert resp.json()["id"] == "cli-user"


def test_the_drain_endpoint_takes_sigv4_of_an_allowed_identity_only(
    gw: httpx.Client, dev: DevProcess
) -> None:
    # A user's token does not open the operational endpoint.
    assert "Missing Authentication Token" in refused(gw.post("/worker/jobs/process"), 403)
    assert "not AWS SigV4" in refused(gw.post("/worker/jobs/process", headers=dev.bearer()), 403)
    resp = gw.post("/worker/jobs/process?max_messages=1", auth=dev.invoker())
    assert resp.status_code == 200, resp.text
    assert resp.json()["received"] >= 0
    # The jobs API next to it stays on jwt.
    assert gw.get("/worker/jobs/nope", headers=dev.bearer()).status_code == 404


def test_the_development_issuer_publishes_its_keys(gw: httpx.Client) -> None:
    jwks = gw.get("/_trellis/jwks.json").json()
    assert jwks["keys"][0]["kty"] == "RSA"
    discovery = gw.get("/_trellis/.well-known/openid-configuration").json()
    assert discovery["jwks_uri"].endswith("/_trellis/jwks.json")


def test_a_container_service_refuses_requests_that_bypass_the_gateway(dev: DevProcess) -> None:
    pid = find_process(dev.pid, "uvicorn", "api.main:app")
    # It serves on a socket trellis dev bound for it; its PORT says which (as on ECS).
    with open(f"/proc/{pid}/environ", "rb") as f:
        environ = dict(v.split("=", 1) for v in f.read().decode().split("\0") if "=" in v)
    port = environ["PORT"]
    direct = f"http://127.0.0.1:{port}"
    # Straight to the container, with forged caller headers: refused without the origin secret.
    forged = {
        "x-trellis-auth": "jwt",
        "x-trellis-principal": "admin",
        "x-trellis-claims": json.dumps({"sub": "admin"}),
    }
    resp = httpx.get(f"{direct}/users", headers=forged, timeout=10)
    assert "through its gateway" in refused(resp, 403)
    assert httpx.get(f"{direct}/ready", timeout=10).status_code == 403
    # Its platform health check still answers.
    assert httpx.get(f"{direct}/health", timeout=10).status_code == 200
