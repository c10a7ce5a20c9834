"""The jobs API and the job runner against the emulator: status, idempotency, DLQ."""

from __future__ import annotations

import hashlib
import json
import re
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from backend.worker.tests.helpers import MAX_RECEIVE_COUNT, WorkerStack
from fastapi.testclient import TestClient

from trellis.cli import main as cli
from trellis.local.emulator import LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY
from trellis.runtime import AccessDenied, AwsClients, DependencyUnavailable
from trellis.runtime.consumer import QueueConsumer
from trellis.runtime.queues import OutgoingMessage, Publisher
from trellis.testing import wait_until
from worker.app import build_app

pytestmark = pytest.mark.integration


def drain(stack: WorkerStack, max_messages: int = 10) -> dict[str, int]:
    resp = stack.http.post("/jobs/process", params={"max_messages": max_messages})
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_a_job_is_queued_then_succeeds_with_its_result(worker_stack: WorkerStack) -> None:
    resp = worker_stack.http.post(
        "/jobs", json={"type": "process_data", "payload": {"key": "value"}}
    )
    assert resp.status_code == 202
    body = resp.json()
    assert body["status"] == "queued"
    assert body["status_url"] == f"/worker/jobs/{body['job_id']}"
    assert worker_stack.http.get(f"/jobs/{body['job_id']}").json()["status"] == "queued"

    assert drain(worker_stack) == {"received": 1, "succeeded": 1, "failed": 0}
    job = worker_stack.http.get(f"/jobs/{body['job_id']}").json()
    assert job["status"] == "succeeded"
    assert job["attempts"] == 1
    assert job["result"]["keys"] == 1
    assert job["completed_at"] >= job["started_at"] >= job["enqueued_at"]
    assert worker_stack.processed_count() == 1
    assert worker_stack.depth(worker_stack.queue_url) == (0, 0)


def test_the_guide_shape_is_accepted(worker_stack: WorkerStack) -> None:
    resp = worker_stack.http.post("/jobs", json={"job_type": "process_data", "data": {"k": 1}})
    assert resp.status_code == 202


