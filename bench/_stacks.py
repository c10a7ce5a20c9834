"""The example api's resources, under a project name of the benchmark's choosing."""

from __future__ import annotations

from pathlib import Path

from trellis.kinds import TABLE
from trellis.manifest import Manifest, load_manifest

ROOT = Path(__file__).resolve().parents[1]


def api_stack_manifest(project: str) -> Manifest:
    """The example manifest's ``users`` and ``files`` tables (keys, GSIs) and ``uploads`` bucket."""
    example = load_manifest(ROOT / "trellis.toml")
    return Manifest(
        project=example.project.model_copy(update={"name": project, "environments": ["dev"]}),
        # As data: the manifest's section models are its own (they add ``tags``).
        tables={name: example.specs(TABLE)[name].model_dump() for name in ("users", "files")},
        buckets={"uploads": {"versioning": True}},
    )


def copy_services(
    dest: Path, manifest: Path, services: tuple[str, ...] = ("api", "worker")
) -> Path:
    """A copy of the example services under ``dest`` and a manifest pointing at the copies.

    ``manifest`` (the example's or a test stack's) is rewritten so that each
    ``path`` names the copy; benchmarks that edit code edit the copy, never the
    repository's services.
    """
    import re
    import shutil

    for name in services:
        shutil.copytree(
            ROOT / "backend" / name,
            dest / name,
            ignore=shutil.ignore_patterns("tests", "__pycache__", "*.egg-info"),
        )
    text = manifest.read_text()
    text = re.sub(r'(?m)^path = ".*?backend/([a-z0-9-]+)"', r'path = "\1"', text)
    out = dest / "trellis.toml"
    out.write_text(text)
    return out
