"""Issue #7's scenario: three commands give a project with two services and a queue between
them, whose own `make test` (ruff, mypy, `trellis check`, tests on the emulator with IAM
enforced) passes, with no file touched by hand.

The same project then gets every (kind, access level) pair of the registry through `trellis
add` (each its own resource, so each generated probe runs under a grant of that level alone),
consumed by a Lambda and by a container service, FIFO variants included: one `make test`
proves every generated accessor and probe lints, type-checks and passes under IAM.
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
from trellis.kinds import KINDS
from trellis.testing import DevProcess, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

#: The options a kind requires, for `trellis add` of one of each.
REQUIRED = {
    "table": ["--hash-key", "item_id"],
    "schedule": ["--expression", "rate(1 hour)", "--target", "jobs"],
    "parameter": ["--value", "v"],
}
#: Who gets each level: the Lambda `api`, except what a queue's one consumer takes.
CONSUMERS = {"queue": ("worker", "web")}


def every_pair(project: Path) -> list[tuple[str, str, str, str]]:
    """Adds one resource per (kind, level) of the registry; ``(kind, level, resource, service)``."""
    done = []
    for entry in KINDS:
        for level in entry.levels:
            services = CONSUMERS.get(entry.name, ("api",)) if level == "consume" else ("api",)
            for service in services:
                name = f"{entry.name[:3]}-{level}-{service}"
                trellis(
                    project,
                    "add",
                    entry.name,
                    name,
                    *REQUIRED.get(entry.name, []),
                    f"--{level}",
                    service,
                )
                done.append((entry.name, level, name, service))
        if not entry.levels:
            trellis(project, "add", entry.name, f"{entry.name[:3]}-x", *REQUIRED[entry.name])
    # FIFO variants: their accessors and probes take group and deduplication ids.
    trellis(project, "add", "queue", "fifo-q", "--fifo", "--send", "api", "--consume", "web")
    trellis(
        project, "add", "topic", "fifo-t", "--fifo", "--subscribe", "fifo-q", "--publish", "api"
    )
    trellis(project, "add", "parameter", "signing-key", "--secure", "--read", "api")
    # An event rule on the bus, to a queue and to the Lambda api (its Terraform, its policies).
    pattern = '{"detail-type": ["Paid"]}'
    bus = "bus-publish-api"
    trellis(project, "add", "rule", bus, "paid", "--pattern-json", pattern, "--target", "jobs")
    trellis(project, "add", "rule", bus, "paid-api", "--pattern-json", pattern, "--target", "api")
    return done


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
    trellis(project, "new", "service", "web", "--runtime", "ecs-express")
    pairs = every_pair(project)
    covered = {(kind, level) for kind, level, _name, _service in pairs}
    assert covered == {(k.name, level) for k in KINDS for level in k.levels}
    assert "Next:" in out
    generated = tree(project)
    tests = "".join(
        v.decode() for k, v in generated.items() if k.endswith("_resources.py") and "/tests/" in k
    )
    for kind, level, name, _service in pairs:
        verb = next(k for k in KINDS if k.name == kind).verbs[level].replace(" ", "_")
        assert f"def test_{verb}_the_{name.replace('-', '_')}_{kind}(" in tests, (kind, level)

    # A fresh shell's environment: not this run's venv, nor its make's (a sub-make prints
    # "Leaving directory" after pytest's summary) or pytest's options.
    inherited = ("VIRTUAL_ENV", "CI", "MAKELEVEL", "MAKEFLAGS", "MFLAGS", "PYTEST_ADDOPTS")
    env = {k: v for k, v in os.environ.items() if k not in inherited}
    env["UV"] = uv
    started = time.perf_counter()
    result = subprocess.run(
        ["make", "test"], cwd=project, env=env, capture_output=True, text=True, timeout=480
    )
    make_s = time.perf_counter() - started
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    assert "trellis check: the Terraform files match trellis.toml" in result.stdout
    # The consumer's and the publisher's tests ran with the services' own IAM keys.
    summary = result.stdout.strip().splitlines()[-1]
    assert "failed" not in summary and "error" not in summary, summary
    passed = int(summary.split(" passed")[0].split()[-1])
    assert passed >= len(pairs) + 3, summary  # every probe, and each service's own tests

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
            lambda: any('"event": "message.received"' in line for line in dev.lines),
            timeout_s=30,
            what="the worker's handle_jobs to log the message",
        )
    by_hand = 0  # files the scenario edits by hand; the guide's SQS section edits or creates 7
    print(
        f"\nscaffold scenario: 3 commands in {commands_s:.1f} s (+{len(pairs)} (kind, level) adds), "
        f"{len(generated)} files, {by_hand} touched by hand; generated `make test` {make_s:.1f} s "
        f"({passed} tests)"
    )
