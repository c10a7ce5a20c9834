"""A job transition whose answer is lost and retried by the SDK is still the caller's own.

Between the worker and the emulator sits a proxy that forwards one chosen call,
lets the emulator apply it, and drops its answer, as a read timeout or a reset
connection does on AWS. botocore retries the call; the retry meets the write the
first attempt made. The job store must tell that from another consumer's write:
before it did, a fresh job answered 409 (its record left ``queued`` with no
message), a claim came back "busy" and held the job until its lease ran out,
and a completion reported its lease lost.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest

from trellis.manifest import load_manifest_text
from trellis.runtime import AwsClients, Conflict
from trellis.runtime._settings import ServiceSettings
from trellis.runtime.jobs._model import JobEnvelope, JobError
from trellis.runtime.jobs._store import Claim, ClaimOutcome, JobStore, LeaseLost
from trellis.testing import AnswerDroppingProxy, ServiceEnvironment

pytestmark = pytest.mark.integration

MANIFEST = load_manifest_text(
    """
[project]
name = "lost"
region = "us-east-1"
github_repository = "acme/lost"
environments = ["dev"]

[services.worker]
runtime = "lambda"
route = "/worker"
auth = "none"
uses = { job_records = ["get", "write"] }

[tables.job_records]
hash_key = "job_id"
"""
)


@pytest.fixture
def worker(trellis_service: Callable[..., ServiceEnvironment]) -> ServiceEnvironment:
    return trellis_service("worker", manifest=MANIFEST)


@pytest.fixture
def proxy(worker: ServiceEnvironment) -> Iterator[AnswerDroppingProxy]:
    lossy = AnswerDroppingProxy(worker.emulator.endpoint)
    yield lossy
    lossy.close()


@pytest.fixture
def store(worker: ServiceEnvironment, proxy: AnswerDroppingProxy) -> JobStore:
    # The worker's own key and the SDK's standard retries (3 attempts), through the proxy.
    settings = ServiceSettings().model_copy(update={"aws_endpoint_url": proxy.endpoint})
    table = worker.env["JOB_RECORDS_TABLE_NAME"]
    return JobStore(AwsClients(settings).dynamodb, table)


def envelope(job_id: str) -> JobEnvelope:
    return JobEnvelope(
        job_id=job_id,
        type="process_data",
        payload={},
        enqueued_at=datetime(2026, 12, 3, 12, 0, tzinfo=UTC),
        trace={},
    )


def test_a_create_whose_answer_was_lost_is_not_a_conflict(
    store: JobStore, proxy: AnswerDroppingProxy
) -> None:
    proxy.drop_next("PutItem")

    store.create(envelope("a" * 32))

    assert proxy.seen.count("PutItem") == 2  # the retry met the first attempt's record
    record = store.get("a" * 32)
    assert (record.status, record.attempts) == ("queued", 0)
    # Someone else's record under the id is still a conflict.
    with pytest.raises(Conflict):
        store.create(envelope("a" * 32).model_copy(update={"type": "other"}))


def test_a_batch_create_whose_answer_was_lost_is_not_a_conflict(
    store: JobStore, proxy: AnswerDroppingProxy
) -> None:
    proxy.drop_next("TransactWriteItems")

    store.create_many([envelope("b" * 32), envelope("c" * 32)])

    assert proxy.seen.count("TransactWriteItems") == 2
    assert {store.get(j).status for j in ("b" * 32, "c" * 32)} == {"queued"}
    with pytest.raises(Conflict):
        store.create_many([envelope("d" * 32), envelope("b" * 32)])


def test_a_claim_whose_answer_was_lost_is_still_the_claim(
    store: JobStore, proxy: AnswerDroppingProxy
) -> None:
    job = envelope("e" * 32)
    store.create(job)
    proxy.drop_next("UpdateItem")

    claim = store.claim(job, lease_s=60, message_id="m1")

    assert proxy.seen.count("UpdateItem") == 2
    assert (claim.outcome, claim.attempts) == (ClaimOutcome.CLAIMED, 1)
    # Another delivery meanwhile finds the job busy, and the claim can complete it.
    assert store.claim(job, lease_s=60, message_id="m2").outcome is ClaimOutcome.BUSY
    store.complete(claim, {"ok": True}, [])
    assert store.get(job.job_id).status == "succeeded"


@pytest.mark.parametrize("with_writes", [False, True], ids=["update", "transaction"])
def test_a_completion_whose_answer_was_lost_is_not_a_lost_lease(
    store: JobStore, proxy: AnswerDroppingProxy, worker: ServiceEnvironment, with_writes: bool
) -> None:
    job = envelope("f" * 32)
    store.create(job)
    claim = store.claim(job, lease_s=60, message_id="m1")
    table = worker.env["JOB_RECORDS_TABLE_NAME"]
    writes = [
        {
            "Update": {
                "TableName": table,
                "Key": {"job_id": {"S": "stats#process_data"}},
                "UpdateExpression": "ADD #p :one",
                "ExpressionAttributeNames": {"#p": "processed"},
                "ExpressionAttributeValues": {":one": {"N": "1"}},
            }
        }
    ]
    proxy.drop_next("TransactWriteItems" if with_writes else "UpdateItem")

    store.complete(claim, {"ok": True}, writes if with_writes else [])

    assert store.get(job.job_id).status == "succeeded"
    if with_writes:
        stats = worker.admin("dynamodb").get_item(
            TableName=table, Key={"job_id": {"S": "stats#process_data"}}
        )["Item"]
        assert stats["processed"] == {"N": "1"}  # applied once, by the first attempt
    # A claim that never held the lease still loses it.
    with pytest.raises(LeaseLost):
        store.complete(Claim(claim.outcome, claim.job_id, "someone-else", 1), {"ok": True}, [])


def test_a_release_whose_answer_was_lost_is_not_a_lost_lease(
    store: JobStore, proxy: AnswerDroppingProxy
) -> None:
    job = envelope("0" * 32)
    store.create(job)
    claim = store.claim(job, lease_s=60, message_id="m1")
    proxy.drop_next("UpdateItem")

    store.release(claim, JobError(code="job_failed", message="boom"))

    record = store.get(job.job_id)
    assert (record.status, record.attempts) == ("queued", 1)
    again = store.claim(job, lease_s=60, message_id="m2")
    assert (again.outcome, again.attempts) == (ClaimOutcome.CLAIMED, 2)
