"""What goes into a Lambda package's staging directory: source trees without caches, the
runtime part of ``trellis`` and nothing else of it, and the size Lambda allows."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

__all__ = [
    "LAMBDA_TASK_ROOT",
    "LAMBDA_UNZIPPED_LIMIT_BYTES",
    "LAMBDA_ZIP_UPLOAD_LIMIT_BYTES",
    "RUNTIME_PARTS",
    "clean",
    "compile_bytecode",
    "copy_tree",
    "copy_trellis_runtime",
    "prune_trellis",
    "size_warnings",
    "tree_bytes",
]

#: Lambda's limit on a function's unzipped code and layers (250 MB).
LAMBDA_UNZIPPED_LIMIT_BYTES = 250 * 1024 * 1024
#: Largest zip Lambda accepts uploaded directly (the module's ``filename``); larger goes through S3.
LAMBDA_ZIP_UPLOAD_LIMIT_BYTES = 50 * 1024 * 1024
#: What of ``trellis`` a Lambda package carries (paths under the ``trellis`` package).
RUNTIME_PARTS = ("__init__.py", "py.typed", "runtime")

_SKIP_DIRS = {"__pycache__"}
_SKIP_SUFFIXES = (".pyc", ".pyo")


def copy_tree(source: Path, target: Path) -> None:
    for dirpath, dirnames, filenames in os.walk(source):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
        rel = Path(dirpath).relative_to(source)
        for filename in filenames:
            if filename.endswith(_SKIP_SUFFIXES):
                continue
            dest = target / rel / filename
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(Path(dirpath) / filename, dest)


def copy_trellis_runtime(source: Path, target: Path) -> None:
    """The runtime part of the ``trellis`` package at ``source`` into ``target/trellis``."""
    for part in RUNTIME_PARTS:
        path = source / part
        if path.is_dir():
            copy_tree(path, target / "trellis" / part)
        elif path.is_file():
            (target / "trellis").mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target / "trellis" / part)


def prune_trellis(staging: Path) -> None:
    """``trellis`` installed from an index: keep its runtime part only."""
    installed = staging / "trellis"
    if not installed.is_dir():
        return
    for path in sorted(installed.iterdir()):
        if path.name in RUNTIME_PARTS:
            continue
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()


def clean(staging: Path) -> None:
    """Drop what Lambda never runs and what differs between builds of the same inputs."""
    shutil.rmtree(staging / "bin", ignore_errors=True)  # console scripts with this host's shebang
    (staging / ".lock").unlink(missing_ok=True)  # uv's lock file of the target directory
    # RECORD lists those scripts with their hashes, which depend on the building interpreter's path.
    for record in sorted(staging.glob("*.dist-info/RECORD")):
        lines = record.read_text(encoding="utf-8").splitlines(keepends=True)
        kept = [line for line in lines if not line.startswith(("bin/", "../"))]
        if kept != lines:
            record.write_text("".join(kept), encoding="utf-8")
    for path in sorted(staging.rglob("*"), reverse=True):
        if path.is_dir() and path.name in _SKIP_DIRS:
            shutil.rmtree(path)
        elif path.is_file() and path.name.endswith(_SKIP_SUFFIXES):
            path.unlink()


#: Where Lambda puts a function's code: the path tracebacks and the bytecode name.
LAMBDA_TASK_ROOT = "/var/task"


def tree_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def _target_python(python_version: str, uv: str) -> str | None:
    """An interpreter of the target X.Y: this one, or one uv knows of (no download)."""
    if python_version == f"{sys.version_info.major}.{sys.version_info.minor}":
        return sys.executable
    result = subprocess.run(
        [uv, "python", "find", "--no-python-downloads", python_version],
        capture_output=True,
        text=True,
        check=False,
    )
    found = result.stdout.strip()
    return found if result.returncode == 0 and found else None


def compile_bytecode(staging: Path, python_version: str, uv: str) -> str | None:
    """Compile every module of the package for the target Python; a warning when it cannot.

    Lambda's ``/var/task`` is read-only: a package without ``.pyc`` compiles every module
    it imports from source on every cold start. The bytecode records a hash of its source
    (``unchecked-hash``: no mtimes, so two builds stay byte-identical, and the runtime does
    not even re-hash the source) and the path the module has in Lambda.
    """
    python = _target_python(python_version, uv)
    if python is None:
        return (
            f"no bytecode: no Python {python_version} on this machine "
            f"(uv python install {python_version}); cold starts compile from source"
        )
    env = {**os.environ, "PYTHONHASHSEED": "0"}  # set and frozenset constants in a fixed order
    result = subprocess.run(
        [
            python,
            "-m",
            "compileall",
            "-q",
            "-j",
            "0",
            "--invalidation-mode",
            "unchecked-hash",
            "-s",
            str(staging),
            "-p",
            LAMBDA_TASK_ROOT,
            str(staging),
        ],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    if result.returncode != 0:
        failed = [line for line in result.stdout.splitlines() if line.startswith("*** Error")]
        # A module that does not compile (a Python 2 file some wheel ships) stays source only.
        return f"{len(failed) or 'some'} module(s) did not compile to bytecode (left as source)"
    return None


def size_warnings(unzipped_bytes: int, zip_bytes: int) -> list[str]:
    """What Lambda will refuse: over 250 MB unzipped, or a zip too large to upload directly."""
    warnings: list[str] = []
    if unzipped_bytes > LAMBDA_UNZIPPED_LIMIT_BYTES:
        warnings.append(
            f"{unzipped_bytes / 1e6:.0f} MB unzipped: over Lambda's 250 MB limit; "
            "the deploy will fail (drop dependencies or use a container runtime)"
        )
    if zip_bytes > LAMBDA_ZIP_UPLOAD_LIMIT_BYTES:
        warnings.append(
            f"{zip_bytes / 1e6:.0f} MB zipped: over the 50 MB direct-upload limit; "
            "upload the package to S3 instead"
        )
    return warnings
