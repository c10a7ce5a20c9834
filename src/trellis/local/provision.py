"""Create every manifest resource in the emulator, as Terraform would in AWS.

Names, keys, redrive policies, versioning and notifications follow the same
manifest values the Terraform modules get, so a service sees the same world
locally as deployed. Provisioning is idempotent: running it twice against one
emulator changes nothing.
"""

from __future__ import annotations

import importlib
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from trellis import kinds, naming
from trellis.kinds import Arns, Kind, ResourceKind
from trellis.local.provisioners import ClientFactory, ProvisionError, Provisioning
from trellis.local.state import STATE_DIR
from trellis.manifest import Manifest

__all__ = [
    "ClientFactory",
    "LocalAddresses",
    "ProvisionError",
    "data_dir",
    "provision",
    "start_servers",
    "stop_servers",
]


@dataclass
class LocalAddresses:
    """Where each provisioned resource lives in the emulator (what env vars carry)."""

    values: dict[tuple[ResourceKind, str], str] = field(default_factory=dict)
    #: The gateway's origin secret, when a routed container service checks it.
    origin_secret: str | None = None
    origin_secret_arn: str | None = None
    queue_arns: dict[str, str] = field(default_factory=dict)
    dlq_urls: dict[str, str] = field(default_factory=dict)
    #: The local relay queue (url, ARN) of each Lambda target of an event rule, by
    #: ``(rule, service)`` (:mod:`trellis.local.provisioners.bus`).
    rule_relays: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    #: Addresses that carry the service's own credentials (a database URL with its user
    #: and password), by ``(kind, name, service)``; they win over ``values``.
    per_service: dict[tuple[ResourceKind, str, str], str] = field(default_factory=dict)

    def address(self, kind: ResourceKind, name: str) -> str:
        if (kind, name) == ("secret", naming.ORIGIN_SECRET) and self.origin_secret_arn:
            return self.origin_secret_arn
        return self.values[(kind, name)]

    def service_address(self, kind: ResourceKind, name: str, service: str) -> str:
        """The address ``service`` is handed: its own URL where the kind has one."""
        found = self.per_service.get((kind, name, service))
        return found if found is not None else self.address(kind, name)


def provision(
    manifest: Manifest,
    env: str,
    clients: ClientFactory,
    *,
    account_id: str,
    servers: Mapping[tuple[ResourceKind, str], Any] | None = None,
    part: Literal["all", "emulator", "servers"] = "all",
    out: LocalAddresses | None = None,
) -> LocalAddresses:
    """Create every resource of the manifest, kind by kind in registry order (queues first).

    Each kind's provisioner (``Kind.local_provisioner``, under
    :mod:`trellis.local.provisioners`) creates its resources as its Terraform module does.
    ``servers`` are the running servers of server-backed kinds (databases, caches), by
    ``(kind, name)``: see :func:`start_servers`.

    ``part``: ``"emulator"`` creates only what lives in the emulator, ``"servers"`` only
    what lives on the servers (neither needs the other, so ``trellis dev`` runs both at
    once), each into ``out`` when given.
    """
    arns = Arns(region=manifest.project.region, account_id=account_id)
    out = LocalAddresses() if out is None else out
    ctx = Provisioning(manifest, env, clients, arns, out, dict(servers or {}))
    for entry in kinds.KINDS:
        specs = manifest.specs(entry)
        if not specs:
            continue
        provisioner: Any = importlib.import_module(entry.local_provisioner)
        on_server = hasattr(provisioner, "start_server")
        if (part == "emulator" and on_server) or (part == "servers" and not on_server):
            continue
        for name, spec in specs.items():
            provisioner.provision(ctx, name, spec)
    if part == "servers":
        return out
    if any(s.route is not None and s.runtime != "lambda" for s in manifest.services.values()):
        out.origin_secret, out.origin_secret_arn = _origin_secret(
            naming.origin_secret_name(manifest.project.name, env), clients("secretsmanager")
        )
    return out


def server_kinds() -> list[tuple[Kind[Any], Any]]:
    """The kinds whose local stand-in is a server: their provisioner has ``start_server``."""
    found = []
    for entry in kinds.KINDS:
        module: Any = importlib.import_module(entry.local_provisioner)
        if hasattr(module, "start_server"):
            found.append((entry, module))
    return found


def data_dir(root: Path, env: str, entry: Kind[Any], name: str) -> Path:
    """Where a server-backed resource keeps its data: ``.trellis/dev/<env>/<section>/<name>``."""
    return root / STATE_DIR / env / entry.section / name


def start_servers(
    manifest: Manifest, root: Path, env: str, *, durable: bool = True
) -> dict[tuple[ResourceKind, str], Any]:
    """Start one server per database and cache of the manifest; wait until all are ready.

    Each has its data under :func:`data_dir`, so it survives restarts. Slow first
    steps (initdb) run in parallel; the processes are started from the calling
    thread, which must outlive them (they die with it). On failure the servers
    already started are stopped again.
    """
    from concurrent.futures import ThreadPoolExecutor

    servers: dict[tuple[ResourceKind, str], Any] = {
        (entry.name, name): module.start_server(
            data_dir(root, env, entry, name), spec, durable=durable
        )
        for entry, module in server_kinds()
        for name, spec in manifest.specs(entry).items()
    }
    if not servers:
        return {}
    errors: list[str] = []

    def attempt(key: tuple[ResourceKind, str], step: Callable[[], None]) -> bool:
        try:
            step()
        except Exception as exc:  # noqa: BLE001 - every server is tried, then all failures reported
            errors.append(f"{kinds.kind(key[0]).section}.{key[1]}: {exc}")
            return False
        return True

    with ThreadPoolExecutor(max_workers=len(servers)) as pool:
        prepared = list(pool.map(lambda kv: attempt(kv[0], kv[1].prepare), servers.items()))
    launched = {}
    for ok, (key, server) in zip(prepared, servers.items(), strict=True):
        if ok and attempt(key, server.launch):
            launched[key] = server
    for key, server in launched.items():
        attempt(key, server.wait_ready)
    if errors:
        stop_servers(launched)
        raise ProvisionError("; ".join(errors))
    return servers


def stop_servers(servers: Mapping[tuple[ResourceKind, str], Any]) -> None:
    """Stop every server (fast shutdown), in parallel."""
    import threading

    threads = [threading.Thread(target=s.stop) for s in servers.values()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


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
