"""A traced container service's image carries the otel extra; an untraced one's does not.

No Docker engine here: the rendered step is asserted, and the `uv export` it runs is run
against this workspace's lock, as the image build would."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import pytest

from trellis.manifest import Manifest, load_manifest_text
from trellis.packaging import render_dockerfile
from trellis.packaging._platform import find_uv

MANIFEST = """
[project]
name = "acme"
region = "us-east-1"
github_repository = "acme/backend"
environments = ["dev"]

[services.api]
runtime = "ecs-express"
path = "backend/api"
tracing = true

[services.worker]
runtime = "apprunner"
path = "backend/worker"
"""


@pytest.fixture(scope="module")
def manifest() -> Manifest:
    return load_manifest_text(MANIFEST)


def _otel_export(dockerfile: str) -> list[str] | None:
    """The arguments of the `uv export ... --extra otel` step, if the file has one."""
    joined = dockerfile.replace("\\\n", " ")
    found = re.search(r"uv (export [^&]*--extra otel[^&]*)&&", joined)
    return shlex.split(found.group(1)) if found else None


def test_the_traced_service_image_installs_the_otel_extra_from_the_lock(
    manifest: Manifest, root: Path, tmp_path: Path
) -> None:
    args = _otel_export(render_dockerfile(root, manifest, "api"))
    assert args is not None
    assert "--frozen" in args and "--no-dev" in args
    out = tmp_path / "otel.txt"
    args[args.index("--output-file") + 1] = str(out)
    subprocess.run([find_uv(), *args], cwd=root, check=True, capture_output=True, timeout=120)
    names = {line.split("==")[0] for line in out.read_text().splitlines() if "==" in line}
    assert {
        "opentelemetry-sdk",
        "opentelemetry-exporter-otlp-proto-http",
        "opentelemetry-instrumentation-fastapi",
        "opentelemetry-instrumentation-botocore",
        "opentelemetry-propagator-aws-xray",
    } <= names
    assert not any(line.startswith("-e ") for line in out.read_text().splitlines())


def test_an_untraced_service_image_has_no_otel_step(manifest: Manifest, root: Path) -> None:
    assert _otel_export(render_dockerfile(root, manifest, "worker")) is None
