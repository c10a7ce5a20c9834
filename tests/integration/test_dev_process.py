"""`DevProcess`, the end-to-end tests' `trellis dev`: a stack that fails says why.

A stack that exits at start-up, or dies under a module of tests, used to leave every
test of the module with a refused connection and no log (CI saw sixteen such failures).
"""

from __future__ import annotations

import os
import signal
import socket
from pathlib import Path

import httpx
import pytest

from trellis.testing import DevProcess, wait_until

pytestmark = pytest.mark.integration

MANIFEST = """
[project]
name = "mini"
region = "us-east-1"
github_repository = "acme/mini"
environments = ["dev"]

[services.hello]
runtime = "lambda"
path = "hello"
route = "/hello"
auth = "iam"
"""

HANDLER = """
from trellis.runtime import ServiceSettings, create_app, lambda_handler, load_settings

handler = lambda_handler(create_app(load_settings(ServiceSettings), title="hello"))
"""


def mini_stack(root: Path) -> Path:
    package = root / "hello" / "hello"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "handler.py").write_text(HANDLER)
    (root / "trellis.toml").write_text(MANIFEST)
    return root / "trellis.toml"


def test_a_stack_that_exits_at_start_up_fails_start_with_its_output(tmp_path: Path) -> None:
    manifest = mini_stack(tmp_path)
    manifest.write_text(MANIFEST.replace('runtime = "lambda"', 'runtime = "lambada"'))
    with pytest.raises(AssertionError) as failed:
        DevProcess(manifest, ready_timeout_s=120).start()
    message = str(failed.value)
    assert "exited with status 2 before it was ready" in message
    assert "services.hello.runtime" in message


def test_a_stack_that_dies_under_its_tests_fails_their_teardown(tmp_path: Path) -> None:
    manifest = mini_stack(tmp_path)
    dev = DevProcess(manifest, ready_timeout_s=120).start()
    try:
        assert httpx.get(f"{dev.base_url}/hello/health", timeout=20).status_code == 200
        os.kill(dev.pid, signal.SIGKILL)
        wait_until(dev.exited_on_its_own, timeout_s=20)
    finally:
        with pytest.raises(AssertionError, match="exited on its own"):
            dev.__exit__(None, None, None)


def test_a_stack_stopped_by_its_owner_is_not_reported(tmp_path: Path) -> None:
    with DevProcess(mini_stack(tmp_path), ready_timeout_s=120) as dev:
        assert httpx.get(f"{dev.base_url}/hello/health", timeout=20).status_code == 200
    assert not dev.exited_on_its_own()


def test_ports_taken_after_they_were_chosen_are_chosen_again(tmp_path: Path) -> None:
    dev = DevProcess(mini_stack(tmp_path), ready_timeout_s=120)
    # Another process binds the gateway's port after DevProcess chose it, as a parallel
    # test asking the kernel for a free port may.
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", dev.port))
        taken = dev.port
        with dev:
            assert dev.port != taken
            assert httpx.get(f"{dev.base_url}/hello/health", timeout=20).status_code == 200


def test_a_second_stack_on_one_project_waits_for_the_first(tmp_path: Path) -> None:
    # Both would keep their ports, auth and data in the one .trellis/ of the project.
    manifest = mini_stack(tmp_path)
    with DevProcess(manifest, ready_timeout_s=120) as first:
        second = DevProcess(manifest, ready_timeout_s=120, lock_timeout_s=1)
        with pytest.raises(AssertionError, match="one project directory runs one trellis dev"):
            second.start()
        assert second.exited_on_its_own() is False and second.lines == []  # never started
        assert httpx.get(f"{first.base_url}/hello/health", timeout=20).status_code == 200
    with second:  # the first stopped: the project is free
        assert httpx.get(f"{second.base_url}/hello/health", timeout=20).status_code == 200
