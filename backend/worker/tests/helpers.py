"""What the worker's tests share: its manifest with short timings, and its world (``WorkerStack``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from trellis.local.emulator import Emulator
from trellis.local.provision import LocalAddresses
from trellis.testing import ServiceEnvironment
from worker.settings import Settings

MAX_RECEIVE_COUNT = 2


@dataclass
class WorkerStack:
    """The worker app under test, with its own IAM key; ``sqs()`` etc. are the admin's."""

    manifest_text: str
    service: ServiceEnvironment
    settings: Settings
    app: FastAPI
    http: TestClient

    @property
    def emulator(self) -> Emulator:
        return self.service.emulator

    @property
    def addresses(self) -> LocalAddresses:
        return self.service.addresses

    @property
    def queue_url(self) -> str:
        return self.addresses.address("queue", "jobs")

    @property
    def dlq_url(self) -> str:
        return self.addresses.dlq_urls["jobs"]

    def sqs(self) -> Any:
        return self.service.admin("sqs")

    def depth(self, url: str) -> tuple[int, int]:
        attrs = self.sqs().get_queue_attributes(
            QueueUrl=url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attrs["ApproximateNumberOfMessages"]), int(
            attrs["ApproximateNumberOfMessagesNotVisible"]
        )

    def processed_count(self) -> int:
        item = (
            self.service.admin("dynamodb")
            .get_item(
                TableName=self.settings.job_records_table_name,
                Key={"job_id": {"S": "stats#process_data"}},
            )
            .get("Item")
        )
        return int(item["processed"]["N"]) if item else 0


def manifest_text(project: str) -> str:
    """The example manifest's worker and what it uses, with timings short enough for tests."""
    return f"""
[project]
name = "{project}"
region = "us-east-1"
github_repository = "acme/backend"
environments = ["dev"]

[services.worker]
runtime = "ecs-express"
route = "/worker"
auth = "none"
uses = {{ jobs = ["consume", "send"], job_records = ["get", "write"], files = ["get", "write"], uploads = "read" }}

[queues.jobs]
visibility_timeout_s = 1
max_receive_count = {MAX_RECEIVE_COUNT}
receive_wait_s = 0

[tables.job_records]
hash_key = "job_id"
ttl_attribute = "expires_at"

[tables.files]
hash_key = "file_id"

[buckets.uploads]
"""
