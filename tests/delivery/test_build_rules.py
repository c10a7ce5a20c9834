"""Rules of `trellis build` that need no wheel download: zip determinism, the import
check, where packages land (Terraform's artifacts_dir) and the command line."""

from __future__ import annotations

import ast
import hashlib
import os
import re
from pathlib import Path

import pytest

from trellis.cli import main as cli
from trellis.manifest import Manifest, load_manifest_text
from trellis.packaging import (
    BuildError,
    build_lambda,
    check_runtime_imports,
    write_reproducible_zip,
)
from trellis.packaging._imports import trellis_imports
from trellis.packaging._staging import clean, prune_trellis
from trellis.packaging._workspace import member_packages, split_export


def _tree(base: Path, *, mtime: int, mode: int) -> Path:
    for rel, text in {"b/x.py": "x = 1\n", "a.py": "a = 2\n", "b/c/d.txt": "d"}.items():
        path = base / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        path.chmod(mode)
        os.utime(path, (mtime, mtime))
    return base


def test_zips_of_the_same_files_match_whatever_their_times_and_modes(tmp_path: Path) -> None:
    one = _tree(tmp_path / "one", mtime=1_000_000_000, mode=0o600)
    two = _tree(tmp_path / "two", mtime=1_700_000_000, mode=0o755)
    write_reproducible_zip(one, tmp_path / "one.zip")
    files, size = write_reproducible_zip(two, tmp_path / "two.zip")
    digests = {
        hashlib.sha256((tmp_path / f"{n}.zip").read_bytes()).hexdigest() for n in ("one", "two")
    }
    assert len(digests) == 1
    assert (files, size) == (3, 13)


def test_the_import_check_flags_cli_side_modules_only(tmp_path: Path) -> None:
    pkg = tmp_path / "svc"
    pkg.mkdir()
    (pkg / "ok.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "import trellis\n"
        "from trellis import runtime\n"
        "from trellis.runtime import lambda_handler\n"
        "if TYPE_CHECKING:\n"
        "    from trellis.manifest import Manifest\n"
    )
    (pkg / "bad.py").write_text(
        "from trellis.manifest import load_manifest\nimport trellis.local.dev\nfrom trellis import infra\n"
    )
    problems = check_runtime_imports(tmp_path, ["svc"])
    assert problems == [
        "svc/bad.py:1: imports trellis.manifest",
        "svc/bad.py:2: imports trellis.local.dev",
        "svc/bad.py:3: imports trellis.infra",
    ]


def test_the_trellis_runtime_imports_nothing_from_the_cli_side(root: Path) -> None:
    runtime = root / "src" / "trellis" / "runtime"
    for path in runtime.rglob("*.py"):
        for line, module in trellis_imports(ast.parse(path.read_text())):
            assert module == "trellis" or module.startswith("trellis.runtime"), (path, line)


def test_the_default_output_is_where_the_rendered_terraform_reads_packages(
    root: Path, manifest: Manifest
) -> None:
    text = (root / "terraform" / "variables.tf").read_text()
    block = re.search(r'variable "artifacts_dir" \{(.*?)\n\}', text, re.S)
    assert block is not None
    default = re.search(r'default\s*=\s*"([^"]+)"', block.group(1))
    assert default is not None
    assert (root / "terraform" / default.group(1)).resolve() == (root / "dist").resolve()
    for service, spec in manifest.services.items():
        if spec.runtime != "lambda":
            continue
        text = (root / "terraform" / f"service_{service}.tf").read_text()
        assert re.search(
            rf'package_file\s*=\s*"\$\{{var\.artifacts_dir\}}/{service}\.zip"', text
        ), service


def test_a_container_service_is_not_zipped(root: Path) -> None:
    manifest = load_manifest_text(
        '[project]\nname = "acme"\nregion = "us-east-1"\ngithub_repository = "a/b"\n'
        'environments = ["dev"]\n[services.api]\nruntime = "ecs-express"\npath = "backend/api"\n'
    )
    with pytest.raises(BuildError, match="ecs-express, not lambda"):
        build_lambda(root, manifest, "api")


def test_a_handler_outside_the_service_packages_fails_the_build(root: Path) -> None:
    manifest = load_manifest_text(
        '[project]\nname = "acme"\nregion = "us-east-1"\ngithub_repository = "a/b"\n'
        'environments = ["dev"]\n[services.api]\nruntime = "lambda"\npath = "backend/api"\n'
        'handler = "elsewhere.handler.handler"\n'
    )
    with pytest.raises(BuildError, match=r"elsewhere\.handler\.handler is not in"):
        build_lambda(root, manifest, "api")


def test_the_command_needs_services_or_all(capsys: pytest.CaptureFixture[str], root: Path) -> None:
    assert cli(["--manifest", str(root / "trellis.toml"), "build"]) == 2
    assert "--all" in capsys.readouterr().err
    assert cli(["--manifest", str(root / "trellis.toml"), "build", "nope"]) == 2
    assert "unknown service 'nope'" in capsys.readouterr().err


