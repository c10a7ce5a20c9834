"""`trellis build <service>` for Lambda services: one reproducible zip per service.

Steps, all offline but the wheel download:

1. ``uv export --package <service> --no-dev --frozen``: the service's locked
   requirements, with hashes. ``trellis`` brings only its ``dependencies`` —
   never the ``cli``/``otel`` extras — unless the service asks for an extra
   itself. Workspace members (``-e`` lines: the service, ``trellis``, shared
   libraries) are taken from the source tree, not installed.
2. ``uv pip install --target <staging> --python-platform <lambda platform>
   --python-version <x.y> --only-binary :all: --no-deps --require-hashes``:
   binary wheels for Lambda's OS and architecture, whatever machine builds.
3. The runtime part of ``trellis`` (``trellis/__init__.py``, ``py.typed``,
   ``trellis/runtime/``), the service's own package(s) and the packages of the
   workspace libraries it depends on. The CLI side of trellis (the local
   runtime, Terraform rendering, packaging, operations, testing helpers, the
   CLI) is left out — also when trellis comes from an index rather than the
   workspace; run-time code that imports it fails the build.
4. A reproducible zip (sorted entries, fixed timestamps and permissions) at
   ``dist/<service>.zip``: where the rendered Terraform's ``artifacts_dir``
   (``../dist`` from ``terraform/``) expects it.
"""

from __future__ import annotations

import ast
import os
import platform as _platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from trellis import naming
from trellis.manifest import Manifest
from trellis.packaging._zip import write_reproducible_zip

__all__ = [
    "LAMBDA_UNZIPPED_LIMIT_BYTES",
    "LAMBDA_ZIP_UPLOAD_LIMIT_BYTES",
    "RUNTIME_PARTS",
    "BuildError",
    "LambdaPackage",
    "Platform",
    "build_lambda",
    "check_runtime_imports",
    "find_uv",
    "host_platform",
    "member_packages",
    "python_platform",
    "service_project",
    "size_warnings",
    "split_export",
    "workspace_root",
]

Platform = Literal["arm64", "x86_64", "host"]

#: Lambda's limit on a function's unzipped code and layers (250 MB).
LAMBDA_UNZIPPED_LIMIT_BYTES = 250 * 1024 * 1024
#: Largest zip Lambda accepts uploaded directly (the module's ``filename``); larger goes through S3.
LAMBDA_ZIP_UPLOAD_LIMIT_BYTES = 50 * 1024 * 1024
#: What of ``trellis`` a Lambda package carries (paths under the ``trellis`` package).
RUNTIME_PARTS = ("__init__.py", "py.typed", "runtime")

_SKIP_DIRS = {"__pycache__"}
_SKIP_SUFFIXES = (".pyc", ".pyo")


class BuildError(Exception):
    """The package cannot be built: one readable line (exit status 1)."""


@dataclass(frozen=True)
class LambdaPackage:
    """A built package and what the build found about it."""

    service: str
    path: Path
    platform: str
    python_version: str
    files: int
    unzipped_bytes: int
    zip_bytes: int
    seconds: float
    warnings: list[str] = field(default_factory=list)
    #: What the compiled bytecode adds to the unzipped size (0: shipped as source only).
    bytecode_bytes: int = 0

    def summary(self) -> str:
        """One line: the zip (relative to the working directory when under it), sizes, target."""
        mb = 1024 * 1024
        shown = (
            self.path.relative_to(Path.cwd()) if self.path.is_relative_to(Path.cwd()) else self.path
        )
        return (
            f"{shown}: {self.files} files, {self.unzipped_bytes / mb:.1f} MiB unzipped "
            f"({100 * self.unzipped_bytes / LAMBDA_UNZIPPED_LIMIT_BYTES:.0f}% of Lambda's 250 MB), "
            f"{self.zip_bytes / mb:.1f} MiB zipped, {self.platform}, Python {self.python_version}, "
            + (
                f"bytecode +{self.bytecode_bytes / mb:.1f} MiB, "
                if self.bytecode_bytes
                else "no bytecode, "
            )
            + f"{self.seconds:.1f} s"
        )


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


def workspace_root(start: Path) -> Path:
    """The uv workspace holding the manifest: the nearest directory with ``uv.lock``."""
    start = start.resolve()
    for directory in (start, *start.parents):
        if (directory / "uv.lock").is_file():
            return directory
    raise BuildError(f"no uv.lock in {start} or above (run `uv lock` in the workspace root)")


