"""What each service is handed at run time: its env vars, derived from the manifest.

The same function feeds Terraform (addresses are Terraform expressions) and
``trellis dev`` (addresses are the emulator's), so both give a service exactly
the same variables.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from trellis import naming
from trellis.kinds import QUEUE, ResourceKind
from trellis.manifest import Manifest


class Addresses(Protocol):
    """Resolves a resource to the value its env var carries (URL, name or ARN).

    ``("secret", naming.ORIGIN_SECRET)`` is the gateway's origin secret (its ARN).
    """

    def address(self, kind: ResourceKind, name: str) -> str: ...


@runtime_checkable
class ServiceAddresses(Protocol):
    """Addresses that differ per service: a database URL carries the service's own user.

    An :class:`Addresses` that also has this method is asked it for every env var;
    ``address`` stays the fallback (and what Terraform-side addresses implement alone).
    """

    def service_address(self, kind: ResourceKind, name: str, service: str) -> str: ...


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
        consumed = [q for q in manifest.specs(QUEUE) if service in manifest.consumers(q)]
        if consumed:
            variables["TRELLIS_CONSUMES"] = ",".join(consumed)
        if spec.route:
            # Reachable without the gateway (its own URL): it refuses requests without the
            # gateway's origin secret, read by name with its own role.
            variables["TRELLIS_ORIGIN_SECRET_ID"] = addresses.address(
                "secret", naming.ORIGIN_SECRET
            )
    variables.update(spec.env)
    # A grant without the action of its kind's readiness probe (`write` on a bucket: no
    # s3:ListBucket for HeadBucket) must not be probed. Only buckets have such a level
    # (tests/unit/test_kinds.py), hence the variable's name.
    unprobed = []
    for resource, levels in manifest.uses(service):
        entry, _spec = manifest.resource(resource)
        if entry.runtime is not None and entry.runtime.probe_action not in entry.actions(levels):
            unprobed.append(resource)
    if unprobed:
        variables["TRELLIS_WRITE_ONLY_BUCKETS"] = ",".join(unprobed)
    for resource, _levels in manifest.uses(service):
        entry, _spec = manifest.resource(resource)
        variables[naming.env_var_name(entry.name, resource)] = (
            addresses.service_address(entry.name, resource, service)
            if isinstance(addresses, ServiceAddresses)
            else addresses.address(entry.name, resource)
        )
    return dict(sorted(variables.items()))
