"""Worker throughput: the Trellis consumer vs the guide's consumer, same jobs, same emulator.

Both consume ``process_data`` jobs that each simulate ``--work-ms`` of I/O.
The guide's consumer is its Step 4 loop: receive 10, process one by one,
delete one by one. The Trellis consumer is the container loop the worker runs
(``QueueConsumer`` + ``JobRunner``: claim, run, complete with the job's side
effect, batched deletes). A paced producer keeps the queue shallow (moto's
SQS slows down as a queue fills), and every AWS call the consumers make is
counted with botocore's event hooks, so calls per job don't depend on the
emulator's speed.

    uv run python bench/worker_throughput.py --jobs 2000
"""

from __future__ import annotations

import argparse
import json
import os
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from trellis.local.emulator import (
    LOCAL_ACCESS_KEY,
    LOCAL_ACCOUNT_ID,
    LOCAL_SECRET_KEY,
    Emulator,
    free_port,
)
from trellis.local.provision import provision
from trellis.manifest import load_manifest_text
from trellis.runtime.consumer import QueueConsumer

MANIFEST = """
[project]
name = "{project}"
region = "us-east-1"
github_repository = "acme/backend"
environments = ["dev"]

[services.worker]
runtime = "ecs-express"
uses = {{ jobs = ["consume", "send"], job_records = "readwrite", files = "readwrite", uploads = "read" }}

[queues.jobs]
visibility_timeout_s = 60
max_receive_count = 5

[tables.job_records]
hash_key = "job_id"

[tables.files]
hash_key = "file_id"

[buckets.uploads]
"""


@dataclass
class Result:
    name: str
    jobs: int
    seconds: float
    calls: Counter[str]
    max_depth: int
    concurrency: int
    #: CPU the emulator process spent per job: what the two consumers cost the machine locally.
    emulator_cpu_ms: float = 0.0

    @property
    def rate(self) -> float:
        return self.jobs / self.seconds

    def per_job(self, service: str | None = None) -> float:
        total = sum(
            n for op, n in self.calls.items() if service is None or op.startswith(service + ".")
        )
        return total / self.jobs


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux ``/proc``)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def count_calls(client: Any, calls: Counter[str]) -> Any:
    lock = threading.Lock()

    def hook(model: Any, **_kw: Any) -> None:
        with lock:
            calls[f"{model.service_model.service_name}.{model.name}"] += 1

    client.meta.events.register("before-call.*.*", hook)
    return client


def job_entries(first: int, count: int, work_ms: int) -> list[dict[str, str]]:
    """A ``SendMessageBatch``'s entries: ``count`` job envelopes, numbered from ``first``."""
    entries = []
    for i in range(count):
        envelope = {
            "job_id": uuid.uuid4().hex,
            "type": "process_data",
            "payload": {"n": first + i, "sleep_ms": work_ms},
            "enqueued_at": datetime.now(UTC).isoformat(),
        }
        entries.append({"Id": str(i), "MessageBody": json.dumps(envelope)})
    return entries


class Producer(threading.Thread):
    """Sends ``total`` jobs in batches of 10, keeping at most ``depth`` unconsumed."""

    def __init__(
        self, sqs: Any, url: str, total: int, work_ms: int, consumed: Any, depth: int = 40
    ) -> None:
        super().__init__(daemon=True)
        self.sqs, self.url, self.total, self.work_ms = sqs, url, total, work_ms
        self.consumed, self.depth = consumed, depth
        self.sent = 0
        self.max_depth = 0

    def run(self) -> None:
        while self.sent < self.total:
            backlog = self.sent - self.consumed()
            self.max_depth = max(self.max_depth, backlog)
            if backlog > self.depth - 10:
                time.sleep(0.005)
                continue
            entries = job_entries(self.sent, min(10, self.total - self.sent), self.work_ms)
            self.sqs.send_message_batch(QueueUrl=self.url, Entries=entries)
            self.sent += len(entries)


