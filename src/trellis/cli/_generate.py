"""`trellis generate`: render terraform/*.tf, the environments and bootstrap/manifest.tf."""

from __future__ import annotations

import argparse

from trellis.cli._common import manifest_location
from trellis.manifest import Manifest


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    generate = sub.add_parser(
        "generate", help="render terraform/*.tf, environments and bootstrap/manifest.tf"
    )
    generate.set_defaults(run=_generate)


def _generate(args: argparse.Namespace, manifest: Manifest) -> int:
    from trellis.infra import generate

    root, name = manifest_location(args)
    changed = generate(root, manifest, name)
    for rel in changed:
        print(f"wrote {rel}" if (root / rel).exists() else f"removed {rel}")
    if not changed:
        print("trellis generate: every rendered file is up to date")
    return 0
