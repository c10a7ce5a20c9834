"""Scaffolding: ``trellis init``, ``trellis new service``, ``trellis add`` and ``trellis remove``
(``add rule``/``remove rule`` for an event bus's rules).

Every command builds a :class:`Plan` (path → new text) in memory, validates the
manifest it would write and renders its Terraform, and only then writes; a
plan can instead be shown as a unified diff (``--dry-run``). Applying a plan
that is already applied changes nothing.
"""

from trellis.scaffold._commands import plan_add, plan_init, plan_new_service, plan_remove
from trellis.scaffold._plan import Plan, ScaffoldError
from trellis.scaffold._rules import plan_add_rule, plan_remove_rule

__all__ = [
    "Plan",
    "ScaffoldError",
    "plan_add",
    "plan_add_rule",
    "plan_init",
    "plan_new_service",
    "plan_remove",
    "plan_remove_rule",
]
