"""`trellis build <service>` for container services: a multi-stage Dockerfile.

The build context is the uv workspace root (``uv.lock`` and every member). Stage ``build`` installs the service with
``uv sync --frozen --no-dev --no-editable --package <service>`` into
``/app/.venv`` and adds uvicorn (and its dependencies) at the versions ``uv.lock`` pins; stage
``runtime`` copies only that virtual environment onto a slim Python image and
runs it as an unprivileged user, with a ``HEALTHCHECK`` on ``/health``.

No build argument or environment variable carries a credential: the image
reads its configuration (addresses, never secrets) from the environment ECS or
App Runner sets, and secrets from Secrets Manager at run time.
"""

from __future__ import annotations

from pathlib import Path

from trellis.manifest import Manifest
from trellis.packaging._errors import BuildError
from trellis.packaging._extras import check_locked_extras
from trellis.packaging._workspace import service_project, workspace_root

__all__ = ["PYTHON_IMAGE", "UV_IMAGE", "render_dockerfile", "render_dockerignore"]

# Base images pinned by digest (multi-arch index digests). Refresh them with
# `docker buildx imagetools inspect <image>:<tag>` and update both constants. uv must
# read this repository's uv.lock (lock revision 5: uv 0.13 or later).
PYTHON_IMAGE = (
    "python:3.11-slim-bookworm"
    "@sha256:2e32f7d302adc1c37428355c1e646897c0c53f4fd60b6a551245fb90ee129f91"
)
UV_IMAGE = (
    "ghcr.io/astral-sh/uv:0.13.0"
    "@sha256:cdc6093146eb3ff6a40107b38f008b789e050e77ad87865e381d9917da55a168"
)
#: The unprivileged user the service runs as (numeric, so Kubernetes-style `runAsNonRoot` checks pass).
APP_UID = 10001


def render_dockerfile(root: Path, manifest: Manifest, service: str) -> str:
    """The Dockerfile of a container service (App Runner or ECS Express); ``root`` holds the manifest."""
    spec = manifest.services[service]
    if spec.runtime == "lambda":
        raise BuildError(f"services.{service} runs on lambda: `trellis build` makes a zip")
    app = manifest.asgi_app(service)
    project, _packages = service_project(root, manifest, service, app)
    check_locked_extras(root, manifest, service, project)
    workspace = workspace_root(root)
    context = (root / manifest.service_path(service)).resolve().relative_to(workspace).as_posix()
    port = spec.port
    tracing = (
        "# tracing = true: trellis's otel extra (the exporter), at the versions uv.lock pins.\n"
        "RUN --mount=type=cache,target=/root/.cache/uv \\\n"
        "    uv export --frozen --no-dev --no-emit-workspace --no-hashes --package trellis "
        "--extra otel \\\n"
        "        --output-file /tmp/otel.txt --quiet \\\n"
        "    && uv pip install --python /app/.venv/bin/python --requirements /tmp/otel.txt\n"
        if spec.tracing
        else ""
    )
    return f"""\
# syntax=docker/dockerfile:1
# Rendered by `trellis build {service}` from trellis.toml: do not edit; re-run it instead.
# Build from the uv workspace root (uv.lock):  docker build -f <this file> -t {service} .

FROM {UV_IMAGE} AS uv

# --- build: the locked dependencies and the service, in a virtual environment -----------
FROM {PYTHON_IMAGE} AS build
COPY --from=uv /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 \\
    UV_LINK_MODE=copy \\
    UV_PYTHON_DOWNLOADS=never \\
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /src
# The workspace (uv.lock and its members), less what the .dockerignore beside this file leaves out.
COPY . .
RUN --mount=type=cache,target=/root/.cache/uv \\
    uv sync --frozen --no-dev --no-editable --package {project}
# The ASGI server (of trellis' cli extra), with its dependencies at the versions uv.lock pins.
RUN --mount=type=cache,target=/root/.cache/uv \\
    uv export --frozen --no-dev --no-emit-workspace --no-hashes --package trellis --extra cli \\
        --output-file /tmp/constraints.txt --quiet \\
    && uv pip install --python /app/.venv/bin/python --constraints /tmp/constraints.txt uvicorn
{tracing}
# --- runtime: the virtual environment only, as an unprivileged user ----------------------
FROM {PYTHON_IMAGE} AS runtime
RUN groupadd --system --gid {APP_UID} app \\
    && useradd --system --uid {APP_UID} --gid app --no-create-home --shell /usr/sbin/nologin app
COPY --from=build --chown=root:root /app/.venv /app/.venv
ENV PATH=/app/.venv/bin:$PATH \\
    PYTHONDONTWRITEBYTECODE=1 \\
    PYTHONUNBUFFERED=1 \\
    PORT={port}
WORKDIR /app
USER {APP_UID}:{APP_UID}
EXPOSE {port}
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \\
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PORT', '{port}') + '/health', timeout=2)"]
CMD ["uvicorn", "{app}", "--host", "0.0.0.0", "--port", "{port}", "--no-access-log", "--timeout-graceful-shutdown", "10"]
# Service code: {context}
"""


def render_dockerignore() -> str:
    """What never goes into the build context: secrets, state, caches, build output."""
    return """\
# Rendered by `trellis build`: the build context is the repository root.
**/.git
**/.github
**/.venv
**/__pycache__
**/*.pyc
**/.pytest_cache
**/.mypy_cache
**/.ruff_cache
**/.terraform
**/*.tfstate
**/*.tfstate.*
**/*.tfplan
**/tfplan
**/.env
**/.env.*
**/*.pem
**/*.key
**/.aws
**/tests
dist
bench
docs
terraform
bootstrap
"""
