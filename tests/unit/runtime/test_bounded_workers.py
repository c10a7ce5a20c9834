"""Workers that cannot be run into the ground: internal job types, the job time limit,
batches that stop before the Lambda deadline, FIFO groups, and publisher retries (fakes, no I/O)."""

from __future__ import annotations

import json
import random
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from botocore.exceptions import ClientError
from pydantic import BaseModel, ValidationInfo, field_validator

from trellis.runtime import SqsRecord, Unprocessable
from trellis.runtime._lambda import process_sqs_batch
from trellis.runtime.jobs import (
    Claim,
    ClaimOutcome,
    JobContext,
    JobError,
    JobFailed,
    JobRegistry,
    JobRunner,
    QueueInfo,
)
from trellis.runtime.queues import OutgoingMessage, Publisher

QUEUE_ARN = "arn:aws:sqs:us-east-1:000000000000:acme-test-jobs"
FIFO_ARN = "arn:aws:sqs:us-east-1:000000000000:acme-test-jobs.fifo"


class Nothing(BaseModel):
    pass


class Sleep(BaseModel):
    sleep_ms: int = 0

    @field_validator("sleep_ms")
    @classmethod
    def _within_the_limit(cls, value: int, info: ValidationInfo) -> int:
        limit = (info.context or {}).get("max_run_s")
        if limit is not None and value > limit * 1000:
            raise ValueError(f"at most {int(limit * 1000)} ms")
        return value


# ------------------------------------------------------------------------ job types


def test_an_internal_job_type_is_refused_by_the_public_validation_with_422() -> None:
    jobs = JobRegistry()

    @jobs.job("s3_object_created", internal=True)
    def created(payload: Nothing, ctx: JobContext) -> None:
        return None

    @jobs.job("resize")
    def resize(payload: Nothing, ctx: JobContext) -> None:
        return None

    with pytest.raises(Unprocessable) as exc:
        jobs.validate("s3_object_created", {})
    assert exc.value.status == 422
    assert "internal" in exc.value.message
    assert exc.value.detail == {
        "fields": [{"loc": ["body", "type"], "message": "internal job type"}]
    }
    assert jobs.validate("s3_object_created", {}, allow_internal=True) == Nothing()
    assert jobs.public_types == ["resize"]
    with pytest.raises(Unprocessable) as unknown:
        jobs.validate("crop", {})
    assert "s3_object_created" not in unknown.value.message  # internal types are not advertised


def test_payload_models_see_the_job_time_limit_when_validated() -> None:
    jobs = JobRegistry(max_run_s=2)

    @jobs.job("sleep")
    def sleep(payload: Sleep, ctx: JobContext) -> None:
        return None

    assert jobs.validate("sleep", {"sleep_ms": 2000}) == Sleep(sleep_ms=2000)
    with pytest.raises(Unprocessable) as exc:
        jobs.validate("sleep", {"sleep_ms": 2001})
    assert exc.value.detail["fields"][0]["loc"] == ["body", "payload", "sleep_ms"]  # type: ignore[index]


def test_a_job_time_limit_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_run_s"):
        JobRegistry(max_run_s=0)


# ---------------------------------------------------------------- the job time limit


@dataclass
class FakeStore:
    """The JobStore calls the runner makes, recorded; every claim succeeds."""

    completed: list[str] = field(default_factory=list)
    released: list[tuple[str, JobError]] = field(default_factory=list)
    failed: list[tuple[str, JobError]] = field(default_factory=list)

    def claim(self, envelope: Any, *, lease_s: int, message_id: str) -> Claim:
        return Claim(ClaimOutcome.CLAIMED, envelope.job_id, f"{message_id}/owner", 1)

    def complete(self, claim: Claim, result: Any, writes: list[Any]) -> None:
        self.completed.append(claim.job_id)

    def release(self, claim: Claim, error: JobError) -> None:
        self.released.append((claim.job_id, error))

    def fail(self, claim: Claim, error: JobError) -> None:
        self.failed.append((claim.job_id, error))

    def mark_dead_lettered(self, job_id: str) -> None:
        pass


def job_record(job_id: str, job_type: str, payload: dict[str, Any], **extra: Any) -> SqsRecord:
    body = json.dumps(
        {
            "job_id": job_id,
            "type": job_type,
            "payload": payload,
            "enqueued_at": datetime.now(UTC).isoformat(),
        }
    )
    return SqsRecord(
        message_id=f"m-{job_id}",
        receipt_handle="rh",
        body=body,
        attributes={"ApproximateReceiveCount": "1"},
        **extra,
    )


