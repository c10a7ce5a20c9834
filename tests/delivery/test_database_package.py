"""`trellis build` for a Lambda service that uses a database and a cache.

The package must carry psycopg with its C implementation (``psycopg-binary``),
psycopg-pool, SQLAlchemy and valkey-py for the Lambda platform, and they must
work from the extracted zip alone: the test logs in to a real PostgreSQL from
a fresh interpreter that sees nothing but the zip and the standard library.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest

from tests.runtime_db.servers import PostgresServer, cleanup
from trellis.manifest import load_manifest
from trellis.packaging import build_lambda
from trellis.packaging._platform import find_uv

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="host packages are built for glibc Linux"
)

ROOT = Path(__file__).resolve().parents[2]

MANIFEST = """\
[project]
name = "acme"
region = "us-east-1"
github_repository = "acme/backend"
environments = ["dev"]

[services.ledger-api]
runtime = "lambda"
path = "backend/ledger-api"
route = "/ledger"
auth = "none"
uses = { ledger = "connect", sessions = "readwrite" }

[databases.ledger]

[caches.sessions]
"""

SERVICE_PYPROJECT = f"""\
[project]
name = "ledger-api"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = ["trellis[postgres,cache]"]

[tool.uv.sources]
trellis = {{ path = "{ROOT}", editable = true }}

[build-system]
requires = ["hatchling>=1.25"]
build-backend = "hatchling.build"

[tool.hatch.build.targets.wheel]
packages = ["ledger_api"]
"""

HANDLER = """\
from trellis.runtime import ServiceSettings, create_app, lambda_handler, load_settings

handler = lambda_handler(create_app(load_settings(ServiceSettings)))
"""

USE_THE_DRIVER = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
assert not any("site-packages" in p for p in sys.path), sys.path
import psycopg, psycopg_pool, sqlalchemy, valkey
from trellis.runtime import database
with database.connection("ledger") as conn:
    value = conn.execute("SELECT 41 + 1").fetchone()[0]
with database.engine("ledger").connect() as conn:
    engine_value = conn.exec_driver_sql("SELECT current_user").scalar()
print(json.dumps({
    "impl": psycopg.pq.__impl__,
    "value": value,
    "user": engine_value,
    "origins": {m.__name__: m.__file__ for m in (psycopg, psycopg_pool, sqlalchemy, valkey)},
}))
"""


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("db-workspace")
    (root / "trellis.toml").write_text(MANIFEST)
    (root / "pyproject.toml").write_text(
        '[project]\nname = "ws"\nversion = "0"\nrequires-python = ">=3.11"\n\n'
        '[tool.uv.workspace]\nmembers = ["backend/ledger-api"]\n'
    )
    package = root / "backend" / "ledger-api" / "ledger_api"
    package.mkdir(parents=True)
    (package.parent / "pyproject.toml").write_text(SERVICE_PYPROJECT)
    (package / "__init__.py").write_text("")
    (package / "handler.py").write_text(HANDLER)
    subprocess.run([find_uv(), "lock", "--quiet"], cwd=root, check=True)
    return root


@pytest.fixture(scope="module")
def extracted(workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    manifest = load_manifest(workspace / "trellis.toml")
    package = build_lambda(
        workspace, manifest, "ledger-api", platform="host", out_dir=tmp_path_factory.mktemp("dist")
    )
    target = tmp_path_factory.mktemp("task-root")
    with zipfile.ZipFile(package.path) as zf:
        zf.extractall(target)
    return target


def test_the_package_carries_the_database_and_cache_drivers(extracted: Path) -> None:
    for name in ("psycopg", "psycopg_binary", "psycopg_pool", "sqlalchemy", "valkey"):
        assert (extracted / name).is_dir(), name
    # Migrations run in the admin function, not in the service: alembic stays out.
    assert not (extracted / "alembic").exists()


def test_the_packaged_driver_logs_in_to_a_real_postgres_from_the_zip_alone(extracted: Path) -> None:
    root = Path(tempfile.mkdtemp(prefix="trellis-pg-pkg-"))
    server = PostgresServer(root)
    server.init()
    server.start()
    try:
        url = server.create_database("ledger", user="ledger_api", password="pw")
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LEDGER_DATABASE_URL": url,
            "TRELLIS_SERVICE": "ledger-api",
        }
        result = subprocess.run(
            [sys.executable, "-I", "-S", "-c", USE_THE_DRIVER, str(extracted)],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        out = json.loads(result.stdout.splitlines()[-1])
    finally:
        server.stop()
        cleanup(root)

    assert out["impl"] == "binary"
    assert out["value"] == 42
    assert out["user"] == "ledger_api"
    for origin in out["origins"].values():
        assert origin.startswith(str(extracted)), origin


def test_the_default_arm64_python_3_11_build_finds_an_aarch64_driver(
    workspace: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Regression: psycopg-binary 3.3 has no aarch64 wheel for Lambda python3.11's glibc 2.26."""
    manifest = load_manifest(workspace / "trellis.toml")
    package = build_lambda(
        workspace, manifest, "ledger-api", out_dir=tmp_path_factory.mktemp("dist-arm64")
    )

    assert package.platform == "aarch64-manylinux2014"
    with zipfile.ZipFile(package.path) as zf:
        libs = [n for n in zf.namelist() if n.startswith("psycopg_binary") and ".so" in n]
    assert any("aarch64" in name for name in libs), libs
