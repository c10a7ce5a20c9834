"""A spare started before its environment is known runs with the environment ``go`` brings."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from trellis.local.services import ManagedProcess

pytestmark = pytest.mark.integration

PROBE = """
import json, os, sys
print(json.dumps({
    "argv": sys.argv[1:],
    "token": os.environ.get("TOKEN"),
    "early": os.environ.get("EARLY"),
    "spare": os.environ.get("TRELLIS_WARM_SPARE"),
    "path_has_cwd": os.getcwd() in sys.path,
}))
"""


def base_env(cwd: Path) -> dict[str, str]:
    return {"PATH": os.environ["PATH"], "PYTHONPATH": str(cwd), "EARLY": "1"}


def run_spare(cwd: Path, line: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trellis.local._warm"],
        input=line,
        cwd=cwd,
        env={**base_env(cwd), "TRELLIS_WARM_NICENESS": "0"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_module_runs_with_the_environment_of_go_not_the_one_it_started_with(
    tmp_path: Path,
) -> None:
    (tmp_path / "probe.py").write_text(PROBE)
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(tmp_path), "TOKEN": "from-go"}
    done = run_spare(tmp_path, json.dumps({"argv": ["probe", "--x"], "env": env}) + "\n")
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    # EARLY was only in the start-up environment: the whole environment is replaced.
    assert seen == {
        "argv": ["--x"],
        "token": "from-go",
        "early": None,
        "spare": "1",
        "path_has_cwd": True,
    }


def test_the_list_form_keeps_the_environment_it_started_with(tmp_path: Path) -> None:
    (tmp_path / "probe.py").write_text(PROBE)
    done = run_spare(tmp_path, json.dumps(["probe"]) + "\n")
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["early"] == "1" and seen["token"] is None


@pytest.mark.parametrize(
    "line",
    ['{"argv": ["probe"], "env": {"A": 1}}', '{"argv": [], "env": {}}', '"probe"', "not json"],
)
def test_a_malformed_order_is_refused_in_one_line(tmp_path: Path, line: str) -> None:
    (tmp_path / "probe.py").write_text(PROBE)
    done = run_spare(tmp_path, line + "\n")
    assert done.returncode == 2
    assert "trellis.local._warm: expected" in done.stderr
    assert done.stdout == ""


def test_take_over_refuses_an_environment_only_a_new_interpreter_would_honour(
    tmp_path: Path,
) -> None:
    async def scenario() -> tuple[bool, bool, bool]:
        spare = ManagedProcess(
            "svc", [sys.executable], base_env(tmp_path), tmp_path, lambda *_: None, warm=True
        )
        not_started = spare.take_over([sys.executable, "-m", "probe"], base_env(tmp_path))
        await spare.start()
        try:
            other_path = {**base_env(tmp_path), "PYTHONPATH": "/elsewhere"}
            refused = spare.take_over([sys.executable, "-m", "probe"], other_path)
            taken = spare.take_over(
                [sys.executable, "-m", "probe"], {**base_env(tmp_path), "TOKEN": "t"}
            )
        finally:
            await spare.stop()
        return not_started, refused, taken

    not_started, refused, taken = asyncio.run(scenario())
    assert (not_started, refused, taken) == (False, False, True)


def test_a_preloaded_module_runs_without_a_runpy_warning(tmp_path: Path) -> None:
    # The Lambda host is preloaded and then run as __main__: every trellis dev start
    # printed runpy's "found in sys.modules" warning in each Lambda service's log.
    done = run_spare(tmp_path, json.dumps(["trellis.local.lambda_host", "--help"]) + "\n")
    assert done.returncode == 0, done.stderr
    assert "Serve one Lambda function locally" in done.stdout
    assert "RuntimeWarning" not in done.stderr, done.stderr