def runner(jobs: JobRegistry, store: FakeStore) -> JobRunner:
    info = QueueInfo(url="https://q", visibility_timeout_s=60, max_receive_count=3, dlq_url=None)
    return JobRunner(jobs, store, sqs=None, queue_url="https://q", queue_info=info)  # type: ignore[arg-type]


def test_a_job_running_past_its_time_limit_is_abandoned_and_released_as_timed_out(
    release: threading.Event,
) -> None:
    jobs = JobRegistry(max_run_s=0.2)
    seen: list[float | None] = []

    @jobs.job("stuck")
    def stuck(payload: Nothing, ctx: JobContext) -> None:
        seen.append(ctx.remaining_s())
        ctx.add_write({"Put": {}})  # never committed: the run is abandoned
        release.wait(30)

    store = FakeStore()
    started = time.monotonic()
    with pytest.raises(JobFailed) as exc:
        runner(jobs, store).process(job_record("j1", "stuck", {}))
    elapsed = time.monotonic() - started

    assert elapsed < 2, "the runner waited for the stuck handler"
    assert store.completed == []
    ((job_id, error),) = store.released
    assert job_id == "j1"
    assert error.code == "timed_out"
    assert "0.2 s" in error.message
    assert exc.value.error.code == "timed_out"
    assert seen and seen[0] is not None and 0 < seen[0] <= 0.2


def test_a_record_deadline_shortens_the_time_limit(release: threading.Event) -> None:
    jobs = JobRegistry(max_run_s=30)

    @jobs.job("stuck")
    def stuck(payload: Nothing, ctx: JobContext) -> None:
        release.wait(30)

    store = FakeStore()
    started = time.monotonic()
    with pytest.raises(JobFailed):
        runner(jobs, store).process(job_record("j2", "stuck", {}, deadline=time.monotonic() + 0.2))
    assert time.monotonic() - started < 2
    assert store.released[0][1].code == "timed_out"


def test_a_job_within_its_limit_completes_and_sees_its_context() -> None:
    jobs = JobRegistry(max_run_s=5)
    seen: dict[str, Any] = {}

    @jobs.job("quick")
    def quick(payload: Nothing, ctx: JobContext) -> dict[str, Any]:
        seen["thread"] = threading.current_thread().name
        seen["remaining"] = ctx.remaining_s()
        return {"ok": True}

    store = FakeStore()
    runner(jobs, store).process(job_record("j3", "quick", {}))
    assert store.completed == ["j3"]
    assert 0 < seen["remaining"] <= 5


def test_handler_threads_are_reused_but_never_one_an_abandoned_run_still_holds(
    release: threading.Event,
) -> None:
    jobs = JobRegistry(max_run_s=0.2)
    threads: dict[str, int] = {}

    @jobs.job("where")
    def where(payload: Nothing, ctx: JobContext) -> None:
        threads[ctx.job_id] = threading.get_ident()
        if ctx.job_id == "stuck":
            release.wait(30)

    run = runner(jobs, FakeStore())
    run.process(job_record("a", "where", {}))
    run.process(job_record("b", "where", {}))
    with pytest.raises(JobFailed):
        run.process(job_record("stuck", "where", {}))
    run.process(job_record("c", "where", {}))

    assert threads["a"] == threads["b"] == threads["stuck"]  # one thread, handed job after job
    assert threads["c"] != threads["stuck"]  # the stuck run keeps its thread to itself


def test_a_knob_over_the_time_limit_fails_the_job_without_running_it() -> None:
    jobs = JobRegistry(max_run_s=1)
    ran: list[int] = []

    @jobs.job("sleep")
    def sleep(payload: Sleep, ctx: JobContext) -> None:
        ran.append(payload.sleep_ms)

    store = FakeStore()
    with pytest.raises(JobFailed):
        runner(jobs, store).process(job_record("j4", "sleep", {"sleep_ms": 5000}))
    assert ran == []
    assert store.released[0][1].code == "invalid_payload"


# ------------------------------------------------------------------ job error safety


