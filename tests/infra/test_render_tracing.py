"""`tracing = true`: the rendered service gets the exporter's env vars and, for containers,
the one X-Ray action the OTLP endpoint needs; nothing changes for untraced services, and
`trellis dev` keeps sending spans to its own receiver."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.infra.hclconfig import OPTIONS, as_list
from trellis.iam import Arns, service_statements
from trellis.iam_eval import Request, allowed
from trellis.infra import render
from trellis.infra._deploy import Account, boundary_statements, policy_document
from trellis.infra.addresses import AwsAddresses
from trellis.manifest import Manifest, load_manifest_text
from trellis.tracing import tracing_environment, xray_traces_endpoint
from trellis.wiring import service_environment

MANIFEST = """
[project]
name = "acme"
region = "eu-west-1"
github_repository = "acme/backend"
environments = ["dev", "prod"]

[services.api]
runtime = "lambda"
route = "/api"
auth = "none"
tracing = true
trace_sample_ratio = 0.25
uses = { users = "read" }

[services.web]
runtime = "ecs-express"
route = "/web"
auth = "none"
tracing = true

[services.legacy]
runtime = "apprunner"
route = "/legacy"
auth = "none"
tracing = true

[services.quiet]
runtime = "ecs-express"
route = "/quiet"
auth = "none"

[services.batch]
runtime = "lambda"

[tables.users]
hash_key = "user_id"
"""

ARNS = Arns("aws", "eu-west-1", "123456789012")


@pytest.fixture(scope="module")
def manifest() -> Manifest:
    return load_manifest_text(MANIFEST)


def _module(manifest: Manifest, service: str) -> dict[str, Any]:
    import hcl2

    text = render(manifest)[f"terraform/service_{service}.tf"]
    parsed = hcl2.loads(text, serialization_options=OPTIONS)
    (block,) = [m for m in as_list(parsed["module"]) if f"{service}_service" in m]
    module: dict[str, Any] = block[f"{service}_service"]
    return module


def test_a_traced_lambda_exports_to_xrays_otlp_endpoint_signed_and_sampled(
    manifest: Manifest,
) -> None:
    env = _module(manifest, "api")["environment_variables"]
    assert (
        env["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]
        == "https://xray.eu-west-1.amazonaws.com/v1/traces"
    )
    assert env["TRELLIS_TRACES_SIGV4"] == "xray"
    assert env["OTEL_TRACES_SAMPLER"] == "parentbased_traceidratio"
    assert env["OTEL_TRACES_SAMPLER_ARG"] == "0.25"
    assert env["OTEL_PROPAGATORS"] == "tracecontext,baggage,xray"
    assert env["OTEL_SERVICE_NAME"] == "acme-${var.environment}-api"


def test_untraced_services_get_no_exporter_settings(manifest: Manifest) -> None:
    for service in ("quiet", "batch"):
        env = _module(manifest, service)["environment_variables"]
        assert not {k for k in env if k.startswith("OTEL_") and k != "OTEL_SERVICE_NAME"}
        assert "TRELLIS_TRACES_SIGV4" not in env
    assert tracing_environment(manifest, "batch") == {}


def test_the_sample_ratio_defaults_to_every_trace_the_service_starts(manifest: Manifest) -> None:
    assert tracing_environment(manifest, "web")["OTEL_TRACES_SAMPLER_ARG"] == "1"


def test_the_local_stack_keeps_its_own_receiver(manifest: Manifest) -> None:
    local = service_environment(manifest, "api", "dev", AwsAddresses(manifest, "dev"))
    assert "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT" not in local
    assert "TRELLIS_TRACES_SIGV4" not in local


@pytest.mark.parametrize("service", ["web", "legacy"])
def test_a_traced_container_role_may_put_trace_segments_and_nothing_more_of_xray(
    manifest: Manifest, service: str
) -> None:
    (traces,) = [
        s for s in service_statements(manifest, service, "dev", ARNS) if s.sid == "WriteTraces"
    ]
    assert traces.actions == ("xray:PutTraceSegments",)
    assert traces.resources == ("*",)  # X-Ray's write actions have no resource type
    policy = _module(manifest, service)
    assert "policy_json" in policy


def test_an_untraced_container_gets_no_xray_grant(manifest: Manifest) -> None:
    actions = {a for s in service_statements(manifest, "quiet", "dev", ARNS) for a in s.actions}
    assert not {a for a in actions if a.startswith("xray:")}


def test_a_lambda_gets_no_second_xray_grant_its_module_grants_active_tracing_already(
    manifest: Manifest,
) -> None:
    assert not [
        s for s in service_statements(manifest, "api", "dev", ARNS) if s.sid == "WriteTraces"
    ]
    assert "tracing_mode" not in _module(manifest, "api")  # the module's default: Active


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_the_environment_boundary_admits_the_traced_roles_trace_writes(
    manifest: Manifest, env: str
) -> None:
    account = Account("123456789012", region="eu-west-1")
    boundary = policy_document(boundary_statements(manifest, env), manifest, account)
    identity = {
        "Version": "2012-10-17",
        "Statement": [s.as_json() for s in service_statements(manifest, "web", env, ARNS)],
    }
    assert allowed(Request("xray:PutTraceSegments"), [identity], boundary)
    assert not allowed(Request("xray:GetTraceSummaries"), [identity], boundary)


def test_the_endpoint_is_regional() -> None:
    assert xray_traces_endpoint("ap-south-1") == "https://xray.ap-south-1.amazonaws.com/v1/traces"


def test_every_action_a_traced_stack_grants_exists(
    manifest: Manifest, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from tests.infra.conftest import write_tree
    from tests.infra.test_iam_actions import granted_actions, unknown_actions

    tree = write_tree(tmp_path_factory.mktemp("traced"), render(manifest))
    actions = granted_actions(tree / "terraform")
    assert "xray:PutTraceSegments" in actions
    assert unknown_actions(actions) == []


def test_trellis_env_prints_the_deployed_tracing_variables(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from trellis.cli import main

    (tmp_path / "trellis.toml").write_text(MANIFEST)
    assert main(["--manifest", str(tmp_path / "trellis.toml"), "env", "api", "--env", "prod"]) == 0
    printed = dict(line.split("=", 1) for line in capsys.readouterr().out.splitlines())
    assert printed["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] == xray_traces_endpoint("eu-west-1")
    assert printed["TRELLIS_TRACES_SIGV4"] == "xray"
    assert printed["OTEL_SERVICE_NAME"] == "acme-prod-api"
