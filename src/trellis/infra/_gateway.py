"""``terraform/gateway.tf``: the API gateway, its JWT authorizers and the containers' origin secret."""

from __future__ import annotations

from typing import Any, Final

from trellis import naming
from trellis.infra._common import KEY_ARN, MODULE_SOURCE, module_label, with_log_key
from trellis.infra._hcl import Block, Expr, Tpl
from trellis.infra._hcl import value as hcl_value
from trellis.kinds._encryption import customer_key
from trellis.kinds._terraform import ENV
from trellis.manifest import HEALTH_PATH, ApiKeyPlan, JwtAuth, Manifest

#: The Lambda package of the JWT authorizer (``trellis build --all`` writes it when needed).
AUTHORIZER_PACKAGE: Final = "trellis_jwt_authorizer.zip"
AUTHORIZER_HANDLER: Final = "trellis.authorizer.handler"


def jwt_authorizers(manifest: Manifest) -> dict[str, tuple[JwtAuth, list[str]]]:
    """Each JWT issuer config the gateway needs an authorizer for, with the services using it.

    ``default`` is the project's ``[auth.jwt]``; a service with its own
    ``[services.<name>.jwt]`` gets an authorizer named after it.
    """
    out: dict[str, tuple[JwtAuth, list[str]]] = {}
    for service, spec in manifest.services.items():
        if spec.route is None or "jwt" not in manifest.auth_modes(service):
            continue
        key = service if spec.jwt is not None else "default"
        config = manifest.jwt_config(service)
        assert config is not None  # the manifest refuses jwt without an issuer
        out.setdefault(key, (config, []))[1].append(service)
    return out


def _authorizer_environment(manifest: Manifest, config: JwtAuth) -> dict[str, Any]:
    """The authorizer's env vars; a value some environment overrides becomes a map lookup."""
    envs = manifest.project.environments

    def values(env: str) -> dict[str, str]:
        c = config.for_environment(env)
        out = {"TRELLIS_JWT_ISSUER": c.issuer, "TRELLIS_JWT_AUDIENCE": ",".join(c.audience)}
        if c.jwks_url:
            out["TRELLIS_JWT_JWKS_URL"] = c.jwks_url
        return out

    per_env = {env: values(env) for env in envs}
    names = dict.fromkeys(name for env in envs for name in per_env[env])
    result: dict[str, Any] = {}
    for name in names:
        seen = {per_env[env].get(name, "") for env in envs}
        if len(seen) == 1:
            result[name] = seen.pop()
        else:
            # A map literal of plain (escaped) strings: no manifest text becomes an expression.
            table = hcl_value({env: per_env[env].get(name, "") for env in envs})
            result[name] = Expr(f"{table}[var.environment]")
    return result


def _authorizer_function_name(manifest: Manifest, key: str) -> str:
    return naming.authorizer_function_name(
        manifest.project.name, ENV, None if key == "default" else key
    )


def _authorizer_modules(manifest: Manifest) -> list[Block]:
    blocks = []
    for key, (config, services) in jwt_authorizers(manifest).items():
        name = _authorizer_function_name(manifest, key)
        env = _authorizer_environment(manifest, config)
        blocks.append(
            with_log_key(
                Block(
                    "module",
                    [f"jwt_authorizer_{key.replace('-', '_')}"],
                    comment=f"Verifies the bearer tokens of {', '.join(services)} (trellis.authorizer).",
                )
                .attr("source", MODULE_SOURCE["lambda"])
                .attr("name", Tpl(name))
                .attr("package_file", Tpl(f"${{var.artifacts_dir}}/{AUTHORIZER_PACKAGE}"))
                .attr("handler", AUTHORIZER_HANDLER)
                .attr("memory_mb", 256)
                .attr("timeout_seconds", 5)
                .attr("environment_variables", env)
                .attr("permissions_boundary_arn", Expr("local.permissions_boundary_arn"))
                .attr("log_retention_days", Expr("var.log_retention_days"))
                .attr("alarm_actions", Expr("local.alarm_actions")),
                manifest,
            )
        )
    return blocks


