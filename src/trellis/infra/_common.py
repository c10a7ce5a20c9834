"""What every rendered file shares: the header, module sources, names of the environment."""

from __future__ import annotations

from typing import Final

from trellis import naming
from trellis.infra._deploy import boundary_name
from trellis.infra._hcl import Block, Expr, Tpl
from trellis.kinds._encryption import customer_key
from trellis.kinds._terraform import ENV, module_name
from trellis.manifest import Manifest

AWS_PROVIDER_VERSION: Final = ">= 6.23, < 7.0"
TERRAFORM_VERSION: Final = ">= 1.11"

HEADER: Final = (
    "Rendered by `trellis generate` from {manifest}: do not edit.\n"
    "Change {manifest} and run `trellis generate`; `trellis check` fails while this file is stale."
)
#: The first line of every rendered file: how generate/check recognise their own files.
MARKER: Final = "# Rendered by `trellis generate`"

#: The module of each service runtime (each resource kind names its own: ``trellis.kinds``).
MODULE_SOURCE: Final[dict[str, str]] = {
    "lambda": "./modules/lambda-service",
    "apprunner": "./modules/apprunner-service",
    "ecs-express": "./modules/ecs-express-service",
}

#: Environment names that mean production (see :func:`production_environment`).
_PRODUCTION_NAMES: Final = ("prod", "production", "prd", "live")


def boundary_policy_name(manifest: Manifest, env: str = ENV) -> str:
    """The boundary bootstrap/ creates for ``env``; every role of that environment carries it."""
    return boundary_name(manifest.project.name, env)


def production_environment(manifest: Manifest) -> str:
    """The environment treated as production: one named prod/production/prd/live, else the last."""
    envs = manifest.project.environments
    return next((e for e in envs if e in _PRODUCTION_NAMES), envs[-1])


def module_label(kind: str, name: str) -> str:
    return module_name(kind, name)


def physical(manifest: Manifest, name: str) -> Tpl:
    return Tpl(naming.physical_name(manifest.project.name, ENV, name))


#: The environment's customer-managed KMS key (``terraform/key.tf``, ``encryption = "customer"``).
KEY_ARN: Final = Expr("module.key.arn")


def with_log_key(block: Block, manifest: Manifest) -> Block:
    """``block`` (a module with a log group) with the environment's key on its logs, if it has one."""
    if customer_key(manifest):
        block.attr("log_kms_key_arn", KEY_ARN)
    return block


def header(manifest_name: str) -> str:
    return HEADER.format(manifest=manifest_name)
