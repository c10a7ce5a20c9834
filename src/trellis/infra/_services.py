"""``terraform/service_<name>.tf``: a service's module (its runtime's) and its execution-role policy."""

from __future__ import annotations

from trellis.iam import service_statements
from trellis.infra._common import MODULE_SOURCE, module_label, physical, with_log_key
from trellis.infra._hcl import Block, Expr, Tpl
from trellis.infra._network import (
    connection_urls,
    connector_argument,
    express_network_arguments,
    vpc_argument,
)
from trellis.infra.addresses import TerraformAddresses
from trellis.kinds import QUEUE
from trellis.kinds._terraform import ENV, TF_ARNS
from trellis.manifest import Manifest
from trellis.tracing import tracing_environment
from trellis.wiring import service_environment


def _policy_document(manifest: Manifest, service: str) -> Block:
    """The execution-role policy: ``trellis.iam.service_statements`` with Terraform ARNs."""
    doc = Block(
        "data",
        ["aws_iam_policy_document", service.replace("-", "_")],
        comment=f"Exactly the access levels services.{service}.uses declares (trellis.iam).",
    )
    for s in service_statements(manifest, service, ENV, TF_ARNS):
        st = (
            Block("statement")
            .attr("sid", s.sid)
            .attr("actions", sorted(s.actions))
            .attr("resources", [Tpl(r) for r in s.resources])
        )
        for test, variable, values in s.conditions:
            st.block(
                Block("condition")
                .attr("test", test)
                .attr("variable", variable)
                .attr("values", [Tpl(v) for v in values])
            )
        doc.block(st)
    return doc


def service_blocks(manifest: Manifest, service: str) -> list[Block]:
    spec = manifest.services[service]
    has_policy = bool(service_statements(manifest, service, ENV, TF_ARNS))
    env_vars = service_environment(manifest, service, ENV, TerraformAddresses())
    # A database or cache URL carries the service's own user: per service, not per resource.
    env_vars.update(connection_urls(manifest, service))
    # Deployed only: `trellis dev` sends the same spans to its own receiver.
    env_vars.update(tracing_environment(manifest, service))
    label = module_label("service", service)
    policy = f"data.aws_iam_policy_document.{service.replace('-', '_')}.json"
    m = Block("module", [label]).attr("source", MODULE_SOURCE[spec.runtime])
    m.attr("name", physical(manifest, service))
    m.attr("tags", {"Name": physical(manifest, service), **spec.tags})
    if spec.runtime == "lambda":
        handler = manifest.lambda_handler(service)
        m.attr("package_file", Tpl(f"${{var.artifacts_dir}}/{service}.zip"))
        m.attr("handler", handler)
        m.attr("memory_mb", spec.memory_mb).attr("timeout_seconds", spec.timeout_s)
        if manifest.project.python != "3.11":
            m.attr("runtime", f"python{manifest.project.python}")
        if spec.snap_start:
            m.attr("snap_start", True)
        if spec.reserved_concurrency is not None:
            m.attr("reserved_concurrency", spec.reserved_concurrency)
    else:
        m.attr("image", Expr(f'var.container_images["{service}"]'))
        m.attr("port", spec.port)
    # Only derived values are templates; what the manifest's `env` says is a literal
    # (a `${...}` in it must never be evaluated by Terraform on the CI runner).
    m.attr(
        "environment_variables",
        {k: v if k in spec.env else Tpl(v) for k, v in env_vars.items()},
    )
    if has_policy:
        m.attr("policy_json", Expr(policy))
    m.attr("permissions_boundary_arn", Expr("local.permissions_boundary_arn"))
    if service in manifest.network_services():
        # A Lambda function runs in the private subnets; an App Runner service sends its
        # egress there through a VPC connector (its ingress stays public: the gateway's
        # origin secret guards it); an ECS Express service's load balancer and tasks run in
        # the public subnets (an internal load balancer would be out of the gateway's reach),
        # and its group is the one the databases and caches admit.
        if spec.runtime == "lambda":
            m.attr("vpc", vpc_argument(service))
        elif spec.runtime == "apprunner":
            m.attr("vpc", connector_argument(service))
        else:
            for argument, value in express_network_arguments(service).items():
                m.attr(argument, value)
    if spec.runtime == "lambda":
        sources = {
            queue: {
                "queue_arn": Expr(f"module.{module_label('queue', queue)}.arn"),
                "batch_size": manifest.specs(QUEUE)[queue].batch_size,
                "batching_window_seconds": manifest.specs(QUEUE)[queue].batching_window_s,
                "max_concurrency": manifest.specs(QUEUE)[queue].max_concurrency,
            }
            for queue, levels in manifest.uses(service, "queue")
            if "consume" in levels
        }
        if sources:
            m.attr("sqs_event_sources", sources)
        m.attr("log_retention_days", Expr("var.log_retention_days"))
        with_log_key(m, manifest)
    elif spec.runtime == "ecs-express":
        m.attr("log_retention_days", Expr("var.log_retention_days"))
        with_log_key(m, manifest)
        # bootstrap/ makes it (it manages load balancers: no service boundary fits it).
        m.attr(
            "infrastructure_role_arn",
            Tpl(
                f"arn:${{local.partition}}:iam::${{local.account_id}}:role/{manifest.project.name}-ecs-infrastructure-{ENV}"
            ),
        )
    # Every runtime's module renders its own alarms (errors, throttles, duration, 5xx, CPU, memory).
    m.attr("alarm_actions", Expr("local.alarm_actions"))
    consumes = [q for q, levels in manifest.uses(service, "queue") if "consume" in levels]
    if consumes and spec.runtime != "lambda":
        m.comment = f"Consumes {', '.join(consumes)} with its own loop (no event source mapping for containers)."
    return [_policy_document(manifest, service), m] if has_policy else [m]
