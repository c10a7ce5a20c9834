"""Caches locally: one Valkey server per ``[caches.<name>]``, IAM auth emulated.

In AWS a service logs in as its own ElastiCache user (``<project>-<env>-<service>``)
with an IAM token. Locally each service that declares ``readwrite`` gets an ACL
user of that name with a generated password, allowed every key and command; the
``default`` user is off, so a service without the grant cannot log in. Users of
services that no longer declare it are deleted; the ACL file keeps the rest
across restarts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from trellis.kinds import Cache, cache_user
from trellis.local.provisioners import Provisioning
from trellis.local.servers.valkey import ADMIN, ValkeyServer


def start_server(directory: Path, spec: Cache, *, durable: bool = True) -> ValkeyServer:
    """The entry's server, not yet started (:func:`trellis.local.provision.start_servers` does)."""
    return ValkeyServer(directory, durable=durable)


def readwrite_services(manifest: Any, name: str) -> list[str]:
    """The services that declare ``readwrite`` on cache ``name``."""
    return [
        service
        for service in manifest.services
        if any(r == name and "readwrite" in levels for r, levels in manifest.uses(service))
    ]


def provision(ctx: Provisioning, name: str, spec: Cache) -> None:
    server: ValkeyServer = ctx.server("cache", name)
    users = {
        cache_user(ctx.manifest.project.name, ctx.env, s): s
        for s in readwrite_services(ctx.manifest, name)
    }
    passwords = ensure_users(server, list(users))
    for user, service in users.items():
        ctx.out.per_service[("cache", name, service)] = server.url(user, passwords[user])
    ctx.out.values[("cache", name)] = f"redis://127.0.0.1:{server.port}"


def ensure_users(server: ValkeyServer, users: list[str]) -> dict[str, str]:
    """Make exactly ``users`` (besides the administrator) ACL users; return their passwords."""
    passwords = {user: server.credentials.password(f"user:{user}") for user in users}
    with server.client() as client:
        for existing in client.acl_users():
            name = existing.decode() if isinstance(existing, bytes) else str(existing)
            if name not in (ADMIN, "default") and name not in passwords:
                client.acl_deluser(name)
        for user, password in passwords.items():
            client.execute_command(
                "ACL", "SETUSER", user, "reset", "on", f">{password}", "~*", "&*", "+@all"
            )
        client.execute_command("ACL", "SAVE")
    return passwords
