from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import mangum
import pytest
from fastapi import FastAPI

from trellis.runtime import SqsRecord, create_app, lambda_handler

QUEUE_ARN = "arn:aws:sqs:us-east-1:000000000000:acme-test-jobs"
FIFO_ARN = "arn:aws:sqs:us-east-1:000000000000:acme-test-jobs.fifo"
CONTEXT = SimpleNamespace(aws_request_id="lambda-req-1", function_name="acme-test-api")


@pytest.fixture
def app(settings_factory: Any, fake_session: Any) -> FastAPI:
    from trellis.runtime import AwsClients

    settings = settings_factory(trellis_route="/api")
    app = create_app(settings, clients=AwsClients(settings, session=fake_session), readiness=[])

    @app.get("/items/{item_id}")
    def item(item_id: str) -> dict[str, str]:
        return {"item_id": item_id}

    return app


def rest_event(method: str, path: str, **overrides: Any) -> dict[str, Any]:
    """An API Gateway REST (v1) proxy integration event."""
    event = {
        "resource": "/api/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": {"Host": "abc123.execute-api.us-east-1.amazonaws.com", "Accept": "*/*"},
        "multiValueHeaders": {},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": {"proxy": path.removeprefix("/api/")},
        "stageVariables": None,
        "requestContext": {
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "stage": "test",
            "httpMethod": method,
            "path": f"/test{path}",
            "identity": {"sourceIp": "203.0.113.9"},
        },
        "body": None,
        "isBase64Encoded": False,
    }
    event.update(overrides)
    return event


def sqs_record(message_id: str, body: str = "{}", *, arn: str = QUEUE_ARN) -> dict[str, Any]:
    return {
        "messageId": message_id,
        "receiptHandle": f"rh-{message_id}",
        "body": body,
        "attributes": {"ApproximateReceiveCount": "2", "SentTimestamp": "1700000000000"},
        "messageAttributes": {"kind": {"stringValue": "job", "dataType": "String"}},
        "md5OfBody": "x",
        "eventSource": "aws:sqs",
        "eventSourceARN": arn,
        "awsRegion": "us-east-1",
    }


def test_rest_api_event_under_the_route_prefix_reaches_the_app(app: FastAPI) -> None:
    handler = lambda_handler(app)

    response = handler(rest_event("GET", "/api/health"), CONTEXT)

    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {"status": "ok", "service": "api"}


def test_http_response_carries_api_gateways_request_id(app: FastAPI) -> None:
    response = lambda_handler(app)(rest_event("GET", "/api/items/42"), CONTEXT)

    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {"item_id": "42"}
    assert response["headers"]["x-request-id"] == "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"


def test_http_api_v2_event_is_served_too(app: FastAPI) -> None:
    event = {
        "version": "2.0",
        "routeKey": "ANY /api/{proxy+}",
        "rawPath": "/api/items/7",
        "rawQueryString": "",
        "headers": {"host": "abc123.execute-api.us-east-1.amazonaws.com"},
        "requestContext": {
            "requestId": "v2-req-1",
            "http": {"method": "GET", "path": "/api/items/7", "sourceIp": "203.0.113.9"},
        },
        "isBase64Encoded": False,
    }

    response = lambda_handler(app)(event, CONTEXT)

    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {"item_id": "7"}


def test_unknown_path_through_lambda_is_404_json(app: FastAPI) -> None:
    response = lambda_handler(app)(rest_event("GET", "/api/nope"), CONTEXT)

    assert response["statusCode"] == 404
    assert json.loads(response["body"])["error"]["code"] == "not_found"


