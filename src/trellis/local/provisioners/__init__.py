"""Local provisioners: one module per resource kind, named by its registry entry
(``Kind.local_provisioner``), that creates the kind's resources in the emulator as
its Terraform module would in AWS.

A provisioner module has one function::

    def provision(ctx: Provisioning, name: str, spec: <the kind's model>) -> None

which creates the resource (idempotently: running it twice changes nothing) and
records where it lives in ``ctx.out`` (what the services' env vars carry).
:func:`trellis.local.provision.provision` calls them in registry order, so a
kind that delivers to queues finds them created.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from trellis import naming
from trellis.kinds import Arns, ResourceKind

if TYPE_CHECKING:
    from trellis.local.provision import LocalAddresses
    from trellis.manifest import Manifest

#: ``clients("sqs")``: an administrator's boto3 client of the emulator.
ClientFactory = Callable[[str], Any]


@dataclass(frozen=True)
class Provisioning:
    """What a provisioner works with: the manifest, its environment, clients, and the results."""

    manifest: Manifest
    env: str
    clients: ClientFactory
    arns: Arns
    out: LocalAddresses

    def physical(self, kind: ResourceKind, name: str) -> str:
        """The resource's name in the emulator: the name Terraform gives it in AWS."""
        return naming.resource_name(self.manifest, kind, name, self.env)
