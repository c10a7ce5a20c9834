"""Helpers of the local database/cache server tests."""

from __future__ import annotations

import os
from pathlib import Path

from trellis.local.provision import LocalAddresses, provision, start_servers
from trellis.manifest import Manifest, load_manifest_text


def manifest(uses_api: str, uses_worker: str = "{}") -> Manifest:
    return load_manifest_text(
        f"""
[project]
name = "acme"
region = "us-east-1"
github_repository = "acme/backend"
environments = ["dev"]

[services.api]
runtime = "lambda"
timeout_s = 5
uses = {uses_api}

[services.worker]
runtime = "lambda"
timeout_s = 5
uses = {uses_worker}

[databases.audit]

[caches.sessions]
"""
    )


def provision_locally(
    m: Manifest, root: Path, servers: dict | None = None
) -> tuple[dict, LocalAddresses]:
    """Start (unless given) the servers of ``m`` under ``root`` and provision them."""
    servers = servers if servers is not None else start_servers(m, root, "dev")
    out = provision(m, "dev", lambda name: None, account_id="000000000000", servers=servers)
    return servers, out


def processes_mentioning(fragment: str) -> list[int]:
    """Live processes whose command line contains ``fragment``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
            with open(f"/proc/{entry}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    continue
        except OSError:
            continue
        if fragment in cmdline:
            found.append(int(entry))
    return found


def process_tree(pid: int) -> set[int]:
    """``pid`` and every live process below it."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z":
            children.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = {pid}, [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found
