"""The benchmarks stay runnable: each script answers --help, the API ones run at toy sizes.

Their figures are `make bench`'s business; this only proves the scripts still work with
the code they measure (they import the example services and the runtime).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# run.py takes no options: it is `make bench` itself.
SCRIPTS = sorted(
    p for p in (ROOT / "bench").glob("*.py") if not p.name.startswith("_") and p.name != "run.py"
)


def run(script: str, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


@pytest.mark.parametrize("script", [p.name for p in SCRIPTS])
def test_every_benchmark_script_answers_help(script: str) -> None:
    assert "usage:" in run(script, "--help")


@pytest.mark.integration
def test_the_users_listing_benchmark_runs_at_a_toy_size() -> None:
    out = run("users_listing.py", "--users", "60", "--page", "10", "--pages", "2", "--repeat", "1")
    assert "Items read per listing" in out


@pytest.mark.integration
def test_the_api_overhead_benchmark_runs_at_a_toy_size() -> None:
    out = run("api_overhead.py", "--users", "10", "--rounds", "1")
    assert "Throughput ratio (Trellis / bare)" in out


@pytest.mark.integration
def test_the_database_and_cache_benchmark_runs_at_a_toy_size() -> None:
    out = run("database_cache.py", "--requests", "5", "--rounds", "1", "--invocations", "20")
    assert "ratio cached / uncached" in out
    # One warm instance keeps one connection across its invocations.
    assert "| PostgreSQL sessions opened by 20 warm Lambda invocations | 1 |" in out
