"""The gateway's rendered auth: every route's methods get the authorization its manifest says.

The module turns ``routes[*].auth`` and ``routes[*].paths`` into one ANY method per
resource (``locals.methods`` in terraform/modules/api-gateway/main.tf). These tests
read the rendered module call and apply the same rule, so they pin what API
Gateway will enforce per path: NONE only on ``/health`` (and ``auth = "none"``
services), AWS_IAM, api_key_required, or the JWT authorizer.
"""

from __future__ import annotations

from typing import Any

import hcl2
import pytest

from tests.infra.hclconfig import OPTIONS
from trellis.infra import render
from trellis.manifest import Manifest, load_manifest_text

AUTHORIZATION = {"none": "NONE", "api_key": "NONE", "iam": "AWS_IAM", "jwt": "CUSTOM"}


def gateway_call(files: dict[str, str]) -> dict[str, Any]:
    parsed = hcl2.loads(files["terraform/gateway.tf"], serialization_options=OPTIONS)
    modules = parsed["module"] if isinstance(parsed["module"], list) else [parsed["module"]]
    merged: dict[str, Any] = {}
    for module in modules:
        merged.update(module)
    return merged


def methods(route: dict[str, Any]) -> dict[str, tuple[str, bool, str | None]]:
    """Resource path below the prefix → (authorization, api_key_required, authorizer)."""

    def method(spec: dict[str, Any]) -> tuple[str, bool, str | None]:
        auth = spec.get("auth", "iam")
        return AUTHORIZATION[auth], auth == "api_key", spec.get("jwt_authorizer")

    out = {"": method(route), "{proxy+}": method(route)}
    for path, spec in (route.get("paths") or {}).items():
        out[path] = method(spec)
        if spec.get("greedy", True):
            out[f"{path}/{{proxy+}}"] = method(spec)
    return out


def test_the_example_stack_guards_every_route_but_health(example_manifest: Manifest) -> None:
    gateway = gateway_call(render(example_manifest))["gateway"]
    api, worker = gateway["routes"]["api"], gateway["routes"]["worker"]
    assert methods(api) == {
        "": ("CUSTOM", False, "default"),
        "{proxy+}": ("CUSTOM", False, "default"),
        "health": ("NONE", False, None),
    }
    assert methods(worker) == {
        "": ("CUSTOM", False, "default"),
        "{proxy+}": ("CUSTOM", False, "default"),
        "health": ("NONE", False, None),
        "jobs": ("CUSTOM", False, "default"),
        "jobs/{proxy+}": ("CUSTOM", False, "default"),
        # The drain endpoint is for callers with execute-api:Invoke only.
        "jobs/process": ("AWS_IAM", False, None),
        "jobs/process/{proxy+}": ("AWS_IAM", False, None),
    }
    assert set(gateway["jwt_authorizers"]) == {"default"}


def test_only_health_is_open_on_every_kind_of_route(everything_manifest: Manifest) -> None:
    files = render(everything_manifest)
    gateway = gateway_call(files)["gateway"]
    for service, route in gateway["routes"].items():
        for path, (authorization, keyed, _authorizer) in methods(route).items():
            if path == "health":
                assert authorization == "NONE" and not keyed
            else:
                assert authorization != "NONE" or keyed, f"{service} /{path} is open"
    api = methods(gateway["routes"]["api"])
    assert api["admin"][0] == "AWS_IAM"
    assert api["partners/feed"] == ("NONE", True, None)
    assert api["partners"] == ("CUSTOM", False, "default")
    # A service with its own issuer gets its own authorizer.
    assert methods(gateway["routes"]["web"])[""] == ("CUSTOM", False, "web")
    assert methods(gateway["routes"]["legacy"])[""] == ("NONE", True, None)


def test_api_key_routes_get_a_usage_plan_with_the_manifests_throttling(
    everything_manifest: Manifest,
) -> None:
    routes = gateway_call(render(everything_manifest))["gateway"]["routes"]
    assert routes["api"]["usage_plan"] == {
        "rate_limit": 5,
        "burst_limit": 10,
        "quota_per_day": 10000,
    }
    # Defaults when the manifest gives none.
    assert routes["legacy"]["usage_plan"] == {"rate_limit": 10, "burst_limit": 20}
    assert "usage_plan" not in routes["web"]


