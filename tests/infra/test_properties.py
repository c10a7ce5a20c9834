"""Security properties of the modules, the rendered root and bootstrap, checked on the parsed HCL."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tests.infra.conftest import ROOT
from tests.infra.hclconfig import Config, as_list
from trellis.manifest import Manifest

MODULES = ROOT / "terraform" / "modules"
OIDC_HOST = "token.actions.githubusercontent.com"
READ_PREFIXES = ("Describe", "Get", "List")


def module(name: str) -> Config:
    return Config.load(MODULES / name)


def test_every_queue_has_a_dlq_with_redrive_and_is_encrypted() -> None:
    cfg = module("sqs-queue")
    queues = {
        name: body for (rtype, name), body in cfg.resources.items() if rtype == "aws_sqs_queue"
    }
    assert set(queues) == {"this", "dlq"}
    assert "aws_sqs_queue.dlq.arn" in queues["this"]["redrive_policy"]
    for body in queues.values():
        # SSE-SQS unless a KMS key is given: never unencrypted.
        assert body["sqs_managed_sse_enabled"] == "${var.kms_key_arn == null ? true : null}"
        assert body["kms_master_key_id"] == "${var.kms_key_arn}"
    assert ("aws_sqs_queue_redrive_allow_policy", "dlq") in cfg.resources
    root = Config.load(ROOT / "terraform")
    assert not any(rtype == "aws_sqs_queue" for rtype, _ in root.resources)


def test_every_bucket_blocks_public_access_enforces_tls_and_encrypts() -> None:
    cfg = module("s3-bucket")
    pab = cfg.resources[("aws_s3_bucket_public_access_block", "this")]
    for flag in (
        "block_public_acls",
        "block_public_policy",
        "ignore_public_acls",
        "restrict_public_buckets",
    ):
        assert pab[flag] is True
    deny = [st for _doc, st in cfg.policy_statements() if st.get("effect") == "Deny"]
    assert any(
        c["variable"] == "aws:SecureTransport" and c["values"] == ["false"]
        for st in deny
        for c in as_list(st.get("condition"))
    )
    sse = cfg.resources[("aws_s3_bucket_server_side_encryption_configuration", "this")]
    algorithm = as_list(as_list(sse["rule"])[0]["apply_server_side_encryption_by_default"])[0][
        "sse_algorithm"
    ]
    assert "AES256" in algorithm and "aws:kms" in algorithm
    # The only buckets anywhere are made by this module.
    for tree in (ROOT / "terraform", ROOT / "bootstrap"):
        assert not any(rtype == "aws_s3_bucket" for rtype, _ in Config.load(tree).resources)


def test_point_in_time_recovery_is_on_for_every_table_in_production(everything_tree: Path) -> None:
    for tree in (ROOT, everything_tree):
        cfg = Config.load(tree / "terraform")
        tables = [
            call for call in cfg.modules.values() if call["source"] == "./modules/dynamodb-table"
        ]
        assert tables
        for call in tables:
            assert call["point_in_time_recovery"] in (True, "${var.production}")
    prod = (ROOT / "terraform" / "environments" / "prod.tfvars").read_text()
    assert re.search(r"^production\s*=\s*true$", prod, re.M)


def _wildcard_actions(st: dict[str, Any]) -> list[str]:
    return [a for a in as_list(st.get("actions")) if "*" in a]


def test_service_policies_grant_no_wildcard_action(everything_tree: Path) -> None:
    for tree in (ROOT, everything_tree):
        for doc, st in Config.load(tree / "terraform").policy_statements():
            assert _wildcard_actions(st) == [], f"{doc}.{st.get('sid')}"
    for name in ("lambda-service", "schedule", "apprunner-service", "ecs-express-service"):
        for doc, st in module(name).policy_statements():
            assert _wildcard_actions(st) == [], f"{name}: {doc}.{st.get('sid')}"


def test_deploy_and_boundary_policies_use_only_read_only_wildcards(everything_tree: Path) -> None:
    for tree in (ROOT, everything_tree):
        for doc, st in Config.load(tree / "bootstrap").policy_statements():
            if doc == "alarms_key":  # a KMS key policy: account root administers its own key
                continue
            if st.get("effect") == "Deny":  # denying everything on a resource is the point
                continue
            for action in _wildcard_actions(st):
                verb = action.split(":", 1)[1]
                assert verb.startswith(READ_PREFIXES) and verb != "*", (
                    f"{doc}.{st['sid']}: {action}"
                )


def test_every_service_has_its_own_role(everything_tree: Path) -> None:
    for tree in (ROOT, everything_tree):
        cfg = Config.load(tree / "terraform")
        services = {n: c for n, c in cfg.modules.items() if n.endswith("_service")}
        names = [c["name"] for c in services.values()]
        assert len(set(names)) == len(names)
        assert all("${var.environment}" in n for n in names)  # per environment too
        policies = [c["policy_json"] for c in services.values()]
        assert len(set(policies)) == len(policies)
    for name in ("lambda-service", "apprunner-service", "ecs-express-service"):
        role = module(name).resources[("aws_iam_role", "this")]
        assert role["name"].startswith("${var.name}")


def oidc_trust_problems(statements: list[dict[str, Any]]) -> list[str]:
    """What is missing from GitHub OIDC trust statements: an exact `aud` and an environment-bound `sub`."""
    problems: list[str] = []
    for st in statements:
        principals = as_list(st.get("principals"))
        federated = [p for p in principals if p.get("type") == "Federated"]
        if not federated:
            continue
        sid = st.get("sid", "?")
        conditions = as_list(st.get("condition"))
        aud = [c for c in conditions if str(c.get("variable", "")).endswith(":aud")]
        sub = [c for c in conditions if str(c.get("variable", "")).endswith(":sub")]
        if not any(
            c["test"] == "StringEquals" and c["values"] == ["sts.amazonaws.com"] for c in aud
        ):
            problems.append(f"{sid}: no StringEquals aud = sts.amazonaws.com")
        if not sub:
            problems.append(f"{sid}: no sub condition (any repository could assume the role)")
        for c in sub:
            for v in as_list(c.get("values")):
                if "*" in v or (":environment:" not in v and "local.subjects" not in v):
                    problems.append(f"{sid}: sub {v!r} is not bound to one repository environment")
    return problems


def test_deploy_role_trust_requires_aud_and_an_environment_bound_sub() -> None:
    cfg = Config.load(ROOT / "bootstrap")
    trust = [st for doc, st in cfg.policy_statements() if doc == "deploy_trust"]
    assert trust
    assert oidc_trust_problems(trust) == []
    assert cfg.locals["subjects"] == (
        '${{for env in local.environments : env => "${local.subject_prefix}:environment:${env}"}}'
    )
    prefixes = str(cfg.locals["subject_prefix"])
    assert "repository_owner_id:" in prefixes and "repository_id:" in prefixes
    assert cfg.variables["github_subject_format"]["default"] == "ids"  # survives renames


def test_the_trust_checker_catches_a_policy_without_sub() -> None:
    # The mistake checkov misses: Federated references the provider resource and only `aud` is checked.
    statement = {
        "sid": "GitHub",
        "actions": ["sts:AssumeRoleWithWebIdentity"],
        "principals": {
            "type": "Federated",
            "identifiers": ["${aws_iam_openid_connect_provider.github.arn}"],
        },
        "condition": [
            {
                "test": "StringEquals",
                "variable": f"{OIDC_HOST}:aud",
                "values": ["sts.amazonaws.com"],
            }
        ],
    }
    assert oidc_trust_problems([statement]) == [
        "GitHub: no sub condition (any repository could assume the role)"
    ]
    wildcard = json.loads(json.dumps(statement))
    wildcard["condition"].append(
        {"test": "StringLike", "variable": f"{OIDC_HOST}:sub", "values": ["repo:acme/backend:*"]}
    )
    assert oidc_trust_problems([wildcard]) == [
        "GitHub: sub 'repo:acme/backend:*' is not bound to one repository environment"
    ]


def test_lambda_env_vars_never_carry_reserved_names(example_manifest: Manifest) -> None:
    cfg = Config.load(ROOT / "terraform")
    for name in example_manifest.services:
        env = cfg.modules[f"{name}_service"]["environment_variables"]
        assert "AWS_REGION" not in env
    validation = module("lambda-service").variables["environment_variables"]["validation"]
    assert "AWS_REGION" in str(validation)


def test_consumers_report_partial_batch_failures() -> None:
    esm = module("lambda-service").resources[("aws_lambda_event_source_mapping", "sqs")]
    assert esm["function_response_types"] == ["ReportBatchItemFailures"]
    worker = Config.load(ROOT / "terraform").modules["worker_service"]
    assert worker["sqs_event_sources"]["jobs"]["queue_arn"] == "${module.jobs_queue.arn}"


def test_every_role_the_stack_creates_carries_the_bootstrap_boundary(everything_tree: Path) -> None:
    # Modules: every role takes the boundary it is given.
    for path in sorted(MODULES.iterdir()):
        for (rtype, name), body in Config.load(path).resources.items():
            if rtype == "aws_iam_role":
                assert body.get("permissions_boundary") == "${var.permissions_boundary_arn}", (
                    f"{path.name}: aws_iam_role.{name}"
                )
    # Root: every module that can take a boundary is given the one bootstrap creates.
    for tree in (ROOT, everything_tree):
        root = Config.load(tree / "terraform")
        for name, call in root.modules.items():
            mod = Config.load(root.module_dir(name))
            if "permissions_boundary_arn" in mod.variables:
                assert (
                    call.get("permissions_boundary_arn") == "${local.permissions_boundary_arn}"
                ), name
        boundaries = Config.load(tree / "bootstrap").locals["boundary_names"]
        project = Config.load(tree / "bootstrap").locals["project"]
        assert set(boundaries) == set(Config.load(tree / "bootstrap").locals["environments"])
        # The root picks its environment's boundary: <project>-boundary-<env>.
        assert all(name == f"{project}-boundary-{env}" for env, name in boundaries.items())
        assert root.locals["permissions_boundary_arn"].endswith(
            f":policy/{project}-boundary-${{var.environment}}"
        )


def test_the_deploy_role_creates_roles_only_under_its_environments_boundary() -> None:
    cfg = Config.load(ROOT / "bootstrap")
    for env in cfg.locals["environments"]:
        statements = {
            st["sid"]: st for doc, st in cfg.policy_statements() if doc.startswith(f"deploy_{env}_")
        }
        write = statements["WriteRolesUnderBoundary"]
        assert {"iam:CreateRole", "iam:PutRolePolicy", "iam:UpdateAssumeRolePolicy"} <= set(
            write["actions"]
        )
        condition = as_list(write["condition"])[0]
        assert condition["variable"] == "iam:PermissionsBoundary"
        assert condition["values"] == [
            f"arn:${{local.partition}}:iam::${{local.account_id}}:policy/acme-boundary-{env}"
        ]
        allowed = {
            a
            for st in statements.values()
            if st.get("effect") != "Deny"
            for a in as_list(st.get("actions"))
        }
        assert "iam:DeleteRolePermissionsBoundary" not in allowed
        for sid, st in statements.items():
            if sid != "WriteRolesUnderBoundary" and st.get("effect") != "Deny":
                assert not {"iam:CreateRole", "iam:UpdateAssumeRolePolicy"} & set(
                    as_list(st.get("actions"))
                ), sid
        # Roles are named <project>-<env>-*; the deploy roles themselves are <project>-deploy-<env>.
        # Service-linked roles (RDS, ElastiCache, ECS, App Runner) are AWS's: created, never
        # written, and only for the services named in the condition.
        linked = statements.get("CreateServiceLinkedRoles")
        if linked is not None:
            assert as_list(linked["actions"]) == ["iam:CreateServiceLinkedRole"]
            assert as_list(linked["condition"])[0]["variable"] == "iam:AWSServiceName"
            assert all(":role/aws-service-role/" in r for r in as_list(linked["resources"]))
        for sid, st in statements.items():
            if st.get("effect") == "Deny" or sid == "CreateServiceLinkedRoles":
                continue
            for resource in as_list(st.get("resources")):
                if ":iam::" in resource and ":role/" in resource:
                    assert resource.endswith(f":role/acme-{env}-*") or resource.endswith(
                        f":role/acme-ecs-infrastructure-{env}"
                    ), (env, st["sid"], resource)
