"""Publisher limits and retries, job envelopes and the registry (fakes, no I/O)."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from botocore.exceptions import ClientError
from pydantic import BaseModel

from trellis.runtime import PayloadTooLarge, Unprocessable
from trellis.runtime.jobs import InvalidJob, JobContext, JobRegistry, decode_message
from trellis.runtime.queues import MAX_MESSAGE_BYTES, OutgoingMessage, Publisher, message_size


class FakeSqs:
    """Records batch calls; fails the entries and calls it is told to, once each."""

    def __init__(
        self, fail_ids: set[str] | None = None, sender_fault: bool = False, outage_calls: int = 0
    ) -> None:
        self.batches: list[list[dict[str, Any]]] = []
        self.fail_ids = set(fail_ids or ())
        self.sender_fault = sender_fault
        self.outage_calls = outage_calls

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        if self.outage_calls:
            self.outage_calls -= 1
            raise ClientError(
                {"Error": {"Code": "ServiceUnavailable", "Message": "down"}}, "SendMessageBatch"
            )
        assert len(Entries) <= 10
        assert sum(len(e["MessageBody"]) for e in Entries) <= MAX_MESSAGE_BYTES
        self.batches.append(Entries)
        ok, failed = [], []
        for entry in Entries:
            if entry["Id"] in self.fail_ids:
                self.fail_ids.discard(entry["Id"])
                failed.append(
                    {"Id": entry["Id"], "Code": "InternalError", "SenderFault": self.sender_fault}
                )
            else:
                ok.append({"Id": entry["Id"], "MessageId": f"m-{entry['Id']}"})
        return {"Successful": ok, "Failed": failed}


def publisher(sqs: FakeSqs) -> Publisher:
    return Publisher(sqs, "https://q", sleep=lambda _s: None, rng=random.Random(0))


def test_a_batch_is_split_by_ten_entries() -> None:
    sqs = FakeSqs()
    results = publisher(sqs).send_batch([OutgoingMessage(f"m{i}") for i in range(25)])
    assert [len(b) for b in sqs.batches] == [10, 10, 5]
    assert all(r.ok for r in results)


def test_a_batch_is_split_by_total_size() -> None:
    sqs = FakeSqs()
    big = "x" * 400_000
    publisher(sqs).send_batch([OutgoingMessage(big) for _ in range(5)])
    assert [len(b) for b in sqs.batches] == [2, 2, 1]


def test_server_side_failures_are_retried_and_client_faults_are_reported() -> None:
    sqs = FakeSqs(fail_ids={"3"})
    results = publisher(sqs).send_batch([OutgoingMessage(f"m{i}") for i in range(5)])
    assert all(r.ok for r in results)
    assert [e["Id"] for e in sqs.batches[-1]] == ["3"]  # only the failed entry went again

    faulty = FakeSqs(fail_ids={"1"}, sender_fault=True)
    results = publisher(faulty).send_batch([OutgoingMessage("a"), OutgoingMessage("b")])
    assert results[0].ok
    assert not results[1].ok
    assert len(faulty.batches) == 1


def test_a_whole_call_failing_is_retried_with_backoff() -> None:
    sqs = FakeSqs(outage_calls=2)
    results = publisher(sqs).send_batch([OutgoingMessage("a")])
    assert results[0].ok


def test_an_oversized_message_is_rejected_before_any_call() -> None:
    sqs = FakeSqs()
    pub = publisher(sqs)
    with pytest.raises(PayloadTooLarge):
        pub.check_size(OutgoingMessage("x" * (MAX_MESSAGE_BYTES + 1)))
    results = pub.send_batch(
        [OutgoingMessage("ok"), OutgoingMessage("x" * MAX_MESSAGE_BYTES, {"a": "b"})]
    )
    assert results[0].ok
    assert isinstance(results[1].error, PayloadTooLarge)
    assert sum(len(b) for b in sqs.batches) == 1


def test_message_size_counts_attributes() -> None:
    assert message_size("abc", {"k": "vv"}) == 3 + 1 + len("String") + 2


def test_decode_accepts_the_envelope_and_the_guide_shapes() -> None:
    (env,) = decode_message(
        json.dumps(
            {
                "job_id": "j1",
                "type": "t",
                "payload": {"a": 1},
                "enqueued_at": "2026-01-01T00:00:00Z",
            }
        ),
        "m",
    )  # type: ignore[misc]
    assert (env.job_id, env.type, env.payload) == ("j1", "t", {"a": 1})
    (guide,) = decode_message('{"job_type": "process_data", "data": {"k": "v"}}', "m-9")  # type: ignore[misc]
    assert (guide.job_id, guide.type, guide.payload) == ("msg-m-9", "process_data", {"k": "v"})


def test_decode_turns_an_s3_event_into_jobs_with_stable_ids_and_decoded_keys() -> None:
    event = {
        "Records": [
            {
                "eventSource": "aws:s3",
                "eventName": "ObjectCreated:Post",
                "s3": {
                    "bucket": {"name": "b"},
                    "object": {"key": "uploads/my+file%281%29", "size": 5, "sequencer": "01"},
                },
            }
        ]
    }
    first = decode_message(json.dumps(event), "m1")
    again = decode_message(json.dumps(event), "m2")  # a duplicate notification
    assert first is not None and again is not None
    assert first[0].type == "s3_object_created"
    assert first[0].payload["key"] == "uploads/my file(1)"
    assert first[0].job_id == again[0].job_id


def test_decode_ignores_the_s3_test_event_and_rejects_junk() -> None:
    assert decode_message('{"Service": "Amazon S3", "Event": "s3:TestEvent"}', "m") is None
    for body in ("nope", "[1]", '{"payload": {}}', '{"type": "x", "payload": 3}'):
        with pytest.raises(InvalidJob):
            decode_message(body, "m")


class Resize(BaseModel):
    key: str
    width: int = 100


def test_registry_validates_type_and_payload_with_field_errors() -> None:
    jobs = JobRegistry()

    @jobs.job("resize")
    def resize(payload: Resize, ctx: JobContext) -> dict[str, Any]:
        return {"key": payload.key}

    assert jobs.validate("resize", {"key": "a"}) == Resize(key="a")
    with pytest.raises(Unprocessable, match="unknown job type 'crop'"):
        jobs.validate("crop", {})
    with pytest.raises(Unprocessable) as exc:
        jobs.validate("resize", {"key": "a", "width": "wide"})
    assert exc.value.detail == {
        "fields": [
            {
                "loc": ["body", "payload", "width"],
                "message": exc.value.detail["fields"][0]["message"],
            }
        ]
    }  # type: ignore[index]
    with pytest.raises(ValueError, match="registered twice"):
        jobs.job("resize")(resize)


def test_a_handler_must_declare_its_payload_model() -> None:
    jobs = JobRegistry()
    with pytest.raises(TypeError, match="pydantic model"):

        @jobs.job("bad")
        def bad(payload: dict, ctx: JobContext) -> None:  # type: ignore[type-arg]
            return None
