"""The container consumer loop against an in-memory queue (no I/O)."""

from __future__ import annotations

import random
import threading
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError

from trellis.runtime import SqsRecord
from trellis.runtime.consumer import QueueConsumer
from trellis.testing import wait_until


class MemoryQueue:
    def __init__(self, bodies: list[str], outage_receives: int = 0) -> None:
        self.visible = [
            {"MessageId": f"m{i}", "ReceiptHandle": f"r{i}", "Body": b}
            for i, b in enumerate(bodies)
        ]
        self.deleted: list[str] = []
        self.released: list[str] = []
        self.outage_receives = outage_receives
        self.calls: dict[str, int] = {}

    def _count(self, name: str) -> None:
        self.calls[name] = self.calls.get(name, 0) + 1

    def receive_message(self, **kw: Any) -> dict[str, Any]:
        self._count("receive")
        if self.outage_receives:
            self.outage_receives -= 1
            raise EndpointConnectionError(endpoint_url="http://127.0.0.1:1")
        batch, self.visible = (
            self.visible[: kw["MaxNumberOfMessages"]],
            self.visible[kw["MaxNumberOfMessages"] :],
        )
        return {"Messages": batch}

    def delete_message_batch(self, QueueUrl: str, Entries: list[dict[str, str]]) -> dict[str, Any]:
        self._count("delete")
        assert len(Entries) <= 10
        self.deleted += [e["ReceiptHandle"] for e in Entries]
        return {"Successful": [{"Id": e["Id"]} for e in Entries]}

    def change_message_visibility_batch(
        self, QueueUrl: str, Entries: list[dict[str, Any]]
    ) -> dict[str, Any]:
        self._count("visibility")
        self.released += [e["ReceiptHandle"] for e in Entries if e["VisibilityTimeout"] == 0]
        return {"Successful": []}


def consumer(queue: MemoryQueue, handle: Any, **kw: Any) -> QueueConsumer:
    return QueueConsumer(queue, "q", handle, visibility_s=30, rng=random.Random(1), **kw)


def test_every_message_is_handled_and_deleted_in_batches_of_ten() -> None:
    queue = MemoryQueue([str(i) for i in range(25)])
    seen: list[str] = []
    stats = consumer(queue, lambda r: seen.append(r.body)).run(
        threading.Event(), max_messages=25, budget_s=10
    )
    assert sorted(seen, key=int) == [str(i) for i in range(25)]
    assert sorted(queue.deleted) == sorted(f"r{i}" for i in range(25))
    assert queue.calls["delete"] <= 4
    assert stats.sqs_calls / 25 <= 0.35


def test_a_failed_message_is_not_deleted() -> None:
    queue = MemoryQueue(["ok", "boom", "ok"])

    def handle(record: SqsRecord) -> None:
        if record.body == "boom":
            raise ValueError("boom")

    stats = consumer(queue, handle).run(threading.Event(), max_messages=3, budget_s=10)
    assert sorted(queue.deleted) == ["r0", "r2"]
    assert (stats.succeeded, stats.failed) == (2, 1)


def test_it_backs_off_while_aws_is_unreachable_then_resumes() -> None:
    queue = MemoryQueue(["a", "b"], outage_receives=3)
    stop = threading.Event()
    seen: list[str] = []
    c = consumer(queue, lambda r: seen.append(r.body), max_backoff_s=0.05)
    stats = c.run(stop, max_messages=2, budget_s=10)
    assert stats.aws_errors == 3
    assert sorted(seen) == ["a", "b"]


def test_stopping_releases_what_has_not_finished() -> None:
    queue = MemoryQueue(["slow", "slow"])
    stop = threading.Event()
    started = threading.Event()
    release = threading.Event()

    def handle(record: SqsRecord) -> None:
        started.set()
        release.wait(5)

    c = consumer(queue, handle, concurrency=1)
    thread = threading.Thread(target=c.run, args=(stop,), kwargs={"grace_s": 0.2})
    thread.start()
    assert started.wait(5)
    stop.set()
    thread.join(5)
    release.set()
    assert not thread.is_alive()
    assert sorted(queue.released) == ["r0", "r1"]  # visible again for the next consumer
    assert queue.deleted == []


def test_a_long_job_keeps_its_message_invisible_and_its_lease_alive() -> None:
    queue = MemoryQueue(["long"])
    now = [0.0]
    extended: list[tuple[str, int]] = []
    gate = threading.Event()
    extensions: list[int] = []

    def change(QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        extensions.extend(e["VisibilityTimeout"] for e in Entries)
        gate.set()  # the job may finish once it has been extended
        return {"Successful": []}

    queue.change_message_visibility_batch = change  # type: ignore[method-assign]

    def handle(record: SqsRecord) -> None:
        now[0] += 20  # the job runs past a third of the 30 s visibility timeout
        gate.wait(5)

    c = QueueConsumer(
        queue,
        "q",
        handle,
        visibility_s=30,
        clock=lambda: now[0],
        on_extend=lambda m, s: extended.append((m, s)),
    )
    c.run(threading.Event(), max_messages=1, budget_s=1e9)
    assert extensions == [30]
    assert extended == [("m0", 30)]
    assert queue.deleted == ["r0"]


def test_a_budgeted_run_denied_the_queue_fails_within_its_budget_instead_of_retrying() -> None:
    from botocore.exceptions import ClientError

    from trellis.runtime import AccessDenied

    class DeniedQueue(MemoryQueue):
        def get_queue_attributes(self, **kw: Any) -> dict[str, Any]:
            raise ClientError(
                {"Error": {"Code": "AccessDeniedException", "Message": "no"}},
                "GetQueueAttributes",
            )

    queue = DeniedQueue([])
    c = QueueConsumer(queue, "q", lambda r: None, rng=random.Random(1), max_backoff_s=0.01)
    with pytest.raises(AccessDenied):
        c.run(threading.Event(), budget_s=0.05)


def test_a_stop_does_not_wait_for_an_idle_long_poll_and_releases_what_it_brings() -> None:
    # An empty long poll answers when its wait is over (up to 8 s against SQS): a stop
    # must not wait for it, and what it finally brings must not stay invisible.
    queue = MemoryQueue([])
    polling = threading.Event()
    answer = threading.Event()
    real_receive = queue.receive_message

    def long_poll(**kw: Any) -> dict[str, Any]:
        polling.set()
        answer.wait(10)
        queue.visible = [{"MessageId": "late", "ReceiptHandle": "r-late", "Body": "x"}]
        return real_receive(**kw)

    queue.receive_message = long_poll  # type: ignore[method-assign]
    handled: list[str] = []
    stop = threading.Event()
    c = consumer(queue, lambda r: handled.append(r.body), wait_s=8)
    thread = threading.Thread(target=c.run, args=(stop,))
    thread.start()
    assert polling.wait(5)
    stop.set()
    thread.join(2)
    stopped_while_polling = not thread.is_alive()
    answer.set()
    thread.join(5)
    assert stopped_while_polling
    wait_until(lambda: queue.released, timeout_s=5, what="the late poll's release")
    assert queue.released == ["r-late"]  # visible again at once, for the next consumer
    assert handled == [] and queue.deleted == []
