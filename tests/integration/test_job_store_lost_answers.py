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

import http.client
import socket
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest

from trellis.manifest import load_manifest_text
from trellis.runtime import AwsClients, Conflict
from trellis.runtime._settings import ServiceSettings
from trellis.runtime.jobs._model import JobEnvelope, JobError
from trellis.runtime.jobs._store import ClaimOutcome, JobStore, LeaseLost
from trellis.testing import ServiceEnvironment

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

_TARGET = "x-amz-target"


class AnswerDroppingProxy:
    """Forwards HTTP requests to ``upstream``; the first one of ``operation`` loses its answer.

    That request reaches the emulator and is applied; its client sees the
    connection closed without a response, which botocore retries.
    """

    def __init__(self, upstream: str) -> None:
        host, _, port = upstream.removeprefix("http://").partition(":")
        self.upstream = (host, int(port))
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.endpoint = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.drop: str | None = None
        self.seen: list[str] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def drop_next(self, operation: str) -> None:
        self.drop = f"DynamoDB_20120810.{operation}"

    def close(self) -> None:
        self.listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        upstream = http.client.HTTPConnection(*self.upstream, timeout=10)
        reader = client.makefile("rb")
        try:
            while True:
                request_line = reader.readline()
                if not request_line:
                    return
                method, path, _ = request_line.decode("latin-1").split(" ", 2)
                headers: list[tuple[str, str]] = []
                while (line := reader.readline()) not in (b"\r\n", b"\n", b""):
                    name, _, value = line.decode("latin-1").partition(":")
                    headers.append((name.strip(), value.strip()))
                length = next((int(v) for k, v in headers if k.lower() == "content-length"), 0)
                body = reader.read(length)
                target = next((v for k, v in headers if k.lower() == _TARGET), "")
                self.seen.append(target.rpartition(".")[2])
                upstream.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
                for name, value in headers:
                    upstream.putheader(name, value)
                upstream.endheaders(body)
                response = upstream.getresponse()
                content = response.read()
                if target == self.drop:
                    self.drop = None
                    return  # applied upstream; the caller never hears of it
                head = [f"HTTP/1.1 {response.status} {response.reason}"]
                head += [
                    f"{k}: {v}"
                    for k, v in response.getheaders()
                    if k.lower() not in {"transfer-encoding", "connection"}
                ]
                head.append(f"Content-Length: {len(content)}")
                client.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + content)
        except OSError:
            return
        finally:
            reader.close()
            client.close()
            upstream.close()


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
        store.complete(
            claim.__class__(claim.outcome, claim.job_id, "someone-else", 1), {"ok": True}, []
        )


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
