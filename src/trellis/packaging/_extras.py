"""A service's package carries the drivers of the kinds it uses.

A service that uses a database needs ``trellis[postgres]`` (psycopg and its
pool), one that uses a cache ``trellis[cache]`` (valkey-py). ``trellis add``
writes the extra into the service's ``pyproject.toml``; a hand-edited project
can lose it, and the package would then fail at the first query, in AWS. The
build checks the locked requirements instead and refuses with the fix.
"""

from __future__ import annotations

import importlib.metadata
import re
import tempfile
from pathlib import Path
from typing import Final

from trellis.manifest import Manifest
from trellis.packaging._errors import BuildError

__all__ = ["check_locked_extras", "check_runtime_extras"]

_NAME_RE: Final = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_EXTRA_MARKER_RE: Final = re.compile(r"""extra\s*==\s*['"]([a-z0-9-]+)['"]""")


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def required_by_extra(extra: str) -> set[str]:
    """The distributions ``trellis[extra]`` adds (from the installed trellis's metadata)."""
    try:
        requirements = importlib.metadata.requires("trellis") or []
    except importlib.metadata.PackageNotFoundError:
        # Run from a source tree without an installed trellis: nothing to check against.
        return set()
    names = set()
    for requirement in requirements:
        marker = _EXTRA_MARKER_RE.search(requirement)
        match = _NAME_RE.match(requirement)
        if marker and marker.group(1) == extra and match:
            names.add(_normalize(match.group(1)))
    return names


def exported_names(requirements: str) -> set[str]:
    """The distribution names of ``uv export``'s requirement lines (hash lines skipped)."""
    names = set()
    for line in requirements.splitlines():
        if line.lstrip().startswith(("#", "--", "-e")):
            continue
        if (match := _NAME_RE.match(line)) is not None and "==" in line:
            names.add(_normalize(match.group(1)))
    return names


def check_runtime_extras(manifest: Manifest, service: str, requirements: str, path: str) -> None:
    """Raise :class:`BuildError` if ``service`` uses a kind whose extra it does not install.

    ``requirements``: the service's exported requirements; ``path``: the service's
    folder, for the message.
    """
    locked = exported_names(requirements)
    needed: dict[str, list[str]] = {}
    for resource in manifest.services[service].uses:
        extra = manifest.resource(resource)[0].runtime_extra
        if extra is not None:
            needed.setdefault(extra, []).append(resource)
    for extra, resources in sorted(needed.items()):
        missing = sorted(required_by_extra(extra) - locked)
        if missing:
            raise BuildError(
                f"services.{service}.uses: {', '.join(sorted(resources))} need trellis[{extra}] "
                f"({', '.join(missing)} not in the service's locked requirements): depend on "
                f'"trellis[{extra}]" in {path}/pyproject.toml and run uv lock'
            )


def check_locked_extras(root: Path, manifest: Manifest, service: str, project: str) -> None:
    """:func:`check_runtime_extras` on ``project``'s locked requirements (``uv export``)."""
    from trellis.packaging._platform import find_uv, run_uv
    from trellis.packaging._workspace import workspace_root

    with tempfile.TemporaryDirectory(prefix=f"trellis-extras-{service}-") as tmp:
        exported = Path(tmp) / "exported.txt"
        run_uv(
            find_uv(),
            [
                "export",
                "--package",
                project,
                "--no-dev",
                "--frozen",
                "--no-hashes",
                "--no-header",
                "--no-annotate",
                "--format",
                "requirements.txt",
                "--output-file",
                str(exported),
                "--quiet",
            ],
            cwd=workspace_root(root),
        )
        requirements = exported.read_text()
    check_runtime_extras(manifest, service, requirements, manifest.service_path(service))
