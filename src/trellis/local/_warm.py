"""A spare service process: the libraries imported ahead, the service's own code on demand.

    python -m trellis.local._warm MODULE [ARGS...]

It imports what every Trellis service imports (boto3, FastAPI, pydantic, the
runtime, and the OpenTelemetry SDK when an OTLP endpoint is set), then waits
for one line on stdin. On ``go`` it runs ``python -m MODULE ARGS`` in this
interpreter; on anything else (or end of input) it exits.

``trellis dev`` keeps one per service for hot reload: a save then pays only
for importing the service's own modules (a few hundred milliseconds) instead
of a whole interpreter start (seconds on a busy machine). Nothing from the
service's own directory is imported ahead, so the code that runs is the code
on disk when ``go`` arrives. Scale-out instances of a Lambda function never use
a spare: each of those is a real cold start.
"""

from __future__ import annotations

import importlib
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


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args:
        print("usage: python -m trellis.local._warm MODULE [ARGS...]", file=sys.stderr)
        return 2
    preload()
    if sys.stdin.readline().strip() != "go":
        return 0
    os.environ[WARM_ENV] = "1"
    sys.argv = [args[0], *args[1:]]
    runpy.run_module(args[0], run_name="__main__", alter_sys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