def _route_paths(manifest: Manifest, service: str, authorizer: str | None) -> dict[str, Any]:
    """The module's ``paths``: ``/health`` open, each ``route_auth`` prefix and its parents."""

    def node(mode: str, greedy: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {"auth": mode}
        if mode == "jwt":
            out["jwt_authorizer"] = authorizer
        if not greedy:
            out["greedy"] = False
        return out

    paths: dict[str, Any] = {HEALTH_PATH.strip("/"): node("none", greedy=False)}
    for prefix in manifest.services[service].route_auth:
        parts = prefix.strip("/").split("/")
        for depth in range(1, len(parts) + 1):
            path = "/".join(parts[:depth])
            mode = manifest.auth_for(service, "/" + path)
            assert mode is not None
            paths[path] = node(mode)
    return dict(sorted(paths.items()))


def gateway_blocks(manifest: Manifest) -> list[Block]:
    routes: dict[str, dict[str, Any]] = {}
    authorizers = jwt_authorizers(manifest)
    authorizer_of = {s: key for key, (_c, services) in authorizers.items() for s in services}
    containers = False
    for service, spec in manifest.services.items():
        if spec.route is None:
            continue
        # One segment: the manifest refuses more.
        part = spec.route.strip("/")
        label = module_label("service", service)
        if spec.runtime == "lambda":
            route: dict[str, Any] = {
                "path_part": part,
                "lambda_function_name": Expr(f"module.{label}.invoke_function_name"),
                "lambda_invoke_arn": Expr(f"module.{label}.invoke_arn"),
            }
        else:
            containers = True
            route = {"path_part": part, "http_url": Expr(f"module.{label}.url")}
        assert spec.auth is not None  # the manifest refuses a routed service without auth
        authorizer = authorizer_of.get(service)
        route["auth"] = spec.auth
        if spec.auth == "jwt":
            route["jwt_authorizer"] = authorizer
        route["paths"] = _route_paths(manifest, service, authorizer)
        if "api_key" in manifest.auth_modes(service):
            plan = spec.api_key or ApiKeyPlan()
            route["usage_plan"] = {
                "rate_limit": plan.rate_limit,
                "burst_limit": plan.burst_limit,
                **({"quota_per_day": plan.quota_per_day} if plan.quota_per_day else {}),
            }
        routes[service] = route
    if not routes:
        return []
    blocks = _authorizer_modules(manifest)
    gateway = (
        Block("module", ["gateway"])
        .attr("source", "./modules/api-gateway")
        .attr("name", Tpl(f"{manifest.project.name}-{ENV}"))
        .attr("routes", routes)
    )
    if authorizers:
        gateway.attr(
            "jwt_authorizers",
            {
                key: {
                    "function_name": Expr(
                        f"module.jwt_authorizer_{key.replace('-', '_')}.function_name"
                    ),
                    "invoke_arn": Expr(f"module.jwt_authorizer_{key.replace('-', '_')}.invoke_arn"),
                }
                for key in authorizers
            },
        )
    if containers:
        blocks.extend(_origin_secret(manifest))
        gateway.attr("origin_secret", Expr("terraform_data.origin_secret.output"))
    gateway.attr("log_retention_days", Expr("var.log_retention_days"))
    gateway.attr("alarm_actions", Expr("local.alarm_actions"))
    blocks.append(with_log_key(gateway, manifest))
    return blocks


def _origin_secret(manifest: Manifest) -> list[Block]:
    """The gateway's origin secret: generated once, kept in Secrets Manager, sent to containers.

    Generated by Terraform itself (two ``uuid()``, 244 random bits, kept by
    ``ignore_changes``): no data source, so a plan needs no permission, and the
    value is written to Secrets Manager write-only, so the deploy role never reads
    a secret value. It is in the state all the same: the integration sends it.
    """
    name = naming.origin_secret_name(manifest.project.name, ENV)
    secret = (
        Block("resource", ["aws_secretsmanager_secret", "origin"])
        .attr("name", Tpl(name))
        .attr("description", "Proof that a request came through the API gateway (Trellis).")
        .attr("recovery_window_in_days", 7)
    )
    if customer_key(manifest):
        secret.attr("kms_key_id", KEY_ARN)
    return [
        Block(
            "resource",
            ["terraform_data", "origin_secret"],
            comment="Container services refuse requests without it (X-Trellis-Origin): "
            "their own URLs bypass the gateway's auth, throttling and logs otherwise. "
            "Rotate: terraform apply -replace=terraform_data.origin_secret",
        )
        .attr("input", Expr('"${replace(uuid(), "-", "")}${replace(uuid(), "-", "")}"'))
        .block(Block("lifecycle").attr("ignore_changes", Expr("[input]"))),
        secret,
        Block("resource", ["aws_secretsmanager_secret_version", "origin"])
        .attr("secret_id", Expr("aws_secretsmanager_secret.origin.id"))
        .attr("secret_string_wo", Expr("terraform_data.origin_secret.output"))
        .attr("secret_string_wo_version", 1)
        .block(
            Block("lifecycle").attr("replace_triggered_by", Expr("[terraform_data.origin_secret]"))
        ),
    ]
