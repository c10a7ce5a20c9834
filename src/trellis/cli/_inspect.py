"""`trellis validate`, `trellis env`, `trellis iam show`: what the manifest derives."""

from __future__ import annotations

import argparse
import json

from trellis.cli._common import environment, service
from trellis.manifest import Manifest


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    validate = sub.add_parser("validate", help="check the manifest and print a summary")
    validate.set_defaults(run=_validate)

    env = sub.add_parser("env", help="print the env vars a service gets in AWS")
    env.add_argument("service")
    env.add_argument(
        "--env", dest="environment", help="environment (default: the manifest's first)"
    )
    env.add_argument("--account-id", default="123456789012")
    env.set_defaults(run=_env)

    iam = sub.add_parser("iam", help="IAM policies derived from the manifest")
    iam_sub = iam.add_subparsers(dest="iam_command", required=True, metavar="IAM_COMMAND")
    show = iam_sub.add_parser("show", help="print a service's execution-role policy as JSON")
    show.add_argument("service")
    show.add_argument(
        "--env", dest="environment", help="environment (default: the manifest's first)"
    )
    show.add_argument("--account-id", default="123456789012")
    show.set_defaults(run=_iam_show)


def _validate(args: argparse.Namespace, manifest: Manifest) -> int:
    counts: dict[str, int] = {}
    for kind, _name, _spec in manifest.resources():
        counts[kind] = counts.get(kind, 0) + 1
    parts = ", ".join(f"{n} {kind}{'s' if n != 1 else ''}" for kind, n in counts.items())
    print(f"{args.manifest}: ok — {len(manifest.services)} services, {parts or 'no resources'}")
    return 0


def _env(args: argparse.Namespace, manifest: Manifest) -> int:
    from trellis.infra.addresses import AwsAddresses
    from trellis.wiring import service_environment

    env = environment(manifest, args.environment)
    addresses = AwsAddresses(manifest, env, args.account_id)
    for key, value in service_environment(
        manifest, service(manifest, args.service), env, addresses
    ).items():
        print(f"{key}={value}")
    return 0


def _iam_show(args: argparse.Namespace, manifest: Manifest) -> int:
    from trellis.iam import Arns, service_policy

    env = environment(manifest, args.environment)
    arns = Arns(region=manifest.project.region, account_id=args.account_id)
    print(
        json.dumps(service_policy(manifest, service(manifest, args.service), env, arns), indent=2)
    )
    return 0
