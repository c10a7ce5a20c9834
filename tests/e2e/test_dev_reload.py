"""Hot reload: a save restarts only the service it is under; state and the rest keep running.

The stack runs copies of the example services (the worker as a Lambda function, the
api as an ECS Express container), so the tests edit the copies, never the repository.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import ROOT, find_process
from trellis.testing import DevProcess, wait_until

pytestmark = pytest.mark.e2e

MARK = "# --- test_dev_reload ---"


def copy_stack(dest: Path) -> Path:
    for name in ("api", "worker"):
        shutil.copytree(
            ROOT / "backend" / name,
            dest / name,
            ignore=shutil.ignore_patterns("tests", "__pycache__", "*.egg-info"),
        )
    text = (ROOT / "tests/e2e/stacks/fast/trellis.toml").read_text()
    text = text.replace('path = "../../../../backend/', 'path = "')
    (dest / "trellis.toml").write_text(text)
    return dest / "trellis.toml"


def save(main: Path, body: str) -> None:
    """Replace the test's block at the end of a service's module (a save in an editor)."""
    text = main.read_text().split(MARK)[0].rstrip("\n")
    main.write_text(f"{text}\n\n\n{MARK}\n{body}\n")


#: The module a route is added to and what it is added on: the worker's router (its
#: Lambda handler builds the app from ``worker.app``; ``main.py`` is the container entry
#: point and never imported here), the api's app (uvicorn serves ``api.main:app``).
WORKER_MODULE = ("worker", "worker", "app.py")
API_MODULE = ("api", "api", "main.py")


def version_route(version: int, on: str = "app") -> str:
    return (
        f'@{on}.get("/version")\n'
        "def _version() -> dict[str, int]:\n"
        f'    return {{"version": {version}}}\n'
    )


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[DevProcess, Path]]:
    root = tmp_path_factory.mktemp("reload")
    manifest = copy_stack(root)
    with DevProcess(manifest, ready_timeout_s=90) as dev:
        yield dev, root


def answer(client: httpx.Client, path: str) -> tuple[int, dict[str, object]]:
    resp = client.get(path)
    try:
        return resp.status_code, resp.json()
    except ValueError:
        return resp.status_code, {}


def test_a_save_reloads_only_that_service_and_keeps_the_emulators_state(
    stack: tuple[DevProcess, Path],
) -> None:
    dev, root = stack
    with httpx.Client(base_url=dev.base_url, headers=dev.bearer(), timeout=15) as client:
        created = client.post(
            "/api/users", json={"user_id": "kept", "name": "Ada", "email": "kept@example.com"}
        )
        assert created.status_code == 201, created.text
        api_pid = find_process(dev.pid, "-m uvicorn api.main:app")
        emulator_pid = find_process(dev.pid, "trellis.local.emulator")

        save(root.joinpath(*WORKER_MODULE), version_route(1, on="router"))
        wait_until(
            lambda: answer(client, "/worker/version") == (200, {"version": 1}),
            timeout_s=30,
            what="the worker's new route",
        )

        # The api container and the emulator were not restarted, and the user is still there.
        assert find_process(dev.pid, "-m uvicorn api.main:app") == api_pid
        assert find_process(dev.pid, "trellis.local.emulator") == emulator_pid
        assert client.get("/api/users/kept").json()["name"] == "Ada"
        assert any("worker: reloaded in" in line for line in dev.lines)
        assert not any("api: reloaded in" in line for line in dev.lines)


def test_a_broken_save_answers_502_with_the_error_until_the_next_save_fixes_it(
    stack: tuple[DevProcess, Path],
) -> None:
    dev, root = stack
    main = root.joinpath(*WORKER_MODULE)
    with httpx.Client(base_url=dev.base_url, headers=dev.bearer(), timeout=15) as client:
        save(main, "def broken(:\n")

        def refused() -> dict[str, object] | None:
            status, body = answer(client, "/worker/health")
            return body if status == 502 else None

        body = wait_until(refused, timeout_s=30, what="a 502 from the broken worker")
        error = body["error"]
        assert isinstance(error, dict)
        assert error["code"] == "service_unavailable"
        assert "SyntaxError" in str(error["message"])
        assert "save a fix" in str(error["message"])
        # The traceback is in the worker's log; the other service is unaffected.
        assert any(line.startswith("worker") and "SyntaxError" in line for line in dev.lines), (
            dev.output()[-2000:]
        )
        assert client.get("/api/health").status_code == 200
        # Still broken a moment later: nothing restarts it but a save.
        time.sleep(1.5)
        assert answer(client, "/worker/health")[0] == 502

        save(main, version_route(2, on="router"))
        wait_until(
            lambda: answer(client, "/worker/version") == (200, {"version": 2}),
            timeout_s=30,
            what="the fixed worker",
        )


def test_a_container_service_reloads_without_restarting_the_lambda_one(
    stack: tuple[DevProcess, Path],
) -> None:
    dev, root = stack
    with httpx.Client(base_url=dev.base_url, headers=dev.bearer(), timeout=15) as client:
        assert client.get("/worker/health").status_code == 200
        old_api = find_process(dev.pid, "-m uvicorn api.main:app")
        before = sum("worker: reloaded in" in line for line in dev.lines)

        save(root.joinpath(*API_MODULE), version_route(7))
        wait_until(
            lambda: answer(client, "/api/version") == (200, {"version": 7}),
            timeout_s=30,
            what="the api's new route",
        )
        assert sum("worker: reloaded in" in line for line in dev.lines) == before
        # The old api process is gone (replaced, as an ECS deployment replaces a task).
        wait_until(
            lambda: old_api not in _pids(dev.pid), timeout_s=15, what="the old api process gone"
        )
        assert client.get("/api/users/kept").status_code == 200


def _pids(root_pid: int) -> set[int]:
    from tests.e2e.conftest import descendants

    return descendants(root_pid)


def test_no_reload_leaves_the_running_code_alone(tmp_path: Path) -> None:
    manifest = copy_stack(tmp_path)
    with (
        DevProcess(manifest, ready_timeout_s=90, args=["--no-reload"]) as dev,
        httpx.Client(base_url=dev.base_url, headers=dev.bearer(), timeout=15) as client,
    ):
        assert "reload:" not in dev.output()
        save(tmp_path.joinpath(*WORKER_MODULE), version_route(1, on="router"))
        # Give a reload every chance to happen (it takes well under a second here).
        time.sleep(3)
        assert client.get("/worker/version").status_code == 404
        assert not any("reloaded in" in line for line in dev.lines)
