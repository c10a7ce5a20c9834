"""`trellis check`: exit 1 while the rendered Terraform differs from what the manifest renders."""

from __future__ import annotations

import argparse
import sys

from trellis.cli._common import add_json_option, manifest_location, print_json
from trellis.manifest import Manifest


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    check = sub.add_parser(
        "check", help="exit 1 when the rendered Terraform differs from what the manifest renders"
    )
    check.add_argument("--diff", action="store_true", help="print the full unified diff")
    add_json_option(check, "each differing file (path, status, diff)")
    check.set_defaults(run=_check)


def _check(args: argparse.Namespace, manifest: Manifest) -> int:
    from trellis.infra import drift

    root, name = manifest_location(args)
    found = drift(root, manifest, name)
    if args.json:
        print_json(
            {
                "ok": not found,
                "manifest": name,
                "differ": [
                    {"path": d.path, "status": d.status, "summary": d.summary(), "diff": d.diff}
                    for d in found
                ],
            }
        )
        return 1 if found else 0
    if not found:
        print(f"trellis check: the Terraform files match {name}")
        return 0
    # The failure, and what to do about it, on stderr; the diff (asked for) on stdout.
    print(f"trellis check: {len(found)} file(s) differ from what {name} renders:", file=sys.stderr)
    for d in found:
        print(f"  {d.summary()}", file=sys.stderr)
        if args.diff and d.diff:
            print(d.diff)
    print("Run `trellis generate` and commit the result.", file=sys.stderr)
    return 1
