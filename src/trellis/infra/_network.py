"""The network and what lives in it: ``terraform/network.tf``, ``cache_users.tf``, ``db_admin.tf``,
and the per-service pieces ``service_<name>.tf`` needs (its ``vpc`` and its connection URLs)."""

from __future__ import annotations

from collections.abc import Callable

from trellis import kinds, naming
from trellis.infra._common import MODULE_SOURCE, physical, with_log_key
from trellis.infra._hcl import Block, Expr, Tpl
from trellis.kinds import CACHE, DATABASE, ResourceKind
from trellis.kinds._cache import cache_url
from trellis.kinds._database import MIGRATIONS_DIR, database_url
from trellis.kinds._network import DB_ADMIN_GROUP, network_arguments
from trellis.kinds._terraform import ENV, module_name
from trellis.manifest import DATABASE_MASTER_USER, DB_ADMIN, Manifest

#: The admin function's handler (``trellis.runtime.database.admin``, the runtime's).
DB_ADMIN_HANDLER = "trellis.runtime.database.admin.handler"
#: Its package under ``var.artifacts_dir`` (``trellis build --db-admin``).
DB_ADMIN_PACKAGE = "db-admin.zip"


def network_blocks(manifest: Manifest) -> list[Block]:
    m = Block("module", ["network"]).attr("source", "./modules/network")
    for argument, value in network_arguments(manifest):
        m.attr(argument, value)
    return [m]


def cache_users_blocks(manifest: Manifest) -> list[Block]:
    """One ElastiCache user per service that uses a cache (ids are account-wide)."""
    users = {
        service: Tpl(kinds.cache_user(manifest.project.name, ENV, service))
        for service in manifest.services
        if any(service in manifest.cache_users(c) for c in manifest.specs(CACHE))
    }
    return [
        Block("module", ["cache_users"])
        .attr("source", "./modules/elasticache-users")
        .attr("users", users)
    ]


def vpc_argument(group: str) -> dict[str, Expr]:
    """The lambda-service module's ``vpc``: the private subnets and the service's own group."""
    return {
        "vpc_arn": Expr("module.network.vpc_arn"),
        "subnet_ids": Expr("module.network.private_subnet_ids"),
        "subnet_arns": Expr("module.network.private_subnet_arns"),
        "security_group_id": Expr(f'module.network.security_group_ids["{group}"]'),
        "security_group_arn": Expr(f'module.network.security_group_arns["{group}"]'),
    }


def connector_argument(group: str) -> dict[str, Expr]:
    """The apprunner-service module's ``vpc``: its VPC connector's private subnets and own group."""
    return {
        "subnet_ids": Expr("module.network.private_subnet_ids"),
        "security_group_id": Expr(f'module.network.security_group_ids["{group}"]'),
    }


def express_network_arguments(group: str) -> dict[str, Expr | list[Expr]]:
    """The ecs-express-service module's network: the public subnets and the service's group."""
    return {
        "subnet_ids": Expr("module.network.public_subnet_ids"),
        "security_group_ids": [Expr(f'module.network.security_group_ids["{group}"]')],
    }


def _endpoint(kind: str, name: str) -> tuple[str, str]:
    label = f"module.{module_name(kind, name)}"
    return f"${{{label}.endpoint}}", f"${{{label}.port}}"


#: ``(kind, resource name) → (host, port)`` of a database or cache.
Endpoint = Callable[[str, str], tuple[str, str]]


def connection_urls(
    manifest: Manifest, service: str, env: str = ENV, endpoint: Endpoint = _endpoint
) -> dict[str, str]:
    """The database and cache URLs of a deployed service: its own user in each (the contract).

    ``endpoint`` gives the host and port: the modules' outputs in Terraform (the
    default), AWS's host name shapes for ``trellis env``.
    """
    urls: dict[str, str] = {}
    for resource, levels in manifest.uses(service, "database"):
        if "connect" in levels:
            host, port = endpoint("database", resource)
            user = kinds.database_user(service)
            urls[_var("database", resource)] = database_url(user, host, port, resource)
    for resource, levels in manifest.uses(service, "cache"):
        if "readwrite" in levels:
            host, port = endpoint("cache", resource)
            user = kinds.cache_user(manifest.project.name, env, service)
            ident = kinds.cache_identifier(manifest.project.name, env, resource)
            urls[_var("cache", resource)] = cache_url(user, host, port, ident)
    return urls