def _read_pyproject(path: Path) -> dict[str, object]:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise BuildError(f"{path}: missing (a service is a uv workspace member)") from None
    except tomllib.TOMLDecodeError as exc:
        raise BuildError(f"{path}: not valid TOML: {exc}") from None


def _project_name(member_dir: Path) -> tuple[str, dict[str, object]]:
    data = _read_pyproject(member_dir / "pyproject.toml")
    project = data.get("project")
    name = project.get("name") if isinstance(project, dict) else None
    if not isinstance(name, str):
        raise BuildError(f"{member_dir / 'pyproject.toml'}: no [project] name")
    return name, data


def member_packages(member_dir: Path, *, module: str | None = None) -> list[Path]:
    """Import packages of a workspace member: hatch's ``packages``, else ``src/<name>`` or ``<name>``."""
    name, data = _project_name(member_dir)
    tool = data.get("tool")
    hatch = tool.get("hatch", {}) if isinstance(tool, dict) else {}
    wheel = hatch.get("build", {}).get("targets", {}).get("wheel", {})
    declared = wheel.get("packages") if isinstance(wheel, dict) else None
    if isinstance(declared, list):
        packages = [member_dir / str(rel) for rel in declared]
    else:
        modules = [m for m in (module, name.replace("-", "_").lower()) if m]
        candidates = [member_dir / sub / m for m in modules for sub in ("src", ".")]
        packages = [next((c.resolve() for c in candidates if c.is_dir()), candidates[0])]
    for pkg in packages:
        if not pkg.is_dir():
            raise BuildError(f"{member_dir}: package directory {pkg} not found")
    return packages


def service_project(
    root: Path, manifest: Manifest, service: str, entry_point: str
) -> tuple[str, list[Path]]:
    """The service's uv project name and its importable package directories.

    ``entry_point`` (the Lambda handler or the ASGI app) must live in one of them.
    """
    service_dir = (root / manifest.service_path(service)).resolve()
    name, _data = _project_name(service_dir)
    try:
        packages = member_packages(service_dir, module=naming.service_module(service))
    except BuildError as exc:
        raise BuildError(f"services.{service}: {exc}") from None
    top = entry_point.split(":", 1)[0].split(".", 1)[0]
    if top not in {p.name for p in packages}:
        raise BuildError(
            f"services.{service}: {entry_point} is not in "
            f"the service's packages ({', '.join(p.name for p in packages)})"
        )
    return name, packages


def split_export(text: str, workspace: Path) -> tuple[str, list[Path]]:
    """``uv export`` output → (third-party requirements, workspace member directories).

    Members come as ``-e ./path`` lines; everything else is pinned, hashed requirements.
    """
    members: list[Path] = []
    kept: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("-e "):
            members.append((workspace / stripped[3:].strip()).resolve())
        else:
            kept.append(line)
    return "\n".join(kept) + "\n", members


def _copy_tree(source: Path, target: Path) -> None:
    for dirpath, dirnames, filenames in os.walk(source):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
        rel = Path(dirpath).relative_to(source)
        for filename in filenames:
            if filename.endswith(_SKIP_SUFFIXES):
                continue
            dest = target / rel / filename
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(Path(dirpath) / filename, dest)


def _copy_trellis_runtime(source: Path, target: Path) -> None:
    """The runtime part of the ``trellis`` package at ``source`` into ``target/trellis``."""
    for part in RUNTIME_PARTS:
        path = source / part
        if path.is_dir():
            _copy_tree(path, target / "trellis" / part)
        elif path.is_file():
            (target / "trellis").mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target / "trellis" / part)


