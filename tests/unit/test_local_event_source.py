"""The local SQS event source settles records the way the Lambda poller does (fakes, no I/O)."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from typing import Any

import pytest

from trellis.local.apigw import build_event, parse_result
from trellis.local.event_source import SqsEventSource, sqs_record
from trellis.local.services import InvokeResult


class FakeSqs:
    def __init__(self, messages: list[dict[str, Any]]) -> None:
        self.pending = list(messages)
        self.deleted: list[str] = []
        self.receive_calls = 0

    def receive_message(self, **kwargs: Any) -> dict[str, Any]:
        self.receive_calls += 1
        batch, self.pending = (
            self.pending[: kwargs["MaxNumberOfMessages"]],
            self.pending[kwargs["MaxNumberOfMessages"] :],
        )
        return {"Messages": batch} if batch else {}

    def delete_message_batch(self, QueueUrl: str, Entries: list[dict[str, str]]) -> dict[str, Any]:
        assert len(Entries) <= 10
        self.deleted.extend(e["ReceiptHandle"] for e in Entries)
        return {"Successful": [{"Id": e["Id"]} for e in Entries]}


class FakeFunction:
    name = "fn"

    def __init__(self, result: InvokeResult) -> None:
        self.result = result
        self.events: list[dict[str, Any]] = []

    async def invoke(self, event: dict[str, Any]) -> InvokeResult:
        self.events.append(event)
        return self.result


def message(i: int) -> dict[str, Any]:
    return {
        "MessageId": f"m{i}",
        "ReceiptHandle": f"r{i}",
        "Body": json.dumps({"n": i}),
        "Attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1700000000000"},
        "MessageAttributes": {"kind": {"StringValue": "x", "DataType": "String"}},
    }


def source(sqs: FakeSqs, fn: FakeFunction, batch_size: int = 10) -> SqsEventSource:
    return SqsEventSource(
        queue_name="jobs",
        queue_url="http://q",
        queue_arn="arn:aws:sqs:us-east-1:123456789012:acme-dev-jobs",
        region="us-east-1",
        function=fn,
        sqs=sqs,
        batch_size=batch_size,
    )


def run_once(src: SqsEventSource) -> None:
    async def go() -> None:
        stop = asyncio.Event()
        messages = await src._collect(stop)
        await src.deliver(messages)

    asyncio.run(go())


def test_only_records_reported_as_failed_stay_in_the_queue() -> None:
    sqs = FakeSqs([message(i) for i in range(3)])
    fn = FakeFunction(InvokeResult(payload={"batchItemFailures": [{"itemIdentifier": "m1"}]}))
    run_once(source(sqs, fn))
    assert sqs.deleted == ["r0", "r2"]
    assert [r["messageId"] for r in fn.events[0]["Records"]] == ["m0", "m1", "m2"]


def test_a_function_error_fails_the_whole_batch() -> None:
    sqs = FakeSqs([message(i) for i in range(3)])
    run_once(source(sqs, FakeFunction(InvokeResult(error="Unhandled"))))
    assert sqs.deleted == []


def test_an_unknown_item_identifier_fails_the_whole_batch_as_on_aws() -> None:
    sqs = FakeSqs([message(i) for i in range(2)])
    fn = FakeFunction(InvokeResult(payload={"batchItemFailures": [{"itemIdentifier": "nope"}]}))
    run_once(source(sqs, fn))
    assert sqs.deleted == []


def test_an_empty_response_means_every_record_succeeded() -> None:
    sqs = FakeSqs([message(i) for i in range(2)])
    run_once(source(sqs, FakeFunction(InvokeResult(payload=None))))
    assert sqs.deleted == ["r0", "r1"]


def test_a_batch_larger_than_ten_is_gathered_from_several_receives_and_deleted_in_chunks() -> None:
    sqs = FakeSqs([message(i) for i in range(25)])
    src = source(sqs, FakeFunction(InvokeResult(payload={})), batch_size=25)
    src.batching_window_s = 5
    run_once(src)
    assert sqs.receive_calls == 3
    assert len(sqs.deleted) == 25


def test_sqs_record_has_the_lambda_event_shape() -> None:
    record = sqs_record(message(7), "arn:aws:sqs:us-east-1:1:q", "us-east-1")
    assert record["eventSource"] == "aws:sqs"
    assert record["messageAttributes"]["kind"] == {
        "stringValue": "x",
        "binaryValue": None,
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": "String",
    }
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert len(record["md5OfBody"]) == 32


def test_api_gateway_event_carries_path_query_headers_and_proxy() -> None:
    event = build_event(
        method="POST",
        path="/api/users/42",
        query_string=b"a=1&a=2&b=",
        headers=[("content-type", "application/json"), ("x-k", "1"), ("x-k", "2")],
        body=b'{"x": 1}',
        route="/api",
        stage="dev",
    )
    assert event["resource"] == "/api/{proxy+}"
    assert event["pathParameters"] == {"proxy": "users/42"}
    assert event["queryStringParameters"] == {"a": "2", "b": ""}
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"], "b": [""]}
    assert event["multiValueHeaders"]["x-k"] == ["1", "2"]
    assert event["body"] == '{"x": 1}'
    assert event["isBase64Encoded"] is False


def test_binary_bodies_are_base64_encoded() -> None:
    event = build_event(
        method="PUT",
        path="/api/f",
        query_string=b"",
        headers=[("content-type", "application/octet-stream")],
        body=b"\xff\x00",
        route="/api",
        stage="dev",
    )
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(str(event["body"])) == b"\xff\x00"


def test_a_malformed_lambda_result_becomes_a_502() -> None:
    assert parse_result({"body": "no status"}).status == 502
    ok = parse_result(
        {
            "statusCode": 201,
            "headers": {"X-A": "1"},
            "multiValueHeaders": {"set-cookie": ["a", "b"]},
            "body": "hi",
        }
    )
    assert ok.status == 201
    assert ("set-cookie", "a") in ok.headers and ("set-cookie", "b") in ok.headers
    assert ("x-a", "1") in ok.headers
    assert ok.body == b"hi"


class BlockingFunction:
    """A function with several instances whose invocations wait on a gate, counting overlap."""

    name = "fn"

    def __init__(self, instances: int) -> None:
        self.concurrency = instances
        self.active = 0
        self.most_active = 0
        self.invocations = 0
        self.gate = asyncio.Event()

    async def invoke(self, event: dict[str, Any]) -> InvokeResult:
        self.active += 1
        self.invocations += 1
        self.most_active = max(self.most_active, self.active)
        try:
            await self.gate.wait()
        finally:
            self.active -= 1
        return InvokeResult(payload={})


class IdleAwareSqs(FakeSqs):
    def receive_message(self, **kwargs: Any) -> dict[str, Any]:
        response = super().receive_message(**kwargs)
        if not response:
            time.sleep(0.01)  # an empty long poll takes time; don't spin
        return response


async def _until(check: Any, what: str, timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.01)


@pytest.mark.parametrize(("max_concurrency", "instances", "expected"), [(2, 5, 2), (10, 3, 3)])
def test_at_most_max_concurrency_batches_are_invoked_at_once(
    max_concurrency: int, instances: int, expected: int
) -> None:
    sqs = IdleAwareSqs([message(i) for i in range(60)])
    fn = BlockingFunction(instances)
    src = SqsEventSource(
        queue_name="jobs",
        queue_url="http://q",
        queue_arn="arn:aws:sqs:us-east-1:123456789012:acme-dev-jobs",
        region="us-east-1",
        function=fn,
        sqs=sqs,
        batch_size=10,
        max_concurrency=max_concurrency,
    )

    async def go() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(src.run(stop))
        await _until(lambda: fn.active == expected, f"{expected} concurrent invocations")
        receives = sqs.receive_calls
        await asyncio.sleep(0.1)
        # Every poller is busy: nothing more is received (and left waiting) meanwhile.
        assert fn.active == expected and sqs.receive_calls == receives
        fn.gate.set()
        await _until(lambda: len(sqs.deleted) == 60, "every message to be deleted")
        stop.set()
        await asyncio.wait_for(task, 5)

    asyncio.run(go())
    assert fn.most_active == expected
    assert fn.invocations == 6


def test_a_single_instance_function_gets_one_batch_at_a_time() -> None:
    sqs = IdleAwareSqs([message(i) for i in range(30)])
    fn = BlockingFunction(1)
    del fn.concurrency  # the local Lambda host: one instance, no attribute
    src = source(sqs, fn)  # type: ignore[arg-type]

    async def go() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(src.run(stop))
        await _until(lambda: fn.active == 1, "one invocation")
        await asyncio.sleep(0.1)
        assert fn.active == 1 and sqs.receive_calls == 1
        fn.gate.set()
        await _until(lambda: len(sqs.deleted) == 30, "every message to be deleted")
        stop.set()
        await asyncio.wait_for(task, 5)

    asyncio.run(go())
    assert fn.most_active == 1
