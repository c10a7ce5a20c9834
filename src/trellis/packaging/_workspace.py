"""The uv workspace a service belongs to: its root, its members' projects and packages, and
which of its locked requirements come from the source tree."""

from __future__ import annotations

import tomllib
from pathlib import Path

from trellis import naming
from trellis.manifest import Manifest
from trellis.packaging._errors import BuildError

__all__ = ["member_packages", "project_name", "service_project", "split_export", "workspace_root"]


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


def project_name(member_dir: Path) -> tuple[str, dict[str, object]]:
    data = _read_pyproject(member_dir / "pyproject.toml")
    project = data.get("project")
    name = project.get("name") if isinstance(project, dict) else None
    if not isinstance(name, str):
        raise BuildError(f"{member_dir / 'pyproject.toml'}: no [project] name")
    return name, data


def member_packages(member_dir: Path, *, module: str | None = None) -> list[Path]:
    """Import packages of a workspace member: hatch's ``packages``, else ``src/<name>`` or ``<name>``."""
    name, data = project_name(member_dir)
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
    name, _data = project_name(service_dir)
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
