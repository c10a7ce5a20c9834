"""`trellis build` for Lambda: the zip imports and serves on its own, carries only the
runtime side of trellis, is byte-for-byte reproducible and lands where Terraform reads it."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from trellis.infra.addresses import AwsAddresses
from trellis.local.apigw import build_event
from trellis.manifest import Manifest
from trellis.packaging import (
    LAMBDA_UNZIPPED_LIMIT_BYTES,
    LambdaPackage,
    build_lambda,
    python_platform,
    size_warnings,
)
from trellis.packaging._zip import ZIP_EPOCH
from trellis.wiring import service_environment

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="host packages are built for glibc Linux"
)

# The CLI side of trellis and the CLI's own dependencies: never in a Lambda package.
EXCLUDED_TRELLIS = ("cli", "local", "infra", "ops", "testing", "packaging", "scaffold")
EXCLUDED_TOP_LEVEL = ("moto", "uvicorn", "httpx", "tomlkit", "uv", "werkzeug", "pytest", "mypy")

# Run in a fresh interpreter: -I (no PYTHONPATH, no user site) and -S (no site-packages),
# so the only importable code besides the standard library is the extracted package.
IMPORT_AND_INVOKE = r"""
import json, sys, types
sys.path.insert(0, sys.argv[1])
assert not any("site-packages" in p for p in sys.path), sys.path
from api.handler import handler
context = types.SimpleNamespace(aws_request_id="req-1", function_name="acme-dev-api")
result = handler(json.loads(sys.stdin.read()), context)
origins = {
    name: getattr(sys.modules[name], "__file__", None) or ""
    for name in ("api.handler", "trellis.runtime", "fastapi", "pydantic_core", "mangum", "boto3")
    if name in sys.modules
}
loaded = sorted({m.split(".")[0] for m in sys.modules})
trellis = sorted(m for m in sys.modules if m.startswith("trellis."))
print(json.dumps({"status": result["statusCode"], "body": result["body"],
                  "origins": origins, "loaded": loaded, "trellis": trellis}))
