"""`trellis build --db-admin`: the Lambda package of an environment's database admin function.

The function (``trellis.runtime.database.admin.handler``, in the VPC) creates the
services' database users and runs their migrations, so its zip holds:

- ``trellis/`` with its runtime part only (``trellis.runtime`` imports nothing else);
- the locked closure of the runtime's dependencies and of the database stack
  (psycopg with its binary wheel, psycopg-pool, SQLAlchemy, alembic), pinned and
  hashed from the workspace's ``uv.lock``, as binary wheels for Lambda's platform;
- ``migrations/<service>/``: a copy of every ``<service path>/migrations/`` of the
  services that declare ``connect`` on a database (the admin runs, for a database,
  the migrations of its services: ``<NAME>_DATABASE_USERS``).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Final

from trellis.kinds import DATABASE
from trellis.kinds._database import MIGRATIONS_DIR
from trellis.manifest import Manifest
from trellis.packaging._authorizer import install_locked, locked_closure
from trellis.packaging._errors import BuildError
from trellis.packaging._lambda import LambdaPackage
from trellis.packaging._platform import Platform, find_uv, host_platform, python_platform
from trellis.packaging._staging import clean, copy_tree, copy_trellis_runtime, size_warnings
from trellis.packaging._workspace import workspace_root
from trellis.packaging._zip import write_reproducible_zip

__all__ = ["DB_ADMIN_ROOTS", "DB_ADMIN_ZIP", "build_db_admin", "migration_dirs"]

#: The zip ``terraform/db_admin.tf`` deploys (``var.artifacts_dir``).
DB_ADMIN_ZIP: Final = "db-admin.zip"
#: What the package needs besides the runtime's own dependencies.
DB_ADMIN_ROOTS: Final = ("psycopg", "psycopg-binary", "psycopg-pool", "sqlalchemy", "alembic")
#: The runtime's dependencies (``[project] dependencies``): imported by ``trellis.runtime``.
_RUNTIME_ROOTS: Final = ("boto3", "pydantic", "pydantic-settings", "structlog", "opentelemetry-api")


def _connecting(manifest: Manifest) -> list[str]:
    return list(
        dict.fromkeys(s for db in manifest.specs(DATABASE) for s in manifest.database_users(db))
    )


def migration_dirs(root: Path, manifest: Manifest) -> dict[str, Path]:
    """``service → <service path>/migrations`` of the services that connect to a database.

    The rendered admin function lists every connecting service's
    ``migrations/<service>`` (``<NAME>_DATABASE_MIGRATIONS``); one without a folder
    gets none in the package.
    """
    out = {}
    for service in _connecting(manifest):
        path = root / manifest.service_path(service) / "migrations"
        if path.is_dir():
            out[service] = path
    return out


def build_db_admin(
    root: Path,
    manifest: Manifest,
    *,
    platform: Platform = "arm64",
    out_dir: Path | None = None,
    python_version: str | None = None,
) -> LambdaPackage:
    """Build ``<out_dir>/db-admin.zip`` (``dist/`` next to the manifest)."""
    if not manifest.specs(DATABASE):
        raise BuildError("the manifest declares no database: there is no admin function to build")
    started = time.perf_counter()
    root = root.resolve()
    workspace = workspace_root(root)
    host = platform == "host"
    if python_version is None:
        python_version = f"{sys.version_info.major}.{sys.version_info.minor}" if host else "3.11"
    target = host_platform() if host else python_platform(platform, python_version)
    out = (out_dir if out_dir is not None else root / "dist").resolve()
    lock = (workspace / "uv.lock").read_text(encoding="utf-8")
    wanted: set[str] = set()
    for name in (*_RUNTIME_ROOTS, *DB_ADMIN_ROOTS):
        try:
            wanted |= locked_closure(lock, name)
        except BuildError:
            if name in DB_ADMIN_ROOTS and name != "psycopg-binary":
                raise BuildError(
                    f"uv.lock has no {name}: the database admin function needs trellis's "
                    "migrations extra (psycopg, psycopg-pool, SQLAlchemy, alembic) in the workspace"
                ) from None
    source = Path(__file__).resolve().parents[1]
    uv = find_uv()
    with tempfile.TemporaryDirectory(prefix="trellis-build-db-admin-") as tmp:
        staging = Path(tmp) / "package"
        staging.mkdir()
        install_locked(uv, workspace, staging, wanted, target, python_version, Path(tmp))
        clean(staging)
        copy_trellis_runtime(source, staging)
        found = migration_dirs(root, manifest)
        for service, path in found.items():
            copy_tree(path, staging / MIGRATIONS_DIR / service)
        missing = [s for s in _connecting(manifest) if s not in found]
        zip_path = out / DB_ADMIN_ZIP
        files, unzipped = write_reproducible_zip(staging, zip_path)
    zip_bytes = zip_path.stat().st_size
    return LambdaPackage(
        service="db-admin",
        path=zip_path,
        platform=target,
        python_version=python_version,
        files=files,
        unzipped_bytes=unzipped,
        zip_bytes=zip_bytes,
        seconds=time.perf_counter() - started,
        warnings=[
            *size_warnings(unzipped, zip_bytes),
            *(
                f"{s} connects to a database but has no {manifest.service_path(s)}/migrations/: "
                "the admin function creates its user and runs no migration of it"
                for s in missing
            ),
        ],
    )
