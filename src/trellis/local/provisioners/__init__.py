"""Local provisioners: one module per resource kind, named by its registry entry
(``Kind.local_provisioner``), that creates the kind's resources in the emulator as
its Terraform module would in AWS.

A provisioner module has one function::

    def provision(ctx: Provisioning, name: str, spec: <the kind's model>) -> None

which creates the resource (idempotently: running it twice changes nothing) and
records where it lives in ``ctx.out`` (what the services' env vars carry).

A kind whose local stand-in is a server (databases, caches) also has::

    def start_server(directory: Path, spec, *, durable: bool = True) -> <server>

which ``trellis dev`` (and the test fixtures) call before provisioning, one server
per entry with its data in ``directory``; ``provision`` finds it in ``ctx.servers``.
:func:`trellis.local.provision.provision` calls them in registry order, so a
kind that delivers to queues finds them created.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from trellis import naming
from trellis.kinds import Arns, ResourceKind

if TYPE_CHECKING:
    from trellis.local.provision import LocalAddresses
    from trellis.manifest import Manifest

#: ``clients("sqs")``: an administrator's boto3 client of the emulator.
ClientFactory = Callable[[str], Any]


class ProvisionError(RuntimeError):
    """A resource cannot be created locally; the message names its manifest key."""


@dataclass(frozen=True)
class Provisioning:
    """What a provisioner works with: the manifest, its environment, clients, and the results."""

    manifest: Manifest
    env: str
    clients: ClientFactory
    arns: Arns
    out: LocalAddresses
    #: Running servers of server-backed kinds, by ``(kind, name)``.
    servers: dict[tuple[ResourceKind, str], Any] = field(default_factory=dict)

    def server(self, kind: ResourceKind, name: str) -> Any:
        """The running server of a database or cache (a clear error when none was started)."""
        found = self.servers.get((kind, name))
        if found is None:
            section = "databases" if kind == "database" else "caches"
            raise ProvisionError(
                f"{section}.{name}: no local server is running for it "
                "(trellis dev and the trellis_database / trellis_cache fixtures start one)"
            )
        return found

    def physical(self, kind: ResourceKind, name: str) -> str:
        """The resource's name in the emulator: the name Terraform gives it in AWS."""
        return naming.resource_name(self.manifest, kind, name, self.env)
