"""The ``trellis`` command.

Exit status: 0 success, 1 a command failed, 2 the manifest or the command line
is wrong (one line on stderr names the key or the option).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from trellis.manifest import Manifest, ManifestError, load_manifest

EXIT_USAGE = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="trellis", description="Run FastAPI services on AWS from one manifest."
    )
    parser.add_argument(
        "--manifest",
        default="trellis.toml",
        help="path to the stack manifest (default: %(default)s)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    dev = sub.add_parser("dev", help="run the whole stack locally on the embedded AWS emulator")
    dev.add_argument("--port", type=int, default=8000, help="gateway port (default: %(default)s)")
    dev.add_argument(
        "--emulator-port", type=int, default=4566, help="AWS emulator port (default: %(default)s)"
    )
    dev.add_argument("--env", help="environment whose names to use (default: the manifest's first)")
    dev.add_argument("--color", choices=["auto", "always", "never"], default="auto")

    sub.add_parser("validate", help="check the manifest and print a summary")

    env = sub.add_parser("env", help="print the env vars a service gets in AWS")
    env.add_argument("service")
    env.add_argument(
        "--env", dest="environment", help="environment (default: the manifest's first)"
    )

    iam = sub.add_parser("iam", help="IAM policies derived from the manifest")
    iam_sub = iam.add_subparsers(dest="iam_command", required=True, metavar="IAM_COMMAND")
    show = iam_sub.add_parser("show", help="print a service's execution-role policy as JSON")
    show.add_argument("service")
    show.add_argument(
        "--env", dest="environment", help="environment (default: the manifest's first)"
    )
    show.add_argument("--account-id", default="123456789012")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``trellis`` console script."""
    args = _parser().parse_args(argv)
    try:
        manifest = load_manifest(args.manifest)
    except ManifestError as exc:
        print(f"{args.manifest}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        return _dispatch(args, manifest)
    except _UsageError as exc:
        print(f"trellis: {exc}", file=sys.stderr)
        return EXIT_USAGE


class _UsageError(Exception):
    pass


def _environment(manifest: Manifest, requested: str | None) -> str:
    if requested is None:
        return manifest.project.environments[0]
    if requested not in manifest.project.environments:
        raise _UsageError(
            f"--env {requested}: not one of {', '.join(manifest.project.environments)}"
        )
    return requested


def _service(manifest: Manifest, name: str) -> str:
    if name not in manifest.services:
        raise _UsageError(f"unknown service {name!r} (services: {', '.join(manifest.services)})")
    return name


def _dispatch(args: argparse.Namespace, manifest: Manifest) -> int:
    if args.command == "validate":
        counts = {
            kind: sum(1 for k, _, _ in manifest.resources() if k == kind)
            for kind, _, _ in manifest.resources()
        }
        parts = ", ".join(f"{n} {kind}{'s' if n != 1 else ''}" for kind, n in counts.items())
        print(f"{args.manifest}: ok — {len(manifest.services)} services, {parts or 'no resources'}")
        return 0
    if args.command == "env":
        from trellis.infra.addresses import AwsAddresses
        from trellis.wiring import service_environment

        env = _environment(manifest, args.environment)
        variables = service_environment(
            manifest, _service(manifest, args.service), env, AwsAddresses(manifest, env)
        )
        for key, value in variables.items():
            print(f"{key}={value}")
        return 0
    if args.command == "iam":
        from trellis.iam import Arns, service_policy

        env = _environment(manifest, args.environment)
        arns = Arns(region=manifest.project.region, account_id=args.account_id)
        print(
            json.dumps(
                service_policy(manifest, _service(manifest, args.service), env, arns), indent=2
            )
        )
        return 0
    if args.command == "dev":
        from trellis.local.dev import DevOptions, run_dev

        color = args.color == "always" or (args.color == "auto" and sys.stdout.isatty())
        options = DevOptions(
            root=Path(args.manifest).resolve().parent,
            env=_environment(manifest, args.env),
            port=args.port,
            emulator_port=args.emulator_port,
            color=color,
        )
        return run_dev(manifest, options)
    raise _UsageError(f"unknown command {args.command}")
