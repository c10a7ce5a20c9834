"""`tracing = true` in the built package: the zip carries the otel extra, and its handler,
run from the extracted zip alone with the env vars the Terraform sets, exports the
invocation's spans signed for X-Ray, inside the trace of Lambda's own segment."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tests.otlp_receiver import KEY, SECRET, TOKEN, otlp_receiver
from trellis.infra.addresses import AwsAddresses
from trellis.local.apigw import build_event
from trellis.manifest import Manifest
from trellis.packaging import LambdaPackage, build_lambda
from trellis.tracing import tracing_environment, xray_traces_endpoint
from trellis.wiring import service_environment

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="host packages are built for glibc Linux"
)

OTEL_DISTS = {
    "opentelemetry_sdk",
    "opentelemetry_exporter_otlp_proto_http",
    "opentelemetry_instrumentation_fastapi",
    "opentelemetry_instrumentation_botocore",
    "opentelemetry_propagator_aws_xray",
}

# -I -S: only the extracted package and the standard library are importable.
INVOKE = r"""
import json, sys, types
sys.path.insert(0, sys.argv[1])
from api.handler import handler
context = types.SimpleNamespace(aws_request_id="req-1", function_name="acme-dev-api")
result = handler(json.loads(sys.stdin.read()), context)
print(json.dumps({"status": result["statusCode"]}))
"""

XRAY_ROOT = "1-6756a1b2-0123456789abcdef01234567"
LAMBDA_SEGMENT = "53995c3f42cd8ad8"


def _traced(manifest: Manifest, service: str) -> Manifest:
    services = dict(manifest.services)
    services[service] = services[service].model_copy(update={"tracing": True})
    return manifest.model_copy(update={"services": services})


@pytest.fixture(scope="module")
def traced_package(
    tmp_path_factory: pytest.TempPathFactory, manifest: Manifest, root: Path
) -> LambdaPackage:
    out = tmp_path_factory.mktemp("dist-traced")
    return build_lambda(root, _traced(manifest, "api"), "api", platform="host", out_dir=out)


def _dists(package: LambdaPackage) -> set[str]:
    with zipfile.ZipFile(package.path) as zf:
        names = zf.namelist()
    return {
        re.sub(r"-[^-]+\.dist-info$", "", n.split("/")[0]).lower()
        for n in names
        if n.split("/")[0].endswith(".dist-info")
    }


# A package build runs in the test's time (the machine may be busy).
@pytest.mark.timeout(600)
def test_a_traced_service_package_carries_the_otel_extra_besides_its_own_dependencies(
    traced_package: LambdaPackage,
) -> None:
    dists = _dists(traced_package)
    assert dists >= OTEL_DISTS
    # The extra adds to the service's requirements; it replaces none of them. (That an
    # untraced package has none of it: tests/delivery/test_lambda_package.py.)
    assert {"boto3", "fastapi", "mangum", "pydantic", "structlog", "psycopg"} <= dists
    assert not dists & {"moto", "uvicorn", "httpx", "tomlkit", "uv"}


@pytest.mark.timeout(600)
def test_the_extracted_handler_exports_signed_spans_in_the_lambda_segments_trace(
    traced_package: LambdaPackage, manifest: Manifest, tmp_path: Path
) -> None:
    with zipfile.ZipFile(traced_package.path) as zf:
        zf.extractall(tmp_path)
    traced = _traced(manifest, "api")
    derived = tracing_environment(traced, "api")
    assert derived["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] == xray_traces_endpoint("us-east-1")
    event = build_event(
        method="GET",
        path="/api/health",
        query_string=b"",
        headers=[("host", "abc.execute-api.us-east-1.amazonaws.com")],
        body=b"",
        route="/api",
        stage="dev",
    )
    with otlp_receiver() as receiver:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "AWS_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET,
            "AWS_SESSION_TOKEN": TOKEN,
            "AWS_EC2_METADATA_DISABLED": "true",
            **service_environment(
                traced, "api", "dev", AwsAddresses(traced, "dev", "123456789012")
            ),
            **derived,
            # The one change: the receiver stands in for X-Ray's endpoint.
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": receiver.url,
            # What Lambda sets for each invocation of an Active-tracing function.
            "_X_AMZN_TRACE_ID": f"Root={XRAY_ROOT};Parent={LAMBDA_SEGMENT};Sampled=1",
        }
        run = subprocess.run(
            [sys.executable, "-I", "-S", "-c", INVOKE, str(tmp_path)],
            input=json.dumps(event),
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=90,
            check=False,
        )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout.strip().splitlines()[-1]) == {"status": 200}
    assert receiver.requests, run.stdout + run.stderr
    assert all(r.valid_signature and r.scope["service"] == "xray" for r in receiver.requests)
    spans = [
        span
        for got in receiver.requests
        for rs in ExportTraceServiceRequest.FromString(got.body).resource_spans
        for scope in rs.scope_spans
        for span in scope.spans
    ]
    server = [s for s in spans if s.name == "GET /health"]
    assert len(server) == 1, [s.name for s in spans]
    # X-Ray's trace id is the W3C one with the version and the dash taken out.
    assert server[0].trace_id.hex() == XRAY_ROOT[2:].replace("-", "")
    assert server[0].parent_span_id.hex() == LAMBDA_SEGMENT
