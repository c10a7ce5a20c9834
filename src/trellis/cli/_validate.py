"""`trellis validate`: the manifest is valid; a summary of what it declares."""

from __future__ import annotations

import argparse

from trellis.manifest import Manifest


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    validate = sub.add_parser("validate", help="check the manifest and print a summary")
    validate.set_defaults(run=_validate)


def _validate(args: argparse.Namespace, manifest: Manifest) -> int:
    counts: dict[str, int] = {}
    for kind, _name, _spec in manifest.resources():
        counts[kind] = counts.get(kind, 0) + 1
    parts = ", ".join(f"{n} {kind}{'s' if n != 1 else ''}" for kind, n in counts.items())
    print(f"{args.manifest}: ok — {len(manifest.services)} services, {parts or 'no resources'}")
    return 0
