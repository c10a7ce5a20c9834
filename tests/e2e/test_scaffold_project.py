"""Issue #7's scenario: three commands give a project with two services and a queue between
them, whose own `make test` (ruff, mypy, `trellis check`, tests on the emulator with IAM
enforced) passes, with no file touched by hand.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import ROOT, emulator_clients
from trellis.testing import DevProcess, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(400)]


def trellis(cwd: Path, *argv: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "trellis", *argv], cwd=cwd, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def tree(root: Path) -> dict[str, bytes]:
    skip = {".venv", ".make", ".mypy_cache", ".pytest_cache", ".ruff_cache", "__pycache__"}
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not skip & set(p.relative_to(root).parts)
    }


def test_init_new_service_and_add_queue_pass_the_projects_own_make_test(tmp_path: Path) -> None:
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not on PATH")
    project = tmp_path / "shop"
    started = time.perf_counter()
    trellis(tmp_path, "init", str(project), "--trellis-source", str(ROOT))
    trellis(project, "new", "service", "worker", "--runtime", "lambda")
    out = trellis(project, "add", "queue", "jobs", "--send", "api", "--consume", "worker")
    commands_s = time.perf_counter() - started
    # Every single-kind table level, and a secure parameter (no value in the manifest):
    # each gets a generated test that the project's own `make test` runs under IAM.
    levels = [arg for level in ("get", "put", "update", "delete") for arg in (f"--{level}", "api")]
    trellis(project, "add", "table", "things", "--hash-key", "thing_id", *levels)
    trellis(project, "add", "parameter", "signing-key", "--secure", "--read", "api")
    assert "Next:" in out
    generated = tree(project)

    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "CI")}
    env["UV"] = uv
    started = time.perf_counter()
    result = subprocess.run(
        ["make", "test"], cwd=project, env=env, capture_output=True, text=True, timeout=360
    )
    make_s = time.perf_counter() - started
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    assert "trellis check: the Terraform files match trellis.toml" in result.stdout
    # The consumer's and the publisher's tests ran with the services' own IAM keys.
    assert "passed" in result.stdout
    assert "failed" not in result.stdout.splitlines()[-1]

    check = subprocess.run(
        [uv, "run", "--no-sync", "trellis", "check"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    # `make test` left every file as the three commands wrote it (uv.lock is new).
    after = tree(project)
    assert {k: v for k, v in after.items() if k != "uv.lock"} == generated
    # And at once under `trellis dev`: routes through the gateway, the queue feeds the worker.
    with DevProcess(project / "trellis.toml") as dev:
        for service in ("api", "worker"):
            resp = httpx.get(f"{dev.base_url}/{service}/hello", timeout=10, headers=dev.bearer())
            assert resp.json() == {"message": f"Hello from {service}"}
        sqs, _ = emulator_clients(dev.emulator_endpoint)
        url = sqs.get_queue_url(QueueName="shop-dev-jobs")["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody='{"hello": "worker"}')
        wait_until(
            lambda: any('"event": "message_received"' in line for line in dev.lines),
            timeout_s=30,
            what="the worker's handle_jobs to log the message",
        )
    by_hand = 0  # files the scenario edits by hand; the guide's SQS section edits or creates 7
    print(
        f"\nscaffold scenario: 3 commands (+2 adds) in {commands_s:.1f} s, {len(generated)} files, "
        f"{by_hand} touched by hand; generated `make test` {make_s:.1f} s"
    )
