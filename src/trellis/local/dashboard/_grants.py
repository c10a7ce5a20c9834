"""The manifest change that would grant a denied call: IAM denials the user can act on.

The emulator denies ``dynamodb:PutItem`` on ``table/acme-dev-users`` for the
api; this finds the manifest resource behind the ARN (``users``), the smallest
access level of its kind that grants the action (``put``), and says it both
ways: the manifest line (``services.api.uses.users = ["read", "put"]``) and
the command that writes it (``trellis add table users --put api``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from trellis.iam import Arns, actions_for, resource_statements
from trellis.iam_eval import arn_matches
from trellis.kinds import ResourceKind
from trellis.manifest import ACCESS_LEVELS, Manifest


@dataclass(frozen=True)
class Grant:
    """How to allow one denied call."""

    #: The manifest change, or why none would do.
    change: str
    #: The ``trellis add ...`` command that makes the change; None when there is none.
    command: str | None = None


def find_resource(
    manifest: Manifest, env: str, account_id: str, arn: str
) -> tuple[ResourceKind, str, bool] | None:
    """``(kind, manifest name, is its DLQ)`` of the resource ``arn`` names, or None.

    The ARNs are the ones the resource's own statements grant at every level of its kind
    (a table's indexes, a bucket's objects, a secret's suffix, a queue's DLQ), so what
    the lookup matches is what a grant would cover.
    """
    arns = Arns(region=manifest.project.region, account_id=account_id)
    for kind, name, _spec in manifest.resources():
        levels = tuple(manifest.resource(name)[0].levels)
        for statement in resource_statements(manifest, "", name, levels, env, arns):
            if any(arn_matches(pattern, arn) for pattern in statement.resources):
                return kind, name, statement.resource.endswith("(DLQ)")
    return None


def smallest_level(kind: ResourceKind, action: str) -> str | None:
    """The access level of ``kind`` granting ``action`` with the fewest actions besides."""
    levels = [lv for lv in ACCESS_LEVELS[kind] if action in actions_for(kind, lv)]
    if "readwrite" in ACCESS_LEVELS[kind] and action in actions_for(kind, "readwrite"):
        levels.append("readwrite")
    return min(levels, key=lambda lv: len(actions_for(kind, lv)), default=None)


def grant_for(
    manifest: Manifest, env: str, account_id: str, service: str, action: str, arn: str
) -> Grant:
    """What would let ``service`` call ``action`` on ``arn``."""
    found = find_resource(manifest, env, account_id, arn)
    if found is None:
        return Grant(
            f"{arn} is not a resource of trellis.toml: declare it (trellis add <kind> <name> "
            f"--<level> {service}) or call one that is"
        )
    kind, name, is_dlq = found
    if is_dlq:
        # Only `consume` reaches a DLQ (a failed job's last attempt is copied there).
        level: str | None = "consume" if action == "sqs:SendMessage" else None
    else:
        level = smallest_level(kind, action)
    if level is None:
        levels = ", ".join(ACCESS_LEVELS[kind]) or "none"
        return Grant(
            f"no access level of a {kind} grants {action} (levels: {levels}): "
            "Trellis grants what its adapters call; use one of them"
        )
    current = list(manifest.services[service].uses.get(name, []))
    if level in current:
        return Grant(
            f"services.{service}.uses.{name} already has {level!r}: the policy in the emulator "
            "is out of date; restart trellis dev"
        )
    wanted = [*current, level]
    value = json.dumps(wanted[0]) if len(wanted) == 1 else json.dumps(wanted)
    return Grant(
        f"services.{service}.uses.{name} = {value}",
        f"trellis add {kind} {name} --{level} {service}",
    )
