"""The policy evaluator the deploy proofs rest on, against IAM's documented evaluation rules."""

from __future__ import annotations

from typing import Any

import pytest

from trellis.iam_eval import (
    Request,
    UnsupportedPolicy,
    action_matches,
    allowed,
    arn_matches,
    trusts,
)


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: Any = "*", resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any = "*", resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


@pytest.mark.parametrize(
    ("pattern", "arn", "matches"),
    [
        ("arn:aws:sqs:us-east-1:1:acme-dev-*", "arn:aws:sqs:us-east-1:1:acme-dev-jobs", True),
        ("arn:aws:sqs:us-east-1:1:acme-dev-*", "arn:aws:sqs:us-east-1:1:acme-prod-jobs", False),
        # * within a segment stays in it ...
        ("arn:aws:sqs:*:1:acme-dev-jobs", "arn:aws:sqs:us-east-1:1:acme-dev-jobs", True),
        ("arn:aws:s*:us-east-1:1:q", "arn:aws:sqs:us-east-1:1:q", True),
        ("arn:aws:sqs:us-*-1:1:q", "arn:aws:sqs:us-east-1:1:q", True),
        # ... unless it ends the segment, where it may run over the colons that follow.
        ("arn:aws:lambda:*", "arn:aws:lambda:us-east-1:1:function:f", True),
        (
            "arn:aws:logs:r:1:log-group:/aws/lambda/acme-dev-*",
            "arn:aws:logs:r:1:log-group:/aws/lambda/acme-dev-api:log-stream:x",
            True,
        ),
        # The resource part: * runs over / as well (objects, indexes).
        ("arn:aws:s3:::acme-dev-*", "arn:aws:s3:::acme-dev-uploads/a/b.png", True),
        (
            "arn:aws:dynamodb:r:1:table/acme-dev-*",
            "arn:aws:dynamodb:r:1:table/acme-dev-users/index/i",
            True,
        ),
        # ? is one character.
        (
            "arn:aws:secretsmanager:r:1:secret:acme/dev/key-??????",
            "arn:aws:secretsmanager:r:1:secret:acme/dev/key-AbCdEf",
            True,
        ),
        (
            "arn:aws:secretsmanager:r:1:secret:acme/dev/key-??????",
            "arn:aws:secretsmanager:r:1:secret:acme/dev/key-AbCdE",
            False,
        ),
        ("*", "arn:aws:iam::1:role/anything", True),
    ],
)
def test_arns_match_as_iam_matches_them(pattern: str, arn: str, matches: bool) -> None:
    assert arn_matches(pattern, arn) is matches


def test_actions_match_case_insensitively_with_wildcards() -> None:
    assert action_matches("s3:GetBucket*", "s3:getbucketpolicy")
    assert action_matches("*", "iam:CreateRole")
    assert not action_matches("s3:GetBucket*", "s3:GetObject")


def test_an_explicit_deny_wins_over_any_allow() -> None:
    p = policy(allow(), deny("sqs:SendMessage", "arn:aws:sqs:r:1:q"))
    assert not allowed(Request("sqs:SendMessage", "arn:aws:sqs:r:1:q"), [p])
    assert allowed(Request("sqs:SendMessage", "arn:aws:sqs:r:1:other"), [p])


def test_nothing_is_allowed_by_default() -> None:
    assert not allowed(Request("sqs:SendMessage", "arn:aws:sqs:r:1:q"), [policy()])


def test_a_boundary_is_an_intersection() -> None:
    identity = policy(allow("s3:*"))
    boundary = policy(allow(["s3:GetObject", "sqs:*"]))
    assert allowed(Request("s3:GetObject", "arn:aws:s3:::b/k"), [identity], boundary)
    assert not allowed(Request("s3:PutObject", "arn:aws:s3:::b/k"), [identity], boundary)
    assert not allowed(Request("sqs:SendMessage", "arn:aws:sqs:r:1:q"), [identity], boundary)


def test_a_resource_policy_grant_suffices_unless_explicitly_denied() -> None:
    opened = policy(allow("*", "*", Principal="*"))
    request = Request("s3:GetObject", "arn:aws:s3:::b/k")
    # Same account: the resource policy alone lets the session in, past a boundary's implicit deny ...
    assert allowed(request, [policy()], policy(allow("sqs:*")), resource_policy=opened)
    # ... but never past an explicit deny, in the identity policy or the boundary.
    assert not allowed(request, [policy(deny("s3:GetObject"))], resource_policy=opened)
    assert not allowed(request, [policy()], policy(deny("s3:*")), resource_policy=opened)


def test_not_action_and_not_resource() -> None:
    p = policy(
        {"Effect": "Deny", "NotAction": ["s3:GetObject"], "Resource": "arn:aws:s3:::state/*"},
        {"Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s3:::secret/*"},
    )
    assert allowed(Request("s3:GetObject", "arn:aws:s3:::state/k"), [p])
    assert not allowed(Request("s3:PutObject", "arn:aws:s3:::state/k"), [p])
    assert not allowed(Request("s3:GetObject", "arn:aws:s3:::secret/k"), [p])


