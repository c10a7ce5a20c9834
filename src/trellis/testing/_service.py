from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trellis.local.emulator import LOCAL_ACCOUNT_ID, Emulator
from trellis.local.identities import (
    ServiceCredentials,
    create_service_identity,
    denied_actions,
    local_aws_variables,
)
from trellis.local.provision import LocalAddresses, provision
from trellis.manifest import Manifest, load_manifest
from trellis.runtime._auth import ORIGIN_HEADER
from trellis.wiring import service_environment

#: When set, each service identity a test creates is recorded here (``trellis iam verify``).
USERS_LOG_ENV = "TRELLIS_IAM_USERS"
#: A JSON file ``{test nodeid: {"deny": "service:prefix:Action,...", "timeout": s}}``: what to
#: withhold in which test (and how long it may take),
#: so ``trellis iam verify`` can withhold a different action in each test of one run.
DENY_BY_TEST_ENV = "TRELLIS_IAM_DENY_BY_TEST"


def deny_plan() -> dict[str, dict[str, Any]]:
    """``{nodeid: {"deny": "service:prefix:Action", "timeout": seconds}}`` from the plan file."""
    path = os.environ.get(DENY_BY_TEST_ENV)
    if not path:
        return {}
    with open(path, encoding="utf-8") as f:
        plan: dict[str, dict[str, Any]] = json.load(f)
    return plan


def _deny_spec(test: str | None) -> str | None:
    if test is None or not os.environ.get(DENY_BY_TEST_ENV):
        return None
    return str(deny_plan().get(test, {}).get("deny", ""))


@dataclass
class ServiceEnvironment:
    """One service's world in the test emulator, as ``trellis dev`` would give it.

    ``env`` holds exactly the variables the service process gets (already set in
    ``os.environ`` for the test); the service's AWS calls use its own
    least-privilege key. Use :meth:`admin` for setup and assertions.
    """

    service: str
    project: str
    env_name: str
    manifest: Manifest
    addresses: LocalAddresses
    env: dict[str, str]
    emulator: Emulator
    #: The service's own key (``None`` when ``TRELLIS_IAM=off``: it runs as admin).
    credentials: ServiceCredentials | None = None
    _clients: dict[str, Any] = field(default_factory=dict, repr=False)

    def admin(self, service_name: str) -> Any:
        """A boto3 client with the emulator's administrative key (setup, assertions)."""
        if service_name not in self._clients:
            self._clients[service_name] = self.emulator.client(service_name)
        return self._clients[service_name]

    def client(self, service_name: str) -> Any:
        """A boto3 client with the service's own key: what the service itself can do."""
        key = (self.env["AWS_ACCESS_KEY_ID"], self.env["AWS_SECRET_ACCESS_KEY"])
        return self.emulator.client(service_name, credentials=key)

    def gateway_headers(self) -> dict[str, str]:
        """What the gateway adds to each request it forwards to the service.

        A routed container refuses requests without the gateway's origin secret
        (its own URL would bypass the gateway's auth otherwise): pass these headers
        to a test client that calls its app directly. A Lambda service needs none.
        The route goes in ``X-Forwarded-Prefix``, as the gateway sends it: the app's
        self-links (a job's ``status_url``) start with it.
        """
        secret = self.addresses.origin_secret
        if secret is None or "TRELLIS_ORIGIN_SECRET_ID" not in self.env:
            return {}
        headers = {ORIGIN_HEADER: secret}
        if self.env.get("TRELLIS_ROUTE"):
            headers["x-forwarded-prefix"] = self.env["TRELLIS_ROUTE"]
        return headers

    def address(self, kind: Any, name: str) -> str:
        """Where a manifest resource lives (queue URL, table name, bucket name, ARN)."""
        return self.addresses.address(kind, name)


def unique_project(manifest: Manifest) -> str:
    """The manifest's project name with a random suffix, within the 24-character limit."""
    base = manifest.project.name[:15].rstrip("-")
    return f"{base}-{uuid.uuid4().hex[:8]}"


def build_service_environment(
    emulator: Emulator,
    manifest: Manifest,
    service: str,
    *,
    env: str | None = None,
    project: str | None = None,
    iam: bool = True,
    record_as: str | None = None,
    servers: dict[Any, Any] | None = None,
) -> ServiceEnvironment:
    """Provision ``manifest`` under a fresh project name and give ``service`` its identity."""
    if service not in manifest.services:
        raise ValueError(
            f"unknown service {service!r} (services: {', '.join(manifest.services) or 'none'})"
        )
    env_name = env or manifest.project.environments[0]
    if env_name not in manifest.project.environments:
        raise ValueError(f"env {env_name!r}: not one of {', '.join(manifest.project.environments)}")
    project = project or unique_project(manifest)
    fresh = manifest.model_copy(
        update={"project": manifest.project.model_copy(update={"name": project})}
    )
    addresses = provision(
        fresh, env_name, emulator.shared_client, account_id=LOCAL_ACCOUNT_ID, servers=servers
    )
    credentials: ServiceCredentials | None = None
    if iam:
        spec = _deny_spec(record_as)
        credentials = create_service_identity(
            emulator.shared_client("iam"),
            fresh,
            service,
            env_name,
            account_id=LOCAL_ACCOUNT_ID,
            deny=None if spec is None else denied_actions(service, spec),
        )
        _record_user(credentials.user, service, record_as)
        key: ServiceCredentials | tuple[str, str] = credentials
    else:
        from trellis.local.emulator import LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY

        key = (LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY)
    variables = service_environment(fresh, service, env_name, addresses)
    variables.update(local_aws_variables(emulator.endpoint, key))
    # Lambda's runtime sets the region (dev adds it for Lambda services); containers get
    # AWS_REGION from the manifest wiring. Tests call the code in process, so both here.
    region = manifest.project.region
    variables.update({"AWS_REGION": region, "AWS_DEFAULT_REGION": region})
    return ServiceEnvironment(
        service=service,
        project=project,
        env_name=env_name,
        manifest=fresh,
        addresses=addresses,
        env=variables,
        emulator=emulator,
        credentials=credentials,
    )


def _record_user(user: str, service: str, test: str | None) -> None:
    path = os.environ.get(USERS_LOG_ENV)
    if not path or test is None:
        return
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps({"user": user, "service": service, "test": test}) + "\n")


def resolve_manifest(manifest: str | Path | Manifest, rootdir: Path) -> Manifest:
    """A manifest object, or one loaded from a path (relative paths from pytest's rootdir)."""
    if isinstance(manifest, Manifest):
        return manifest
    path = Path(manifest)
    if not path.is_absolute():
        path = rootdir / path
    return load_manifest(path)


ServiceFactory = Callable[..., ServiceEnvironment]
