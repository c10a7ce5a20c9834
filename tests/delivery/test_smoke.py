"""`trellis smoke`: the post-deploy check of every routed service, over real HTTP."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from trellis.cli import main as cli
from trellis.manifest import Manifest
from trellis.ops.smoke import smoke


class _Gateway(BaseHTTPRequestHandler):
    """Answers like the deployed gateway: /<route>/health and /<route>/ready per service."""

    broken_ready: set[str] = set()

    def do_GET(self) -> None:
        parts = self.path.strip("/").split("/")
        if len(parts) == 3 and parts[0] == "dev" and parts[2] in ("health", "ready"):
            service = parts[1]
            status = 503 if parts[2] == "ready" and service in self.broken_ready else 200
            body = json.dumps({"status": "ok", "service": service}).encode()
        else:
            status, body = 404, b'{"message": "Missing Authentication Token"}'
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def gateway() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/dev"
    finally:
        _Gateway.broken_ready = set()
        server.shutdown()
        server.server_close()


def test_every_routed_service_answers_health_and_ready(gateway: str, manifest: Manifest) -> None:
    results = smoke(manifest, gateway, timeout_s=5, interval_s=0.1)
    assert [(r.service, r.url.rsplit("/", 1)[1], r.ok) for r in results] == [
        ("api", "health", True),
        ("api", "ready", True),
        ("worker", "health", True),
        ("worker", "ready", True),
    ]


def test_a_service_that_cannot_reach_its_resources_fails_the_smoke_test(
    gateway: str, manifest: Manifest, capsys: pytest.CaptureFixture[str], root: Path
) -> None:
    _Gateway.broken_ready = {"worker"}
    code = cli(["--manifest", f"{root}/trellis.toml", "smoke", gateway, "--timeout", "0.3"])
    captured = capsys.readouterr()
    out = captured.out
    assert code == 1
    assert re.search(r"^FAIL +worker ", out, re.M) and "HTTP 503" in out
    # The failure is also said on stderr, where a CI log's errors are.
    assert captured.err.startswith("trellis smoke: 1 of 4 check(s) failed: worker ")
    assert "HTTP 503" in captured.err


def test_retries_until_the_fresh_deployment_answers(manifest: Manifest) -> None:
    answers = iter([(502, "Bad Gateway"), (0, "connection refused")])
    now = [0.0]

    def get(url: str, timeout_s: float) -> tuple[int, str]:
        return next(answers, (200, json.dumps({"service": url.split("/")[-2]})))

    def sleep(seconds: float) -> None:
        now[0] += seconds

    results = smoke(
        manifest, "https://x.example/dev", ready=False, get=get, clock=lambda: now[0], sleep=sleep
    )
    assert [r.ok for r in results] == [True, True]
    assert results[0].attempts == 3 and now[0] == 10.0


def test_an_answer_from_another_service_is_a_failure(manifest: Manifest) -> None:
    def get(url: str, timeout_s: float) -> tuple[int, str]:
        return 200, json.dumps({"service": "api"})

    results = smoke(
        manifest, "https://x.example/dev", timeout_s=0, ready=False, get=get, sleep=lambda s: None
    )
    assert results[0].ok and not results[1].ok
    assert "not 'worker'" in results[1].detail


@pytest.mark.e2e
def test_the_smoke_test_passes_against_the_local_stack(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from trellis.testing import DevProcess

    with DevProcess(root / "trellis.toml") as dev:
        argv = ["--manifest", str(root / "trellis.toml"), "smoke", dev.base_url, "--timeout", "30"]
        code = cli(argv)
        guarded = capsys.readouterr().out
        # With a token, /ready must really be ready, not just refused.
        authorized = cli([*argv, "--header", f"Authorization: Bearer {dev.token()}"])
        out = capsys.readouterr().out
    assert code == 0, guarded
    assert guarded.count("ok  ") == 4  # health and ready of api and worker
    assert guarded.count("guarded by auth = jwt") == 2
    assert authorized == 0, out
    assert out.count("ok  ") == 4 and "guarded" not in out


def test_the_ops_api_is_pinned() -> None:
    import trellis.ops

    assert sorted(trellis.ops.__all__) == [
        "QueueStats",
        "RedriveResult",
        "SmokeResult",
        "queue_stats",
        "redrive",
        "smoke",
    ]
