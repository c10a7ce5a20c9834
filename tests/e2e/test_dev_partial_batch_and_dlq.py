"""Through `trellis dev` (short timings): partial batch failures, redrive to the DLQ, containers."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import emulator_clients, queue_counts
from trellis.testing import DevProcess, wait_until

pytestmark = pytest.mark.e2e

MAX_RECEIVE_COUNT = 2  # tests/e2e/stacks/fast/trellis.toml


def test_a_failing_record_is_retried_alone_then_moved_to_the_dlq(root: Path) -> None:
    with DevProcess(root / "tests/e2e/stacks/fast/trellis.toml") as dev:
        sqs, _ = emulator_clients(dev.emulator_endpoint)
        url = sqs.get_queue_url(QueueName="fast-dev-jobs")["QueueUrl"]
        dlq = sqs.get_queue_url(QueueName="fast-dev-jobs-dlq")["QueueUrl"]
        result = sqs.send_message_batch(
            QueueUrl=url,
            Entries=[
                {
                    "Id": "a",
                    "MessageBody": json.dumps({"type": "process_data", "payload": {"n": 1}}),
                },
                {"Id": "poison", "MessageBody": "this is not a job"},
                {
                    "Id": "b",
                    "MessageBody": json.dumps({"type": "process_data", "payload": {"n": 2}}),
                },
            ],
        )
        ids = {e["Id"]: e["MessageId"] for e in result["Successful"]}

        def processed(message_id: str) -> int:
            return sum(1 for line in dev.lines if message_id in line and "job_succeeded" in line)

        def failed(message_id: str) -> int:
            return sum(1 for line in dev.lines if message_id in line and '"job_invalid"' in line)

        wait_until(
            lambda: processed(ids["a"]) and processed(ids["b"]) and failed(ids["poison"]),
            timeout_s=15,
            what="the first batch",
        )
        # Exactly the failed record is left: in flight until its visibility timeout ends.
        # (The event source deletes the others once the invocation returns, a moment after
        # the jobs log their outcome.)
        wait_until(
            lambda: queue_counts(sqs, url) == (0, 1),
            timeout_s=10,
            what="the succeeded records deleted, the failed one left in flight",
        )

        wait_until(
            lambda: queue_counts(sqs, dlq)[0] == 1,
            timeout_s=30,
            what="the poison message to reach the DLQ",
        )
        wait_until(
            lambda: queue_counts(sqs, url) == (0, 0),
            timeout_s=10,
            what="the original to be deleted",
        )
        assert failed(ids["poison"]) == MAX_RECEIVE_COUNT
        assert processed(ids["a"]) == 1 and processed(ids["b"]) == 1
        (dead,) = sqs.receive_message(QueueUrl=dlq, MessageAttributeNames=["All"])["Messages"]
        assert (
            dead["MessageAttributes"]["trellis-source-message-id"]["StringValue"] == ids["poison"]
        )
        assert "body is not JSON" in dead["MessageAttributes"]["trellis-error"]["StringValue"]
        assert dead["Body"] == "this is not a job"


def test_a_container_service_is_served_through_the_gateway_with_the_prefix_stripped(
    root: Path,
) -> None:
    with DevProcess(root / "tests/e2e/stacks/fast/trellis.toml") as dev:
        resp = httpx.get(f"{dev.base_url}/api/health", timeout=10)
        assert resp.status_code == 200
        assert resp.json() == {"status": "ok", "service": "api"}
        ready = httpx.get(f"{dev.base_url}/api/ready", timeout=10, headers=dev.bearer())
        assert ready.status_code == 200, ready.text
        assert (
            httpx.get(f"{dev.base_url}/api/nope", timeout=10, headers=dev.bearer()).json()["error"][
                "code"
            ]
            == "not_found"
        )
    # uvicorn itself served it: its start-up line is in the api's log
    assert any(line.startswith("api") and "Uvicorn running" in line for line in dev.lines)


def test_a_batch_longer_than_the_functions_timeout_stops_in_time_and_loses_nothing(
    root: Path,
) -> None:
    # 8 jobs of 450 ms for a 2 s function with a 0.5 s job limit: a batch can finish 3 or so.
    # Run whole, the batch would be killed at the timeout and every record delivered again.
    with DevProcess(root / "tests/e2e/stacks/bounded/trellis.toml") as dev:
        sqs, ddb = emulator_clients(dev.emulator_endpoint)
        url = sqs.get_queue_url(QueueName="bnd-dev-jobs")["QueueUrl"]
        job_ids = [uuid.uuid4().hex for _ in range(8)]
        now = datetime.now(UTC).isoformat()
        sqs.send_message_batch(
            QueueUrl=url,
            Entries=[
                {
                    "Id": str(i),
                    "MessageBody": json.dumps(
                        {
                            "job_id": job_id,
                            "type": "process_data",
                            "payload": {"n": i, "sleep_ms": 450},
                            "enqueued_at": now,
                        }
                    ),
                }
                for i, job_id in enumerate(job_ids)
            ],
        )

        def statuses() -> list[str]:
            out = []
            for job_id in job_ids:
                item = ddb.get_item(
                    TableName="bnd-dev-job_records", Key={"job_id": {"S": job_id}}
                ).get("Item")
                out.append(item["status"]["S"] if item else "absent")
            return out

        wait_until(
            lambda: statuses() == ["succeeded"] * 8,
            timeout_s=90,
            interval_s=0.5,
            what="every job to succeed",
        )
        assert any('"sqs.records_deferred"' in line for line in dev.lines)
        assert not [line for line in dev.lines if "Task timed out" in line]
        # A deferred record was never started: every job ran exactly once.
        for job_id in job_ids:
            item = ddb.get_item(TableName="bnd-dev-job_records", Key={"job_id": {"S": job_id}})
            assert item["Item"]["attempts"]["N"] == "1"
        processed = ddb.get_item(
            TableName="bnd-dev-job_records", Key={"job_id": {"S": "stats#process_data"}}
        )["Item"]["processed"]["N"]
        assert processed == "8"
        dlq = sqs.get_queue_url(QueueName="bnd-dev-jobs-dlq")["QueueUrl"]
        assert queue_counts(sqs, dlq) == (0, 0)
        batches = [json.loads(line.split("|", 1)[1]) for line in dev.lines if '"sqs.batch"' in line]
        print(
            "bounded batches (records, failed):",
            [(b["records"], b["failed"]) for b in batches],
        )
