"""Cold-start proxy: the api's (and the worker's) Lambda handler in a fresh process, vs bare
boto3 + FastAPI + Mangum, all imported from the package ``trellis build`` makes.

    uv run python bench/cold_start.py [--runs 15]

Each run is a new Python process (a Lambda cold start imports the handler
module once, in a new interpreter), timed from inside it:

- **import**: ``import api.handler`` (the example api: settings read, app built,
  handler wrapped) vs the guide's Lambda skeleton: ``import boto3``, a
  ``FastAPI()`` app with one route and ``Mangum(app, lifespan="off")``;
- **first invoke**: the same, plus handling one API Gateway event for
  ``GET /health`` (what the first request pays on top of the import);
- **process**: wall-clock from spawn to exit, as seen by the parent.

Like with like: ``trellis build api --platform host`` makes the zip, which is
extracted and imported alone (``python -S``, ``PYTHONPATH`` = the package), as
from Lambda's ``/var/task``. The bare skeleton imports its three libraries from
that same package — the same files, with the same bytecode — so the ratio is
Trellis's own cost. A third row imports the same package with its bytecode
removed (what every cold start paid before ``trellis build`` compiled it: this
machine sets ``PYTHONDONTWRITEBYTECODE=1``, and Lambda's ``/var/task`` is read
only, so nothing is cached between processes). The worker's handler is timed
the same way (import only).

Runs alternate between the sides, so all see the same machine noise; the report
gives medians and the ratios.
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
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def api_environment() -> dict[str, str]:
    """The env vars the api gets in AWS, from the manifest (nothing is called at import)."""
    from trellis.infra.addresses import AwsAddresses
    from trellis.manifest import load_manifest
    from trellis.wiring import service_environment

    manifest = load_manifest(ROOT / "trellis.toml")
    env = manifest.project.environments[0]
    addresses = AwsAddresses(manifest, env, "123456789012")
    return {
        **service_environment(manifest, "api", env, addresses),
        "AWS_REGION": manifest.project.region,  # Lambda's runtime sets it
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "LOG_LEVEL": "WARNING",
    }


ENV = api_environment()

EVENT = """
EVENT = {"resource": "/{proxy+}", "path": "/health", "httpMethod": "GET",
         "headers": {"Host": "example.com"}, "multiValueHeaders": {"Host": ["example.com"]},
         "queryStringParameters": None, "multiValueQueryStringParameters": None,
         "pathParameters": {"proxy": "health"}, "stageVariables": None,
         "requestContext": {"requestId": "r1", "stage": "dev", "resourcePath": "/{proxy+}",
                            "httpMethod": "GET", "path": "/dev/health",
                            "identity": {"sourceIp": "127.0.0.1"}},
         "body": None, "isBase64Encoded": False}

class Context:
    function_name = "bench"
    aws_request_id = "r1"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
    def get_remaining_time_in_millis(self):
        return 15000
"""

TRELLIS = (
    "import time, sys, json\n"
    "t0 = time.perf_counter()\n"
    "from api.handler import handler\n"
    "t1 = time.perf_counter()\n" + EVENT + "status = handler(EVENT, Context())['statusCode']\n"
    "t2 = time.perf_counter()\n"
    "print(json.dumps({'import_ms': (t1 - t0) * 1000, 'first_ms': (t2 - t0) * 1000,"
    " 'status': status, 'boto3': 'boto3' in sys.modules, 'modules': len(sys.modules)}))\n"
)

BASELINE = (
    "import time, sys, json\n"
    "t0 = time.perf_counter()\n"
    "import boto3\n"
    "from fastapi import FastAPI\n"
    "from mangum import Mangum\n"
    "app = FastAPI()\n"
    "@app.get('/health')\n"
    "def health():\n"
    "    return {'status': 'ok'}\n"
    "handler = Mangum(app, lifespan='off')\n"
    "t1 = time.perf_counter()\n" + EVENT + "status = handler(EVENT, Context())['statusCode']\n"
    "t2 = time.perf_counter()\n"
    "print(json.dumps({'import_ms': (t1 - t0) * 1000, 'first_ms': (t2 - t0) * 1000,"
    " 'status': status, 'boto3': 'boto3' in sys.modules, 'modules': len(sys.modules)}))\n"
)


def build_package(service: str, workdir: Path) -> Path:
    """Build the service's Lambda zip with ``trellis build`` and extract it; return the folder."""
    out = workdir / "dist"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "trellis",
            "build",
            service,
            "--platform",
            "host",
            "--out",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"trellis build failed:\n{proc.stdout}\n{proc.stderr}")
    package = out / f"{service}.zip"
    if not package.exists():
        raise SystemExit(f"trellis build wrote no {package}:\n{proc.stdout}")
    target = workdir / "task"
    with zipfile.ZipFile(package) as archive:
        archive.extractall(target)
    return target


def run_once(argv: list[str], env: dict[str, str]) -> dict[str, float]:
    started = time.perf_counter()
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, check=False, timeout=120)
    wall_ms = (time.perf_counter() - started) * 1000
    if proc.returncode != 0:
        raise SystemExit(f"{argv[:3]} failed:\n{proc.stderr[-3000:]}")
    result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    result["process_ms"] = wall_ms
    return result


WORKER = (
    "import time, sys, json\n"
    "t0 = time.perf_counter()\n"
    "from worker.handler import handler\n"
    "t1 = time.perf_counter()\n"
    "print(json.dumps({'import_ms': (t1 - t0) * 1000, 'first_ms': (t1 - t0) * 1000,"
    " 'status': 200, 'boto3': 'boto3' in sys.modules, 'modules': len(sys.modules)}))\n"
)


