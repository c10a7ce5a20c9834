"""What a kind's Terraform module arguments are made of (the HCL writer in ``trellis.infra._hcl``
writes them).

Values are Python data (strings, numbers, booleans, lists, dicts); a plain ``str`` is a
literal and two wrappers say when a string means something else:

- a plain ``str``: the writer escapes quotes, backslashes and
  ``${``/``%{``, so a manifest value can never inject an expression;
- :class:`Tpl` is a Terraform string template: ``"acme-${var.environment}-jobs"``;
  a template that is one interpolation (``"${module.jobs_queue.url}"``) is written
  as the bare expression;
- :class:`Expr` is an expression written as is: ``module.jobs_queue.arn``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from trellis.kinds._policy import Arns

if TYPE_CHECKING:
    from trellis.kinds._kind import ResourceKind


@dataclass(frozen=True)
class Expr:
    """A Terraform expression, written without quotes."""

    text: str


@dataclass(frozen=True)
class Tpl:
    """A Terraform string template: ``${...}`` inside is an interpolation."""

    text: str


#: The environment as a Terraform template, fed to the naming functions.
ENV: Final = "${var.environment}"
#: ARNs as Terraform templates: the same templates the local IAM fills for the emulator.
TF_ARNS: Final = Arns(
    region="${local.region}",
    account_id="${local.account_id}",
    partition="${local.partition}",
    # Rendered only for `encryption = "customer"` (terraform/key.tf).
    kms_key="${module.key.arn}",
)


def module_name(kind: ResourceKind | str, name: str) -> str:
    """The Terraform module block of a manifest resource: ``jobs`` queue → ``jobs_queue``."""
    return f"{name.replace('-', '_')}_{kind}"


def module_ref(kind: ResourceKind | str, name: str, output: str | None = None) -> Expr:
    """``module.jobs_queue`` (or one of its outputs, ``module.jobs_queue.arn``)."""
    ref = f"module.{module_name(kind, name)}"
    return Expr(f"{ref}.{output}" if output else ref)
