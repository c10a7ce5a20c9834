"""The example api's resources, under a project name of the benchmark's choosing."""

from __future__ import annotations

from pathlib import Path

from trellis.manifest import Bucket, Manifest, load_manifest

ROOT = Path(__file__).resolve().parents[1]


def api_stack_manifest(project: str) -> Manifest:
    """The example manifest's ``users`` and ``files`` tables (keys, GSIs) and ``uploads`` bucket."""
    example = load_manifest(ROOT / "trellis.toml")
    return Manifest(
        project=example.project.model_copy(update={"name": project, "environments": ["dev"]}),
        tables={"users": example.tables["users"], "files": example.tables["files"]},
        buckets={"uploads": Bucket(versioning=True)},
    )