def test_each_jwt_issuer_gets_an_authorizer_function_configured_from_the_manifest(
    everything_manifest: Manifest,
) -> None:
    modules = gateway_call(render(everything_manifest))
    default = modules["jwt_authorizer_default"]
    assert default["handler"] == "trellis.authorizer.handler"
    env = default["environment_variables"]
    assert env["TRELLIS_JWT_AUDIENCE"] == "kit-web,kit-mobile"
    # dev's own pool, prod the project's: one value per environment.
    assert "eu-west-1_KitUsersDev" in env["TRELLIS_JWT_ISSUER"]
    assert env["TRELLIS_JWT_ISSUER"].count("KitUsers") == 2
    web = modules["jwt_authorizer_web"]
    assert web["environment_variables"]["TRELLIS_JWT_ISSUER"] == "https://kit.eu.auth0.com/"
    assert web["name"] == "kit-${var.environment}-web-jwt_authz"


def test_container_routes_get_the_origin_secret_and_lambda_only_stacks_none(
    everything_manifest: Manifest, example_manifest: Manifest
) -> None:
    files = render(everything_manifest)
    gateway = files["terraform/gateway.tf"]
    assert 'resource "aws_secretsmanager_secret" "origin"' in gateway
    # Written write-only and generated without a data source: neither the deploy role nor the
    # plan role ever reads a secret value.
    assert "secret_string_wo" in gateway and "secret_string =" not in gateway
    assert 'data "aws_secretsmanager' not in gateway
    assert "origin_secret" in gateway_call(files)["gateway"]
    # The containers read it by name with their own role.
    assert "TRELLIS_ORIGIN_SECRET_ID" in files["terraform/service_web.tf"]
    assert "GatewayOriginSecret" in files["terraform/service_legacy.tf"]
    assert "aws_secretsmanager_secret" not in render(example_manifest)["terraform/gateway.tf"]


@pytest.mark.parametrize("mode", ["none", "iam", "api_key"])
def test_a_service_without_jwt_gets_no_authorizer(mode: str) -> None:
    manifest = load_manifest_text(
        '[project]\nname = "acme"\nregion = "us-east-1"\ngithub_repository = "a/b"\n'
        f'environments = ["dev"]\n[services.api]\nruntime = "lambda"\nroute = "/api"\nauth = "{mode}"\n'
    )
    modules = gateway_call(render(manifest))
    assert "jwt_authorizers" not in modules["gateway"]
    assert not any(name.startswith("jwt_authorizer") for name in modules)
    assert methods(modules["gateway"]["routes"]["api"])["{proxy+}"][0] == AUTHORIZATION[mode]


def test_an_issuer_per_environment_renders_as_a_lookup_of_plain_strings() -> None:
    manifest = load_manifest_text(
        '[project]\nname = "acme"\nregion = "us-east-1"\ngithub_repository = "a/b"\n'
        'environments = ["dev", "prod"]\n'
        '[auth.jwt]\nissuer = "https://prod.example.com"\naudience = "web"\n'
        '[auth.jwt.environments.dev]\nissuer = "https://dev.example.com/${x}"\n'
        '[services.api]\nruntime = "lambda"\nroute = "/api"\nauth = "jwt"\n'
    )
    env = gateway_call(render(manifest))["jwt_authorizer_default"]["environment_variables"]
    assert env["TRELLIS_JWT_AUDIENCE"] == "web"
    issuer = env["TRELLIS_JWT_ISSUER"]
    assert issuer.startswith("${{") and issuer.endswith("[var.environment]}")
    # The manifest's text stays a literal ("$${" is an escaped "${"), never an interpolation.
    text = render(manifest)["terraform/gateway.tf"]
    assert '"https://dev.example.com/$${x}"' in text
    assert '"https://prod.example.com"' in text
