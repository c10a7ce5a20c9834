"""IAM value types the kinds and the policy builders share: ARN templates, statements, scopes.

ARN templates carry placeholders: ``{p}`` partition, ``{r}`` region, ``{a}``
account id (and, in the deploy layer, ``{state}`` the state bucket). A kind's
template also has ``{name}``, the resource's physical name. :class:`Arns`
fills them for one target: an AWS account, the emulator, or Terraform's own
``${local.*}`` values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from trellis.kinds._kind import ResourceKind

#: ``(test, condition key, values)`` of a statement's ``Condition`` block.
Condition = tuple[str, str, tuple[str, ...]]


@dataclass(frozen=True)
class Arns:
    """Where the resources live: region and account of the target (or the emulator)."""

    region: str
    account_id: str
    partition: str = "aws"
    #: The ARN of the environment's customer-managed KMS key where it is known (Terraform:
    #: the key module's output). None: the key is found by its alias (``kms:ResourceAliases``).
    kms_key: str | None = None

    def resolve(self, template: str) -> str:
        """``template`` with ``{p}``, ``{r}`` and ``{a}`` filled in."""
        return (
            template.replace("{p}", self.partition)
            .replace("{r}", self.region)
            .replace("{a}", self.account_id)
        )

    def of(self, kind: ResourceKind, physical: str) -> str:
        """The ARN of the ``kind`` resource AWS calls ``physical``."""
        # Imported here: the registry's entries import this module.
        from trellis.kinds._registry import kind as registered

        # The name goes in last: it may be a Terraform template, whose `${...}` is no placeholder.
        return self.resolve(registered(kind).arn_template).replace("{name}", physical)


@dataclass(frozen=True)
class Statement:
    """One statement of a service's execution-role policy."""

    sid: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    #: ``(test, condition key, values)``, all of which must hold.
    conditions: tuple[Condition, ...] = ()
    #: The manifest resource the statement grants access to (``jobs``, ``jobs (DLQ)``).
    resource: str = ""

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "Sid": self.sid,
            "Effect": "Allow",
            "Action": sorted(self.actions),
            "Resource": list(self.resources) if len(self.resources) > 1 else self.resources[0],
        }
        if self.conditions:
            condition: dict[str, dict[str, Any]] = {}
            for test, key, values in self.conditions:
                condition.setdefault(test, {})[key] = list(values) if len(values) > 1 else values[0]
            out["Condition"] = condition
        return out


@dataclass(frozen=True)
class DeployStatement:
    """One statement of a deploy-layer policy (deploy role, boundary, plan role, state bucket)."""

    sid: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    conditions: tuple[Condition, ...] = field(default=())
    effect: Literal["Allow", "Deny"] = "Allow"
    #: ``actions`` are a ``NotAction`` list / ``resources`` a ``NotResource`` list.
    not_actions: bool = False
    not_resources: bool = False
    #: A resource policy's statement names its principals: ``"*"`` (everyone) here.
    principal: str | None = None


@dataclass(frozen=True)
class EnvScope:
    """The names one environment owns: ``<project>-<env>-*`` and ``<project>/<env>/*``."""

    project: str
    env: str

    @property
    def n(self) -> str:
        """The prefix of the environment's names: ``acme-dev``."""
        return f"{self.project}-{self.env}"

    @property
    def path(self) -> str:
        """The prefix of the environment's hierarchical names: ``acme/dev``."""
        return f"{self.project}/{self.env}"
