"""Hot reload: a save → the new code answering through `trellis dev`'s gateway.

    uv run python bench/reload.py [--rounds 5]

Copies the example services into a temporary folder and runs ``trellis dev``
on them with the ``fast`` test stack's manifest (the worker a Lambda function,
the api an ECS Express container), so both kinds of service reload. Each round
rewrites a ``GET /bench-version`` route at the end of a service's module (the
worker's ``app.py``, on its router: its Lambda handler never imports ``main.py``;
the api's ``main.py``, which uvicorn serves)
with a new number, and times from the end of the write until that number comes
back through the gateway (polled every 10 ms, with a bearer token, as a
developer's browser would ask).

Baseline, same run: what a change cost before hot reload, stopping and starting
``trellis dev`` again until every service answers ``/health`` through the
gateway (its emulator state gone with it).
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
MARK = "# --- bench/reload.py ---"
SERVICES = {"worker": "lambda", "api": "ecs-express"}
#: The module each service's bench route goes into, and the object it is added on.
ROUTE_MODULES = {"worker": ("app.py", "router"), "api": ("main.py", "app")}


def write_version(main: Path, version: int, on: str = "app") -> None:
    """Put (or replace) the bench route at the end of ``main``: one save."""
    text = main.read_text()
    text = text.split(MARK)[0].rstrip("\n")
    main.write_text(
        f"{text}\n\n\n{MARK}\n"
        f'@{on}.get("/bench-version")\n'
        "def _bench_version() -> dict[str, int]:\n"
        f'    return {{"version": {version}}}\n'
    )


def answered(client: httpx.Client, route: str, version: int) -> bool:
    try:
        resp = client.get(f"{route}/bench-version")
    except httpx.TransportError:
        return False
    return resp.status_code == 200 and resp.json().get("version") == version


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5, help="saves per service")
    parser.add_argument("--restarts", type=int, default=2, help="baseline restarts")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per save")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    from bench._stacks import copy_services

    from trellis.testing import DevProcess

    seconds: dict[str, list[float]] = {name: [] for name in SERVICES}
    restarts: list[float] = []
    with tempfile.TemporaryDirectory(prefix="trellis-reload-") as tmp:
        manifest = copy_services(Path(tmp), ROOT / "tests/e2e/stacks/fast/trellis.toml")
        mains = {
            name: (Path(tmp) / name / name / ROUTE_MODULES[name][0], ROUTE_MODULES[name][1])
            for name in SERVICES
        }
        for path, on in mains.values():
            write_version(path, 0, on)
        with DevProcess(manifest, ready_timeout_s=90) as dev:
            client = httpx.Client(base_url=dev.base_url, headers=dev.bearer(), timeout=5)
            for name in SERVICES:
                deadline = time.monotonic() + args.timeout
                while not answered(client, f"/{name}", 0):
                    if time.monotonic() > deadline:
                        raise SystemExit(f"{name} never answered:\n{dev.output()[-3000:]}")
                    time.sleep(0.05)
            # Let the spares (what a reload starts from, prepared once the stack is quiet)
            # finish importing the libraries.
            time.sleep(5)
            for version in range(1, args.rounds + 1):
                for name, (path, on) in mains.items():
                    write_version(path, version, on)
                    saved = time.perf_counter()
                    deadline = time.monotonic() + args.timeout
                    while not answered(client, f"/{name}", version):
                        if time.monotonic() > deadline:
                            raise SystemExit(
                                f"{name} v{version} not live in {args.timeout} s:\n"
                                f"{dev.output()[-3000:]}"
                            )
                        time.sleep(0.01)
                    seconds[name].append(time.perf_counter() - saved)
                    # A developer's next save comes seconds later; meanwhile, with the stack
                    # quiet, trellis dev prepares the next spare.
                    time.sleep(4)
            client.close()
            reloads = [line for line in dev.lines if re.search(r"reloaded in [\d.]+ s", line)]
        for _ in range(args.restarts):
            started = time.perf_counter()
            with DevProcess(manifest, ready_timeout_s=90):
                restarts.append(time.perf_counter() - started)

    everything = [s for values in seconds.values() for s in values]
    restart = statistics.median(restarts)
    median = statistics.median(everything)
    lines = [
        f"### Hot reload: save → new code answering through the gateway ({args.rounds} saves "
        "per service)",
        "",
        "| service | runtime | median s | min s | max s |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for name, runtime in SERVICES.items():
        values = seconds[name]
        lines.append(
            f"| {name} | {runtime} | {statistics.median(values):.2f} | {min(values):.2f} "
            f"| {max(values):.2f} |"
        )
    lines.append(
        f"| baseline: restart `trellis dev` (state lost) | both | {restart:.2f} "
        f"| {min(restarts):.2f} | {max(restarts):.2f} |"
    )
    verdict = "met" if max(everything) <= 1.0 else "not met"
    lines += [
        "",
        f"Ratio (save → new code / restarting trellis dev): **{median / restart:.2f}x**; "
        f"worst save **{max(everything):.2f} s** (target ≤ 1 s: {verdict}).",
        "",
        "A save restarts only the service it is under, from a spare process that imported "
        "the libraries ahead (only the service's own modules are imported after the save); "
        "the emulator, its state and the other service keep running. "
        f"`trellis dev` logged {len(reloads)} reloads, e.g. `{reloads[0].strip() if reloads else '-'}`.",
    ]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