def aws_endpoint(manifest: Manifest, env: str) -> Endpoint:
    """The host names AWS gives (``??????``: the part it picks at creation), for ``trellis env``."""
    region = manifest.project.region

    def endpoint(kind: str, name: str) -> tuple[str, str]:
        if kind == "database":
            ident = kinds.database_identifier(manifest.project.name, env, name)
            cluster = "cluster-" if manifest.specs(DATABASE)[name].mode == "serverless" else ""
            return f"{ident}.{cluster}??????.{region}.rds.amazonaws.com", "5432"
        ident = kinds.cache_identifier(manifest.project.name, env, name)
        return f"{ident}-??????.serverless.??????.cache.amazonaws.com", "6379"

    return endpoint


def _var(kind: ResourceKind, name: str) -> str:
    return naming.env_var_name(kind, name)


def db_admin_blocks(manifest: Manifest) -> list[Block]:
    """The environment's database admin function: users, grants and migrations, in the VPC."""
    databases = manifest.specs(DATABASE)
    doc = Block(
        "data",
        ["aws_iam_policy_document", "db_admin"],
        comment="The master secrets of this environment's databases, and nothing else.",
    )
    doc.block(
        Block("statement")
        .attr("sid", "ReadMasterSecrets")
        .attr("actions", ["secretsmanager:GetSecretValue"])
        .attr(
            "resources",
            [Expr(f"module.{module_name('database', d)}.master_secret_arn") for d in databases],
        )
    )
    env_vars: dict[str, object] = {
        "TRELLIS_PROJECT": manifest.project.name,
        "TRELLIS_ENV": Tpl(ENV),
        "TRELLIS_SERVICE": DB_ADMIN,
        "LOG_LEVEL": "INFO",
    }
    for name in databases:
        var = _var("database", name)
        host, port = _endpoint("database", name)
        label = module_name("database", name)
        env_vars[var] = Tpl(database_url(DATABASE_MASTER_USER, host, port, name))
        env_vars[f"{var.removesuffix('_URL')}_MASTER_SECRET_ARN"] = Expr(
            f"module.{label}.master_secret_arn"
        )
        # Who gets a login (rds_iam) and whose migrations run: the services that declare connect.
        env_vars[f"{var.removesuffix('_URL')}_USERS"] = ",".join(
            kinds.database_user(s) for s in manifest.database_users(name)
        )
        # Where `trellis build --db-admin` puts each service's migrations/ in the package.
        env_vars[f"{var.removesuffix('_URL')}_MIGRATIONS"] = ",".join(
            f"{s}={MIGRATIONS_DIR}/{s}" for s in manifest.database_users(name)
        )
    m = (
        Block(
            "module",
            ["db_admin"],
            comment='Invoked by the deploy workflow after apply: {"database": "<name>"}.',
        )
        .attr("source", MODULE_SOURCE["lambda"])
        .attr("name", physical(manifest, DB_ADMIN))
        .attr("package_file", Tpl(f"${{var.artifacts_dir}}/{DB_ADMIN_PACKAGE}"))
        .attr("handler", DB_ADMIN_HANDLER)
        .attr("memory_mb", 512)
        .attr("timeout_seconds", 300)
        .attr("environment_variables", dict(sorted(env_vars.items())))
        .attr("policy_json", Expr("data.aws_iam_policy_document.db_admin.json"))
        .attr("permissions_boundary_arn", Expr("local.permissions_boundary_arn"))
        .attr("vpc", vpc_argument(DB_ADMIN_GROUP))
        .attr("log_retention_days", Expr("var.log_retention_days"))
        .attr("alarm_actions", Expr("local.alarm_actions"))
    )
    return [doc, with_log_key(m, manifest)]


def db_admin_output(manifest: Manifest) -> Block:
    return (
        Block("output", ["db_admin"])
        .attr(
            "description",
            "The databases' admin function and the databases it migrates (the deploy workflow invokes it).",
        )
        .attr(
            "value",
            {
                "function_name": Expr("module.db_admin.function_name"),
                "databases": list(manifest.specs(DATABASE)),
            },
        )
    )
