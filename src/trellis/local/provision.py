"""Create every manifest resource in the emulator, as Terraform would in AWS.

Names, keys, redrive policies, versioning and notifications follow the same
manifest values the Terraform modules get, so a service sees the same world
locally as deployed. Provisioning is idempotent: running it twice against one
emulator changes nothing.
"""

from __future__ import annotations

import importlib
import secrets
from dataclasses import dataclass, field
from typing import Any

from trellis import kinds, naming
from trellis.kinds import Arns, ResourceKind
from trellis.local.provisioners import ClientFactory, Provisioning
from trellis.manifest import Manifest

__all__ = ["ClientFactory", "LocalAddresses", "provision"]


@dataclass
class LocalAddresses:
    """Where each provisioned resource lives in the emulator (what env vars carry)."""

    values: dict[tuple[ResourceKind, str], str] = field(default_factory=dict)
    #: The gateway's origin secret, when a routed container service checks it.
    origin_secret: str | None = None
    origin_secret_arn: str | None = None
    queue_arns: dict[str, str] = field(default_factory=dict)
    dlq_urls: dict[str, str] = field(default_factory=dict)

    def address(self, kind: ResourceKind, name: str) -> str:
        if (kind, name) == ("secret", naming.ORIGIN_SECRET) and self.origin_secret_arn:
            return self.origin_secret_arn
        return self.values[(kind, name)]


def provision(
    manifest: Manifest, env: str, clients: ClientFactory, *, account_id: str
) -> LocalAddresses:
    """Create every resource of the manifest, kind by kind in registry order (queues first).

    Each kind's provisioner (``Kind.local_provisioner``, under
    :mod:`trellis.local.provisioners`) creates its resources as its Terraform module does.
    """
    arns = Arns(region=manifest.project.region, account_id=account_id)
    out = LocalAddresses()
    ctx = Provisioning(manifest, env, clients, arns, out)
    for entry in kinds.KINDS:
        specs = manifest.specs(entry)
        if not specs:
            continue
        provisioner: Any = importlib.import_module(entry.local_provisioner)
        for name, spec in specs.items():
            provisioner.provision(ctx, name, spec)
    if any(s.route is not None and s.runtime != "lambda" for s in manifest.services.values()):
        out.origin_secret, out.origin_secret_arn = _origin_secret(
            naming.origin_secret_name(manifest.project.name, env), clients("secretsmanager")
        )
    return out


def _origin_secret(physical: str, sm: Any) -> tuple[str, str]:
    """The gateway's origin secret (Terraform generates it too) and its ARN."""
    try:
        # Letters and digits only, as the api-gateway module requires of it.
        value = secrets.token_hex(32)
        arn = sm.create_secret(
            Name=physical,
            Description="Proof that a request came through the gateway.",
            SecretString=value,
        )["ARN"]
    except sm.exceptions.ResourceExistsException:
        found = sm.get_secret_value(SecretId=physical)
        value, arn = found["SecretString"], found["ARN"]
    return str(value), str(arn)
