"""Parameters in the emulator: a plain one's value, a secure one's local value (or a random one)."""

from __future__ import annotations

import secrets

from trellis.kinds import Parameter
from trellis.local.provisioners import Provisioning


def provision(ctx: Provisioning, name: str, spec: Parameter) -> None:
    physical = ctx.physical("parameter", name)
    # A secure parameter's value is never in the manifest: its local_value, or a random one.
    value = spec.value if spec.value is not None else spec.local_value or secrets.token_urlsafe(24)
    ctx.clients("ssm").put_parameter(
        Name=physical,
        Value=value,
        Type="SecureString" if spec.secure else "String",
        Description=spec.description,
        Overwrite=True,
    )
    ctx.out.values[("parameter", name)] = physical