def test_a_job_error_keeps_aws_text_arns_and_account_ids_out_of_the_record(
    capsys: pytest.CaptureFixture[str],
) -> None:
    jobs = JobRegistry()
    denied = (
        "User: arn:aws:iam::123456789012:user/acme-dev-worker is not authorized to perform:"
        " dynamodb:GetItem on resource: arn:aws:dynamodb:us-east-1:123456789012:table/acme-dev-files"
    )

    @jobs.job("read")
    def read(payload: Nothing, ctx: JobContext) -> None:
        raise ClientError(
            {
                "Error": {"Code": "AccessDeniedException", "Message": denied},
                "ResponseMetadata": {"HTTPStatusCode": 400},
            },
            "GetItem",
        )

    @jobs.job("bug")
    def bug(payload: Nothing, ctx: JobContext) -> None:
        raise KeyError("secret-internal-name arn:aws:s3:::acme-dev-uploads")

    store = FakeStore()
    capsys.readouterr()
    for job_id, job_type in (("j5", "read"), ("j6", "bug")):
        with pytest.raises(JobFailed):
            runner(jobs, store).process(job_record(job_id, job_type, {}))

    errors = {job_id: error for job_id, error in store.released}
    assert errors["j5"] == JobError(
        code="access_denied", message="the service is not permitted to perform this operation"
    )
    assert errors["j6"] == JobError(code="job_failed", message="the job failed")
    for error in errors.values():
        text = error.model_dump_json()
        assert "arn:" not in text and "123456789012" not in text and "Error" not in text
    # The details are in the log, for operators.
    out = capsys.readouterr().out
    assert "dynamodb:GetItem" in out and "secret-internal-name" in out


# ------------------------------------------------------- batches and the Lambda deadline


class FakeContext:
    """A Lambda context whose remaining time the test spends explicitly."""

    def __init__(self, remaining_s: float) -> None:
        self.remaining_s = remaining_s
        self.aws_request_id = "req-1"

    def spend(self, seconds: float) -> None:
        self.remaining_s -= seconds

    def get_remaining_time_in_millis(self) -> int:
        return int(self.remaining_s * 1000)


def sqs_event_record(
    message_id: str, *, arn: str = QUEUE_ARN, group: str | None = None, receives: int = 1
) -> dict[str, Any]:
    attributes = {"ApproximateReceiveCount": str(receives), "SentTimestamp": "1700000000000"}
    if group is not None:
        attributes["MessageGroupId"] = group
    return {
        "messageId": message_id,
        "receiptHandle": f"rh-{message_id}",
        "body": "{}",
        "attributes": attributes,
        "messageAttributes": {},
        "eventSource": "aws:sqs",
        "eventSourceARN": arn,
        "awsRegion": "us-east-1",
    }


def failures(response: dict[str, Any]) -> list[str]:
    return [f["itemIdentifier"] for f in response["batchItemFailures"]]


def test_a_batch_starts_no_record_it_cannot_finish_and_reports_the_rest_as_failures() -> None:
    context = FakeContext(remaining_s=30)
    seen: list[str] = []
    deadlines: list[float | None] = []

    def consume(record: SqsRecord) -> None:
        seen.append(record.message_id)
        deadlines.append(record.deadline)
        context.spend(8)  # each job takes 8 s of the function's 30

    records = [sqs_event_record(f"m{i}") for i in range(10)]
    started = time.monotonic()
    response = process_sqs_batch(
        records,
        consume,
        remaining_ms=context.get_remaining_time_in_millis,
        max_record_s=10,
        safety_margin_s=2,
    )
    # 30 s: m0 starts (28 s left after the margin), m1 (20), m2 (12); 4 s left: m3 cannot finish.
    assert seen == ["m0", "m1", "m2"]
    assert failures(response) == [f"m{i}" for i in range(3, 10)]
    # Each record must be over before the invocation's deadline less the margin.
    assert [round(d - started) for d in deadlines if d is not None] == [28, 20, 12]


def test_the_first_record_runs_even_when_the_limit_is_above_the_functions_timeout() -> None:
    context = FakeContext(remaining_s=1.0)
    seen: list[str] = []
    deadlines: list[float] = []

    def consume(record: SqsRecord) -> None:
        seen.append(record.message_id)
        assert record.deadline is not None
        deadlines.append(record.deadline - time.monotonic())
        context.spend(0.1)

    response = process_sqs_batch(
        [sqs_event_record("a"), sqs_event_record("b")],
        consume,
        remaining_ms=context.get_remaining_time_in_millis,
        max_record_s=20,
        safety_margin_s=2,
    )
    # A 1 s function: the margin shrinks to a fifth of it and the record gets the rest.
    assert seen == ["a"]
    assert failures(response) == ["b"]
    assert 0.7 <= deadlines[0] <= 0.8


def test_short_records_all_run_when_the_time_is_there() -> None:
    context = FakeContext(remaining_s=30)
    response = process_sqs_batch(
        [sqs_event_record(f"m{i}") for i in range(10)],
        lambda record: context.spend(0.5),
        remaining_ms=context.get_remaining_time_in_millis,
        max_record_s=10,
    )
    assert failures(response) == []