def test_mangum_adapter_is_built_once_and_reused(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[Any] = []

    class CountingMangum(mangum.Mangum):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            built.append(kwargs)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(mangum, "Mangum", CountingMangum)
    handler = lambda_handler(app)

    for _ in range(3):
        assert handler(rest_event("GET", "/api/health"), CONTEXT)["statusCode"] == 200

    assert built == [{"lifespan": "off", "api_gateway_base_path": "/api"}]


def test_sqs_batch_reports_only_the_record_that_raised(app: FastAPI) -> None:
    seen: list[str] = []

    def consume(record: SqsRecord) -> None:
        seen.append(record.message_id)
        if record.message_id == "m2":
            raise ValueError("cannot process")

    event = {"Records": [sqs_record("m1"), sqs_record("m2"), sqs_record("m3")]}

    response = lambda_handler(app, sqs=consume)(event, CONTEXT)

    assert response == {"batchItemFailures": [{"itemIdentifier": "m2"}]}
    assert seen == ["m1", "m2", "m3"]


def test_sqs_batch_without_failures_reports_none(app: FastAPI) -> None:
    event = {"Records": [sqs_record("m1"), sqs_record("m2")]}

    assert lambda_handler(app, sqs=lambda record: None)(event, CONTEXT) == {"batchItemFailures": []}


def test_a_fifo_batch_without_group_ids_stops_at_the_first_failure_and_reports_the_rest(
    app: FastAPI,
) -> None:
    # With group ids a failure skips only its group (test_bounded_workers.py); without
    # them (not what SQS sends) no record's group is known, so all later ones wait.
    seen: list[str] = []

    def consume(record: SqsRecord) -> None:
        seen.append(record.message_id)
        if record.message_id == "f2":
            raise RuntimeError("out of order would be worse")

    event = {"Records": [sqs_record(f"f{i}", arn=FIFO_ARN) for i in range(1, 5)]}

    response = lambda_handler(app, sqs=consume)(event, CONTEXT)

    assert response == {
        "batchItemFailures": [
            {"itemIdentifier": "f2"},
            {"itemIdentifier": "f3"},
            {"itemIdentifier": "f4"},
        ]
    }
    assert seen == ["f1", "f2"]


def test_failed_record_is_logged_with_message_id_and_error(
    app: FastAPI, capsys: pytest.CaptureFixture[str]
) -> None:
    def consume(record: SqsRecord) -> None:
        raise KeyError("job_type")

    capsys.readouterr()
    lambda_handler(app, sqs=consume)({"Records": [sqs_record("m9")]}, CONTEXT)

    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    failed = [line for line in lines if line["event"] == "sqs.record_failed"]
    assert len(failed) == 1
    assert failed[0]["message_id"] == "m9"
    assert failed[0]["queue"] == "acme-test-jobs"
    assert "KeyError" in failed[0]["error"]
    assert failed[0]["request_id"] == "lambda-req-1"
    assert failed[0]["level"] == "error"


def test_sqs_event_without_a_consumer_is_a_clear_error(app: FastAPI) -> None:
    with pytest.raises(RuntimeError, match="sqs="):
        lambda_handler(app)({"Records": [sqs_record("m1")]}, CONTEXT)


def test_records_from_other_sources_are_rejected_clearly(app: FastAPI) -> None:
    event = {"Records": [{"eventSource": "aws:s3", "s3": {}}]}

    with pytest.raises(RuntimeError, match="aws:s3"):
        lambda_handler(app, sqs=lambda record: None)(event, CONTEXT)


def test_sqs_record_exposes_the_message_fields() -> None:
    record = SqsRecord.from_event(sqs_record("m1", body='{"type": "resize", "payload": {}}'))

    assert record.message_id == "m1"
    assert record.receipt_handle == "rh-m1"
    assert record.receive_count == 2
    assert record.queue_name == "acme-test-jobs"
    assert record.event_source_arn == QUEUE_ARN
    assert record.attributes["SentTimestamp"] == "1700000000000"
    assert record.message_attributes["kind"]["stringValue"] == "job"
    assert record.json() == {"type": "resize", "payload": {}}


def test_sqs_record_receive_count_defaults_to_first_delivery() -> None:
    record = SqsRecord.from_event({"messageId": "m1", "body": "x"})

    assert record.receive_count == 1
    with pytest.raises(json.JSONDecodeError):
        record.json()


def test_http_still_works_after_an_earlier_invocation_ran_asyncio_run(app: FastAPI) -> None:
    import asyncio

    async def async_work() -> None:
        return None

    def consume(record: SqsRecord) -> None:
        # asyncio.run() leaves the thread without a current event loop.
        asyncio.run(async_work())

    handler = lambda_handler(app, sqs=consume)
    assert handler(rest_event("GET", "/api/health"), CONTEXT)["statusCode"] == 200
    handler({"Records": [sqs_record("m1")]}, CONTEXT)

    assert handler(rest_event("GET", "/api/health"), CONTEXT)["statusCode"] == 200
