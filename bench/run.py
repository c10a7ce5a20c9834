"""`make bench`: run every benchmark and write bench/RESULTS.md.

Each benchmark starts its own emulator and measures its baseline in the same
run, so the ratios and counts compare like with like on this machine.
"""

from __future__ import annotations

import os
import platform
import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOG_LINE = re.compile(r"^(\{|\d{4}-\d\d-\d\d[ T]\d\d:\d\d)")

BENCHMARKS: list[tuple[str, list[str]]] = [
    (
        "Worker throughput, short jobs",
        ["bench/worker_throughput.py", "--jobs", "2000", "--work-ms", "20"],
    ),
    (
        "Worker throughput, 100 ms jobs",
        ["bench/worker_throughput.py", "--jobs", "2000", "--work-ms", "100"],
    ),
    ("Users listing", ["bench/users_listing.py", "--users", "20000"]),
    ("API overhead", ["bench/api_overhead.py", "--users", "300", "--rounds", "4"]),
    (
        "User cache and audit database",
        ["bench/database_cache.py", "--requests", "300", "--rounds", "3", "--invocations", "1000"],
    ),
    (
        "Emulator throughput against MiniStack",
        ["bench/emulator_workload.py", "--items", "3000", "--rounds", "3", "--ministack"],
    ),
    ("Cold start proxy", ["bench/cold_start.py", "--runs", "15"]),
    ("Tracing cold start", ["bench/tracing_cold_start.py", "--runs", "15"]),
    ("trellis dev time to ready", ["bench/dev_ready.py", "--runs", "5"]),
    ("Hot reload", ["bench/reload.py", "--rounds", "5"]),
    (
        "Lambda concurrency, 16 clients",
        ["bench/lambda_concurrency.py", "--clients", "16", "--seconds", "20", "--rounds", "2"],
    ),
]


def machine() -> str:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    versions = ", ".join(
        f"{p} {version(p)}" for p in ("moto", "boto3", "fastapi", "pydantic", "uvicorn", "mangum")
    )
    return (
        f"{os.cpu_count()} cores ({cpu}){memory}; {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}; {versions}"
    )


def headline(output: str) -> str:
    """The first line of a section that states a ratio in bold, for the summary table."""
    for line in output.splitlines():
        if "**" in line and "ratio" in line.lower():
            bold = [part.rstrip(".") for part in line.split(". ") if "**" in part]
            return "; ".join(bold).replace("|", "/")
    return "see below"


def main() -> int:
    sections = [
        "# Benchmark results",
        "",
        f"Run {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')} by `make bench` on: {machine()}.",
        "",
        "Every AWS call goes to the local emulator (moto), which is the ceiling of every local figure:",
        "read the call counts and the ratios against the baseline measured in the same run.",
        "",
    ]
    status = 0
    body: list[str] = []
    summary = [
        "## Summary",
        "",
        "| benchmark | headline (ratio against its baseline, same run) |",
        "| --- | --- |",
    ]
    for title, argv in BENCHMARKS:
        print(f"== {title}: {' '.join(argv)}", flush=True)
        started = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, *argv], cwd=ROOT, capture_output=True, text=True, check=False
        )
        elapsed = time.perf_counter() - started
        # Keep the report; drop log lines (JSON, or structlog's console lines) a benchmark let through.
        output = "\n".join(line for line in proc.stdout.splitlines() if not LOG_LINE.match(line))
        print(output, flush=True)
        body += [f"## {title}", "", f"`uv run python {' '.join(argv)}` ({elapsed:.0f} s)", ""]
        if proc.returncode != 0:
            status = 1
            body += ["**Failed:**", "", "```", proc.stderr[-3000:], "```", ""]
            summary.append(f"| {title} | failed |")
        else:
            body += [output, ""]
            summary.append(f"| {title} | {headline(output)} |")
    (ROOT / "bench" / "RESULTS.md").write_text("\n".join([*sections, *summary, "", *body]))
    print("wrote bench/RESULTS.md")
    return status


if __name__ == "__main__":
    sys.exit(main())
