"""trellis's extras in a service's package: the ones its kinds need, the one tracing adds.

- A service that uses a database needs ``trellis[postgres]`` (psycopg and its pool), one
  that uses a cache ``trellis[cache]`` (valkey-py). ``trellis add`` writes the extra into
  the service's ``pyproject.toml``; a hand-edited project can lose it, and the package
  would then fail at the first query, in AWS. The build checks the locked requirements
  and refuses with the fix (:func:`check_runtime_extras`).
- ``tracing = true`` needs the ``otel`` extra (the SDK, the OTLP exporter, the FastAPI
  and botocore instrumentations) in the package; a service without it ships none of it,
  so an untraced function pays nothing at cold start. The extra's requirements come from
  the same lock as the service's (``uv export --package trellis --extra otel``), so the
  pins agree (:func:`with_extra`).
"""

from __future__ import annotations

import importlib.metadata
import re
import tempfile
from pathlib import Path
from typing import Final

from trellis.manifest import Manifest
from trellis.packaging._errors import BuildError
from trellis.packaging._platform import export_lock, normalize_name

__all__ = [
    "TRACING_EXTRA",
    "check_locked_extras",
    "check_runtime_extras",
    "merge_requirements",
    "requirement_names",
    "with_extra",
]

TRACING_EXTRA = "otel"
#: The distribution whose presence says the otel extra is already in a requirements file.
_TRACING_MARKER = "opentelemetry-sdk"

_NAME = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)")


def _entries(text: str) -> list[tuple[str, str]]:
    """``uv export`` text → ``(normalized name, the requirement with its hash lines)``."""
    entries: list[tuple[str, str]] = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line[0].isspace() and entries:
            name, block = entries[-1]
            entries[-1] = (name, f"{block}\n{line}")
            continue
        found = _NAME.match(line)
        if found is None:
            raise BuildError(f"uv export: cannot read the requirement line {line!r}")
        entries.append((normalize_name(found.group(1)), line))
    return entries


def requirement_names(text: str) -> set[str]:
    """The normalized distribution names a requirements text pins."""
    return {name for name, _block in _entries(text)}


def merge_requirements(base: str, extra: str) -> str:
    """``base`` plus the requirements of ``extra`` it does not pin yet (both from one lock)."""
    have = requirement_names(base)
    added = [block for name, block in _entries(extra) if name not in have]
    return base.rstrip("\n") + "\n" + "".join(f"{block}\n" for block in added)


def with_extra(
    uv: str,
    workspace: Path,
    service: str,
    third_party: str,
    *,
    trellis_in_workspace: bool,
    scratch: Path,
) -> str:
    """``third_party`` with the ``otel`` extra's locked requirements added (once)."""
    if _TRACING_MARKER in requirement_names(third_party):
        return third_party  # The service depends on trellis[otel] itself.
    if not trellis_in_workspace:
        raise BuildError(
            f"services.{service}: tracing = true needs trellis's otel extra in the package; "
            f"add trellis[{TRACING_EXTRA}] to the service's dependencies and run `uv lock`"
        )
    out = scratch / f"{TRACING_EXTRA}-requirements.txt"
    text = export_lock(
        uv, workspace, out, "--package", "trellis", "--extra", TRACING_EXTRA, "--no-emit-workspace"
    )
    return merge_requirements(third_party, text)


# --- the drivers of the kinds a service uses ------------------------------------------

_EXTRA_MARKER_RE: Final = re.compile(r"""extra\s*==\s*['"]([a-z0-9-]+)['"]""")


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
        match = _NAME.match(requirement.strip())
        if marker and marker.group(1) == extra and match:
            names.add(normalize_name(match.group(1)))
    return names


def check_runtime_extras(manifest: Manifest, service: str, requirements: str, path: str) -> None:
    """Raise :class:`BuildError` if ``service`` uses a kind whose extra it does not install.

    ``requirements``: the service's exported third-party requirements; ``path``: the service's
    folder, for the message.
    """
    locked = requirement_names(requirements)
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
    from trellis.packaging._platform import find_uv
    from trellis.packaging._workspace import split_export, workspace_root

    workspace = workspace_root(root)
    with tempfile.TemporaryDirectory(prefix=f"trellis-extras-{service}-") as tmp:
        exported = Path(tmp) / "exported.txt"
        text = export_lock(find_uv(), workspace, exported, "--package", project, "--no-hashes")
        # Without the members' -e lines, as the Lambda build's export.
        requirements, _members = split_export(text, workspace)
    check_runtime_extras(manifest, service, requirements, manifest.service_path(service))