def guide_consumer(emu: Emulator, url: str, total: int, work_ms: int) -> Result:
    """The guide's loop: receive 10 (20 s long poll), process serially, delete one at a time."""
    calls: Counter[str] = Counter()
    sqs = count_calls(emu.client("sqs"), calls)
    done = 0
    producer = Producer(emu.client("sqs"), url, total, work_ms, lambda: done)
    producer.start()
    started = time.perf_counter()
    deadline = time.monotonic() + 600
    while done < total:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the guide-style consumer stalled after {done} jobs")
        response = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=20)
        for message in response.get("Messages", []):
            body = json.loads(message["Body"])
            time.sleep(body["payload"]["sleep_ms"] / 1000)  # "Your processing logic here"
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            done += 1
    elapsed = time.perf_counter() - started
    return Result("guide-style consumer", total, elapsed, calls, producer.max_depth, 1)


def trellis_consumer(
    emu: Emulator, addresses: Any, project: str, total: int, work_ms: int, concurrency: int
) -> Result:
    from trellis.runtime import AwsClients
    from worker.app import Jobs
    from worker.settings import Settings

    calls: Counter[str] = Counter()
    settings = Settings(
        trellis_project=project,
        trellis_env="dev",
        trellis_service="worker",
        aws_endpoint_url=emu.endpoint,
        consumer_concurrency=concurrency,
        jobs_queue_url=addresses.address("queue", "jobs"),
        job_records_table_name=addresses.address("table", "job_records"),
        files_table_name=addresses.address("table", "files"),
        uploads_bucket_name=addresses.address("bucket", "uploads"),
    )
    clients = AwsClients(settings)
    for name in ("sqs", "dynamodb"):
        count_calls(clients.client(name), calls)
    jobs = Jobs(settings, clients)
    consumer: QueueConsumer = jobs.consumer(concurrency=concurrency)
    url = settings.jobs_queue_url
    producer = Producer(
        emu.client("sqs"),
        url,
        total,
        work_ms,
        lambda: consumer.stats.succeeded + consumer.stats.failed,
    )
    stop = threading.Event()
    thread = threading.Thread(
        target=consumer.run, args=(stop,), kwargs={"grace_s": 30}, daemon=True
    )
    producer.start()
    started = time.perf_counter()
    thread.start()
    deadline = time.monotonic() + 600
    while consumer.stats.succeeded + consumer.stats.failed < total:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"the consumer stalled after {consumer.stats.succeeded} jobs")
        time.sleep(0.01)
    elapsed = time.perf_counter() - started
    stop.set()
    thread.join(60)
    assert consumer.stats.failed == 0, f"{consumer.stats.failed} jobs failed"
    processed = clients.dynamodb.get_item(
        TableName=settings.job_records_table_name, Key={"job_id": {"S": "stats#process_data"}}
    )["Item"]["processed"]["N"]
    assert int(processed) == total, f"side effect applied {processed} times for {total} jobs"
    return Result(
        f"Trellis consumer ({concurrency} threads)",
        total,
        elapsed,
        calls,
        producer.max_depth,
        concurrency,
    )


def _job_bookkeeping(emu: Emulator, table: str) -> tuple[Any, Any]:
    """A ``JobStore`` on its own client, and one job's claim and completion through it."""
    from trellis.runtime.jobs import JobEnvelope, JobStore

    store = JobStore(emu.client("dynamodb"), table)
    stats_write = {
        "Update": {
            "TableName": table,
            "Key": {"job_id": {"S": "stats#ceiling"}},
            "UpdateExpression": "ADD #n :one",
            "ExpressionAttributeNames": {"#n": "n"},
            "ExpressionAttributeValues": {":one": {"N": "1"}},
        }
    }

    def one_job(message_id: str) -> None:
        envelope = JobEnvelope(
            job_id=uuid.uuid4().hex, type="process_data", enqueued_at=datetime.now(UTC)
        )
        claim = store.claim(envelope, lease_s=60, message_id=message_id)
        store.complete(claim, {"keys": 1}, [stats_write])

    return store, one_job