def _prune_trellis(staging: Path) -> None:
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


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _trellis_imports(tree: ast.AST) -> list[tuple[int, str]]:
    """``(line, module)`` of every run-time import of a ``trellis`` module."""
    found: list[tuple[int, str]] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for stmt in node.orelse:
                visit(stmt)
            return
        if isinstance(node, ast.Import):
            found.extend(
                (node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "trellis"
            )
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "trellis":
                found.extend((node.lineno, f"trellis.{a.name}") for a in node.names)
            elif node.module.split(".")[0] == "trellis":
                found.append((node.lineno, node.module))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def check_runtime_imports(staging: Path, roots: list[str]) -> list[str]:
    """Imports of ``trellis`` modules the package leaves out, as ``path:line: module``."""
    allowed = {"trellis", "trellis.runtime"}
    problems: list[str] = []
    for root in roots:
        for path in sorted((staging / root).rglob("*.py")):
            tree = ast.parse(path.read_bytes(), filename=str(path))
            for line, module in _trellis_imports(tree):
                parts = module.split(".")
                head = ".".join(parts[:2])
                if head not in allowed:
                    rel = path.relative_to(staging).as_posix()
                    problems.append(f"{rel}:{line}: imports {module}")
    return problems


def _run_uv(uv: str, args: list[str], cwd: Path) -> None:
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


def _clean(staging: Path) -> None:
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


def _tree_bytes(root: Path) -> int:
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


def build_lambda(
    root: Path,
    manifest: Manifest,
    service: str,
    *,
    platform: Platform = "arm64",
    out_dir: Path | None = None,
    python_version: str | None = None,
) -> LambdaPackage:
    """Build ``<out_dir>/<service>.zip`` (``dist/`` next to the manifest by default)."""
    started = time.perf_counter()
    spec = manifest.services[service]
    if spec.runtime != "lambda":
        raise BuildError(f"services.{service} runs on {spec.runtime}, not lambda")
    root = root.resolve()
    workspace = workspace_root(root)
    project, packages = service_project(root, manifest, service, manifest.lambda_handler(service))
    host = platform == "host"
    if python_version is None:
        python_version = f"{sys.version_info.major}.{sys.version_info.minor}" if host else "3.11"
    if not re.fullmatch(r"3\.1[1-9]", python_version):
        raise BuildError(f"--python {python_version}: give the Lambda runtime's X.Y, 3.11 or later")
    target_platform = host_platform() if host else python_platform(platform, python_version)
    out = (out_dir if out_dir is not None else root / "dist").resolve()
    uv = find_uv()

    with tempfile.TemporaryDirectory(prefix=f"trellis-build-{service}-") as tmp:
        requirements = Path(tmp) / "requirements.txt"
        staging = Path(tmp) / "package"
        staging.mkdir()
        exported = Path(tmp) / "exported.txt"
        _run_uv(
            uv,
            [
                "export",
                "--package",
                project,
                "--no-dev",
                "--frozen",
                "--no-header",
                "--no-annotate",
                "--format",
                "requirements.txt",
                "--output-file",
                str(exported),
                "--quiet",
            ],
            cwd=workspace,
        )
        third_party, members = split_export(exported.read_text(), workspace)
        requirements.write_text(third_party)
        _run_uv(
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
        _clean(staging)
        _prune_trellis(staging)
        service_dir = (root / manifest.service_path(service)).resolve()
        roots = [p.name for p in packages]
        for member in members:
            if member == service_dir:
                continue
            name, _data = _project_name(member)
            if name == "trellis":
                (trellis_pkg,) = (p for p in member_packages(member) if p.name == "trellis")
                _copy_trellis_runtime(trellis_pkg, staging)
                continue
            # Another workspace library the service depends on: its code, as is.
            for pkg in member_packages(member):
                packages.append(pkg)
                roots.append(pkg.name)
        for package in packages:
            if (staging / package.name).exists():
                raise BuildError(
                    f"services.{service}: package {package.name!r} clashes with a dependency"
                )
            _copy_tree(package, staging / package.name)
        if (staging / "trellis").is_dir():
            roots.append("trellis")
        problems = check_runtime_imports(staging, roots)
        if problems:
            raise BuildError(
                f"services.{service}: the package leaves out the CLI side of trellis, "
                "but run-time code imports it:\n  " + "\n  ".join(problems)
            )
        source_bytes = _tree_bytes(staging)
        bytecode_warning = compile_bytecode(staging, python_version, uv)
        bytecode_bytes = _tree_bytes(staging) - source_bytes
        zip_path = out / f"{service}.zip"
        files, unzipped = write_reproducible_zip(staging, zip_path)

    zip_bytes = zip_path.stat().st_size
    warnings = size_warnings(unzipped, zip_bytes)
    if bytecode_warning:
        warnings.append(bytecode_warning)
    return LambdaPackage(
        service=service,
        path=zip_path,
        platform=target_platform,
        python_version=python_version,
        files=files,
        unzipped_bytes=unzipped,
        zip_bytes=zip_bytes,
        seconds=time.perf_counter() - started,
        warnings=warnings,
        bytecode_bytes=bytecode_bytes,
    )
