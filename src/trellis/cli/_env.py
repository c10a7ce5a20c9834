"""`trellis env SERVICE`: the env vars a service gets in AWS."""

from __future__ import annotations

import argparse

from trellis.cli._common import add_json_option, environment, print_json, service
from trellis.manifest import Manifest


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    env = sub.add_parser("env", help="print the env vars a service gets in AWS")
    env.add_argument("service")
    env.add_argument(
        "--env", dest="environment", help="environment (default: the manifest's first)"
    )
    env.add_argument("--account-id", default="123456789012")
    add_json_option(env, "the variables as an object (name → value)")
    env.set_defaults(run=_env)


def _env(args: argparse.Namespace, manifest: Manifest) -> int:
    from trellis.infra._network import aws_endpoint, connection_urls
    from trellis.infra.addresses import AwsAddresses
    from trellis.tracing import tracing_environment
    from trellis.wiring import service_environment

    env = environment(manifest, args.environment)
    addresses = AwsAddresses(manifest, env, args.account_id)
    name = service(manifest, args.service)
    variables = service_environment(manifest, name, env, addresses)
    # Database and cache URLs carry the service's own user (as in terraform/service_*.tf).
    variables.update(connection_urls(manifest, name, env, aws_endpoint(manifest, env)))
    # And, with tracing = true, the exporter's (as in terraform/service_*.tf).
    variables.update(tracing_environment(manifest, name))
    if args.json:
        print_json({"service": args.service, "env": env, "variables": variables})
        return 0
    for key, value in variables.items():
        print(f"{key}={value}")
    return 0
