"""Which of trellis's extras a Lambda package carries beyond what the service itself asks for.

``tracing = true`` needs the ``otel`` extra (the SDK, the OTLP exporter, the FastAPI and
botocore instrumentations) in the package; a service without it ships none of it, so an
untraced function pays nothing at cold start. The extra's requirements come from the same
lock as the service's (``uv export --package trellis --extra otel``), so the pins agree.
"""

from __future__ import annotations

import re
from pathlib import Path

from trellis.packaging._errors import BuildError
from trellis.packaging._platform import run_uv

__all__ = ["TRACING_EXTRA", "merge_requirements", "requirement_names", "with_extra"]

TRACING_EXTRA = "otel"
#: The distribution whose presence says the otel extra is already in a requirements file.
_TRACING_MARKER = "opentelemetry-sdk"

_NAME = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)")


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


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
        entries.append((_normalize(found.group(1)), line))
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
    run_uv(
        uv,
        [
            "export",
            "--package",
            "trellis",
            "--extra",
            TRACING_EXTRA,
            "--no-dev",
            "--frozen",
            "--no-header",
            "--no-annotate",
            "--no-emit-workspace",
            "--format",
            "requirements.txt",
            "--output-file",
            str(out),
            "--quiet",
        ],
        cwd=workspace,
    )
    return merge_requirements(third_party, out.read_text())
