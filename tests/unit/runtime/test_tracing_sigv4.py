"""Deployed tracing: spans go to an OTLP endpoint signed with SigV4 (service ``xray``), and
an endpoint that refuses them costs a log line, never a request.

A receiver on 127.0.0.1 stands in for X-Ray's OTLP endpoint: it checks each request's
signature the way AWS does (recomputed from what arrived, with the known secret) and
decodes the protobuf payload. The services run in fresh interpreters (a tracer provider
is global to a process).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from botocore.credentials import Credentials
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from tests.otlp_receiver import KEY, SECRET, TOKEN, Receiver, otlp_receiver

from trellis.runtime._sigv4 import SigV4Session, TracesSigningError


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with otlp_receiver() as state:
        yield state


# A service as deployed: its app serves /health through the tracing middleware, then the
# Lambda handler's end-of-invocation flush exports the spans.
SERVE_AND_FLUSH = r"""
import json
from fastapi.testclient import TestClient
from trellis.runtime import ServiceSettings, create_app, load_settings
from trellis.runtime._tracing import flush_traces, tracing_enabled
app = create_app(load_settings(ServiceSettings), readiness=[])
status = TestClient(app).get("/health").status_code
flush_traces(5000)
print(json.dumps({"status": status, "tracing": tracing_enabled()}))
"""


def _serve(receiver: Receiver, **env: str) -> tuple[dict[str, object], str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "AWS_", "TRELLIS_"))}
    defaults = dict(
        TRELLIS_PROJECT="acme",
        TRELLIS_ENV="prod",
        TRELLIS_SERVICE="api",
        OTEL_SERVICE_NAME="acme-prod-api",
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=receiver.url,
        TRELLIS_TRACES_SIGV4="xray",
        AWS_REGION="eu-west-1",
        AWS_ACCESS_KEY_ID=KEY,
        AWS_SECRET_ACCESS_KEY=SECRET,
        AWS_SESSION_TOKEN=TOKEN,
        AWS_EC2_METADATA_DISABLED="true",
    )
    base.update({**defaults, **env})
    for name in [k for k, v in base.items() if v == ""]:
        del base[name]
    run = subprocess.run(
        [sys.executable, "-c", SERVE_AND_FLUSH],
        capture_output=True,
        text=True,
        env=base,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout.strip().splitlines()[-1]), run.stdout + run.stderr


@pytest.mark.timeout(90)
def test_spans_reach_the_endpoint_signed_for_xray_with_the_role_credentials(
    receiver: Receiver,
) -> None:
    result, _output = _serve(receiver)

    assert result == {"status": 200, "tracing": True}
    assert len(receiver.requests) == 1
    got = receiver.requests[0]
    assert got.path == "/v1/traces"
    assert got.valid_signature, got.headers.get("authorization")
    assert got.scope["service"] == "xray"
    assert got.scope["region"] == "eu-west-1"
    assert got.scope["key"] == KEY
    signed = got.scope["signed"].split(";")
    assert {"host", "x-amz-date", "x-amz-security-token", "content-type"} <= set(signed)
    assert got.headers["x-amz-security-token"] == TOKEN
    assert got.headers["content-type"] == "application/x-protobuf"

    payload = ExportTraceServiceRequest.FromString(got.body)
    (resource_spans,) = payload.resource_spans
    attributes = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
    assert attributes["service.name"] == "acme-prod-api"
    names = {s.name for scope in resource_spans.scope_spans for s in scope.spans}
    assert "GET /health" in names


@pytest.mark.timeout(90)
def test_a_refused_export_drops_the_spans_with_a_log_line_and_the_request_succeeds(
    receiver: Receiver,
) -> None:
    receiver.status = 403

    result, output = _serve(receiver)

    assert result == {"status": 200, "tracing": True}
    assert len(receiver.requests) == 1  # a 403 is final: no retry storm
    dropped = [json.loads(line) for line in output.splitlines() if "tracing.spans_dropped" in line]
    assert len(dropped) == 1
    assert dropped[0]["spans"] >= 1


@pytest.mark.timeout(90)
def test_without_credentials_nothing_is_sent_unsigned_and_the_request_succeeds(
    receiver: Receiver,
) -> None:
    result, output = _serve(
        receiver,
        AWS_ACCESS_KEY_ID="",
        AWS_SECRET_ACCESS_KEY="",
        AWS_SESSION_TOKEN="",
        AWS_SHARED_CREDENTIALS_FILE="/nonexistent",
        AWS_CONFIG_FILE="/nonexistent",
    )

    assert result == {"status": 200, "tracing": True}
    assert receiver.requests == []
    assert "tracing.spans_dropped" in output


def test_the_session_signs_the_bytes_it_sends_and_takes_the_region_from_the_host() -> None:
    import requests

    session = SigV4Session("xray", credentials=_Static())
    prepared = requests.Request(
        "POST",
        "https://xray.ap-southeast-2.amazonaws.com/v1/traces",
        data=b"\x0a\x00",
        headers={"Content-Type": "application/x-protobuf"},
    ).prepare()
    saved = {k: v for k, v in os.environ.items() if k in ("AWS_REGION", "AWS_DEFAULT_REGION")}
    for k in saved:
        del os.environ[k]
    try:
        _credentials, region = session._resolve(prepared.url or "")
    finally:
        os.environ.update(saved)
    assert region == "ap-southeast-2"


def test_no_region_anywhere_is_a_signing_error_not_an_unsigned_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    session = SigV4Session("xray", credentials=_Static())
    with pytest.raises(TracesSigningError, match="region"):
        session._resolve("http://127.0.0.1:4318/v1/traces")


class _Static:
    def get_frozen_credentials(self) -> Credentials:
        return Credentials(KEY, SECRET, TOKEN)
