"""The dashboard's pieces without a stack: grants for denials, OTLP decoding, the decision log."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trellis.local.dashboard import DecisionTail, DevEvents, grant_for
from trellis.local.dashboard._architecture import edges
from trellis.local.dashboard._hub import Span
from trellis.local.dashboard._otlp import OtlpError, decode
from trellis.local.dashboard._pages import job_type, waterfall
from trellis.manifest import load_manifest_text

MANIFEST = load_manifest_text(
    """
[project]
name = "acme"
region = "us-east-1"
environments = ["dev"]
github_repository = "acme/backend"

[services.api]
runtime = "lambda"
uses = { users = ["get", "put"], uploads = "read", jobs = "send" }

[services.worker]
runtime = "lambda"
uses = { jobs = "consume" }

[queues.jobs]
visibility_timeout_s = 180

[tables.users]
hash_key = "user_id"

[buckets.uploads]
notifications = [{ queue = "jobs", prefix = "uploads/" }]

[secrets.key]
"""
)
ACCOUNT = "123456789012"


@pytest.mark.parametrize(
    ("service", "action", "resource", "change", "command"),
    [
        (
            "api",
            "dynamodb:Query",
            "arn:aws:dynamodb:us-east-1:123456789012:table/acme-dev-users/index/by_created",
            'services.api.uses.users = ["get", "put", "read"]',
            "trellis add table users --read api",
        ),
        (
            "api",
            "s3:PutObject",
            "arn:aws:s3:::acme-dev-uploads/uploads/x",
            'services.api.uses.uploads = ["read", "write"]',
            "trellis add bucket uploads --write api",
        ),
        (
            "worker",
            "dynamodb:GetItem",
            "arn:aws:dynamodb:us-east-1:123456789012:table/acme-dev-users",
            'services.worker.uses.users = "get"',
            "trellis add table users --get worker",
        ),
        (
            "api",
            "sqs:ReceiveMessage",
            "arn:aws:sqs:us-east-1:123456789012:acme-dev-jobs",
            'services.api.uses.jobs = ["send", "consume"]',
            "trellis add queue jobs --consume api",
        ),
        (
            "api",
            "secretsmanager:GetSecretValue",
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:acme/dev/key-AbCdEf",
            'services.api.uses.key = "read"',
            "trellis add secret key --read api",
        ),
    ],
)
def test_a_denial_names_the_smallest_level_that_grants_it(
    service: str, action: str, resource: str, change: str, command: str
) -> None:
    grant = grant_for(MANIFEST, "dev", ACCOUNT, service, action, resource)
    assert (grant.change, grant.command) == (change, command)


def test_a_denial_no_level_grants_or_outside_the_manifest_says_so() -> None:
    scan = grant_for(
        MANIFEST, "dev", ACCOUNT, "api", "dynamodb:Scan", "arn:aws:dynamodb:us-east-1:1:table/x"
    )
    assert scan.command is None and "not a resource of trellis.toml" in scan.change
    scan = grant_for(
        MANIFEST,
        "dev",
        ACCOUNT,
        "api",
        "dynamodb:Scan",
        "arn:aws:dynamodb:us-east-1:123456789012:table/acme-dev-users",
    )
    assert scan.command is None and "no access level of a table grants dynamodb:Scan" in scan.change
    dlq = grant_for(
        MANIFEST,
        "dev",
        ACCOUNT,
        "api",
        "sqs:SendMessage",
        "arn:aws:sqs:us-east-1:123456789012:acme-dev-jobs-dlq",
    )
    assert dlq.command == "trellis add queue jobs --consume api"


def test_the_decision_log_tail_reports_denials_once_each(tmp_path: Path) -> None:
    log = tmp_path / "decisions.jsonl"
    events = DevEvents()
    tail = DecisionTail(
        log, events, MANIFEST, "dev", ACCOUNT, users=lambda: {"acme-dev-api": "api"}
    )
    assert tail.read() == 0  # no file yet
    table = "arn:aws:dynamodb:us-east-1:123456789012:table/acme-dev-users"
    lines = [
        {"user": "acme-dev-api", "action": "dynamodb:GetItem", "resource": table, "allowed": True},
        {"user": "acme-dev-api", "action": "dynamodb:Query", "resource": table, "allowed": False},
    ]
    log.write_text("\n".join(json.dumps(line) for line in lines) + "\n" + '{"user": "acme')
    assert tail.read() == 1
    assert tail.read() == 0  # read once; the half-written line waits for its end
    denial = events.denials[0]
    assert (denial.service, denial.action, denial.command) == (
        "api",
        "dynamodb:Query",
        "trellis add table users --read api",
    )
    with log.open("a") as f:
        f.write('-dev-api", "action": "dynamodb:Query", "resource": "x", "allowed": false}\n')
    assert tail.read() == 1


def test_otlp_json_and_protobuf_decode_to_the_same_spans() -> None:
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )
    from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
    from opentelemetry.proto.resource.v1.resource_pb2 import Resource
    from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Status
    from opentelemetry.proto.trace.v1.trace_pb2 import Span as PbSpan

    trace_id, span_id, parent = "ab" * 16, "cd" * 8, "ef" * 8
    request = ExportTraceServiceRequest(
        resource_spans=[
            ResourceSpans(
                resource=Resource(
                    attributes=[KeyValue(key="service.name", value=AnyValue(string_value="api"))]
                ),
                scope_spans=[
                    ScopeSpans(
                        spans=[
                            PbSpan(
                                trace_id=bytes.fromhex(trace_id),
                                span_id=bytes.fromhex(span_id),
                                parent_span_id=bytes.fromhex(parent),
                                name="DynamoDB.PutItem",
                                kind=3,
                                start_time_unix_nano=1_000,
                                end_time_unix_nano=5_000,
                                attributes=[
                                    KeyValue(
                                        key="rpc.method", value=AnyValue(string_value="PutItem")
                                    )
                                ],
                                status=Status(code=2),
                            )
                        ]
                    )
                ],
            )
        ]
    )
    as_json = {
        "resourceSpans": [
            {
                "resource": {
                    "attributes": [{"key": "service.name", "value": {"stringValue": "api"}}]
                },
                "scopeSpans": [
                    {
                        "spans": [
                            {
                                "traceId": trace_id,
                                "spanId": span_id,
                                "parentSpanId": parent,
                                "name": "DynamoDB.PutItem",
                                "kind": 3,
                                "startTimeUnixNano": "1000",
                                "endTimeUnixNano": "5000",
                                "attributes": [
                                    {"key": "rpc.method", "value": {"stringValue": "PutItem"}}
                                ],
                                "status": {"code": 2},
                            }
                        ]
                    }
                ],
            }
        ]
    }
    from_pb = decode(request.SerializeToString(), "application/x-protobuf")
    from_json = decode(json.dumps(as_json).encode(), "application/json")
    assert from_pb == from_json
    (span,) = from_pb
    assert (span.trace_id, span.parent_id, span.service, span.kind, span.error) == (
        trace_id,
        parent,
        "api",
        "client",
        True,
    )
    assert span.attributes == {"rpc.method": "PutItem"}
    with pytest.raises(OtlpError):
        decode(b"\xff\xff not protobuf", "application/x-protobuf")


def test_the_waterfall_nests_children_under_their_parent_on_one_time_axis() -> None:
    spans = [
        Span("t", "a", None, "POST /jobs", "gateway", 0, 100_000_000),
        Span("t", "b", "a", "POST /jobs", "worker", 10_000_000, 60_000_000),
        Span("t", "c", "b", "SQS.SendMessage", "worker", 20_000_000, 30_000_000),
    ]
    html = waterfall(spans)
    assert html.index("gateway") < html.index("SQS.SendMessage")
    assert "padding-left:28px" in html  # the AWS call two levels down
    assert "left:20.00%;width:10.00%" in html


def test_edges_carry_access_levels_event_sources_and_notifications() -> None:
    found = {(e.source, e.target): e.label for e in edges(MANIFEST)}
    assert found[("api", "users")] == "get+put"
    assert found[("worker", "jobs")].startswith("consume; event source, batch 10")
    assert found[("uploads", "jobs")] == "s3:ObjectCreated:* (prefix uploads/)"


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ('{"type": "process_data"}', "process_data"),
        (
            '{"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put"}]}',
            "ObjectCreated:Put",
        ),
        ('{"Event": "s3:TestEvent"}', "s3:TestEvent"),
        ("not json", "(not JSON)"),
    ],
)
def test_a_delivery_is_labelled_by_its_job_type(body: str, kind: str) -> None:
    assert job_type(body) == kind
