"""Secrets in the emulator, with a value a service can read (Terraform creates them empty)."""

from __future__ import annotations

import secrets

from trellis.kinds import Secret
from trellis.local.provisioners import Provisioning


def provision(ctx: Provisioning, name: str, spec: Secret) -> None:
    sm = ctx.clients("secretsmanager")
    physical = ctx.physical("secret", name)
    # Terraform creates the secret without a value; locally a service needs one to read.
    value = spec.local_value if spec.local_value is not None else secrets.token_urlsafe(24)
    try:
        arn = sm.create_secret(Name=physical, Description=spec.description, SecretString=value)[
            "ARN"
        ]
    except sm.exceptions.ResourceExistsException:
        arn = sm.describe_secret(SecretId=physical)["ARN"]
    ctx.out.values[("secret", name)] = arn
