"""A small IAM policy evaluator, for proofs about the policies Trellis renders.

It answers "may this principal do this action on this resource, in this
request context?" the way AWS evaluates a request within one account:

- an explicit ``Deny`` in any policy wins;
- otherwise an identity policy must ``Allow`` it, and so must the permissions
  boundary when there is one (their intersection);
- a resource policy that grants the principal's session is enough on its own
  (explicit denies still win);
- a trust policy is evaluated on its own: :func:`trusts` (the caller is taken to
  be the principal the statement names: principals are not matched).

It covers what Trellis's policies use: ``Action``/``NotAction``,
``Resource``/``NotResource`` with IAM's ARN wildcards (``*`` and ``?`` within a
segment; a trailing ``*`` of a segment may run across ``:``), and the
``String*``, ``Arn*``, ``Bool`` and ``Null`` condition operators with the
``IfExists`` suffix and the ``ForAnyValue:``/``ForAllValues:`` set operators.
A condition operator it does not know raises :class:`UnsupportedPolicy`: a
proof never rests on a guess.

>>> policy = {"Statement": [{"Effect": "Allow", "Action": "sqs:Send*",
...                          "Resource": "arn:aws:sqs:us-east-1:1:acme-dev-*"}]}
>>> allowed(Request("sqs:SendMessage", "arn:aws:sqs:us-east-1:1:acme-dev-jobs"), [policy])
True
>>> allowed(Request("sqs:SendMessage", "arn:aws:sqs:us-east-1:1:acme-prod-jobs"), [policy])
False
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

#: A request context value: one string, or several for multi-valued keys (``aws:TagKeys``).
ContextValue = str | Sequence[str]


class UnsupportedPolicy(ValueError):
    """The policy uses something this evaluator does not model."""


@dataclass(frozen=True)
class Request:
    """One authorisation question: an action on a resource, with its request context."""

    action: str
    resource: str = "*"
    context: Mapping[str, ContextValue] = field(default_factory=dict)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def statements(policy: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """The statements of a policy document (``Statement`` may be one object or a list)."""
    yield from _as_list(policy.get("Statement"))


@lru_cache(maxsize=4096)
def _glob(pattern: str, *, span_colons: bool) -> re.Pattern[str]:
    out = []
    for char in pattern:
        if char == "*":
            out.append(".*" if span_colons else "[^:]*")
        elif char == "?":
            out.append("." if span_colons else "[^:]")
        else:
            out.append(re.escape(char))
    return re.compile("".join(out), re.DOTALL)


def action_matches(pattern: str, action: str) -> bool:
    """IAM action names match case-insensitively, with ``*`` and ``?`` wildcards."""
    return _glob(pattern.lower(), span_colons=True).fullmatch(action.lower()) is not None


def arn_matches(pattern: str, arn: str) -> bool:
    """An ARN against a ``Resource`` pattern, segment by segment as IAM matches them."""
    if pattern == "*":
        return True
    pattern_parts = pattern.split(":", 5)
    arn_parts = arn.split(":", 5)
    if len(pattern_parts) != 6 or len(arn_parts) != 6:
        return _glob(pattern, span_colons=True).fullmatch(arn) is not None
    for i, (p, a) in enumerate(zip(pattern_parts, arn_parts, strict=True)):
        last = i == 5
        if not last and p.endswith("*"):
            # A segment's trailing * may run over the colons that follow.
            rest_pattern = ":".join(pattern_parts[i:])
            rest_arn = ":".join(arn_parts[i:])
            return _glob(rest_pattern, span_colons=True).fullmatch(rest_arn) is not None
        if _glob(p, span_colons=last).fullmatch(a) is None:
            return False
    return True


_NEGATED = (
    "StringNotEquals",
    "StringNotEqualsIgnoreCase",
    "StringNotLike",
    "ArnNotEquals",
    "ArnNotLike",
)


def _compare(base: str, policy_value: str, request_value: str) -> bool:
    if base in ("StringEquals", "StringNotEquals"):
        return policy_value == request_value
    if base in ("StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"):
        return policy_value.lower() == request_value.lower()
    if base in ("StringLike", "StringNotLike"):
        return _glob(policy_value, span_colons=True).fullmatch(request_value) is not None
    if base in ("ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike"):
        return arn_matches(policy_value, request_value)
    if base == "Bool":
        return policy_value.lower() == request_value.lower()
    raise UnsupportedPolicy(f"condition operator {base!r} is not modelled")


def _condition_holds(
    operator: str, key: str, values: list[str], context: Mapping[str, ContextValue]
) -> bool:
    set_op = None
    if ":" in operator:
        set_op, operator = operator.split(":", 1)
        if set_op not in ("ForAnyValue", "ForAllValues"):
            raise UnsupportedPolicy(f"set operator {set_op!r} is not modelled")
    if_exists = operator.endswith("IfExists")
    base = operator.removesuffix("IfExists")
    present = key in context
    if base == "Null":
        # Null: "true" means the key must be absent.
        return all((v.lower() == "true") != present for v in values)
    if not present:
        if set_op == "ForAllValues":
            return True
        if set_op == "ForAnyValue":
            return False
        return if_exists or base in _NEGATED
    raw = context[key]
    request_values = [raw] if isinstance(raw, str) else list(raw)
    negated = base in _NEGATED

    def one(request_value: str) -> bool:
        hit = any(_compare(base, v, request_value) for v in values)
        return not hit if negated else hit

    if set_op == "ForAllValues":
        return all(one(v) for v in request_values)
    if set_op == "ForAnyValue":
        return any(one(v) for v in request_values)
    if len(request_values) != 1:
        raise UnsupportedPolicy(f"{key} has several values: use ForAnyValue or ForAllValues")
    return one(request_values[0])


def _conditions_hold(statement: Mapping[str, Any], context: Mapping[str, ContextValue]) -> bool:
    for operator, pairs in (statement.get("Condition") or {}).items():
        for key, values in pairs.items():
            if not _condition_holds(operator, key, [str(v) for v in _as_list(values)], context):
                return False
    return True


def statement_applies(statement: Mapping[str, Any], request: Request) -> bool:
    """Whether ``statement`` (of either effect) matches ``request``."""
    if "Action" in statement:
        if not any(action_matches(a, request.action) for a in _as_list(statement["Action"])):
            return False
    elif "NotAction" in statement:
        if any(action_matches(a, request.action) for a in _as_list(statement["NotAction"])):
            return False
    else:
        raise UnsupportedPolicy("a statement without Action or NotAction")
    if "Resource" in statement:
        if not any(arn_matches(r, request.resource) for r in _as_list(statement["Resource"])):
            return False
    elif "NotResource" in statement:
        if any(arn_matches(r, request.resource) for r in _as_list(statement["NotResource"])):
            return False
    elif "Principal" not in statement and "NotPrincipal" not in statement:
        raise UnsupportedPolicy("a statement without Resource or NotResource")
    return _conditions_hold(statement, request.context)


def _effects(policies: Sequence[Mapping[str, Any]], request: Request) -> tuple[bool, bool]:
    allow = deny = False
    for policy in policies:
        for st in statements(policy):
            if statement_applies(st, request):
                if st.get("Effect") == "Deny":
                    deny = True
                elif st.get("Effect") == "Allow":
                    allow = True
                else:
                    raise UnsupportedPolicy(f"effect {st.get('Effect')!r}")
    return allow, deny


def allowed(
    request: Request,
    identity: Sequence[Mapping[str, Any]],
    boundary: Mapping[str, Any] | None = None,
    resource_policy: Mapping[str, Any] | None = None,
) -> bool:
    """Whether a principal with these identity policies (and boundary) may make ``request``.

    ``resource_policy`` is the target's own policy, taken to name this principal's
    session wherever it allows: within one account such a grant is enough on its own
    (neither the identity policy nor a boundary's implicit deny limits it), so only an
    explicit deny stops it.
    """
    identity_allow, identity_deny = _effects(identity, request)
    boundary_allow, boundary_deny = (
        _effects([boundary], request) if boundary is not None else (True, False)
    )
    resource_allow, resource_deny = (
        _effects([resource_policy], request) if resource_policy is not None else (False, False)
    )
    if identity_deny or boundary_deny or resource_deny:
        return False
    if resource_allow:
        return True
    return identity_allow and boundary_allow


def trusts(
    trust_policy: Mapping[str, Any], action: str, context: Mapping[str, ContextValue]
) -> bool:
    """Whether a role's trust policy lets a caller with this context (token claims) assume it."""
    request = Request(action, "*", context)
    allow, deny = _effects([trust_policy], request)
    return allow and not deny
