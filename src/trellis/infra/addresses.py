"""Resource addresses as they are in an AWS account (what deployed env vars carry)."""

from __future__ import annotations

from dataclasses import dataclass

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
