"""`trellis build --db-admin`: what the databases' admin function is packed from.

The full build needs the runtime's database stack (psycopg, alembic, ...) in the
workspace's lock; until it is there the build refuses with one line saying so.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from trellis.cli import main
from trellis.manifest import load_manifest_text
from trellis.packaging import BuildError, build_db_admin, migration_dirs

ROOT = Path(__file__).resolve().parents[2]

MANIFEST = """
[project]
name = "acme"
region = "us-east-1"
environments = ["dev"]
github_repository = "acme/backend"

[services.api]
runtime = "lambda"
uses = { audit = "connect" }

[services.worker]
runtime = "lambda"
uses = { audit = "connect" }

[services.web]
runtime = "lambda"

[databases.audit]
"""


def test_the_package_takes_the_migrations_of_the_services_that_connect(tmp_path: Path) -> None:
    manifest = load_manifest_text(MANIFEST)
    for service in ("api", "web"):
        (tmp_path / "backend" / service / "migrations" / "versions").mkdir(parents=True)
    # worker connects but has no migrations/; web has one but uses no database.
    assert migration_dirs(tmp_path, manifest) == {
        "api": tmp_path / "backend" / "api" / "migrations"
    }


def test_a_manifest_without_a_database_has_no_admin_package(tmp_path: Path) -> None:
    manifest = load_manifest_text(
        MANIFEST.replace("[databases.audit]\n", "").replace('uses = { audit = "connect" }', "")
    )
    with pytest.raises(BuildError, match="declares no database"):
        build_db_admin(tmp_path, manifest)


def test_the_build_says_what_the_lock_lacks(tmp_path: Path) -> None:
    # A workspace whose lock has the runtime's dependencies but not the database stack.
    (tmp_path / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text())
    (tmp_path / "uv.lock").write_text(
        'version = 1\n[[package]]\nname = "boto3"\nversion = "1.40.0"\n'
    )
    with pytest.raises(BuildError, match=r"^uv\.lock has no psycopg: .*migrations extra"):
        build_db_admin(tmp_path, load_manifest_text(MANIFEST), platform="host")


def test_the_cli_refuses_db_admin_without_a_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "trellis.toml"
    path.write_text(
        MANIFEST.replace("[databases.audit]\n", "").replace('uses = { audit = "connect" }', "")
    )
    assert main(["--manifest", str(path), "build", "--db-admin"]) == 2
    assert "--db-admin: the manifest declares no database" in capsys.readouterr().err