def _hammer(threads: int, seconds: float, work: Any) -> float:
    """Jobs per second ``threads`` threads get through ``work()`` (which returns its job count)."""
    done = Counter[str]()
    lock = threading.Lock()
    end = time.monotonic() + seconds

    def loop() -> None:
        while time.monotonic() < end:
            n = work()
            with lock:
                done["n"] += n

    workers = [threading.Thread(target=loop) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return done["n"] / seconds


def dynamodb_ceiling(emu: Emulator, table: str, threads: int, seconds: float = 5.0) -> float:
    """Jobs per second the emulator can record, with the consumer's own writes and nothing else.

    Each iteration is one job's bookkeeping through the real ``JobStore``: the
    claim (a conditional UpdateItem) and the completion (a TransactWriteItems
    with the statistics increment) — no SQS, no handler, no sleep.
    """
    local = threading.local()

    def work() -> int:
        if not hasattr(local, "one_job"):
            local.one_job = _job_bookkeeping(emu, table)[1]
        local.one_job("ceiling")
        return 1

    return _hammer(threads, seconds, work)


def job_ceiling(emu: Emulator, url: str, table: str, threads: int, seconds: float = 5.0) -> float:
    """Jobs per second the emulator can serve with every AWS call a consumed job needs.

    Per ten jobs, what the run asks of the emulator: the producer's
    ``SendMessageBatch`` (the same envelopes), a ``ReceiveMessage`` of ten with the
    attributes the consumer asks for and a ``DeleteMessageBatch``, and each job's
    claim and completion through the real ``JobStore`` — from as many threads as
    the consumer has, without its work or its sleeps. This is the most any
    consumer making these calls can get through on this emulator.
    """
    local = threading.local()

    def work() -> int:
        if not hasattr(local, "sqs"):
            local.sqs = emu.client("sqs")
            local.one_job = _job_bookkeeping(emu, table)[1]
            # The consumer's own receive (every attribute, as a Lambda record carries them).
            local.receive = QueueConsumer(local.sqs, url, handle=lambda _record: None)._receive
        local.sqs.send_message_batch(QueueUrl=url, Entries=job_entries(0, 10, 0))
        messages = local.receive(10, 0)
        for message in messages:
            local.one_job(message["MessageId"])
        if messages:
            local.sqs.delete_message_batch(
                QueueUrl=url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                    for i, m in enumerate(messages)
                ],
            )
        return len(messages)

    return _hammer(threads, seconds, work)


