"""The root configuration under ``terraform/``: one file per resource (its kind's module and
arguments, from the registry), per service, the gateway, and the shared files."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from trellis import kinds
from trellis.infra._alarms import alarm_blocks, alarm_locals
from trellis.infra._common import (
    AWS_PROVIDER_VERSION,
    KEY_ARN,
    TERRAFORM_VERSION,
    boundary_policy_name,
    header,
    module_label,
    production_environment,
)
from trellis.infra._deploy import ENV_TAG
from trellis.infra._gateway import gateway_blocks, jwt_authorizers
from trellis.infra._hcl import Block, Expr, Tpl, attributes, document
from trellis.infra._key import key_blocks
from trellis.infra._network import (
    cache_users_blocks,
    db_admin_blocks,
    db_admin_output,
    network_blocks,
)
from trellis.infra._services import service_blocks
from trellis.kinds import ResourceKind
from trellis.kinds._encryption import customer_key
from trellis.kinds._terraform import ENV, module_name
from trellis.manifest import Manifest, resource_tags


def _versions(manifest: Manifest) -> list[Block]:
    terraform = Block("terraform").attr("required_version", TERRAFORM_VERSION)
    terraform.block(
        Block("required_providers").attr(
            "aws", {"source": "hashicorp/aws", "version": AWS_PROVIDER_VERSION}
        )
    )
    terraform.block(
        Block(
            "backend",
            ["s3"],
            comment="Settings per environment: environments/<env>.backend.hcl (+ bucket=...)",
        )
    )
    provider = Block("provider", ["aws"]).attr("region", Expr("var.region"))
    provider.block(Block("default_tags").attr("tags", Expr("local.tags")))
    return [terraform, provider]


def _variables(manifest: Manifest) -> list[Block]:
    envs = manifest.project.environments
    runtimes = {s.runtime for s in manifest.services.values()}
    blocks = [
        Block("variable", ["environment"])
        .attr("description", "Environment to deploy: one of the manifest's environments.")
        .attr("type", Expr("string"))
        .block(
            Block("validation")
            .attr("condition", Expr(f"contains({json.dumps(envs)}, var.environment)"))
            .attr("error_message", f"The environment is one of: {', '.join(envs)}.")
        ),
        Block("variable", ["region"])
        .attr("description", "AWS region of the stack.")
        .attr("type", Expr("string"))
        .attr("default", manifest.project.region),
        Block("variable", ["production"])
        .attr(
            "description",
            "Production environment: point-in-time recovery on every table, whatever the manifest says.",
        )
        .attr("type", Expr("bool"))
        .attr("default", False),
        Block("variable", ["log_retention_days"])
        .attr("description", "Days CloudWatch keeps service and gateway logs.")
        .attr("type", Expr("number"))
        .attr("default", 30),
        Block("variable", ["deletion_protection"])
        .attr("description", "Deletion protection on tables whose manifest entry asks for it.")
        .attr("type", Expr("bool"))
        .attr("default", True),
    ]
    if "lambda" in runtimes or jwt_authorizers(manifest) or manifest.specs(kinds.DATABASE):
        blocks.append(
            Block("variable", ["artifacts_dir"])
            .attr(
                "description",
                "Directory (relative to terraform/) holding one <service>.zip Lambda package per service.",
            )
            .attr("type", Expr("string"))
            .attr("default", "../dist")
        )
    containers = sorted(s for s, spec in manifest.services.items() if spec.runtime != "lambda")
    if containers:
        blocks.append(
            Block("variable", ["container_images"])
            .attr("description", "ECR image URI (tag or digest) of each container service.")
            .attr("type", Expr("map(string)"))
            .block(
                Block("validation")
                .attr(
                    "condition",
                    Expr(
                        f"length(setsubtract({json.dumps(containers)}, keys(var.container_images))) == 0"
                    ),
                )
                .attr("error_message", f"Give an image for: {', '.join(containers)}.")
            )
        )
    return blocks


def _main(manifest: Manifest) -> list[Block]:
    locals_ = _locals(manifest)
    return [
        Block("data", ["aws_caller_identity", "current"]),
        Block("data", ["aws_partition", "current"]),
        locals_,
    ]


def _locals(manifest: Manifest) -> Block:
    project = manifest.project.name
    locals_ = (
        Block("locals")
        .attr("project", project)
        .attr("region", Expr("var.region"))
        .attr("account_id", Expr("data.aws_caller_identity.current.account_id"))
        .attr("partition", Expr("data.aws_partition.current.partition"))
    )
    # Where each environment's alarms go ([alarms] of the manifest); every alarm notifies these.
    for name, value in alarm_locals(manifest):
        locals_.attr(name, value)
    return locals_.attr(
        "permissions_boundary_arn",
        Tpl(
            f"arn:${{data.aws_partition.current.partition}}:iam::${{data.aws_caller_identity.current.account_id}}:policy/{boundary_policy_name(manifest)}"
        ),
    ).attr(
        "tags",
        {
            "trellis-project": project,
            # The deploy role reaches resources whose ARNs carry no name by this tag.
            ENV_TAG: Expr("var.environment"),
            "managed-by": "trellis",
            # The manifest refuses project tags that would replace the three above.
            **manifest.project.tags,
        },
    )


def _resource_module(manifest: Manifest, kind: ResourceKind, name: str) -> Block:
    """The module block of one resource: its kind's module and arguments (``trellis.kinds``)."""
    entry = kinds.kind(kind)
    m = Block("module", [module_name(kind, name)]).attr(
        "source", f"./modules/{entry.terraform_module}"
    )
    spec = manifest.specs(entry)[name]
    for argument, value in entry.terraform_arguments(manifest, name, spec):
        m.attr(argument, value)
    if customer_key(manifest) and entry.key_argument is not None and entry.takes_key(spec):
        m.attr(entry.key_argument, KEY_ARN)
    # The provider's default_tags carry the project's; each resource adds its Name and own tags.
    physical_name = entry.physical_name(manifest.project.name, ENV, name, spec)
    m.attr("tags", {"Name": Tpl(physical_name), **resource_tags(spec)})
    return m


