"""`trellis generate` and `trellis check`: the Terraform rendered from the manifest."""

from __future__ import annotations

import argparse
from pathlib import Path

from trellis.manifest import Manifest


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    generate = sub.add_parser(
        "generate", help="render terraform/*.tf, environments and bootstrap/manifest.tf"
    )
    generate.set_defaults(run=_generate)
    check = sub.add_parser(
        "check", help="exit 1 when the rendered Terraform differs from what the manifest renders"
    )
    check.add_argument("--diff", action="store_true", help="print the full unified diff")
    check.set_defaults(run=_check)


def _root(args: argparse.Namespace) -> tuple[Path, str]:
    manifest_path = Path(args.manifest)
    return manifest_path.resolve().parent, manifest_path.name


def _generate(args: argparse.Namespace, manifest: Manifest) -> int:
    from trellis.infra import generate

    root, name = _root(args)
    changed = generate(root, manifest, name)
    for rel in changed:
        print(f"wrote {rel}" if (root / rel).exists() else f"removed {rel}")
    if not changed:
        print("trellis generate: every rendered file is up to date")
    return 0


def _check(args: argparse.Namespace, manifest: Manifest) -> int:
    from trellis.infra import drift

    root, name = _root(args)
    found = drift(root, manifest, name)
    if not found:
        print(f"trellis check: the Terraform files match {name}")
        return 0
    print(f"trellis check: {len(found)} file(s) differ from what {name} renders:")
    for d in found:
        print(f"  {d.summary()}")
        if args.diff and d.diff:
            print(d.diff)
    print("Run `trellis generate` and commit the result.")
    return 1
