"""The worker's job parsing and its Lambda handler on SQS batches (no AWS calls)."""

from __future__ import annotations

import importlib
import json
from typing import Any

import pytest

from worker.jobs import InvalidJob, parse_job


def test_parses_the_trellis_and_the_guide_job_shapes() -> None:
    assert parse_job('{"type": "process_data", "payload": {"key": "value"}}') == (
        "process_data",
        {"key": "value"},
    )
    assert parse_job('{"job_type": "process_data", "data": {"k": 1}}') == ("process_data", {"k": 1})
    assert parse_job('{"type": "ping"}') == ("ping", {})


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("not json", "not JSON"),
        ("[1, 2]", "not a JSON object"),
        ('{"payload": {}}', "no 'type'"),
        ('{"type": "x", "payload": [1]}', "not an object"),
    ],
)
def test_rejects_bodies_that_can_never_succeed(body: str, reason: str) -> None:
    with pytest.raises(InvalidJob, match=reason):
        parse_job(body)


def record(message_id: str, body: str) -> dict[str, Any]:
    return {
        "messageId": message_id,
        "receiptHandle": f"rh-{message_id}",
        "body": body,
        "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {},
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:acme-dev-jobs",
        "awsRegion": "us-east-1",
    }


def test_the_lambda_handler_reports_only_the_bad_record(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in {
        "TRELLIS_PROJECT": "acme",
        "TRELLIS_ENV": "dev",
        "TRELLIS_SERVICE": "worker",
        "TRELLIS_ROUTE": "/worker",
        "JOBS_QUEUE_URL": "http://127.0.0.1:1/123456789012/acme-dev-jobs",
        "JOB_RECORDS_TABLE_NAME": "acme-dev-job_records",
        "FILES_TABLE_NAME": "acme-dev-files",
        "UPLOADS_BUCKET_NAME": "acme-dev-uploads",
    }.items():
        monkeypatch.setenv(key, value)
    handler = importlib.import_module("worker.handler").handler
    event = {
        "Records": [
            record("ok-1", json.dumps({"type": "process_data", "payload": {}})),
            record("bad", "{broken"),
            record("ok-2", json.dumps({"job_type": "process_data", "data": {}})),
        ]
    }
    assert handler(event, None) == {"batchItemFailures": [{"itemIdentifier": "bad"}]}
