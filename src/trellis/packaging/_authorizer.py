"""`trellis build --all` for a stack with jwt routes: the JWT authorizer's Lambda package.

The authorizer (``trellis.authorizer``) is platform code, not a service: its zip
holds ``trellis/authorizer/`` and PyJWT with its ``crypto`` extra, pinned and
hashed from the workspace's ``uv.lock`` (PyJWT comes in with ``trellis[cli]``),
installed as binary wheels for Lambda's platform. Nothing else of trellis, and
no service dependency, goes in: it stays small and starts fast.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
import tomllib
from pathlib import Path

from trellis.packaging._errors import BuildError
from trellis.packaging._lambda import LambdaPackage
from trellis.packaging._platform import (
    Platform,
    export_lock,
    find_uv,
    host_platform,
    install_wheels,
    normalize_name,
    python_platform,
)
from trellis.packaging._staging import clean, copy_tree, size_warnings
from trellis.packaging._workspace import workspace_root
from trellis.packaging._zip import write_reproducible_zip

__all__ = ["AUTHORIZER_ZIP", "build_authorizer", "locked_closure"]

#: The zip the rendered Terraform's authorizer functions deploy (``AUTHORIZER_PACKAGE``).
AUTHORIZER_ZIP = "trellis_jwt_authorizer.zip"
_ROOT_REQUIREMENT = "pyjwt"


def locked_closure(lock_text: str, root: str = _ROOT_REQUIREMENT) -> set[str]:
    """Package names ``root`` needs (with the extras it is locked with), from ``uv.lock``."""
    packages = {normalize_name(p["name"]): p for p in tomllib.loads(lock_text).get("package", [])}
    if normalize_name(root) not in packages:
        raise BuildError(f"uv.lock has no {root}: add trellis[cli] (it brings PyJWT[crypto])")
    todo, seen = [normalize_name(root)], set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        entry = packages.get(name, {})
        deps = list(entry.get("dependencies", []))
        for extra in entry.get("optional-dependencies", {}).values():
            deps.extend(extra)
        todo.extend(normalize_name(d["name"]) for d in deps)
    return seen


def install_locked(
    uv: str,
    workspace: Path,
    staging: Path,
    wanted: set[str],
    target: str,
    python_version: str,
    scratch: Path,
) -> None:
    """Install exactly the ``wanted`` packages of the workspace's lock into ``staging``.

    The versions and hashes come from ``uv export`` of the lock; wheels only, for the
    target platform and Python, no dependency resolution of their own.
    """
    exported = scratch / "exported.txt"
    requirements = scratch / "requirements.txt"
    text = export_lock(
        uv, workspace, exported, "--all-packages", "--all-extras", "--no-emit-workspace"
    )
    requirements.write_text(_requirements(text, wanted))
    install_wheels(uv, workspace, staging, requirements, target, python_version)


def _requirements(exported: str, wanted: set[str]) -> str:
    """The ``name==version`` blocks (with their hash lines) of ``wanted`` packages."""
    kept: list[str] = []
    keep = False
    for line in exported.splitlines():
        if line and not line.startswith((" ", "#", "-")):
            name = line.split("==", 1)[0].split("[", 1)[0].split(";", 1)[0].strip()
            keep = normalize_name(name) in wanted
        elif line.startswith("-"):
            keep = False
        if keep:
            kept.append(line)
    return "\n".join(kept) + "\n"


def build_authorizer(
    root: Path,
    *,
    platform: Platform = "arm64",
    out_dir: Path | None = None,
    python_version: str | None = None,
) -> LambdaPackage:
    """Build ``<out_dir>/trellis_jwt_authorizer.zip`` (``dist/`` next to the manifest)."""
    started = time.perf_counter()
    root = root.resolve()
    workspace = workspace_root(root)
    host = platform == "host"
    if python_version is None:
        python_version = f"{sys.version_info.major}.{sys.version_info.minor}" if host else "3.11"
    target = host_platform() if host else python_platform(platform, python_version)
    out = (out_dir if out_dir is not None else root / "dist").resolve()
    wanted = locked_closure((workspace / "uv.lock").read_text(encoding="utf-8"))
    source = Path(__file__).resolve().parents[1] / "authorizer"
    uv = find_uv()
    with tempfile.TemporaryDirectory(prefix="trellis-build-authorizer-") as tmp:
        staging = Path(tmp) / "package"
        staging.mkdir()
        install_locked(uv, workspace, staging, wanted, target, python_version, Path(tmp))
        clean(staging)
        (staging / "trellis").mkdir(exist_ok=True)
        (staging / "trellis" / "__init__.py").write_text("")
        shutil.rmtree(staging / "trellis" / "authorizer", ignore_errors=True)
        copy_tree(source, staging / "trellis" / "authorizer")
        zip_path = out / AUTHORIZER_ZIP
        files, unzipped = write_reproducible_zip(staging, zip_path)
    zip_bytes = zip_path.stat().st_size
    return LambdaPackage(
        service="jwt-authorizer",
        path=zip_path,
        platform=target,
        python_version=python_version,
        files=files,
        unzipped_bytes=unzipped,
        zip_bytes=zip_bytes,
        seconds=time.perf_counter() - started,
        warnings=size_warnings(unzipped, zip_bytes),
    )