def run(
    jobs: int, work_ms: int, concurrency: int
) -> tuple[Result, Result, tuple[float, float, float]]:
    # The worker's clients read credentials from the environment, as on AWS; these are the emulator's.
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": LOCAL_ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": LOCAL_SECRET_KEY,
            "AWS_REGION": "us-east-1",
        }
    )
    emu = Emulator(port=free_port()).start()
    try:
        results = []
        pid = emu.pid
        for kind in ("guide", "trellis"):
            project = f"bench{uuid.uuid4().hex[:6]}"
            manifest = load_manifest_text(MANIFEST.format(project=project))
            addresses = provision(manifest, "dev", emu.client, account_id=LOCAL_ACCOUNT_ID)
            cpu_before = cpu_seconds(pid)
            if kind == "guide":
                result = guide_consumer(emu, addresses.address("queue", "jobs"), jobs, work_ms)
            else:
                result = trellis_consumer(emu, addresses, project, jobs, work_ms, concurrency)
            result.emulator_cpu_ms = (cpu_seconds(pid) - cpu_before) / jobs * 1000
            results.append(result)
        table = addresses.address("table", "job_records")
        ceiling = job_ceiling(emu, addresses.address("queue", "jobs"), table, concurrency)
        writes = dynamodb_ceiling(emu, table, concurrency)
        fresh = f"bench-fresh-{uuid.uuid4().hex[:6]}"
        emu.client("dynamodb").create_table(
            TableName=fresh,
            AttributeDefinitions=[{"AttributeName": "job_id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "job_id", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
        return results[0], results[1], (ceiling, writes, dynamodb_ceiling(emu, fresh, concurrency))
    finally:
        emu.stop()


def _threads_cap(trellis: Result, work_ms: int) -> float:
    """Jobs per second the consumer's threads allow when each holds a job for its work."""
    return trellis.concurrency * 1000 / work_ms if work_ms else float("inf")


def _threads_bind(trellis: Result, work_ms: int, ceiling: float) -> bool:
    """Whether the consumer's threads (each holding a job for its work) cap it below the emulator."""
    return _threads_cap(trellis, work_ms) < ceiling


def _share(trellis: Result, work_ms: int, ceiling: float) -> str:
    """The consumer's rate against the limit that binds it: its threads or the emulator."""
    threads_cap = _threads_cap(trellis, work_ms)
    if _threads_bind(trellis, work_ms, ceiling):
        return (
            f"Share of what its {trellis.concurrency} threads allow with {work_ms} ms jobs "
            f"({threads_cap:.0f} jobs/s, below the emulator's {ceiling:.0f}): "
            f"**{trellis.rate / threads_cap:.0%}**."
        )
    return (
        f"Share of the emulator's ceiling for a job's calls: **{trellis.rate / ceiling:.0%}** "
        "(target ≥ 90%)."
    )


def _binding_limit(trellis: Result, work_ms: int, ceiling: float) -> str:
    """Which limit the consumer meets, in words: its threads or the emulator."""
    if _threads_bind(trellis, work_ms, ceiling):
        threads_cap = _threads_cap(trellis, work_ms)
        return (
            f"Here its {trellis.concurrency} threads are the limit, not the emulator: each holds a job "
            f"for its {work_ms} ms of work, so they cannot pass {threads_cap:.0f} jobs/s "
            f"({trellis.rate / threads_cap:.0%} of that reached); `TRELLIS_CONSUMER_CONCURRENCY` "
            "raises it."
        )
    return "Locally it is bound by the emulator's throughput for these writes."


def report(
    guide: Result, trellis: Result, work_ms: int, ceilings: tuple[float, float, float]
) -> str:
    ceiling, writes, fresh = ceilings
    lines = [
        f"### Worker throughput ({trellis.jobs} jobs each, {work_ms} ms of simulated work per job)",
        "",
        "| consumer | jobs/s | SQS calls/job | DynamoDB calls/job | emulator CPU/job | max queue depth |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in (guide, trellis):
        lines.append(
            f"| {r.name} | {r.rate:.1f} | {r.per_job('sqs'):.3f} | {r.per_job('dynamodb'):.3f} "
            f"| {r.emulator_cpu_ms:.1f} ms | {r.max_depth} |"
        )
    lines += [
        "",
        f"Throughput ratio (Trellis / guide): **{trellis.rate / guide.rate:.2f}x**. "
        f"Trellis SQS calls per job: **{trellis.per_job('sqs'):.3f}** (target ≤ 0.35). "
        + _share(trellis, work_ms, ceiling),
        "",
        "Calls by operation — guide: "
        + ", ".join(f"{op} {n}" for op, n in sorted(guide.calls.items()))
        + "; Trellis: "
        + ", ".join(f"{op} {n}" for op, n in sorted(trellis.calls.items()))
        + ".",
        "",
        "The Trellis consumer also makes two DynamoDB writes per job (the idempotency claim and the "
        "completion, committed with the job's own side effect) that the guide's consumer does not: they "
        "are what makes a redelivered message harmless. Locally they are paid in the emulator's CPU "
        f"(the emulator CPU/job column; the producer's sends are included for both): at "
        f"{trellis.emulator_cpu_ms:.1f} ms per job the emulator alone caps this machine near "
        f"{1000 / trellis.emulator_cpu_ms:.0f} jobs/s, whatever the consumer does.",
        "",
        f"Emulator ceiling, same run, measured right after the consumer on its queue and the table "
        f"it filled: **{ceiling:.1f} jobs/s** — every AWS call a job needs (per ten jobs the "
        "producer's `SendMessageBatch` of the same envelopes, the consumer's own `ReceiveMessage` of "
        "ten, attributes included, and a `DeleteMessageBatch`; per "
        "job the claim and completion through the real `JobStore`), from "
        f"{trellis.concurrency} threads, with no work and no sleeps. The Trellis consumer reached "
        f"{trellis.rate:.1f} jobs/s (**{trellis.rate / ceiling:.0%} of that ceiling**). The "
        f"DynamoDB writes alone would allow {writes:.1f} jobs/s (on a new table in the same "
        f"emulator: {fresh:.1f} jobs/s), which no consumer can reach: its SQS calls run on the "
        "same emulator. "
        + _binding_limit(trellis, work_ms, ceiling)
        + " The guide's consumer is bound by its serial processing; the SQS calls per job do not "
        "depend on the emulator.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--work-ms", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    from trellis.runtime import configure_logging

    configure_logging("bench", "WARNING")  # one line per job would drown the report
    guide, trellis, ceilings = run(args.jobs, args.work_ms, args.concurrency)
    print(report(guide, trellis, args.work_ms, ceilings))


if __name__ == "__main__":
    main()
