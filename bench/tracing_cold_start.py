"""What ``tracing = true`` costs a Lambda cold start: the api's handler imported from the
package ``trellis build`` makes, with tracing off vs on.

    uv run python bench/tracing_cold_start.py [--runs 15]

The example is copied to a scratch folder twice, one copy with ``tracing = true`` under
``[services.api]``; each copy is built with ``trellis build api --platform host`` (the
traced one carries the ``otel`` extra) and extracted. Each run is a fresh ``python -S``
process with only the package on its path, as from Lambda's ``/var/task``, and
``PYTHONDONTWRITEBYTECODE=1`` (the build ships bytecode; nothing is cached between runs):

- **import**: ``from api.handler import handler`` — settings read, app built; with
  tracing on, the SDK, the OTLP exporter, the SigV4 session and the botocore and
  FastAPI instrumentations are imported and set up;
- **first invoke**: the same plus one ``GET /health`` API Gateway event, whose spans
  the handler flushes before it returns — here to a receiver on 127.0.0.1, so the
  figure leaves out the round trip to X-Ray's endpoint (one HTTPS POST).

The traced side runs with the env vars the rendered Terraform sets (endpoint, SigV4
signing for ``xray``, sampler, propagators), the endpoint pointed at that receiver.
Runs alternate between the sides; the report gives medians and the difference.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
COPIED = ("pyproject.toml", "uv.lock", "trellis.toml", "src", "backend", "libs")

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cold_start import ENV, TRELLIS, run_once  # noqa: E402 - the cold start bench's own parts


def copy_example(target: Path, *, tracing: bool) -> Path:
    target.mkdir(parents=True)
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(
                source,
                target / name,
                ignore=shutil.ignore_patterns("__pycache__", ".venv", "dist", "*.egg-info"),
            )
        elif source.exists():
            shutil.copy2(source, target / name)
    if tracing:
        manifest = target / "trellis.toml"
        text = manifest.read_text()
        if "[services.api]\n" not in text:
            raise SystemExit("the example manifest has no [services.api]")
        manifest.write_text(text.replace("[services.api]\n", "[services.api]\ntracing = true\n", 1))
    return target


def build(example: Path) -> tuple[Path, int, int]:
    """``trellis build api --platform host`` in ``example``; the extracted folder and sizes."""
    out = example / "dist"
    proc = subprocess.run(
        [
            *(sys.executable, "-m", "trellis", "--manifest", str(example / "trellis.toml")),
            *("build", "api", "--platform", "host", "--out", str(out)),
        ],
        cwd=example,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"trellis build failed:\n{proc.stdout}\n{proc.stderr}")
    package = out / "api.zip"
    task = example / "task"
    with zipfile.ZipFile(package) as archive:
        archive.extractall(task)
        unzipped = sum(i.file_size for i in archive.infolist())
    return task, unzipped, package.stat().st_size


@contextmanager
def receiver() -> Iterator[str]:
    """An OTLP endpoint on 127.0.0.1 that takes every export (200, empty body)."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1/traces"
    finally:
        server.shutdown()
        server.server_close()


def traced_environment(endpoint: str) -> dict[str, str]:
    from trellis.manifest import load_manifest
    from trellis.tracing import tracing_environment

    manifest = load_manifest(ROOT / "trellis.toml")
    services = dict(manifest.services)
    services["api"] = services["api"].model_copy(update={"tracing": True})
    traced = manifest.model_copy(update={"services": services})
    return {**tracing_environment(traced, "api"), "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": endpoint}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=15, help="fresh processes for each side")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TRELLIS_", "OTEL_"))}
    clean.pop("PYTHONPATH", None)
    clean["PYTHONDONTWRITEBYTECODE"] = "1"
    with tempfile.TemporaryDirectory(prefix="trellis-tracing-cold-") as tmp, receiver() as url:
        off_task, off_unzipped, off_zip = build(copy_example(Path(tmp) / "off", tracing=False))
        on_task, on_unzipped, on_zip = build(copy_example(Path(tmp) / "on", tracing=True))
        sides = {
            "off": (off_task, {**clean, **ENV}),
            "on": (on_task, {**clean, **ENV, **traced_environment(url)}),
        }
        results: dict[str, list[dict[str, float]]] = {side: [] for side in sides}
        for _ in range(args.runs):
            for side, (task, env) in sides.items():
                run = run_once(
                    [sys.executable, "-S", "-c", TRELLIS], {**env, "PYTHONPATH": str(task)}
                )
                if run["status"] != 200:
                    raise SystemExit(f"{side}: GET /health answered {run['status']}")
                results[side].append(run)

    def median(side: str, key: str) -> float:
        return statistics.median(r[key] for r in results[side])

    mb = 1024 * 1024
    report = {
        "runs": args.runs,
        "import_ms": {side: round(median(side, "import_ms"), 1) for side in sides},
        "first_invoke_ms": {side: round(median(side, "first_ms"), 1) for side in sides},
        "modules": {side: int(median(side, "modules")) for side in sides},
        "unzipped_mib": {"off": round(off_unzipped / mb, 1), "on": round(on_unzipped / mb, 1)},
        "zip_mib": {"off": round(off_zip / mb, 1), "on": round(on_zip / mb, 1)},
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(markdown(report))


def markdown(r: dict[str, Any]) -> str:
    """The section ``make bench`` puts in bench/RESULTS.md."""
    imp, first = r["import_ms"], r["first_invoke_ms"]
    rows = [
        (
            "import `api.handler`",
            f"{imp['off']:.0f} ms",
            f"{imp['on']:.0f} ms",
            f"+{imp['on'] - imp['off']:.0f} ms",
        ),
        (
            "import + first `GET /health` (spans flushed to 127.0.0.1)",
            f"{first['off']:.0f} ms",
            f"{first['on']:.0f} ms",
            f"+{first['on'] - first['off']:.0f} ms",
        ),
        (
            "modules loaded",
            str(r["modules"]["off"]),
            str(r["modules"]["on"]),
            f"+{r['modules']['on'] - r['modules']['off']}",
        ),
        (
            "package, unzipped",
            f"{r['unzipped_mib']['off']} MiB",
            f"{r['unzipped_mib']['on']} MiB",
            f"+{r['unzipped_mib']['on'] - r['unzipped_mib']['off']:.1f} MiB",
        ),
        (
            "package, zipped",
            f"{r['zip_mib']['off']} MiB",
            f"{r['zip_mib']['on']} MiB",
            f"+{r['zip_mib']['on'] - r['zip_mib']['off']:.1f} MiB",
        ),
    ]
    ratio = first["on"] / first["off"] if first["off"] else 0.0
    lines = [
        f"### Tracing cold start ({r['runs']} fresh processes each, alternating, medians)",
        "",
        "| | tracing off | tracing on | added |",
        "| --- | --- | --- | --- |",
        *(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows),
        "",
        f"Import + first invoke with tracing on vs off: ratio **{ratio:.2f}x**.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
