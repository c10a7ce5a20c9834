"""`trellis parameter set <name> --env ENV`: the value of a secure parameter, set out of band.

A secure parameter's value is never in ``trellis.toml``, the rendered Terraform
or its state: Terraform creates the parameter with a placeholder and never
writes the value again, and this command writes the real one. The value is
read from stdin (a pipe, or a prompt that does not echo), never from the
command line, where it would land in the shell's history.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from typing import Any

from trellis import naming
from trellis.cli._common import UsageError, environment
from trellis.kinds import PARAMETER
from trellis.manifest import Manifest


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parameter = sub.add_parser("parameter", help="set the value of a secure parameter")
    parameter_sub = parameter.add_subparsers(
        dest="parameter_command", required=True, metavar="PARAMETER_COMMAND"
    )
    set_ = parameter_sub.add_parser(
        "set", help="write a secure parameter's value (read from stdin) in one environment"
    )
    set_.add_argument("name")
    set_.add_argument("--env", dest="environment", required=True, help="the environment")
    set_.add_argument("--endpoint-url", help="an AWS-compatible endpoint (default: AWS)")
    set_.set_defaults(run=_set)


def _read_value() -> str:
    if sys.stdin.isatty():
        value = getpass.getpass("value (not echoed): ")
    else:
        value = sys.stdin.read()
        # `echo value | trellis parameter set ...` adds one newline: it is not part of the value.
        value = value.removesuffix("\n")
    if not value:
        raise UsageError("empty value: pipe the value in or type it at the prompt")
    return value


def _ssm(args: argparse.Namespace, manifest: Manifest) -> Any:
    import boto3

    endpoint = args.endpoint_url or os.environ.get("AWS_ENDPOINT_URL")
    return boto3.session.Session(region_name=manifest.project.region).client(
        "ssm", endpoint_url=endpoint
    )


def _set(args: argparse.Namespace, manifest: Manifest) -> int:
    spec = manifest.specs(PARAMETER).get(args.name)
    if spec is None:
        known = ", ".join(manifest.specs(PARAMETER)) or "none"
        raise UsageError(f"unknown parameter {args.name!r} (parameters: {known})")
    if not spec.secure:
        raise UsageError(
            f"parameters.{args.name} is not secure: its value is `value` in the manifest "
            "(a value set here would be overwritten by the next deploy)"
        )
    env = environment(manifest, args.environment)
    name = naming.parameter_name(manifest.project.name, env, args.name)
    value = _read_value()
    ssm = _ssm(args, manifest)
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        # Overwrite keeps the parameter's type, key and tags; only the value changes.
        version = ssm.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=True)[
            "Version"
        ]
    except ClientError as exc:
        error = exc.response.get("Error", {})
        print(f"trellis: {name}: {error.get('Code')}: {error.get('Message')}", file=sys.stderr)
        return 1
    except BotoCoreError as exc:
        print(f"trellis: {name}: {exc}", file=sys.stderr)
        return 1
    print(f"{name}: set (version {version})")
    return 0
