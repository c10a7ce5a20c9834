"""The worker's Lambda handler on SQS batches, with no AWS behind it (unit)."""

from __future__ import annotations

import importlib
import json
from typing import Any

import pytest

from worker.deps import Jobs


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


class FakeRunner:
    def __init__(self) -> None:
        self.seen: list[str] = []

    def process(self, rec: Any) -> None:
        self.seen.append(rec.message_id)
        json.loads(rec.body)  # a body that is not JSON fails this record only


def test_the_lambda_handler_reports_only_the_failed_record(monkeypatch: pytest.MonkeyPatch) -> None:
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
    module = importlib.import_module("worker.handler")
    runner = FakeRunner()
    # The handler asks its job machinery for the runner per record: this one, here.
    monkeypatch.setattr(Jobs, "runner", lambda _self: runner)
    event = {"Records": [record("ok-1", "{}"), record("bad", "{broken"), record("ok-2", "[]")]}
    assert module.handler(event, None) == {"batchItemFailures": [{"itemIdentifier": "bad"}]}
    assert runner.seen == ["ok-1", "bad", "ok-2"]