def test_the_lambda_handler_reads_the_deadline_from_the_context(
    settings_factory: Any, fake_session: Any
) -> None:
    from trellis.runtime import AwsClients, create_app, lambda_handler

    settings = settings_factory()
    app = create_app(settings, clients=AwsClients(settings, session=fake_session), readiness=[])
    context = FakeContext(remaining_s=15)
    seen: list[str] = []

    def consume(record: SqsRecord) -> None:
        seen.append(record.message_id)
        context.spend(6)

    handler = lambda_handler(app, sqs=consume, max_record_s=5)
    event = {"Records": [sqs_event_record(f"m{i}") for i in range(4)]}
    assert failures(handler(event, context)) == ["m2", "m3"]
    assert seen == ["m0", "m1"]
    # A context without a clock (tests, other runtimes) runs everything.
    assert failures(handler(event, SimpleNamespace(aws_request_id="r"))) == []


def test_records_nearest_their_last_receive_run_first_on_a_standard_queue() -> None:
    context = FakeContext(remaining_s=10)
    seen: list[str] = []

    def consume(record: SqsRecord) -> None:
        seen.append(record.message_id)
        context.spend(4)

    records = [
        sqs_event_record("fresh-1"),
        sqs_event_record("old", receives=3),
        sqs_event_record("fresh-2"),
    ]
    response = process_sqs_batch(
        records, consume, remaining_ms=context.get_remaining_time_in_millis, max_record_s=4
    )
    assert seen == ["old", "fresh-1"]
    assert failures(response) == ["fresh-2"]


def test_a_fifo_failure_skips_only_the_rest_of_its_message_group() -> None:
    seen: list[str] = []

    def consume(record: SqsRecord) -> None:
        seen.append(record.message_id)
        if record.message_id == "a2":
            raise RuntimeError("a2 cannot be processed")

    records = [
        sqs_event_record("a1", arn=FIFO_ARN, group="a"),
        sqs_event_record("b1", arn=FIFO_ARN, group="b"),
        sqs_event_record("a2", arn=FIFO_ARN, group="a"),
        sqs_event_record("b2", arn=FIFO_ARN, group="b"),
        sqs_event_record("a3", arn=FIFO_ARN, group="a"),
        sqs_event_record("c1", arn=FIFO_ARN, group="c"),
    ]
    response = process_sqs_batch(records, consume)
    assert seen == ["a1", "b1", "a2", "b2", "c1"]
    assert failures(response) == ["a2", "a3"]


def test_a_fifo_batch_keeps_its_order_when_time_runs_out() -> None:
    context = FakeContext(remaining_s=10)
    seen: list[str] = []

    def consume(record: SqsRecord) -> None:
        seen.append(record.message_id)
        context.spend(5)

    records = [
        sqs_event_record("a1", arn=FIFO_ARN, group="a", receives=1),
        sqs_event_record("a2", arn=FIFO_ARN, group="a", receives=3),
        sqs_event_record("b1", arn=FIFO_ARN, group="b"),
    ]
    response = process_sqs_batch(
        records, consume, remaining_ms=context.get_remaining_time_in_millis, max_record_s=4
    )
    assert seen == ["a1"]  # never reordered by receive count on a FIFO queue
    assert failures(response) == ["a2", "b1"]


# --------------------------------------------------------------- publisher retries


class ErrorSqs:
    """Fails every SendMessageBatch call with one AWS error, counting the calls."""

    def __init__(self, code: str, status: int) -> None:
        self.code = code
        self.status = status
        self.calls = 0

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        self.calls += 1
        raise ClientError(
            {
                "Error": {"Code": self.code, "Message": "arn:aws:sqs:us-east-1:1:q says no"},
                "ResponseMetadata": {"HTTPStatusCode": self.status},
            },
            "SendMessageBatch",
        )


@pytest.mark.parametrize(
    ("code", "status", "calls"),
    [
        ("AccessDenied", 403, 1),
        ("AWS.SimpleQueueService.NonExistentQueue", 400, 1),
        ("QueueDoesNotExist", 400, 1),
        ("KMS.AccessDeniedException", 400, 1),
        ("InvalidParameterValue", 400, 1),
        ("ThrottlingException", 400, 4),
        ("RequestThrottled", 403, 4),
        ("ServiceUnavailable", 503, 4),
        ("InternalError", 500, 4),
    ],
)
def test_the_publisher_retries_only_throttling_and_transient_errors(
    code: str, status: int, calls: int, capsys: pytest.CaptureFixture[str]
) -> None:
    sqs = ErrorSqs(code, status)
    publisher = Publisher(sqs, "https://q", sleep=lambda _s: None, rng=random.Random(0))
    capsys.readouterr()

    results = publisher.send_batch([OutgoingMessage("a"), OutgoingMessage("b")])

    assert sqs.calls == calls
    assert all(not r.ok for r in results)
    logged = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    errors = [line for line in logged if line["level"] in ("error", "warning")]
    if calls == 1:
        assert len(errors) == 1  # one line says what failed, not one per retry
