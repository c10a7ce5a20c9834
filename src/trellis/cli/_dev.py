"""`trellis dev`: the whole stack locally on the embedded AWS emulator."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from trellis.cli._common import environment
from trellis.manifest import Manifest


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    dev = sub.add_parser("dev", help="run the whole stack locally on the embedded AWS emulator")
    dev.add_argument("--port", type=int, default=8000, help="gateway port (default: %(default)s)")
    dev.add_argument(
        "--emulator-port", type=int, default=4566, help="AWS emulator port (default: %(default)s)"
    )
    dev.add_argument("--env", help="environment whose names to use (default: the manifest's first)")
    dev.add_argument("--color", choices=["auto", "always", "never"], default="auto")
    dev.add_argument(
        "--no-iam",
        dest="iam",
        action="store_false",
        help="don't enforce IAM: services run with the emulator's administrator key "
        "(also TRELLIS_IAM=off)",
    )
    dev.set_defaults(run=_dev)


def _dev(args: argparse.Namespace, manifest: Manifest) -> int:
    from trellis.local.dev import DevOptions, run_dev
    from trellis.local.identities import iam_enabled

    color = args.color == "always" or (args.color == "auto" and sys.stdout.isatty())
    options = DevOptions(
        root=Path(args.manifest).resolve().parent,
        env=environment(manifest, args.env),
        port=args.port,
        emulator_port=args.emulator_port,
        color=color,
        iam=args.iam and iam_enabled(),
    )
    return run_dev(manifest, options)
