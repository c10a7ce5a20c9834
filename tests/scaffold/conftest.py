from __future__ import annotations

from pathlib import Path

import pytest

from trellis.cli import main as cli
from trellis.scaffold import plan_init

ROOT = Path(__file__).resolve().parents[2]


def snapshot(root: Path) -> dict[str, str]:
    """Every file under ``root`` and its text: to prove a command wrote nothing."""
    return {
        p.relative_to(root).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="session")
def project_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`trellis init` once per session; tests copy it (rendering Terraform takes a second)."""
    root = tmp_path_factory.mktemp("template") / "shop"
    plan_init(root, source=str(ROOT)).apply()
    return root


@pytest.fixture
def project(project_template: Path, tmp_path: Path) -> Path:
    import shutil

    dest = tmp_path / "shop"
    shutil.copytree(project_template, dest)
    return dest


def run(project: Path, *argv: str) -> int:
    return cli(["--manifest", str(project / "trellis.toml"), *argv])
