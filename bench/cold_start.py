"""Cold-start proxy: import the api's Lambda handler in a fresh process vs bare boto3 + FastAPI + Mangum.

    uv run python bench/cold_start.py [--runs 15] [--mode auto|build|source]

Each run is a new Python process (a Lambda cold start imports the handler
module once, in a new interpreter), timed from inside it:

- **import**: ``import api.handler`` (the example api: settings read, app built,
  handler wrapped) vs the guide's Lambda skeleton: ``import boto3``, a
  ``FastAPI()`` app with one route and ``Mangum(app, lifespan="off")``;
- **first invoke**: the same, plus handling one API Gateway event for
  ``GET /health`` (what the first request pays on top of the import);
- **process**: wall-clock from spawn to exit, as seen by the parent.

Where the code comes from (``--mode``):

- ``build``: ``trellis build api --platform host --out DIR`` makes the Lambda
  zip; it is extracted and the handler is imported from there alone
  (``python -S``, ``PYTHONPATH`` = the package), as Lambda's ``/var/task``;
- ``source``: the handler is imported from the source tree in this
  environment (a stand-in until ``trellis build`` exists);
- ``auto`` (default): ``build`` when ``trellis build --help`` succeeds, else ``source``.

The baseline always imports from this environment. Runs alternate between the
two, so both see the same machine noise; the report gives medians and the ratio.
"""

from __future__ import annotations

import argparse
import json
import os
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


def build_available() -> bool:
    proc = subprocess.run(
        [sys.executable, "-m", "trellis", "build", "--help"],
        cwd=ROOT,
        capture_output=True,
        check=False,
    )
    return proc.returncode == 0


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


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=15, help="fresh processes for each side")
    parser.add_argument("--mode", choices=("auto", "build", "source"), default="auto")
    parser.add_argument("--service", default="api")
    args = parser.parse_args()

    mode = args.mode
    if mode == "auto":
        mode = "build" if build_available() else "source"

    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TRELLIS_", "OTEL_"))}
    clean.pop("PYTHONPATH", None)
    with tempfile.TemporaryDirectory(prefix="trellis-cold-") as tmp:
        if mode == "build":
            task = build_package(args.service, Path(tmp))
            trellis_argv = [sys.executable, "-S", "-c", TRELLIS]
            trellis_env = {**clean, **ENV, "PYTHONPATH": str(task), "LAMBDA_TASK_ROOT": str(task)}
            where = "the package `trellis build api --platform host` made, extracted; `python -S`"
        else:
            trellis_argv = [sys.executable, "-c", TRELLIS]
            trellis_env = {**clean, **ENV}
            where = "the source tree (stand-in: `trellis build` is not available here)"
        baseline_env = {**clean, **ENV}
        baseline_argv = [sys.executable, "-c", BASELINE]

        # One of each first, unmeasured: it fills the OS page cache for both.
        run_once(trellis_argv, trellis_env)
        run_once(baseline_argv, baseline_env)
        heaviest = heaviest_imports(trellis_argv, trellis_env)
        trellis: list[dict[str, float]] = []
        baseline: list[dict[str, float]] = []
        for i in range(args.runs):
            pair = [(trellis, trellis_argv, trellis_env), (baseline, baseline_argv, baseline_env)]
            for samples, argv, env in pair if i % 2 == 0 else reversed(pair):
                samples.append(run_once(argv, env))

    print(report(mode, where, args.runs, trellis, baseline, heaviest))


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


def report(
    mode: str,
    where: str,
    runs: int,
    trellis: list[dict[str, float]],
    baseline: list[dict[str, float]],
    heaviest: str,
) -> str:
    lines = [
        f"### Cold start proxy ({runs} fresh processes each, medians; mode: **{mode}**)",
        "",
        f"Trellis handler imported from {where}.",
        "",
        "| handler | import ms | import + first /health ms | process ms | modules | boto3 loaded |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for label, samples in (
        ("bare boto3 + FastAPI + Mangum", baseline),
        ("Trellis `api.handler`", trellis),
    ):
        lines.append(
            f"| {label} | {median(samples, 'import_ms'):.0f} | {median(samples, 'first_ms'):.0f} "
            f"| {median(samples, 'process_ms'):.0f} | {median(samples, 'modules'):.0f} "
            f"| {'yes' if samples[0]['boto3'] else 'no'} |"
        )
    statuses = {int(s["status"]) for s in trellis + baseline}
    ratio = median(trellis, "import_ms") / median(baseline, "import_ms")
    first = median(trellis, "first_ms") / median(baseline, "first_ms")
    lines += [
        "",
        f"Import ratio (Trellis / bare): **{ratio:.2f}x**; import + first request: "
        f"**{first:.2f}x** (statuses: {sorted(statuses)}).",
        "",
        "The bare skeleton is the guide's: it imports boto3 at module level. The Trellis api "
        "imports its whole app (settings, routes, models, error handling, logging) but not "
        "boto3, which its client factory loads on the first AWS call; a `/health` request "
        "never pays for it.",
        "",
        f"Heaviest top-level imports of the Trellis handler (`-X importtime`, cumulative, one "
        f"run, each counted where it is first imported): {heaviest}.",
    ]
    if mode == "source":
        lines += [
            "",
            "Source mode imports from the development environment, which holds packages a "
            "Lambda package does not carry (rich, for one, which structlog imports when it is "
            "installed): read it as an upper bound of the packaged import.",
        ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
