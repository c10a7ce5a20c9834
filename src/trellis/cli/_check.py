"""`trellis check`: exit 1 while the rendered Terraform differs from what the manifest renders."""

from __future__ import annotations

import argparse

from trellis.cli._common import manifest_location
from trellis.manifest import Manifest


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    check = sub.add_parser(
        "check", help="exit 1 when the rendered Terraform differs from what the manifest renders"
    )
    check.add_argument("--diff", action="store_true", help="print the full unified diff")
    check.set_defaults(run=_check)


def _check(args: argparse.Namespace, manifest: Manifest) -> int:
    from trellis.infra import drift

    root, name = manifest_location(args)
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
