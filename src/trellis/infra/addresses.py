"""Resource addresses as they are in an AWS account (what deployed env vars carry)."""

from __future__ import annotations

from dataclasses import dataclass

from trellis import naming
from trellis.iam import Arns, physical_resource_name
from trellis.manifest import Manifest
from trellis.naming import ResourceKind


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
        physical = physical_resource_name(self.manifest, kind, name, self.env)
        region = self.manifest.project.region
        if kind == "queue":
            return f"https://sqs.{region}.amazonaws.com/{self.account_id}/{physical}"
        if kind in ("topic", "secret"):
            return Arns(region=region, account_id=self.account_id).of(kind, physical)
        return physical


#: The output of each kind's module that a service's env var carries.
MODULE_OUTPUT: dict[ResourceKind, str] = {
    "queue": "url",
    "table": "name",
    "bucket": "name",
    "topic": "arn",
    "secret": "arn",
    "parameter": "name",
    "schedule": "name",
}


def module_name(kind: ResourceKind, name: str) -> str:
    """The Terraform module block of a manifest resource: ``jobs`` queue → ``jobs_queue``."""
    return f"{name.replace('-', '_')}_{kind}"


@dataclass(frozen=True)
class TerraformAddresses:
    """Addresses as Terraform expressions in the rendered root: ``${module.jobs_queue.url}``.

    Fed to :func:`trellis.wiring.service_environment`, it yields the env vars of
    a deployed service as Terraform interpolations (one code path with ``trellis dev``).
    """

    def address(self, kind: ResourceKind, name: str) -> str:
        if (kind, name) == ("secret", naming.ORIGIN_SECRET):
            return "${aws_secretsmanager_secret.origin.arn}"
        return f"${{module.{module_name(kind, name)}.{MODULE_OUTPUT[kind]}}}"
