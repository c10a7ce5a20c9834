"""The suite's own rule: every test that runs `trellis dev` goes to one xdist worker."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

CONFTEST = Path(__file__).resolve().parents[1] / "conftest.py"

PROBE = """
import os
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("n", range(8))
def test_records_its_worker(n: int) -> None:
    out = Path(__file__).parents[2] / "workers.txt"
    with out.open("a") as f:
        f.write(os.environ["PYTEST_XDIST_WORKER"] + "\\n")
"""


def test_end_to_end_tests_run_on_one_worker_under_loadgroup(tmp_path: Path) -> None:
    # A project with this suite's conftest and eight e2e tests, run on two workers: if the
    # group mark came after pytest-xdist read the marks, they would spread over both.
    (tmp_path / "tests" / "e2e").mkdir(parents=True)
    shutil.copy(CONFTEST, tmp_path / "tests" / "conftest.py")
    (tmp_path / "tests" / "e2e" / "test_probe.py").write_text(PROBE)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-n",
            "2",
            "--dist",
            "loadgroup",
            "-p",
            "no:cacheprovider",
            "-p",
            "xdist",
            "tests",
        ],
        cwd=tmp_path,
        # Only xdist: the installed plugins (schemathesis, hypothesis, ...) cost each of the
        # three processes seconds of imports and play no part here.
        env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    workers = (tmp_path / "workers.txt").read_text().split()
    assert len(workers) == 8
    assert len(set(workers)) == 1, workers
