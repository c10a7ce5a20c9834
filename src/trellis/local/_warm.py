"""A spare service process: the libraries imported ahead, the service's own code on demand.

    python -m trellis.local._warm

It imports what every Trellis service imports (boto3, FastAPI, pydantic, the
runtime, and the OpenTelemetry SDK when an OTLP endpoint is set), at low CPU
priority so that it never slows the services that run, then waits for one
line on stdin: a JSON list ``[MODULE, ARG, ...]``. It then runs ``python -m
MODULE ARGS`` in this interpreter, at normal priority again where the system
allows it (root, or a permissive ``RLIMIT_NICE``). On end of input it exits.
What it will run is not on its command line, so ``ps`` (and tests looking for
a service's process) see only the processes that serve.

``trellis dev`` keeps one per service for hot reload: a save then pays only
for importing the service's own modules (a few hundred milliseconds) instead
of a whole interpreter start (seconds on a busy machine). Nothing from the
service's own directory is imported ahead, so the code that runs is the code
on disk when ``go`` arrives. Scale-out instances of a Lambda function never use
a spare: each of those is a real cold start.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import runpy
import sys

#: What a service imports before its own code; a missing one is skipped.
PRELOAD = (
    "json",
    "asyncio",
    "boto3",
    "botocore.client",
    "botocore.session",
    "botocore.config",
    "pydantic",
    "pydantic_settings",
    "structlog",
    "starlette.applications",
    "fastapi",
    "fastapi.routing",
    "fastapi.responses",
    "mangum",
    "httpx",
    "uvicorn",
    "uvicorn.main",
    "trellis.runtime",
    "trellis.runtime._app",
    "trellis.runtime._clients",
    "trellis.runtime._errors",
    "trellis.runtime._lambda",
    "trellis.runtime._logging",
    "trellis.runtime._settings",
    "trellis.local.lambda_host",
)
#: Imported too when the service will export traces (what ``configure_tracing`` loads).
TRACING_PRELOAD = (
    "opentelemetry.sdk.trace",
    "opentelemetry.sdk.trace.export",
    "opentelemetry.sdk.resources",
    "opentelemetry.exporter.otlp.proto.http.trace_exporter",
    "opentelemetry.instrumentation.botocore",
    "opentelemetry.instrumentation.fastapi",
)
#: Set in the environment of the module that runs: the Lambda host says so in its init line.
WARM_ENV = "TRELLIS_WARM_SPARE"


def preload() -> None:
    """Import :data:`PRELOAD` (and the tracing modules when traces are exported)."""
    names = list(PRELOAD)
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        names.extend(TRACING_PRELOAD)
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001, S112 - an optional library missing is fine: the service imports what it needs
            continue


#: How much lower the spare's CPU priority is while it imports (``nice``).
PRELOAD_NICENESS = 10


def main() -> int:
    with contextlib.suppress(OSError):
        os.nice(PRELOAD_NICENESS)
    preload()
    line = sys.stdin.readline()
    if not line.strip():
        return 0
    argv = json.loads(line)
    if not isinstance(argv, list) or not argv or not all(isinstance(a, str) for a in argv):
        print(
            f"trellis.local._warm: expected a JSON list of strings, got {line!r}", file=sys.stderr
        )
        return 2
    with contextlib.suppress(OSError):
        # Back to normal priority: allowed for root or with RLIMIT_NICE, else it stays nice.
        os.setpriority(os.PRIO_PROCESS, 0, 0)
    os.environ[WARM_ENV] = "1"
    sys.argv = list(argv)
    runpy.run_module(argv[0], run_name="__main__", alter_sys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
