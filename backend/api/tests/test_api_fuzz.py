"""Schemathesis fuzzes the api under a real uvicorn, against real tables in the emulator.

With auth: the api runs as a routed container service (the e2e "fast" stack), which
refuses any request without the gateway's origin secret; schemathesis sends what the
gateway sends after verifying a bearer token (the origin secret, the caller's
``X-Trellis-*`` headers), so every request reaches the routes as a verified caller.

Every check schemathesis has (``--checks all``: no 5xx, responses match the
documented schemas, status codes and headers, invalid input refused, valid
input accepted, 405s with a correct ``Allow``...) over every phase (examples,
coverage, fuzzing, stateful links), with a bounded number of examples. The
one allowance is in ``schemathesis.toml``: an opaque cursor we did not issue
is a documented 400.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from backend.api.tests.helpers import ROOT

from trellis.local.emulator import free_port
from trellis.local.processes import child_preexec
from trellis.testing import ServiceEnvironment, wait_until

pytestmark = pytest.mark.integration

HERE = Path(__file__).resolve().parent
MAX_EXAMPLES = 25
SEED = 20261125


#: The api as a container service behind the gateway (same resources as the example stack).
STACK = ROOT / "tests/e2e/stacks/fast/trellis.toml"
CLAIMS = '{"sub":"fuzz-user","scope":"users:read users:write","aud":"acme-web"}'


@pytest.fixture
def api_url(
    trellis_service: Callable[..., ServiceEnvironment],
) -> Iterator[tuple[str, dict[str, str]]]:
    """The api under uvicorn on 127.0.0.1, with its resources, its own key, and what the
    gateway adds to each request (origin secret, verified caller)."""
    service = trellis_service("api", manifest=STACK)
    origin = service.admin("secretsmanager").get_secret_value(
        SecretId=service.env["TRELLIS_ORIGIN_SECRET_ID"]
    )["SecretString"]
    headers = {
        "x-trellis-origin": origin,
        "x-trellis-auth": "jwt",
        "x-trellis-principal": "fuzz-user",
        "x-trellis-claims": CLAIMS,
    }
    port = free_port()
    env = {"PATH": os.environ.get("PATH", ""), **service.env, "LOG_LEVEL": "WARNING"}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "api.main:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=child_preexec,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(
            lambda: _ready(url, server, headers), timeout_s=20, what="uvicorn to serve /ready"
        )
        yield url, headers
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _ready(url: str, server: subprocess.Popen[str], headers: dict[str, str]) -> bool:
    if server.poll() is not None:
        raise AssertionError(f"uvicorn exited: {server.stderr.read() if server.stderr else ''}")
    try:
        return httpx.get(f"{url}/ready", headers=headers, timeout=2).status_code == 200
    except httpx.TransportError:
        return False


@pytest.mark.timeout(180)
def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    api_url: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    url, headers = api_url
    # The api refuses the fuzzer without the gateway's headers: auth is really on.
    assert httpx.get(f"{url}/users", timeout=5).status_code == 403
    started = time.monotonic()
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "schemathesis"),
            "--config-file",
            str(HERE / "schemathesis.toml"),
            "--no-color",
            "run",
            f"{url}/openapi.json",
            *[arg for name, value in headers.items() for arg in ("--header", f"{name}: {value}")],
            "--checks",
            "all",
            "--max-examples",
            str(MAX_EXAMPLES),
            "--seed",
            str(SEED),
            # One worker: with two threads CPython 3.11 intermittently raises
            # "AST constructor recursion depth mismatch" inside hypothesis (gh-106905).
            "--workers",
            "1",
            "--generation-database",
            "none",
            "--request-timeout",
            "20",
        ],
        capture_output=True,
        text=True,
        timeout=170,
        cwd=tmp_path,
    )
    elapsed = time.monotonic() - started
    summary = result.stdout[result.stdout.rfind("SUMMARY") :]
    print(f"schemathesis: {elapsed:.1f} s\n{summary}")
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "No issues found" in result.stdout
