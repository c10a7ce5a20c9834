"""Resource addresses as they are in an AWS account (what deployed env vars carry)."""

from __future__ import annotations

from dataclasses import dataclass

from trellis import kinds, naming
from trellis.kinds import Arns, ResourceKind
from trellis.kinds._terraform import module_name
from trellis.manifest import Manifest

__all__ = ["AwsAddresses", "TerraformAddresses", "module_name"]


@dataclass(frozen=True)
class AwsAddresses:
    """Queue URLs, names and ARNs in ``account_id`` for ``env``.

    Secrets Manager ARNs end in a random suffix AWS picks at creation, shown
    here as ``??????`` (the wildcard IAM policies use for it).
    """

    manifest: Manifest
    env: str
    account_id: str = "123456789012"

    def address(self, kind: ResourceKind, name: str) -> str:
        if (kind, name) == ("secret", naming.ORIGIN_SECRET):
            physical = naming.origin_secret_name(self.manifest.project.name, self.env)
        else:
            physical = naming.resource_name(self.manifest, kind, name, self.env)
        arns = Arns(region=self.manifest.project.region, account_id=self.account_id)
        return kinds.kind(kind).aws_address(physical, arns)


@dataclass(frozen=True)
class TerraformAddresses:
    """Addresses as Terraform expressions in the rendered root: ``${module.jobs_queue.url}``.

    Fed to :func:`trellis.wiring.service_environment`, it yields the env vars of
    a deployed service as Terraform interpolations (one code path with ``trellis dev``).
    """

    def address(self, kind: ResourceKind, name: str) -> str:
        if (kind, name) == ("secret", naming.ORIGIN_SECRET):
            return "${aws_secretsmanager_secret.origin.arn}"
        output = kinds.kind(kind).module_output
        if output is None:
            raise ValueError(f"a {kind} hands services no address")
        return f"${{module.{module_name(kind, name)}.{output}}}"