def _outputs(manifest: Manifest) -> list[Block]:
    blocks: list[Block] = []
    if any(s.route for s in manifest.services.values()):
        blocks.append(
            Block("output", ["gateway_url"])
            .attr("description", "Base URL of the API gateway; services are under /<route>/.")
            .attr("value", Expr("module.gateway.invoke_url"))
        )
    if manifest.specs(kinds.DATABASE):
        blocks.append(db_admin_output(manifest))
    blocks.append(
        Block("output", ["service_role_arns"])
        .attr("description", "The own role of each service.")
        .attr(
            "value",
            {s: Expr(f"module.{module_label('service', s)}.role_arn") for s in manifest.services},
        )
    )
    return blocks


def _file_name(kind: str, name: str) -> str:
    return f"terraform/{kind}_{name.replace('-', '_')}.tf"


def _tfvars(manifest: Manifest, env: str) -> dict[str, Any]:
    prod = env == production_environment(manifest)
    return {
        "environment": env,
        "production": prod,
        "log_retention_days": 365 if prod else 14,
        "deletion_protection": prod,
    }


def _backend(manifest: Manifest, env: str) -> dict[str, Any]:
    return {
        "key": f"{manifest.project.name}/{env}/terraform.tfstate",
        "region": manifest.project.region,
        "encrypt": True,
        "use_lockfile": True,
    }


def root_files(manifest: Manifest, manifest_name: str) -> Iterator[tuple[str, str]]:
    head = header(manifest_name)
    yield "terraform/versions.tf", document(head, _versions(manifest))
    yield "terraform/variables.tf", document(head, _variables(manifest))
    yield "terraform/main.tf", document(head, _main(manifest))
    if customer_key(manifest):
        yield "terraform/key.tf", document(head, key_blocks(manifest))
    for kind, name, _spec in manifest.resources():
        yield _file_name(kind, name), document(head, [_resource_module(manifest, kind, name)])
    if manifest.needs_network():
        yield "terraform/network.tf", document(head, network_blocks(manifest))
    if any(manifest.cache_users(c) for c in manifest.specs(kinds.CACHE)):
        yield "terraform/cache_users.tf", document(head, cache_users_blocks(manifest))
    if manifest.specs(kinds.DATABASE):
        yield "terraform/db_admin.tf", document(head, db_admin_blocks(manifest))
    for service in manifest.services:
        yield _file_name("service", service), document(head, service_blocks(manifest, service))
    alarms = alarm_blocks(manifest)
    if alarms:
        yield "terraform/alarms.tf", document(head, alarms)
    gateway = gateway_blocks(manifest)
    if gateway:
        yield "terraform/gateway.tf", document(head, gateway)
    yield "terraform/outputs.tf", document(head, _outputs(manifest))
    backend_header = (
        head + "\nterraform init -backend-config=environments/{env}.backend.hcl "
        "-backend-config=bucket=<state bucket from bootstrap/>"
    )
    for env in manifest.project.environments:
        yield f"terraform/environments/{env}.tfvars", attributes(head, _tfvars(manifest, env))
        yield (
            f"terraform/environments/{env}.backend.hcl",
            attributes(backend_header.format(env=env), _backend(manifest, env)),
        )
