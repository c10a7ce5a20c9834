"""A spare service process: the libraries imported ahead, the service's own code on demand.

    python -m trellis.local._warm [-m MODULE ARG ...]

It imports what every Trellis service imports (boto3, FastAPI, pydantic, the
runtime, and the OpenTelemetry SDK when an OTLP endpoint is set), at low CPU
priority so that it never slows the services that run, then waits for one
line on stdin: a JSON object ``{"argv": [MODULE, ARG, ...], "env": {...}}``
(or the list alone). It then replaces its environment with ``env`` and runs
``python -m MODULE ARGS`` in this interpreter, at normal priority again where
the system allows it (root, or a permissive ``RLIMIT_NICE``). On end of input
it exits. What it will run is not on its command line, so ``ps`` (and tests
looking for a service's process) see only the processes that serve.

``trellis dev`` also starts one per service at start-up, at normal priority
(``TRELLIS_WARM_NICENESS=0``), before the emulator answers: the libraries load
while the emulator starts, and the environment, which holds the addresses and
keys provisioning makes, comes with ``go``. Variables the interpreter reads
at start (``PYTHON*``, ``LD_*``) are the ones it was started with. Such a spare is
told its command at once and shows it on its own (``-m MODULE ARG ...``, not
otherwise read), since it will serve in a moment.

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
import time
import warnings
from typing import Any

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
#: Overrides :data:`PRELOAD_NICENESS` (``0``: a spare on the start-up path).
NICENESS_ENV = "TRELLIS_WARM_NICENESS"


def _order(line: str) -> tuple[list[str], dict[str, str] | None] | None:
    """``(argv, env)`` from the ``go`` line; None if it is neither form."""
    try:
        message: Any = json.loads(line)
    except ValueError:
        return None
    env: dict[str, str] | None = None
    if isinstance(message, dict):
        env = message.get("env")
        message = message.get("argv")
        if not (
            isinstance(env, dict)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in env.items())
        ):
            return None
    if not isinstance(message, list) or not message or not all(isinstance(a, str) for a in message):
        return None
    return message, env


def main() -> int:
    niceness = os.environ.get(NICENESS_ENV, "")
    with contextlib.suppress(OSError):
        os.nice(int(niceness) if niceness.isdigit() else PRELOAD_NICENESS)
    preload()
    line = sys.stdin.readline()
    if not line.strip():
        return 0
    order = _order(line)
    if order is None:
        print(
            "trellis.local._warm: expected a JSON list of strings or "
            f'{{"argv": [...], "env": {{...}}}}, got {line!r}',
            file=sys.stderr,
        )
        return 2
    argv, env = order
    with contextlib.suppress(OSError):
        # Back to normal priority: allowed for root or with RLIMIT_NICE, else it stays nice.
        os.setpriority(os.PRIO_PROCESS, 0, 0)
    if env is not None:
        os.environ.clear()
        os.environ.update(env)
        if hasattr(time, "tzset"):
            time.tzset()
    os.environ[WARM_ENV] = "1"
    sys.argv = list(argv)
    # The module may be one preload imported (the Lambda host is): runpy then warns that
    # it runs a second copy as __main__, which is what a spare means to do.
    warnings.filterwarnings("ignore", category=RuntimeWarning, module="runpy")
    runpy.run_module(argv[0], run_name="__main__", alter_sys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
