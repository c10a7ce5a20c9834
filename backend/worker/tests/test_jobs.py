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


class NoAws:
    """A boto3 session stand-in: any client it builds fails the test when called."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def client(self, service_name: str, **_kwargs: Any) -> Any:
        calls = self.calls

        class Client:
            def __getattr__(self, operation: str) -> Any:
                def call(**_params: Any) -> Any:
                    calls.append(f"{service_name}.{operation}")
                    raise AssertionError(f"{service_name}.{operation} called")

                return call

        return Client()


@pytest.fixture
def offline_app(monkeypatch: pytest.MonkeyPatch) -> tuple[Any, NoAws]:
    from fastapi.testclient import TestClient

    from trellis.runtime import AwsClients
    from worker.app import build_app
    from worker.settings import Settings

    for key, value in {
        "TRELLIS_PROJECT": "acme",
        "TRELLIS_ENV": "dev",
        "TRELLIS_SERVICE": "worker",
        "TRELLIS_ROUTE": "/worker",
        "JOBS_QUEUE_URL": "http://127.0.0.1:1/123456789012/acme-dev-jobs",
        "JOB_RECORDS_TABLE_NAME": "acme-dev-job_records",
        "FILES_TABLE_NAME": "acme-dev-files",
        "UPLOADS_BUCKET_NAME": "acme-dev-uploads",
        "AWS_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("TRELLIS_CONSUMES", raising=False)
    settings = Settings()
    session = NoAws()
    app = build_app(settings, AwsClients(settings, session=session))
    return TestClient(app, raise_server_exceptions=False), session


@pytest.mark.parametrize("action", ["process", "batch"])
@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_another_method_on_an_action_is_405_allow_post_not_a_job_lookup(
    offline_app: tuple[Any, NoAws], action: str, method: str
) -> None:
    http, session = offline_app
    # As the gateway forwards it: the message names the path the client can POST to.
    resp = http.request(method, f"/jobs/{action}", headers={"x-forwarded-prefix": "/worker"})
    assert resp.status_code == 405, resp.text
    assert resp.headers["allow"] == "POST"
    error = resp.json()["error"]
    assert error["code"] == "method_not_allowed"
    assert (
        f"{method} /worker/jobs/{action} is not allowed: POST /worker/jobs/{action}"
        in error["message"]
    )
    assert session.calls == []


@pytest.mark.parametrize(
    "path", ["/jobs/stats%23process_data", "/jobs/a%2Fb", "/jobs/-x", "/jobs/" + "x" * 200]
)
def test_an_id_that_cannot_be_a_job_id_is_refused_before_any_lookup(
    offline_app: tuple[Any, NoAws], path: str
) -> None:
    http, session = offline_app
    resp = http.get(path)
    assert 400 <= resp.status_code < 500, resp.text
    assert session.calls == []
