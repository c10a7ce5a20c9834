"""`trellis validate`: the manifest is valid; a summary of what it declares."""

from __future__ import annotations

import argparse

from trellis.cli._common import add_json_option, print_json
from trellis.manifest import Manifest


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    validate = sub.add_parser("validate", help="check the manifest and print a summary")
    add_json_option(validate, "the summary (services, resources by kind)")
    validate.set_defaults(run=_validate)


def _validate(args: argparse.Namespace, manifest: Manifest) -> int:
    resources: dict[str, list[str]] = {}
    for kind, name, _spec in manifest.resources():
        resources.setdefault(kind, []).append(name)
    if args.json:
        print_json(
            {
                "manifest": args.manifest,
                "ok": True,
                "project": manifest.project.name,
                "environments": list(manifest.project.environments),
                "services": {
                    name: {"runtime": spec.runtime, "route": spec.route}
                    for name, spec in manifest.services.items()
                },
                "resources": resources,
            }
        )
        return 0
    parts = ", ".join(
        f"{len(names)} {kind}{'s' if len(names) != 1 else ''}" for kind, names in resources.items()
    )
    print(f"{args.manifest}: ok — {len(manifest.services)} services, {parts or 'no resources'}")
    return 0
