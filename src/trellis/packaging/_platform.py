"""Which machine a Lambda package is built for: the architecture and Python of the runtime,
as uv's ``--python-platform`` names them; and the uv that builds it."""

from __future__ import annotations

import os
import platform as _platform
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Literal

from trellis.packaging._errors import BuildError

__all__ = ["Platform", "find_uv", "host_arch", "host_platform", "python_platform", "run_uv"]

Platform = Literal["arm64", "x86_64", "host"]


def find_uv() -> str:
    """The uv binary: the one the ``uv`` package installed (``trellis[cli]``), else uv on PATH."""
    try:
        from uv import find_uv_bin

        return str(find_uv_bin())
    except (ImportError, FileNotFoundError):
        found = shutil.which("uv")
        if found is None:
            raise BuildError("uv not found: install trellis[cli] or put uv on PATH") from None
        return found


def host_arch() -> str:
    machine = _platform.machine().lower()
    if machine in ("x86_64", "amd64"):
        return "x86_64"
    if machine in ("aarch64", "arm64"):
        return "arm64"
    raise BuildError(f"no Lambda architecture for this machine ({machine})")


#: glibc versions uv knows a ``<cpu>-manylinux_<major>_<minor>`` platform for, newest first.
_UV_GLIBCS: tuple[tuple[int, int], ...] = (
    *((2, minor) for minor in range(40, 30, -1)),
    (2, 28),
    (2, 17),
)


def host_platform() -> str:
    """uv's ``--python-platform`` for this machine (Linux only): its CPU and glibc."""
    if not sys.platform.startswith("linux"):
        raise BuildError("--platform host builds on Linux only (use arm64 or x86_64)")
    cpu = {"arm64": "aarch64", "x86_64": "x86_64"}[host_arch()]
    lib, version = _platform.libc_ver()
    if lib != "glibc" or not version:
        raise BuildError("--platform host needs a glibc Linux (use arm64 or x86_64)")
    have = tuple(int(x) for x in version.split(".")[:2])
    major, minor = next((v for v in _UV_GLIBCS if v <= have), (2, 17))
    return f"{cpu}-manylinux_{major}_{minor}"


def python_platform(arch: str, python_version: str) -> str:
    """uv's ``--python-platform`` for Lambda: its architecture and the glibc of its OS.

    ``python3.11`` runs on Amazon Linux 2 (glibc 2.26): manylinux2014 (2.17) wheels;
    ``python3.12`` and later run on Amazon Linux 2023 (glibc 2.34).
    """
    cpu = {"arm64": "aarch64", "x86_64": "x86_64"}[arch]
    tag = "manylinux2014" if python_version == "3.11" else "manylinux_2_34"
    return f"{cpu}-{tag}"


def run_uv(uv: str, args: list[str], cwd: Path) -> None:
    result = subprocess.run(
        [uv, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "UV_NO_PROGRESS": "1"},
        check=False,
    )
    if result.returncode != 0:
        tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-15:])
        raise BuildError(f"uv {args[0]} {args[1] if len(args) > 1 else ''} failed:\n{tail}")


def normalize_name(name: str) -> str:
    """A distribution's name as packaging compares it (PEP 503: ``Foo_Bar.baz`` → ``foo-bar-baz``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def export_lock(uv: str, workspace: Path, output: Path, *selection: str) -> str:
    """``uv export`` of the workspace's lock as requirements (``selection``: which packages,
    extras, ``--no-hashes``...), written to ``output``; returns the text. Never resolves:
    ``--frozen`` reads ``uv.lock`` as it is."""
    run_uv(
        uv,
        [
            "export",
            *selection,
            "--no-dev",
            "--frozen",
            "--no-header",
            "--no-annotate",
            "--format",
            "requirements.txt",
            "--output-file",
            str(output),
            "--quiet",
        ],
        cwd=workspace,
    )
    return output.read_text()


def install_wheels(
    uv: str,
    workspace: Path,
    staging: Path,
    requirements: Path,
    target_platform: str,
    python_version: str,
) -> None:
    """``uv pip install --target``: the pinned, hashed ``requirements``' wheels for the target.

    Wheels only (``--only-binary :all:``), for the target platform and Python whatever machine
    builds, no resolution of their own (``--no-deps``): the lock decided every version.
    """
    run_uv(
        uv,
        [
            "pip",
            "install",
            "--target",
            str(staging),
            "--python-platform",
            target_platform,
            "--python-version",
            python_version,
            "--only-binary",
            ":all:",
            "--no-deps",
            "--require-hashes",
            "--link-mode",
            "copy",
            "--no-config",
            "--quiet",
            "--requirements",
            str(requirements),
        ],
        cwd=workspace,
    )