"""


def _names(package: LambdaPackage) -> list[str]:
    with zipfile.ZipFile(package.path) as zf:
        return zf.namelist()


@pytest.fixture(scope="module")
def extracted(host_package: LambdaPackage, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("task-root")
    with zipfile.ZipFile(host_package.path) as zf:
        zf.extractall(target)
    return target


def test_the_handler_imports_and_serves_health_from_the_extracted_zip_alone(
    extracted: Path, manifest: Manifest
) -> None:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        **service_environment(
            manifest, "api", "dev", AwsAddresses(manifest, "dev", "123456789012")
        ),
    }
    event = build_event(
        method="GET",
        path="/api/health",
        query_string=b"",
        headers=[("host", "abc.execute-api.us-east-1.amazonaws.com")],
        body=b"",
        route="/api",
        stage="dev",
    )
    run = subprocess.run(
        [sys.executable, "-I", "-S", "-c", IMPORT_AND_INVOKE, str(extracted)],
        input=json.dumps(event),
        capture_output=True,
        text=True,
        env=env,
        cwd=extracted,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert out["status"] == 200, out
    assert json.loads(out["body"])["status"] == "ok"
    for name, origin in out["origins"].items():
        assert origin.startswith(str(extracted)), f"{name} came from {origin}"
    assert not set(out["loaded"]) & set(EXCLUDED_TOP_LEVEL)
    assert all(m.startswith("trellis.runtime") for m in out["trellis"]), out["trellis"]


def test_the_package_carries_the_trellis_runtime_and_leaves_the_cli_side_out(
    host_package: LambdaPackage,
) -> None:
    names = _names(host_package)
    trellis_parts = {n.split("/")[1] for n in names if n.startswith("trellis/")}
    assert trellis_parts == {"__init__.py", "__pycache__", "py.typed", "runtime"}
    for part in EXCLUDED_TRELLIS:
        assert not any(n.startswith(f"trellis/{part}") for n in names), part
    top = {n.split("/")[0].removesuffix(".py") for n in names}
    assert not top & set(EXCLUDED_TOP_LEVEL)
    assert "api" in top and "worker" not in top
    # Bytecode only beside its source (never a stale .pyc of a module left out).
    for name in names:
        if name.endswith(".pyc"):
            folder, _, file = name.rpartition("__pycache__/")
            assert f"{folder}{file.split('.')[0]}.py" in names, name
    assert not any(n.startswith("bin/") or n == ".lock" for n in names)
    assert not any(n.startswith("api/tests") or n.startswith("tests/") for n in names)


def test_the_dependencies_are_the_locked_runtime_ones_not_the_cli_or_otel_extras(
    host_package: LambdaPackage,
) -> None:
    dists = {
        re.sub(r"-[^-]+\.dist-info$", "", n.split("/")[0]).lower()
        for n in _names(host_package)
        if n.split("/")[0].endswith(".dist-info")
    }
    assert {"boto3", "fastapi", "mangum", "pydantic", "pydantic_settings", "structlog"} <= dists
    assert "opentelemetry_api" in dists
    assert not {d for d in dists if d.startswith("opentelemetry_sdk")}
    assert not dists & {"moto", "uvicorn", "httpx", "tomlkit", "uv"}


def test_the_same_inputs_build_the_same_bytes(
    host_package: LambdaPackage, manifest: Manifest, root: Path, tmp_path: Path
) -> None:
    again = build_lambda(root, manifest, "api", platform="host", out_dir=tmp_path)
    digest = [hashlib.sha256(p.path.read_bytes()).hexdigest() for p in (host_package, again)]
    assert digest[0] == digest[1]
    assert again.path != host_package.path


def test_entries_are_sorted_with_a_fixed_time_and_mode(host_package: LambdaPackage) -> None:
    with zipfile.ZipFile(host_package.path) as zf:
        infos = zf.infolist()
    assert [i.filename for i in infos] == sorted(i.filename for i in infos)
    assert {i.date_time for i in infos} == {ZIP_EPOCH}
    assert {i.external_attr >> 16 for i in infos} == {0o100644}
    assert {i.compress_type for i in infos} == {zipfile.ZIP_DEFLATED}


def test_the_build_reports_the_unzipped_size_and_file_count(host_package: LambdaPackage) -> None:
    with zipfile.ZipFile(host_package.path) as zf:
        infos = zf.infolist()
    assert host_package.files == len(infos)
    assert host_package.unzipped_bytes == sum(i.file_size for i in infos)
    assert host_package.zip_bytes == host_package.path.stat().st_size
    assert 0 < host_package.unzipped_bytes < LAMBDA_UNZIPPED_LIMIT_BYTES
    assert host_package.warnings == []
    assert "MiB unzipped" in host_package.summary()


def test_the_default_arm64_build_carries_aarch64_binaries_for_python_3_11(
    arm64_package: LambdaPackage,
) -> None:
    names = _names(arm64_package)
    binaries = [n for n in names if n.endswith(".so")]
    assert binaries, "pydantic-core ships a compiled extension"
    assert all("aarch64" in n for n in binaries if "cpython" in n), binaries
    assert any(n.startswith("pydantic_core/") and "cpython-311-aarch64" in n for n in binaries)
    assert arm64_package.platform == "aarch64-manylinux2014"
    assert "worker" in {n.split("/")[0] for n in names}


def test_lambda_platforms_follow_the_runtime_os() -> None:
    assert python_platform("arm64", "3.11") == "aarch64-manylinux2014"  # Amazon Linux 2
    assert python_platform("x86_64", "3.11") == "x86_64-manylinux2014"
    assert python_platform("arm64", "3.13") == "aarch64-manylinux_2_34"  # Amazon Linux 2023


def test_size_warnings_name_lambdas_limits() -> None:
    assert size_warnings(10_000_000, 5_000_000) == []
    over = size_warnings(LAMBDA_UNZIPPED_LIMIT_BYTES + 1, 60 * 1024 * 1024)
    assert len(over) == 2
    assert "250 MB" in over[0] and "50 MB" in over[1]


# Run in a fresh interpreter from an extracted package whose directory it cannot write:
# every module of the handler's imports must come from the shipped bytecode.
IMPORT_FROM_BYTECODE = r"""
import importlib.machinery, json, sys
sys.path.insert(0, sys.argv[1])
compiled = []
original = importlib.machinery.SourceFileLoader.source_to_code
def counting(self, data, path, *args, **kwargs):
    compiled.append(path)
    return original(self, data, path, *args, **kwargs)
importlib.machinery.SourceFileLoader.source_to_code = counting
import api.handler
from_package = [p for p in compiled if p.startswith(sys.argv[1])]
loaded = sorted(m.__spec__.cached for m in list(sys.modules.values())
                if getattr(m, "__spec__", None) and (m.__spec__.cached or "").startswith(sys.argv[1]))
print(json.dumps({"compiled_from_source": from_package, "from_bytecode": len(loaded)}))
"""


def test_the_package_ships_bytecode_so_a_cold_start_compiles_nothing(
    host_package: LambdaPackage, extracted: Path, manifest: Manifest
) -> None:
    names = set(_names(host_package))
    tag = f"cpython-{sys.version_info.major}{sys.version_info.minor}"
    for module in ("api/handler.py", "trellis/runtime/__init__.py", "fastapi/__init__.py"):
        folder, _, file = module.rpartition("/")
        assert f"{folder}/__pycache__/{file.removesuffix('.py')}.{tag}.pyc" in names, module
    # Hash-based and unchecked: no mtime in it (reproducible), no re-hash at import.
    pyc = extracted / "api" / "__pycache__" / f"handler.{tag}.pyc"
    flags = int.from_bytes(pyc.read_bytes()[4:8], "little")
    assert flags == 0b01
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-c", IMPORT_FROM_BYTECODE, str(extracted)],
        capture_output=True,
        text=True,
        check=True,
        env={
            "PATH": os.environ.get("PATH", ""),
            "PYTHONDONTWRITEBYTECODE": "1",
            "AWS_REGION": "us-east-1",
            **service_environment(
                manifest, "api", "dev", AwsAddresses(manifest, "dev", "123456789012")
            ),
        },
    )
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["compiled_from_source"] == []
    assert report["from_bytecode"] > 100  # the handler's whole import graph
    assert "bytecode +" in host_package.summary()
    assert host_package.bytecode_bytes > 0
