"""The worker's promises, proved through `trellis dev` over HTTP: no job lost, none run twice."""

from __future__ import annotations

import json
import os
import signal
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import emulator_clients, find_process, queue_counts
from trellis.cli import main as cli
from trellis.local.emulator import LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY
from trellis.testing import DevProcess, wait_until

pytestmark = pytest.mark.e2e


def statuses(http: httpx.Client, job_ids: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for job_id in job_ids:
        resp = http.get(f"/worker/jobs/{job_id}")
        status = resp.json()["status"] if resp.status_code == 200 else f"http {resp.status_code}"
        counts[status] = counts.get(status, 0) + 1
    return counts


def processed_count(ddb: Any, table: str) -> int:
    item = ddb.get_item(TableName=table, Key={"job_id": {"S": "stats#process_data"}}).get("Item")
    return int(item["processed"]["N"]) if item else 0


def depth(sqs: Any, queue: str) -> int:
    return sum(queue_counts(sqs, sqs.get_queue_url(QueueName=queue)["QueueUrl"]))


def test_a_consumer_killed_mid_batch_loses_no_job_and_applies_each_once(root: Path) -> None:
    with DevProcess(root / "tests/e2e/stacks/containers/trellis.toml") as dev:
        sqs, ddb = emulator_clients(dev.emulator_endpoint)
        with httpx.Client(base_url=dev.base_url, timeout=15, headers=dev.bearer()) as http:
            jobs = [
                {"type": "process_data", "payload": {"n": i, "sleep_ms": 150}} for i in range(40)
            ]
            resp = http.post("/worker/jobs/batch", json={"jobs": jobs})
            assert resp.status_code == 202, resp.text
            job_ids = [r["job_id"] for r in resp.json()["results"]]

            def succeeded_lines() -> int:
                return sum(1 for line in dev.lines if '"job.succeeded"' in line)

            wait_until(
                lambda: succeeded_lines() >= 5, timeout_s=30, what="the consumer to be mid-way"
            )
            worker = find_process(dev.pid, "uvicorn", "worker.main:app")
            os.kill(worker, signal.SIGKILL)
            done_before_kill = succeeded_lines()
            assert done_before_kill < 40, "the kill came too late to interrupt anything"

            wait_until(
                lambda: any("exited with status -9; restarting" in line for line in dev.lines),
                timeout_s=10,
                what="trellis dev to restart the killed container",
            )
            wait_until(
                lambda: statuses(http, job_ids) == {"succeeded": 40},
                timeout_s=90,
                interval_s=1,
                what="every job to succeed after the restart",
            )
        assert processed_count(ddb, "ctr-dev-job_records") == 40  # each side effect applied once
        # A second delivery of a job that was running (SQS is at-least-once; a send retried
        # after a timeout is another) was refused as busy and comes back after the 3 s
        # visibility timeout, to be acknowledged as a duplicate: the queue drains.
        wait_until(lambda: depth(sqs, "ctr-dev-jobs") == 0, timeout_s=30, what="the queue to drain")
        assert processed_count(ddb, "ctr-dev-job_records") == 40
        assert depth(sqs, "ctr-dev-jobs-dlq") == 0


def test_a_poison_job_is_dead_lettered_after_max_receive_count_and_redrive_brings_it_back(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest = root / "tests/e2e/stacks/fast/trellis.toml"  # max_receive_count = 2
    with DevProcess(manifest) as dev:
        sqs, _ = emulator_clients(dev.emulator_endpoint)
        job_id = uuid.uuid4().hex
        poison = {
            "job_id": job_id,
            "type": "process_data",
            "payload": {"sleep_ms": "soon"},
            "enqueued_at": datetime.now(UTC).isoformat(),
        }
        url = sqs.get_queue_url(QueueName="fast-dev-jobs")["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps(poison))
        with httpx.Client(base_url=dev.base_url, timeout=10, headers=dev.bearer()) as http:
            wait_until(
                lambda: http.get(f"/worker/jobs/{job_id}").json().get("status") == "dead_lettered",
                timeout_s=40,
                interval_s=0.5,
                what="the poison job to be dead-lettered",
            )
            attempts = [
                line for line in dev.lines if job_id in line and '"job.attempt_failed"' in line
            ]
            assert len(attempts) == 2
            assert http.get(f"/worker/jobs/{job_id}").json()["attempts"] == 2
            assert depth(sqs, "fast-dev-jobs-dlq") == 1
            assert depth(sqs, "fast-dev-jobs") == 0

            monkeypatch.setenv("AWS_ACCESS_KEY_ID", LOCAL_ACCESS_KEY)
            monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", LOCAL_SECRET_KEY)
            assert (
                cli(
                    [
                        "--manifest",
                        str(manifest),
                        "queue",
                        "redrive",
                        "jobs",
                        "--endpoint-url",
                        dev.emulator_endpoint,
                    ]
                )
                == 0
            )
            wait_until(
                lambda: http.get(f"/worker/jobs/{job_id}").json()["attempts"] >= 3,
                timeout_s=20,
                what="the redriven job to run again",
            )


def test_an_emulator_outage_gives_503s_then_every_accepted_job_runs(root: Path) -> None:
    with DevProcess(root / "tests/e2e/stacks/outage/trellis.toml") as dev:
        emulator = find_process(dev.pid, "trellis.local.emulator")
        accepted: list[str] = []
        codes: list[int] = []
        retry_after: list[str] = []
        with httpx.Client(base_url=dev.base_url, timeout=15) as http:
            started = time.monotonic()
            stopped = resumed = False
            # The freeze (3 s to 12 s) outlasts the worst case before the event source's
            # next receive times out: a batch in flight runs out the function's 3 s timeout,
            # then the receive's 3 s read timeout; under load a 6 s freeze could miss it.
            while time.monotonic() - started < 17:
                elapsed = time.monotonic() - started
                if not stopped and elapsed > 3:
                    os.kill(emulator, signal.SIGSTOP)  # the emulator freezes: connections hang
                    stopped = True
                if stopped and not resumed and elapsed > 12:
                    os.kill(emulator, signal.SIGCONT)
                    resumed = True
                resp = http.post(
                    "/worker/jobs", json={"type": "process_data", "payload": {"t": elapsed}}
                )
                codes.append(resp.status_code)
                if resp.status_code == 202:
                    accepted.append(resp.json()["job_id"])
                elif resp.status_code == 503:
                    retry_after.append(resp.headers.get("retry-after", ""))
                time.sleep(0.1)
            if not resumed:
                os.kill(emulator, signal.SIGCONT)
            assert set(codes) <= {202, 503}, f"unexpected statuses: {sorted(set(codes))}"
            assert codes.count(503) >= 1
            assert all(retry_after)
            assert codes[-1] == 202  # service is back
            wait_until(
                lambda: statuses(http, accepted) == {"succeeded": len(accepted)},
                timeout_s=60,
                interval_s=1,
                what="every accepted job to succeed",
            )
        # The event source met the outage (a failed receive or delete), carried on, and drained the queue.
        assert any("event source jobs:" in line and "failed (" in line for line in dev.lines)
        print(f"outage: {codes.count(202)} accepted, {codes.count(503)} answered 503")