def test_the_command_writes_a_dockerfile_for_a_container_service(
    capsys: pytest.CaptureFixture[str], root: Path, tmp_path: Path
) -> None:
    stack = root / "tests" / "e2e" / "stacks" / "fast" / "trellis.toml"
    assert cli(["--manifest", str(stack), "build", "api", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "api" / "Dockerfile").is_file()
    assert (tmp_path / "api" / "Dockerfile.dockerignore").is_file()
    assert "docker build -f" in capsys.readouterr().out


def test_workspace_members_are_taken_from_the_tree_not_installed(tmp_path: Path) -> None:
    text = "-e .\n-e ./libs/shared\nboto3==1.44.8 \\\n    --hash=sha256:aa\n-e ./backend/api\n"
    requirements, members = split_export(text, tmp_path)
    assert requirements == "boto3==1.44.8 \\\n    --hash=sha256:aa\n"
    assert members == [
        tmp_path.resolve(),
        (tmp_path / "libs" / "shared").resolve(),
        (tmp_path / "backend" / "api").resolve(),
    ]


def test_a_member_without_hatch_packages_is_found_in_src_or_at_its_root(tmp_path: Path) -> None:
    (tmp_path / "lib" / "src" / "shared_lib").mkdir(parents=True)
    (tmp_path / "lib" / "pyproject.toml").write_text('[project]\nname = "shared-lib"\n')
    assert member_packages(tmp_path / "lib") == [
        (tmp_path / "lib" / "src" / "shared_lib").resolve()
    ]
    (tmp_path / "flat" / "flat").mkdir(parents=True)
    (tmp_path / "flat" / "pyproject.toml").write_text('[project]\nname = "flat"\n')
    assert member_packages(tmp_path / "flat") == [(tmp_path / "flat" / "flat").resolve()]


def test_trellis_installed_from_an_index_is_cut_down_to_its_runtime(tmp_path: Path) -> None:
    for rel in (
        "__init__.py",
        "py.typed",
        "runtime/_app.py",
        "cli/__init__.py",
        "manifest.py",
        "local/dev.py",
    ):
        path = tmp_path / "trellis" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")
    prune_trellis(tmp_path)
    left = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert left == ["trellis/__init__.py", "trellis/py.typed", "trellis/runtime/_app.py"]


def test_records_do_not_depend_on_the_building_interpreter(tmp_path: Path) -> None:
    dist_info = tmp_path / "idna-3.20.dist-info"
    dist_info.mkdir()
    (dist_info / "RECORD").write_text(
        "idna/__init__.py,sha256=abc,849\nbin/idna,sha256=depends-on-the-shebang,300\n"
    )
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "idna").write_text("#!/some/python\n")
    clean(tmp_path)
    assert (dist_info / "RECORD").read_text() == "idna/__init__.py,sha256=abc,849\n"
    assert not (tmp_path / "bin").exists()


def test_the_packaging_api_is_pinned() -> None:
    import trellis.packaging

    assert sorted(trellis.packaging.__all__) == [
        "AUTHORIZER_ZIP",
        "BuildError",
        "DB_ADMIN_ZIP",
        "LAMBDA_UNZIPPED_LIMIT_BYTES",
        "LAMBDA_ZIP_UPLOAD_LIMIT_BYTES",
        "LambdaPackage",
        "PYTHON_IMAGE",
        "Platform",
        "RUNTIME_PARTS",
        "UV_IMAGE",
        "build_authorizer",
        "build_db_admin",
        "build_lambda",
        "check_runtime_imports",
        "migration_dirs",
        "python_platform",
        "render_dockerfile",
        "render_dockerignore",
        "size_warnings",
        "workspace_root",
        "write_reproducible_zip",
    ]


def test_the_python_version_is_the_runtimes_major_minor(root: Path, manifest: Manifest) -> None:
    with pytest.raises(BuildError, match=r"--python 3\.11\.7"):
        build_lambda(root, manifest, "api", python_version="3.11.7")


def test_build_json_and_progress_on_stderr(
    capsys: pytest.CaptureFixture[str], root: Path, tmp_path: Path
) -> None:
    import json
    import re

    stack = root / "tests" / "e2e" / "stacks" / "fast" / "trellis.toml"
    assert cli(["build", "api", "--out", str(tmp_path), "--json", "--manifest", str(stack)]) == 0
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert report["ok"] is True and report["failed"] == []
    (entry,) = report["built"]
    assert entry["service"] == "api" and entry["kind"] == "dockerfile"
    assert entry["path"] == str(tmp_path.resolve() / "api" / "Dockerfile")
    assert entry["docker_build"].startswith("docker build -f ")
    lines = captured.err.splitlines()
    assert all(re.match(r"^trellis build: \[ *\d+\.\d s\] ", line) for line in lines), lines
    assert "1/1 api: building" in lines[0]


def test_a_failed_build_says_why_on_stderr(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "svc").mkdir()
    # A workspace (its lock) whose service folder has no project: the lock is looked for
    # first, and without this one the nearest uv.lock above tmp_path would decide.
    (tmp_path / "uv.lock").write_text("version = 1\n")
    (tmp_path / "trellis.toml").write_text(
        '[project]\nname = "acme"\nregion = "us-east-1"\ngithub_repository = "a/b"\n'
        'environments = ["dev"]\n[services.api]\nruntime = "lambda"\npath = "svc"\n'
    )
    status = cli(
        ["--manifest", str(tmp_path / "trellis.toml"), "build", "api", "--platform", "host"]
    )
    captured = capsys.readouterr()
    assert status == 1
    assert "trellis build api: " in captured.err and "pyproject.toml: missing" in captured.err
    assert captured.out == ""
