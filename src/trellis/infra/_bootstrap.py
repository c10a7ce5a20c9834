"""``bootstrap/manifest.tf``: the deploy layer's policies (``_deploy``) as policy documents, and
the locals bootstrap/'s hand-written files read."""

from __future__ import annotations

from trellis.infra._common import boundary_policy_name
from trellis.infra._deploy import (
    TERRAFORM_WORKFLOW,
    DeployStatement,
    boundary_statements,
    deploy_policy_parts,
    plan_environment,
    plan_statements,
    state_bucket_statements,
    used_deploy_kinds,
)
from trellis.infra._hcl import Block, Expr, Tpl
from trellis.manifest import Manifest


def _deploy_value(template: str) -> Tpl:
    return Tpl(
        template.replace("{p}", "${local.partition}")
        .replace("{r}", "${local.region}")
        .replace("{a}", "${local.account_id}")
        .replace("{state}", "${local.state_name}")
    )


def _document(label: str, statements: list[DeployStatement], comment: str) -> Block:
    doc = Block("data", ["aws_iam_policy_document", label], comment=comment)
    for s in statements:
        st = Block("statement").attr("sid", s.sid)
        if s.effect != "Allow":
            st.attr("effect", s.effect)
        st.attr("not_actions" if s.not_actions else "actions", sorted(s.actions))
        st.attr(
            "not_resources" if s.not_resources else "resources",
            [_deploy_value(r) for r in s.resources],
        )
        if s.principal is not None:
            st.block(Block("principals").attr("type", "*").attr("identifiers", [s.principal]))
        for test, variable, values in s.conditions:
            st.block(
                Block("condition")
                .attr("test", test)
                .attr("variable", variable)
                .attr("values", [_deploy_value(v) for v in values])
            )
        doc.block(st)
    return doc


def _deploy_refs(manifest: Manifest) -> dict[str, list[str]]:
    """The git refs each environment deploys from: main for the first, release tags after it."""
    envs = manifest.project.environments
    return {env: ["refs/heads/main"] if i == 0 else ["refs/tags/v*"] for i, env in enumerate(envs)}


def bootstrap_blocks(manifest: Manifest) -> list[Block]:
    containers = sorted(s for s, spec in manifest.services.items() if spec.runtime != "lambda")
    envs = manifest.project.environments
    parts = {env: deploy_policy_parts(manifest, env) for env in envs}
    locals_ = (
        Block("locals")
        .attr("project", manifest.project.name)
        .attr("region", manifest.project.region)
        .attr("github_repository", manifest.project.github_repository)
        .attr("environments", list(envs))
        .attr("plan_environment", plan_environment(manifest))
        .attr("terraform_workflow", TERRAFORM_WORKFLOW)
        .attr("default_deploy_refs", _deploy_refs(manifest))
        .attr("container_services", containers)
        .attr(
            "uses_ecs_express", any(s.runtime == "ecs-express" for s in manifest.services.values())
        )
        .attr("deploy_kinds", used_deploy_kinds(manifest))
        .attr("boundary_names", {env: boundary_policy_name(manifest, env) for env in envs})
        .attr(
            "deploy_policies",
            {
                env: [
                    Expr(f"data.aws_iam_policy_document.deploy_{env}_{i}.json")
                    for i in range(1, len(parts[env]) + 1)
                ]
                for env in envs
            },
        )
        .attr(
            "boundary_policies",
            {env: Expr(f"data.aws_iam_policy_document.boundary_{env}.json") for env in envs},
        )
        .attr("plan_policy", Expr("data.aws_iam_policy_document.plan.json"))
        .attr("state_bucket_policy", Expr("data.aws_iam_policy_document.state_bucket.json"))
    )
    blocks = [locals_]
    for env in envs:
        for i, part in enumerate(parts[env], start=1):
            blocks.append(
                _document(
                    f"deploy_{env}_{i}",
                    part,
                    f"What the {env} deploy role may do ({i} of {len(parts[env])}): "
                    f"the kinds the manifest uses, {env}'s names only.",
                )
            )
    for env in envs:
        blocks.append(
            _document(
                f"boundary_{env}",
                boundary_statements(manifest, env),
                f"The most any role the {env} deploy role creates may do.",
            )
        )
    blocks.append(
        _document(
            "plan",
            plan_statements(manifest),
            f"Pull requests plan {plan_environment(manifest)} with -refresh=false: its state, read only.",
        )
    )
    blocks.append(
        _document(
            "state_bucket",
            state_bucket_statements(manifest),
            "Each environment's state: written only by its deploy role.",
        )
    )
    return blocks