def without_bytecode(task: Path, target: Path) -> Path:
    """A copy of the extracted package with every ``__pycache__`` removed."""
    shutil.copytree(task, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def worker_environment() -> dict[str, str]:
    from trellis.infra.addresses import AwsAddresses
    from trellis.manifest import load_manifest
    from trellis.wiring import service_environment

    manifest = load_manifest(ROOT / "trellis.toml")
    env = manifest.project.environments[0]
    return {
        **service_environment(manifest, "worker", env, AwsAddresses(manifest, env)),
        "AWS_REGION": manifest.project.region,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "LOG_LEVEL": "WARNING",
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=15, help="fresh processes for each side")
    args = parser.parse_args()

    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TRELLIS_", "OTEL_"))}
    clean.pop("PYTHONPATH", None)
    # As on Lambda: nothing a process compiles is kept for the next one.
    clean["PYTHONDONTWRITEBYTECODE"] = "1"
    with tempfile.TemporaryDirectory(prefix="trellis-cold-") as tmp:
        api_task = build_package("api", Path(tmp) / "api")
        api_source = without_bytecode(api_task, Path(tmp) / "api-source")
        worker_task = build_package("worker", Path(tmp) / "worker")
        worker_env = worker_environment()

        def side(script: str, task: Path, env: dict[str, str]) -> tuple[list[str], dict[str, str]]:
            return [sys.executable, "-S", "-c", script], {
                **clean,
                **env,
                "PYTHONPATH": str(task),
                "LAMBDA_TASK_ROOT": str(task),
            }

        sides = {
            "bare": side(BASELINE, api_task, ENV),
            "trellis": side(TRELLIS, api_task, ENV),
            "trellis_source": side(TRELLIS, api_source, ENV),
            "worker": side(WORKER, worker_task, worker_env),
        }
        # One of each first, unmeasured: it fills the OS page cache for all.
        for argv, env in sides.values():
            run_once(argv, env)
        heaviest = heaviest_imports(*sides["trellis"])
        samples: dict[str, list[dict[str, float]]] = {name: [] for name in sides}
        order = list(sides)
        for i in range(args.runs):
            for name in order if i % 2 == 0 else reversed(order):
                samples[name].append(run_once(*sides[name]))

    print(report(args.runs, samples, heaviest))


def heaviest_imports(argv: list[str], env: dict[str, str], top: int = 6) -> str:
    """The top-level packages that cost the most to import, from one ``-X importtime`` run."""
    proc = subprocess.run(
        [argv[0], "-X", "importtime", *argv[1:]],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    costs: dict[str, int] = {}
    for line in proc.stderr.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) != 3 or not parts[1].strip().isdigit():
            continue
        name = parts[2].strip()
        root = name.split(".")[0]
        if name == root and not root.startswith("_"):
            costs[root] = max(costs.get(root, 0), int(parts[1]))
    ranked = sorted(costs.items(), key=lambda kv: kv[1], reverse=True)[:top]
    return ", ".join(f"{name} {us / 1000:.0f} ms" for name, us in ranked)


def median(samples: list[dict[str, float]], key: str) -> float:
    return statistics.median(s[key] for s in samples)


def report(runs: int, samples: dict[str, list[dict[str, float]]], heaviest: str) -> str:
    lines = [
        f"### Cold start proxy ({runs} fresh processes each, medians)",
        "",
        "Every row imports from the package `trellis build <service> --platform host` made, "
        "extracted, with `python -S` and nothing cached between processes.",
        "",
        "| handler | import ms | import + first /health ms | process ms | modules | boto3 loaded |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    rows = (
        ("bare boto3 + FastAPI + Mangum (same package, with bytecode)", "bare"),
        ("Trellis `api.handler` (as built: with bytecode)", "trellis"),
        ("Trellis `api.handler`, same package without bytecode", "trellis_source"),
        ("Trellis `worker.handler` (as built; import only)", "worker"),
    )
    for label, key in rows:
        s = samples[key]
        first = "—" if key == "worker" else f"{median(s, 'first_ms'):.0f}"
        lines.append(
            f"| {label} | {median(s, 'import_ms'):.0f} | {first} "
            f"| {median(s, 'process_ms'):.0f} | {median(s, 'modules'):.0f} "
            f"| {'yes' if s[0]['boto3'] else 'no'} |"
        )
    statuses = {int(s["status"]) for key in ("bare", "trellis") for s in samples[key]}
    ratio = median(samples["trellis"], "import_ms") / median(samples["bare"], "import_ms")
    first = median(samples["trellis"], "first_ms") / median(samples["bare"], "first_ms")
    gain = median(samples["trellis_source"], "import_ms") / median(samples["trellis"], "import_ms")
    lines += [
        "",
        f"Import ratio (Trellis / bare, both with bytecode): **{ratio:.2f}x**; import + first "
        f"request: **{first:.2f}x** (statuses: {sorted(statuses)}). Shipping bytecode makes "
        f"the api's import **{gain:.2f}x** faster than the same package as source.",
        "",
        "The bare skeleton is the guide's: it imports boto3 at module level. The Trellis api "
        "imports its whole app (settings, routes, models, error handling, logging) but not "
        "boto3, which its client factory loads on the first AWS call; a `/health` request "
        "never pays for it.",
        "",
        f"Heaviest top-level imports of the Trellis handler (`-X importtime`, cumulative, one "
        f"run, each counted where it is first imported): {heaviest}.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
