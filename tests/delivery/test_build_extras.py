"""`trellis build` refuses a service that uses a database or cache without the driver extra."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from trellis.manifest import load_manifest
from trellis.packaging import BuildError, build_lambda, render_dockerfile
from trellis.packaging._extras import required_by_extra, requirement_names
from trellis.packaging._platform import find_uv

ROOT = Path(__file__).resolve().parents[2]

MANIFEST = """\
[project]
name = "acme"
region = "us-east-1"
github_repository = "acme/backend"
environments = ["dev"]

[services.ledger]
runtime = "lambda"
path = "backend/ledger"
uses = {{ books = "connect", sessions = "readwrite" }}

[services.web]
runtime = "apprunner"
path = "backend/web"
uses = {{ sessions = "readwrite" }}

[databases.books]

[caches.sessions]
"""


def _member(root: Path, name: str, dependency: str) -> None:
    package = root / "backend" / name / name
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "handler.py").write_text("handler = None\n")
    (package / "app.py").write_text("app = None\n")
    (package.parent / "pyproject.toml").write_text(
        f'[project]\nname = "{name}"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n'
        f'dependencies = ["{dependency}"]\n\n'
        f'[tool.uv.sources]\ntrellis = {{ path = "{ROOT}", editable = true }}\n\n'
        '[build-system]\nrequires = ["hatchling>=1.25"]\nbuild-backend = "hatchling.build"\n\n'
        f'[tool.hatch.build.targets.wheel]\npackages = ["{name}"]\n'
    )


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``ledger`` has only the postgres extra (no cache driver), ``web`` plain trellis."""
    root = tmp_path_factory.mktemp("extras-workspace")
    (root / "trellis.toml").write_text(MANIFEST.replace("{{", "{").replace("}}", "}"))
    (root / "pyproject.toml").write_text(
        '[project]\nname = "ws"\nversion = "0"\nrequires-python = ">=3.11"\n\n'
        '[tool.uv.workspace]\nmembers = ["backend/ledger", "backend/web"]\n'
    )
    _member(root, "ledger", "trellis[postgres]")
    _member(root, "web", "trellis")
    subprocess.run([find_uv(), "lock", "--quiet"], cwd=root, check=True)
    return root


def test_a_lambda_build_without_the_cache_extra_is_refused_with_the_fix(
    workspace: Path, tmp_path: Path
) -> None:
    manifest = load_manifest(workspace / "trellis.toml")
    with pytest.raises(BuildError) as caught:
        build_lambda(workspace, manifest, "ledger", platform="host", out_dir=tmp_path)
    message = str(caught.value)
    assert message.startswith("services.ledger.uses: sessions need trellis[cache] (valkey not")
    assert '"trellis[cache]" in backend/ledger/pyproject.toml' in message
    assert "books" not in message  # the postgres extra is there
    assert not (tmp_path / "ledger.zip").exists()


def test_a_container_build_without_the_extra_is_refused_too(workspace: Path) -> None:
    manifest = load_manifest(workspace / "trellis.toml")
    with pytest.raises(BuildError, match=r"services\.web\.uses: sessions need trellis\[cache\]"):
        render_dockerfile(workspace, manifest, "web")


def test_the_extras_come_from_trellis_metadata_and_the_names_from_the_export() -> None:
    assert {"psycopg", "psycopg-pool", "sqlalchemy"} <= required_by_extra("postgres")
    assert required_by_extra("cache") == {"valkey"}
    exported = (
        "psycopg-pool==3.3.0 \\\n    --hash=sha256:ab\nPsycopg_Binary==3.2.9 ; python_version >= '3.11'\n"
        "# comment\n"
    )
    assert requirement_names(exported) == {"psycopg-pool", "psycopg-binary"}