def test_unknown_type_and_bad_payload_are_422_and_nothing_is_queued(
    worker_stack: WorkerStack,
) -> None:
    unknown = worker_stack.http.post("/jobs", json={"type": "nope", "payload": {}})
    assert unknown.status_code == 422
    assert "unknown job type 'nope'" in unknown.json()["error"]["message"]
    bad = worker_stack.http.post(
        "/jobs", json={"type": "process_data", "payload": {"sleep_ms": -1}}
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["fields"][0]["loc"] == ["body", "payload", "sleep_ms"]
    assert worker_stack.depth(worker_stack.queue_url) == (0, 0)


def test_a_job_over_the_sqs_limit_is_413(worker_stack: WorkerStack) -> None:
    # Under the API's 1 MiB body limit, over SQS's 1 MiB once wrapped in the envelope.
    payload = {"blob": "x" * (1024 * 1024 - 100)}
    resp = worker_stack.http.post("/jobs", json={"type": "process_data", "payload": payload})
    assert resp.status_code == 413
    assert resp.json()["error"]["code"] == "payload_too_large"
    assert worker_stack.depth(worker_stack.queue_url) == (0, 0)


def test_an_unknown_job_id_is_404(worker_stack: WorkerStack) -> None:
    resp = worker_stack.http.get("/jobs/does-not-exist")
    assert resp.status_code == 404
    assert resp.json()["error"]["code"] == "not_found"


def test_a_batch_is_sent_in_chunks_of_ten_with_a_result_per_job(worker_stack: WorkerStack) -> None:
    jobs = [{"type": "process_data", "payload": {"n": i}} for i in range(23)]
    jobs.insert(5, {"type": "nope", "payload": {}})
    resp = worker_stack.http.post("/jobs/batch", json={"jobs": jobs})
    assert resp.status_code == 202
    body = resp.json()
    assert (body["queued"], body["rejected"]) == (23, 1)
    assert body["results"][5]["status"] == "rejected"
    assert body["results"][5]["error"]["code"] == "validation_error"
    publisher = worker_stack.app.state.jobs.client().publisher
    assert publisher.calls == 3  # 23 messages → 10 + 10 + 3
    wait_until(
        lambda: worker_stack.depth(worker_stack.queue_url)[0] == 23, what="23 visible messages"
    )
    assert worker_stack.http.post("/jobs:batch", json={"jobs": jobs[:2]}).status_code == 202


def test_a_message_delivered_twice_runs_its_side_effect_once(worker_stack: WorkerStack) -> None:
    envelope = {
        "job_id": uuid.uuid4().hex,
        "type": "process_data",
        "payload": {"k": "v"},
        "enqueued_at": datetime.now(UTC).isoformat(),
    }
    sqs = worker_stack.sqs()
    for _ in range(2):  # SQS is at-least-once: the same job arrives twice
        sqs.send_message(QueueUrl=worker_stack.queue_url, MessageBody=json.dumps(envelope))
    assert drain(worker_stack) == {"received": 2, "succeeded": 2, "failed": 0}
    assert worker_stack.processed_count() == 1
    job = worker_stack.http.get(f"/jobs/{envelope['job_id']}").json()
    assert job["status"] == "succeeded"
    assert job["attempts"] == 1
    assert worker_stack.depth(worker_stack.queue_url) == (0, 0)


def test_a_poison_job_is_tried_max_receive_count_times_then_dead_lettered_and_redriven(
    worker_stack: WorkerStack,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    job_id = uuid.uuid4().hex
    poison = {
        "job_id": job_id,
        "type": "process_data",
        "payload": {"sleep_ms": "not a number"},  # a producer bug the API would have rejected
        "enqueued_at": datetime.now(UTC).isoformat(),
    }
    worker_stack.sqs().send_message(QueueUrl=worker_stack.queue_url, MessageBody=json.dumps(poison))
    received = 0
    for _ in range(40):
        received += drain(worker_stack, 1)["received"]
        if worker_stack.http.get(f"/jobs/{job_id}").json()["status"] == "dead_lettered":
            break
    job = worker_stack.http.get(f"/jobs/{job_id}").json()
    assert job["status"] == "dead_lettered"
    assert job["attempts"] == MAX_RECEIVE_COUNT
    assert received == MAX_RECEIVE_COUNT
    assert job["error"]["code"] == "invalid_payload"
    assert "sleep_ms" in job["error"]["message"]
    assert job["failed_at"] <= job["dead_lettered_at"]
    assert worker_stack.depth(worker_stack.queue_url) == (0, 0)
    (dead,) = worker_stack.sqs().receive_message(
        QueueUrl=worker_stack.dlq_url, MessageAttributeNames=["All"], VisibilityTimeout=0
    )["Messages"]
    assert json.loads(dead["Body"])["job_id"] == job_id
    # The DLQ is for operators: it keeps the detail next to the code.
    dlq_error = dead["MessageAttributes"]["trellis-error"]["StringValue"]
    assert dlq_error.startswith("invalid_payload: ") and "ValidationError" in dlq_error

    # `trellis queue stats` sees it in the DLQ; `trellis queue redrive` brings it back.
    # An operator runs them, with the operator's (here the admin's) key, not the worker's.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", LOCAL_ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", LOCAL_SECRET_KEY)
    manifest = tmp_path / "trellis.toml"
    manifest.write_text(worker_stack.manifest_text)
    endpoint = ["--endpoint-url", worker_stack.emulator.endpoint]
    wait_until(
        lambda: worker_stack.depth(worker_stack.dlq_url) == (1, 0),
        what="the DLQ message to be visible",
    )
    assert cli(["--manifest", str(manifest), "queue", "stats", "jobs", *endpoint]) == 0
    assert re.search(r"^  DLQ +1 visible, 0 in flight", capsys.readouterr().out, re.M)
    assert cli(["queue", "stats", "jobs", "--json", *endpoint, "--manifest", str(manifest)]) == 0
    assert json.loads(capsys.readouterr().out)["dlq"]["visible"] == 1
    assert cli(["--manifest", str(manifest), "queue", "redrive", "jobs", *endpoint]) == 0
    out = capsys.readouterr().out
    assert "moved 1 message(s)" in out
    assert worker_stack.depth(worker_stack.dlq_url) == (0, 0)
    assert worker_stack.depth(worker_stack.queue_url) == (1, 0)
    # Back in the queue, the job runs again (and, still poisonous, fails again).
    drain(worker_stack, 1)
    job = worker_stack.http.get(f"/jobs/{job_id}").json()
    assert job["attempts"] == MAX_RECEIVE_COUNT + 1


def test_the_s3_test_event_is_acknowledged_without_a_job(worker_stack: WorkerStack) -> None:
    worker_stack.sqs().send_message(
        QueueUrl=worker_stack.queue_url,
        MessageBody=json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent"}),
    )
    assert drain(worker_stack) == {"received": 1, "succeeded": 1, "failed": 0}
    assert worker_stack.depth(worker_stack.queue_url) == (0, 0)


def test_the_container_consumer_stops_gracefully_and_loses_nothing(
    worker_stack: WorkerStack,
) -> None:
    jobs = [{"type": "process_data", "payload": {"n": i, "sleep_ms": 50}} for i in range(30)]
    ids = [
        r["job_id"]
        for r in worker_stack.http.post("/jobs/batch", json={"jobs": jobs}).json()["results"]
    ]
    consumer: QueueConsumer = worker_stack.app.state.jobs.consumer(concurrency=4)
    stop = threading.Event()
    # Daemon threads, stopped in `finally`: a failing test must not hang the run.
    thread = threading.Thread(
        target=consumer.run, args=(stop,), kwargs={"grace_s": 10}, daemon=True
    )
    thread.start()
    try:
        wait_until(lambda: consumer.stats.succeeded >= 5, timeout_s=20, what="some jobs to finish")
    finally:
        stop.set()  # SIGTERM: stop receiving, finish in-flight, release the rest
        thread.join(20)
    assert not thread.is_alive()
    done_first = consumer.stats.succeeded
    assert consumer.stats.failed == 0
    assert consumer.stats.aws_errors == 0

    restarted = worker_stack.app.state.jobs.consumer(concurrency=4)
    stop2 = threading.Event()
    thread2 = threading.Thread(target=restarted.run, args=(stop2,), daemon=True)
    thread2.start()
    try:
        wait_until(
            lambda: all(
                worker_stack.http.get(f"/jobs/{i}").json()["status"] == "succeeded" for i in ids
            ),
            timeout_s=30,
            what="every job to succeed",
        )
    finally:
        stop2.set()
        thread2.join(20)
    assert worker_stack.processed_count() == 30
    assert done_first + restarted.stats.succeeded >= 30
    # SQS calls per job stay low: batched receives and deletes
    calls = consumer.stats.sqs_calls + restarted.stats.sqs_calls
    print(f"consumer SQS calls: {calls} for 30 jobs")


def test_a_job_outliving_the_visibility_timeout_is_not_delivered_again_while_it_runs(
    worker_stack: WorkerStack,
) -> None:
    # The queue hides a message for 1 s; this job takes 2.5 s. The consumer keeps
    # extending the message's visibility (sqs:ChangeMessageVisibility) while it runs.
    resp = worker_stack.http.post(
        "/jobs", json={"type": "process_data", "payload": {"sleep_ms": 2500}}
    )
    job_id = resp.json()["job_id"]
    consumer: QueueConsumer = worker_stack.app.state.jobs.consumer(concurrency=2)
    stop = threading.Event()
    thread = threading.Thread(target=consumer.run, args=(stop,), daemon=True)
    thread.start()
    try:
        wait_until(
            lambda: worker_stack.http.get(f"/jobs/{job_id}").json()["status"] == "succeeded",
            timeout_s=20,
            what="the long job to succeed",
        )
    finally:
        stop.set()
        thread.join(20)
    assert consumer.stats.received == 1
    assert consumer.stats.aws_errors == 0
    assert worker_stack.http.get(f"/jobs/{job_id}").json()["attempts"] == 1


def test_ready_checks_the_queue_tables_and_bucket_the_worker_uses(
    worker_stack: WorkerStack,
) -> None:
    resp = worker_stack.http.get("/ready")
    assert resp.status_code == 200, resp.text
    assert set(resp.json()["checks"]) == {
        "jobs_queue",
        "job_records_table",
        "files_table",
        "uploads_bucket",
    }


def test_an_uploaded_object_marks_its_pending_file_ready_with_size_and_checksum(
    worker_stack: WorkerStack,
) -> None:
    # What the api recorded and the client uploaded (set up as admin); the worker reads
    # the object (s3:GetObject) and the file record, and marks it ready.
    bucket, table = (
        worker_stack.settings.uploads_bucket_name,
        worker_stack.settings.files_table_name,
    )
    worker_stack.service.admin("s3").put_object(
        Bucket=bucket, Key="uploads/f1", Body=b"hello", ContentType="text/plain"
    )
    worker_stack.service.admin("dynamodb").put_item(
        TableName=table,
        Item={
            "file_id": {"S": "f1"},
            "status": {"S": "pending"},
            "content_type": {"S": "text/plain"},
            "max_bytes": {"N": "100"},
        },
    )
    event = {
        "Records": [
            {
                "eventSource": "aws:s3",
                "eventName": "ObjectCreated:Post",
                "s3": {"bucket": {"name": bucket}, "object": {"key": "uploads/f1", "size": 5}},
            }
        ]
    }
    worker_stack.sqs().send_message(QueueUrl=worker_stack.queue_url, MessageBody=json.dumps(event))

    assert drain(worker_stack) == {"received": 1, "succeeded": 1, "failed": 0}
    item = worker_stack.service.admin("dynamodb").get_item(
        TableName=table, Key={"file_id": {"S": "f1"}}
    )["Item"]
    assert item["status"]["S"] == "ready"
    assert item["size"]["N"] == "5"
    assert item["checksum"]["S"] == "sha256:" + hashlib.sha256(b"hello").hexdigest()


def test_a_job_whose_message_cannot_be_sent_leaves_no_record(worker_stack: WorkerStack) -> None:
    worker_stack.sqs().delete_queue(QueueUrl=worker_stack.queue_url)  # as if SQS lost it

    resp = worker_stack.http.post("/jobs", json={"type": "process_data", "payload": {}})

    assert resp.status_code == 503
    records = worker_stack.service.admin("dynamodb").scan(
        TableName=worker_stack.settings.job_records_table_name
    )["Items"]
    assert records == []  # the record written before the send was deleted again


def test_an_internal_job_type_is_refused_with_422_and_nothing_is_queued(
    worker_stack: WorkerStack,
) -> None:
    forged = {
        "event_name": "ObjectCreated:Post",
        "bucket": worker_stack.settings.uploads_bucket_name,
        "key": "uploads/someone-elses-file",
    }
    resp = worker_stack.http.post("/jobs", json={"type": "s3_object_created", "payload": forged})
    assert resp.status_code == 422
    error = resp.json()["error"]
    assert error["code"] == "validation_error"
    assert "internal" in error["message"]
    assert error["request_id"] == resp.headers["x-request-id"]
    assert error["fields"] == [{"loc": ["body", "type"], "message": "internal job type"}]

    batch = worker_stack.http.post(
        "/jobs/batch", json={"jobs": [{"type": "s3_object_created", "payload": forged}]}
    )
    assert batch.status_code == 202
    assert batch.json()["results"][0]["status"] == "rejected"
    assert batch.json()["results"][0]["error"]["code"] == "validation_error"
    assert worker_stack.depth(worker_stack.queue_url) == (0, 0)


def test_sleep_ms_over_the_job_time_limit_is_422(worker_stack: WorkerStack) -> None:
    limit_ms = int(worker_stack.settings.job_max_run_s * 1000)
    over = worker_stack.http.post(
        "/jobs", json={"type": "process_data", "payload": {"sleep_ms": limit_ms + 1}}
    )
    assert over.status_code == 422
    assert over.json()["error"]["fields"][0]["loc"] == ["body", "payload", "sleep_ms"]
    assert str(limit_ms) in over.json()["error"]["fields"][0]["message"]
    assert worker_stack.depth(worker_stack.queue_url) == (0, 0)
    at_limit = worker_stack.http.post(
        "/jobs", json={"type": "process_data", "payload": {"sleep_ms": limit_ms}}
    )
    assert at_limit.status_code == 202


def test_an_id_that_cannot_be_a_job_id_is_404_without_a_lookup(worker_stack: WorkerStack) -> None:
    worker_stack.http.post("/jobs", json={"type": "process_data", "payload": {}})
    assert drain(worker_stack)["succeeded"] == 1
    assert worker_stack.processed_count() == 1  # the stats item exists, keyed `stats#process_data`

    for path in ("/jobs/stats%23process_data", "/jobs/a%2Fb", "/jobs/" + "x" * 200):
        resp = worker_stack.http.get(path)
        assert resp.status_code == 404, (path, resp.text)
        assert resp.json()["error"]["code"] == "not_found"


def test_a_job_claiming_an_id_with_the_key_separator_is_refused_and_touches_no_item(
    worker_stack: WorkerStack,
) -> None:
    worker_stack.http.post("/jobs", json={"type": "process_data", "payload": {}})
    drain(worker_stack)
    forged = {
        "job_id": "stats#process_data",
        "type": "process_data",
        "payload": {},
        "enqueued_at": datetime.now(UTC).isoformat(),
    }
    worker_stack.sqs().send_message(QueueUrl=worker_stack.queue_url, MessageBody=json.dumps(forged))
    assert drain(worker_stack)["failed"] == 1  # an invalid message, retried then dead-lettered
    item = worker_stack.service.admin("dynamodb").get_item(
        TableName=worker_stack.settings.job_records_table_name,
        Key={"job_id": {"S": "stats#process_data"}},
    )["Item"]
    assert set(item) == {"job_id", "processed"}  # not turned into a job record


def test_a_failed_jobs_error_is_a_code_and_a_safe_message_without_aws_text(
    worker_stack: WorkerStack, capfd: pytest.CaptureFixture[str]
) -> None:
    # A worker pointed at a files table its role may not read: AWS says who and what, with ARNs.
    other = f"{worker_stack.service.project}-dev-other-files"
    worker_stack.service.admin("dynamodb").create_table(
        TableName=other,
        KeySchema=[{"AttributeName": "file_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "file_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    settings = worker_stack.settings.model_copy(update={"files_table_name": other})
    event = {
        "Records": [
            {
                "eventSource": "aws:s3",
                "eventName": "ObjectCreated:Post",
                "s3": {
                    "bucket": {"name": settings.uploads_bucket_name},
                    "object": {"key": "uploads/f-denied", "size": 1, "sequencer": "01"},
                },
            }
        ]
    }
    worker_stack.sqs().send_message(QueueUrl=worker_stack.queue_url, MessageBody=json.dumps(event))
    # The routed container answers only requests with the gateway's origin secret.
    origin = {"x-trellis-origin": worker_stack.http.headers["x-trellis-origin"]}
    with TestClient(build_app(settings), headers=origin) as http:
        resp = http.post("/jobs/process", params={"max_messages": 1})
        assert resp.json()["failed"] == 1
        (item,) = [
            i
            for i in worker_stack.service.admin("dynamodb").scan(
                TableName=settings.job_records_table_name
            )["Items"]
            if i["job_id"]["S"].startswith("s3-")
        ]
        job = http.get(f"/jobs/{item['job_id']['S']}")

    assert job.status_code == 200
    assert job.json()["error"] == {
        "code": "access_denied",
        "message": "the service is not permitted to perform this operation",
    }
    text = job.text
    for leak in ("arn:", "123456789012", "botocore", "ClientError", "AccessDeniedException"):
        assert leak not in text, leak
    logs = capfd.readouterr().out
    assert "dynamodb:GetItem" in logs and other in logs  # the detail is in the log


def test_a_send_that_cannot_succeed_is_tried_once_and_logged_once(
    worker_stack: WorkerStack, capfd: pytest.CaptureFixture[str]
) -> None:
    # The worker's own key and client configuration (standard retries, 3 attempts).
    sqs = AwsClients(worker_stack.settings).sqs
    calls: list[str] = []
    sqs.meta.events.register(
        "before-send.sqs.SendMessageBatch", lambda **kwargs: calls.append("SendMessageBatch")
    )
    not_granted = worker_stack.sqs().create_queue(
        QueueName=f"{worker_stack.service.project}-dev-not-granted"
    )["QueueUrl"]
    capfd.readouterr()

    denied = Publisher(sqs, not_granted).send_batch([OutgoingMessage("a"), OutgoingMessage("b")])

    assert all(isinstance(r.error, AccessDenied) for r in denied)
    assert len(calls) == 1
    assert capfd.readouterr().out.count('"aws.access_denied"') == 1

    worker_stack.sqs().delete_queue(QueueUrl=worker_stack.queue_url)
    missing = Publisher(sqs, worker_stack.queue_url).send_batch([OutgoingMessage("c")])

    assert isinstance(missing[0].error, DependencyUnavailable)
    assert len(calls) == 2


def test_an_upload_is_checked_and_recorded_at_the_version_its_event_names(
    worker_stack: WorkerStack,
) -> None:
    # The event for the first upload is handled after the key was overwritten: the worker
    # checks the version the event names, not whatever the key holds now.
    bucket, table = (
        worker_stack.settings.uploads_bucket_name,
        worker_stack.settings.files_table_name,
    )
    s3 = worker_stack.service.admin("s3")
    first = s3.put_object(Bucket=bucket, Key="uploads/f2", Body=b"hello", ContentType="text/plain")
    s3.put_object(Bucket=bucket, Key="uploads/f2", Body=b"HELLO, WORLD", ContentType="text/plain")
    worker_stack.service.admin("dynamodb").put_item(
        TableName=table,
        Item={
            "file_id": {"S": "f2"},
            "status": {"S": "pending"},
            "content_type": {"S": "text/plain"},
            "max_bytes": {"N": "5"},
        },
    )
    event = {
        "Records": [
            {
                "eventSource": "aws:s3",
                "eventName": "ObjectCreated:Post",
                "s3": {
                    "bucket": {"name": bucket},
                    "object": {
                        "key": "uploads/f2",
                        "size": 5,
                        "versionId": first["VersionId"],
                        "sequencer": "01",
                    },
                },
            }
        ]
    }
    worker_stack.sqs().send_message(QueueUrl=worker_stack.queue_url, MessageBody=json.dumps(event))

    assert drain(worker_stack) == {"received": 1, "succeeded": 1, "failed": 0}
    item = worker_stack.service.admin("dynamodb").get_item(
        TableName=table, Key={"file_id": {"S": "f2"}}
    )["Item"]
    assert item["status"]["S"] == "ready"  # the 5 bytes allowed, not the 12 now under the key
    assert item["checksum"]["S"] == "sha256:" + hashlib.sha256(b"hello").hexdigest()
    assert item["version_id"]["S"] == first["VersionId"]
