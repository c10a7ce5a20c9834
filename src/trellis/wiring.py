"""What each service is handed at run time: its env vars, derived from the manifest.

The same function feeds Terraform (addresses are Terraform expressions) and
``trellis dev`` (addresses are the emulator's), so both give a service exactly
the same variables.
"""

from __future__ import annotations

from typing import Protocol

from trellis import naming
from trellis.manifest import Manifest
from trellis.naming import ResourceKind


class Addresses(Protocol):
    """Resolves a resource to the value its env var carries (URL, name or ARN).

    ``("secret", naming.ORIGIN_SECRET)`` is the gateway's origin secret (its ARN).
    """

    def address(self, kind: ResourceKind, name: str) -> str: ...


def service_environment(
    manifest: Manifest, service: str, env: str, addresses: Addresses
) -> dict[str, str]:
    """Env vars of ``service`` in ``env``, as the deployed function or container gets them.

    Lambda reserves ``AWS_REGION`` (its runtime sets it), so only container
    runtimes get it here.
    """
    spec = manifest.services[service]
    variables = {
        "TRELLIS_PROJECT": manifest.project.name,
        "TRELLIS_ENV": env,
        "TRELLIS_SERVICE": service,
        "OTEL_SERVICE_NAME": naming.physical_name(manifest.project.name, env, service),
        "LOG_LEVEL": "INFO",
    }
    if spec.route:
        variables["TRELLIS_ROUTE"] = spec.route
    if spec.runtime != "lambda":
        variables["AWS_REGION"] = manifest.project.region
        variables["PORT"] = str(spec.port)
        # A container polls its queues itself (Lambda gets an event source mapping instead).
        consumed = [queue for queue in manifest.queues if service in manifest.consumers(queue)]
        if consumed:
            variables["TRELLIS_CONSUMES"] = ",".join(consumed)
        if spec.route:
            # Reachable without the gateway (its own URL): it refuses requests without the
            # gateway's origin secret, read by name with its own role.
            variables["TRELLIS_ORIGIN_SECRET_ID"] = addresses.address(
                "secret", naming.ORIGIN_SECRET
            )
    variables.update(spec.env)
    # `write` grants no read-only call on a bucket, so readiness must not probe it.
    write_only = [
        resource
        for resource, levels in manifest.uses(service)
        if manifest.kind_of(resource) == "bucket" and set(levels) == {"write"}
    ]
    if write_only:
        variables["TRELLIS_WRITE_ONLY_BUCKETS"] = ",".join(write_only)
    for resource, _levels in manifest.uses(service):
        kind = manifest.kind_of(resource)
        assert kind is not None
        variables[naming.env_var_name(kind, resource)] = addresses.address(kind, resource)
    return dict(sorted(variables.items()))
