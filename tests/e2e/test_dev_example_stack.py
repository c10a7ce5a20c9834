"""`trellis dev` on the example stack, driven over HTTP like a user would."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import alive, descendants, emulator_clients, queue_counts
from trellis.testing import DevProcess, wait_until

pytestmark = pytest.mark.e2e


def test_example_stack_serves_health_routes_jobs_and_stops_cleanly(root: Path) -> None:
    dev = DevProcess(root / "trellis.toml").start()
    try:
        print(f"trellis dev ready in {dev.ready_s:.2f} s")
        children = descendants(dev.pid)
        assert len(children) >= 3  # emulator + one process per service
        # One instance per function by the ready line, each the spare that loaded its
        # libraries while the resources were made: the event sources start after the
        # health checks, so no delivery took the instance a health check needed.
        until_ready = dev.lines[: next(i for i, line in enumerate(dev.lines) if "ready in" in line)]
        inits = [
            json.loads(line.split("| ", 1)[1]) for line in until_ready if "lambda.init" in line
        ]
        assert sorted(i["handler"] for i in inits) == [
            "api.handler.handler",
            "worker.handler.handler",
        ]
        assert all(i.get("libraries_preloaded") for i in inits), inits

        with httpx.Client(base_url=dev.base_url, timeout=10, headers=dev.bearer()) as http:
            api = http.get("/api/health")
            worker = http.get("/worker/health")
            assert api.status_code == 200 and api.json()["service"] == "api"
            assert worker.status_code == 200 and worker.json()["service"] == "worker"

            ready = http.get("/api/ready")
            assert ready.status_code == 200, ready.text
            assert set(ready.json()["checks"]) == {
                "users_table",
                "files_table",
                "audit_database",
                "profiles_cache",
                "uploads_bucket",
            }

            unknown = http.get("/nowhere")
            assert unknown.status_code == 404
            assert unknown.json()["error"]["code"] == "not_found"
            missing = http.get("/api/no-such-route", headers={"x-request-id": "req-123"})
            assert missing.status_code == 404
            assert missing.json()["error"] == {
                "code": "not_found",
                "message": missing.json()["error"]["message"],
                "request_id": "req-123",
            }

        sqs, _ = emulator_clients(dev.emulator_endpoint)
        url = sqs.get_queue_url(QueueName="acme-dev-jobs")["QueueUrl"]
        sent = sqs.send_message(
            QueueUrl=url,
            MessageBody=json.dumps({"type": "process_data", "payload": {"key": "value"}}),
        )
        wait_until(
            lambda: any(
                sent["MessageId"] in line and "job.succeeded" in line for line in dev.lines
            ),
            timeout_s=15,
            what="the worker's SQS handler to process the message",
        )
        wait_until(
            lambda: sum(queue_counts(sqs, url)) == 0,
            timeout_s=10,
            what="the processed message to be deleted",
        )
    finally:
        status = dev.stop()
    assert status == 0, dev.output()[-2000:]
    assert not [pid for pid in children if alive(pid)], "trellis dev left processes behind"
    assert "stopped" in dev.lines[-1]
