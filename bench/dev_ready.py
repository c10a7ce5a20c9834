"""`trellis dev` time to ready vs the least a local stack can be: an emulator and one web app.

    uv run python bench/dev_ready.py [--runs 5] [--manifest trellis.toml]

Each run starts ``trellis dev --port P --emulator-port Q`` on free ports and
times, from the spawn, until every routed service answers ``GET
<route>/health`` with 200 *through the gateway* (polled by this script, not
taken from the log). The ``ready in`` line ``trellis dev`` prints gives the
phases: emulator, resources (every queue, DLQ, table, bucket, ... created),
services (each process up, Lambda handlers imported), gateway.

Baseline, same run, alternating with it: the floor of any local stack with
AWS in it, started in parallel: the same emulator process alone (nothing
created in it) and one bare FastAPI + boto3 app under uvicorn (the one of
``bench/api_overhead.py``), timed until both answer. It has no resources, no
gateway, no event sources and one process instead of one per service: what
``trellis dev`` adds on top of it is the work it does for you.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from trellis.local.emulator import Emulator, free_port
from trellis.local.processes import child_preexec
from trellis.manifest import load_manifest

ROOT = Path(__file__).resolve().parents[1]
READY = re.compile(r"ready in ([\d.]+) s \((.*)\)")


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as resp:
            return bool(resp.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def wait_all(urls: list[str], proc: subprocess.Popen[str] | None, timeout_s: float) -> None:
    pending = list(urls)
    deadline = time.monotonic() + timeout_s
    while pending:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"not ready within {timeout_s} s: {pending}")
        pending = [u for u in pending if not answers(u)]
        if pending:
            time.sleep(0.02)


def stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def trellis_dev(
    manifest: Path, routes: list[str], timeout_s: float
) -> tuple[float, dict[str, float]]:
    """Seconds from spawn to every route's /health = 200, and the phases of the ready line."""
    port, emulator_port = free_port(), free_port()
    argv = [
        sys.executable,
        "-m",
        "trellis",
        "--manifest",
        str(manifest),
        "dev",
        "--port",
        str(port),
        "--emulator-port",
        str(emulator_port),
        "--color",
        "never",
    ]
    lines: list[str] = []
    started = time.perf_counter()
    proc = subprocess.Popen(
        argv,
        cwd=manifest.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=child_preexec,
    )

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        wait_all([f"http://127.0.0.1:{port}{r}/health" for r in routes], proc, timeout_s)
        seconds = time.perf_counter() - started
        phases: dict[str, float] = {}
        deadline = time.monotonic() + 5
        while not phases and time.monotonic() < deadline:
            for line in list(lines):
                match = READY.search(line)
                if match:
                    phases["ready line"] = float(match.group(1))
                    for part in match.group(2).split(", "):
                        name, value = part.rsplit(" ", 1)
                        phases[name] = float(value)
            time.sleep(0.05)
        return seconds, phases
    except RuntimeError as exc:
        raise SystemExit(f"trellis dev: {exc}\n" + "\n".join(lines[-40:])) from None
    finally:
        stop(proc)
        reader.join(5)


def baseline(timeout_s: float) -> float:
    """Seconds until a fresh emulator and a bare FastAPI + boto3 app both answer."""
    app_port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TRELLIS_"))},
        "USERS_TABLE_NAME": "bench-dev-users",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }
    emulator = Emulator(port=free_port())
    started = time.perf_counter()
    app = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "api_overhead.py"), "--serve-bare", str(app_port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
        preexec_fn=child_preexec,
    )
    try:
        emulator.start(timeout_s)
        wait_all([f"http://127.0.0.1:{app_port}/health"], app, timeout_s)
        return time.perf_counter() - started
    finally:
        stop(app)
        emulator.stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--manifest", type=Path, default=ROOT / "trellis.toml")
    parser.add_argument("--timeout", type=float, default=90.0, help="seconds per start")
    args = parser.parse_args()

    manifest_path = args.manifest.resolve()
    manifest = load_manifest(manifest_path)
    routes = [spec.route for spec in manifest.services.values() if spec.route]
    resources = sum(1 for _ in manifest.resources())

    dev_s: list[float] = []
    base_s: list[float] = []
    phases: list[dict[str, float]] = []
    for i in range(args.runs):
        if i % 2:
            base_s.append(baseline(args.timeout))
        seconds, run_phases = trellis_dev(manifest_path, routes, args.timeout)
        dev_s.append(seconds)
        phases.append(run_phases)
        if not i % 2:
            base_s.append(baseline(args.timeout))

    names = [n for n in phases[0] if n != "ready line"]
    phase_text = ", ".join(
        f"{n} {statistics.median(p.get(n, 0.0) for p in phases):.2f} s" for n in names
    )
    dev, base = statistics.median(dev_s), statistics.median(base_s)
    ready_line = statistics.median(p.get("ready line", float("nan")) for p in phases)
    print(
        "\n".join(
            [
                f"### `trellis dev` time to ready ({args.runs} starts each, medians)",
                "",
                "| start | median s | min s | max s |",
                "| --- | ---: | ---: | ---: |",
                f"| baseline: emulator alone + one bare FastAPI app, in parallel | {base:.2f} "
                f"| {min(base_s):.2f} | {max(base_s):.2f} |",
                f"| `trellis dev`: {len(manifest.services)} services, {resources} resources, "
                f"every `/health` 200 through the gateway | {dev:.2f} | {min(dev_s):.2f} "
                f"| {max(dev_s):.2f} |",
                "",
                f"Ratio (trellis dev / baseline): **{dev / base:.2f}x**, "
                f"{dev - base:.2f} s more. Phases from the `ready in` line (medians): "
                f"{phase_text}; the line itself says {ready_line:.2f} s, counted from inside "
                "the process after its own imports.",
                "",
                "The baseline is the floor of any local stack that talks to AWS APIs: it creates "
                "nothing in the emulator and runs one process. `trellis dev` also creates every "
                "resource with its Terraform settings, starts one process per service (importing "
                "each Lambda handler, as a cold start does), the gateway and the event sources, "
                "and waits until each service's health route answers through the gateway.",
            ]
        )
    )


if __name__ == "__main__":
    main()
