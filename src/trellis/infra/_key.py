"""``terraform/key.tf``: the environment's customer-managed KMS key (``encryption = "customer"``).

Every resource that takes a key gets ``module.key.arn`` (``trellis.infra._root``, the
services' and the gateway's log groups); the key's policy admits the account, the
environment's log groups and the AWS services that deliver into its queues.
"""

from __future__ import annotations

from trellis import kinds, naming
from trellis.infra._hcl import Block, Expr, Tpl
from trellis.kinds._queue import queue_publishers
from trellis.kinds._terraform import ENV
from trellis.manifest import Manifest

_ACCOUNT = "arn:${local.partition}:logs:${local.region}:${local.account_id}"


def key_blocks(manifest: Manifest) -> list[Block]:
    project = manifest.project.name
    n = naming.physical_name(project, ENV, "")[:-1]
    # The log groups the deploy role may create: every service, authorizer and admin
    # function, the gateway's access logs and the container services'.
    log_groups = [
        Tpl(f"{_ACCOUNT}:log-group:{pattern}")
        for pattern in (f"/aws/lambda/{n}-*", f"/aws/apigateway/{n}/*", f"/ecs/{n}-*")
    ]
    deliveries: dict[str, dict[str, Tpl]] = {}
    for queue in manifest.specs(kinds.QUEUE):
        for publisher in queue_publishers(manifest, queue):
            source = publisher["source_arn"]
            assert isinstance(source, Tpl)
            deliveries.setdefault(str(publisher["service"]), {})[source.text] = source
    module = (
        Block(
            "module",
            ["key"],
            comment="Encrypts every resource of the environment that takes a key "
            '([project] encryption = "customer").',
        )
        .attr("source", "./modules/kms-key")
        .attr("alias", Tpl(naming.key_alias(project, ENV)))
        .attr("description", Tpl(f"Data at rest of {n} (Trellis)."))
        .attr("deletion_window_days", Expr("var.production ? 30 : 7"))
        .attr("log_group_arns", log_groups)
    )
    if deliveries:
        module.attr(
            "deliveries",
            {svc: list(sources.values()) for svc, sources in sorted(deliveries.items())},
        )
    module.attr("tags", {"Name": Tpl(naming.physical_name(project, ENV, "key"))})
    return [module]
