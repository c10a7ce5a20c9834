"""Write the rendered files (``trellis generate``) or compare them with the tree (``trellis check``)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from trellis.infra._render import MARKER, render
from trellis.manifest import Manifest

#: Where rendered files live; a file there that starts with the marker is ours.
RENDERED_GLOBS = ("terraform/*.tf", "terraform/environments/*", "bootstrap/manifest.tf")


@dataclass(frozen=True)
class Drift:
    """One file that differs from what the manifest renders."""

    path: str
    status: str  # "missing" | "stale" | "orphaned"
    diff: str = ""

    def summary(self) -> str:
        if self.status == "missing":
            return f"{self.path}: missing (the manifest renders it)"
        if self.status == "orphaned":
            return f"{self.path}: rendered earlier, no longer rendered by the manifest"
        changed = sum(
            1
            for line in self.diff.splitlines()
            if line[:1] in "+-" and not line.startswith(("+++", "---"))
        )
        return f"{self.path}: differs ({changed} changed lines)"


def _ours(root: Path) -> set[str]:
    found: set[str] = set()
    for pattern in RENDERED_GLOBS:
        for path in root.glob(pattern):
            if path.is_file() and path.read_text(encoding="utf-8").startswith(MARKER):
                found.add(path.relative_to(root).as_posix())
    return found


def drift(root: Path, manifest: Manifest, manifest_name: str = "trellis.toml") -> list[Drift]:
    """Differences between the tree under ``root`` and what ``manifest`` renders."""
    expected = render(manifest, manifest_name)
    out: list[Drift] = []
    for rel, text in expected.items():
        path = root / rel
        if not path.exists():
            out.append(Drift(rel, "missing"))
            continue
        actual = path.read_text(encoding="utf-8")
        if actual != text:
            diff = "".join(
                difflib.unified_diff(
                    actual.splitlines(keepends=True),
                    text.splitlines(keepends=True),
                    fromfile=f"{rel} (on disk)",
                    tofile=f"{rel} (rendered)",
                )
            )
            out.append(Drift(rel, "stale", diff))
    for rel in sorted(_ours(root) - set(expected)):
        out.append(Drift(rel, "orphaned"))
    return out


def rendered_files(
    root: Path, manifest: Manifest, manifest_name: str = "trellis.toml"
) -> dict[str, str | None]:
    """Every rendered file's text, and ``None`` for a rendered file under ``root`` no longer rendered.

    What :func:`generate` writes; ``trellis new``/``add``/``remove`` put it in their plans.
    """
    expected: dict[str, str | None] = dict(render(manifest, manifest_name))
    for rel in sorted(_ours(root) - set(expected)):
        expected[rel] = None
    return expected


def generate(root: Path, manifest: Manifest, manifest_name: str = "trellis.toml") -> list[str]:
    """Write every rendered file under ``root``; remove rendered files no longer rendered.

    Returns the paths written or removed (unchanged files are left alone).
    """
    changed: list[str] = []
    for rel, text in rendered_files(root, manifest, manifest_name).items():
        path = root / rel
        if text is None:
            path.unlink()
            changed.append(rel)
            continue
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        changed.append(rel)
    return changed
