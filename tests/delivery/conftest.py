"""Fixtures of the delivery tests: one package build per session, reused by every test."""

from __future__ import annotations

from pathlib import Path

import pytest

from trellis.manifest import Manifest, load_manifest
from trellis.packaging import LambdaPackage, build_lambda

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def manifest() -> Manifest:
    return load_manifest(ROOT / "trellis.toml")


@pytest.fixture(scope="session")
def host_package(tmp_path_factory: pytest.TempPathFactory, manifest: Manifest) -> LambdaPackage:
    """The api built for this machine (so the test can import it), in a scratch directory."""
    out = tmp_path_factory.mktemp("dist-host")
    return build_lambda(ROOT, manifest, "api", platform="host", out_dir=out)


@pytest.fixture(scope="session")
def arm64_package(tmp_path_factory: pytest.TempPathFactory, manifest: Manifest) -> LambdaPackage:
    """The worker built for Lambda's default target: arm64, Python 3.11."""
    out = tmp_path_factory.mktemp("dist-arm64")
    return build_lambda(ROOT, manifest, "worker", platform="arm64", out_dir=out)