def _cond(operator: str, key: str, values: Any) -> dict[str, Any]:
    return allow(Condition={operator: {key: values}})


@pytest.mark.parametrize(
    ("statement", "context", "result"),
    [
        # A missing key: a positive operator is false, a negated one true, IfExists true.
        (_cond("StringEquals", "aws:ResourceTag/env", "dev"), {}, False),
        (_cond("StringNotEquals", "aws:ResourceTag/env", "dev"), {}, True),
        (_cond("StringEqualsIfExists", "aws:ResourceTag/env", "dev"), {}, True),
        (
            _cond("StringEqualsIfExists", "aws:ResourceTag/env", "dev"),
            {"aws:ResourceTag/env": "prod"},
            False,
        ),
        (
            _cond("StringEquals", "aws:ResourceTag/env", ["dev", "test"]),
            {"aws:ResourceTag/env": "test"},
            True,
        ),
        (
            _cond("StringLike", "s3:prefix", "acme/dev/*"),
            {"s3:prefix": "acme/dev/terraform.tfstate"},
            True,
        ),
        (_cond("StringLike", "s3:prefix", "acme/dev/*"), {"s3:prefix": "acme/prod/x"}, False),
        (
            _cond("ArnLike", "lambda:FunctionArn", "arn:aws:lambda:r:1:function:acme-dev-*"),
            {"lambda:FunctionArn": "arn:aws:lambda:r:1:function:acme-dev-w"},
            True,
        ),
        (
            _cond("ArnNotEquals", "aws:PrincipalArn", "arn:aws:iam::1:role/a"),
            {"aws:PrincipalArn": "arn:aws:iam::1:role/a"},
            False,
        ),
        (_cond("Bool", "aws:SecureTransport", "false"), {"aws:SecureTransport": "false"}, True),
        (_cond("Null", "aws:RequestTag/env", "true"), {}, True),
        (_cond("Null", "aws:RequestTag/env", "true"), {"aws:RequestTag/env": "dev"}, False),
        # Set operators on multi-valued keys; an absent key: ForAllValues true, ForAnyValue false.
        (
            _cond("ForAllValues:StringEquals", "aws:TagKeys", ["a", "b"]),
            {"aws:TagKeys": ["a"]},
            True,
        ),
        (
            _cond("ForAllValues:StringEquals", "aws:TagKeys", ["a", "b"]),
            {"aws:TagKeys": ["a", "c"]},
            False,
        ),
        (_cond("ForAllValues:StringEquals", "aws:TagKeys", ["a"]), {}, True),
        (
            _cond("ForAnyValue:StringEquals", "aws:TagKeys", ["a"]),
            {"aws:TagKeys": ["c", "a"]},
            True,
        ),
        (_cond("ForAnyValue:StringEquals", "aws:TagKeys", ["a"]), {}, False),
    ],
)
def test_conditions_follow_iams_rules(
    statement: dict[str, Any], context: dict[str, Any], result: bool
) -> None:
    assert (
        allowed(Request("s3:GetObject", "arn:aws:s3:::b/k", context), [policy(statement)]) is result
    )


def test_every_condition_of_a_statement_must_hold() -> None:
    st = allow(
        Condition={
            "StringEquals": {"a": "1", "b": "2"},
            "StringLike": {"c": "x*"},
        }
    )
    assert allowed(Request("s3:GetObject", "*", {"a": "1", "b": "2", "c": "xy"}), [policy(st)])
    assert not allowed(Request("s3:GetObject", "*", {"a": "1", "b": "3", "c": "xy"}), [policy(st)])


def test_an_operator_it_does_not_model_is_an_error_not_a_guess() -> None:
    st = allow(Condition={"NumericLessThan": {"s3:max-keys": "10"}})
    with pytest.raises(UnsupportedPolicy, match="NumericLessThan"):
        allowed(Request("s3:ListBucket", "*", {"s3:max-keys": "5"}), [policy(st)])


def test_a_trust_policy_admits_only_tokens_that_meet_every_condition() -> None:
    trust = policy(
        {
            "Effect": "Allow",
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Principal": {"Federated": "arn:aws:iam::1:oidc-provider/x"},
            "Condition": {
                "StringEquals": {
                    "x:aud": "sts.amazonaws.com",
                    "x:sub": "repo:a/b:environment:prod",
                },
                "StringLike": {"x:ref": "refs/tags/v*"},
            },
        }
    )
    good = {
        "x:aud": "sts.amazonaws.com",
        "x:sub": "repo:a/b:environment:prod",
        "x:ref": "refs/tags/v1",
    }
    assert trusts(trust, "sts:AssumeRoleWithWebIdentity", good)
    assert not trusts(trust, "sts:AssumeRoleWithWebIdentity", {**good, "x:ref": "refs/heads/main"})
    assert not trusts(trust, "sts:AssumeRole", good)
