from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from trellis.local.emulator import LOCAL_ACCOUNT_ID, Emulator
from trellis.local.provision import LocalAddresses, provision
from trellis.manifest import load_manifest_text
from worker.app import build_app
from worker.settings import Settings

MAX_RECEIVE_COUNT = 2


@dataclass
class WorkerStack:
    manifest_text: str
    emulator: Emulator
    addresses: LocalAddresses
    settings: Settings
    app: FastAPI
    http: TestClient

    @property
    def queue_url(self) -> str:
        return self.addresses.address("queue", "jobs")

    @property
    def dlq_url(self) -> str:
        return self.addresses.dlq_urls["jobs"]

    def sqs(self) -> Any:
        return self.emulator.client("sqs")

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
            self.emulator.client("dynamodb")
            .get_item(
                TableName=self.settings.job_records_table_name,
                Key={"job_id": {"S": "stats#process_data"}},
            )
            .get("Item")
        )
        return int(item["processed"]["N"]) if item else 0


@pytest.fixture
def worker_stack(
    emulator_env: Emulator, unique_name: Callable[[str], str]
) -> Iterator[WorkerStack]:
    """The worker's resources in the emulator (fresh names) and its app wired to them."""
    project = unique_name("w")
    manifest_text = f"""
[project]
name = "{project}"
region = "us-east-1"
github_repository = "acme/backend"
environments = ["dev"]

[services.worker]
runtime = "ecs-express"
uses = {{ jobs = ["consume", "send"], job_records = "readwrite", files = "readwrite", uploads = "read" }}

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
    manifest = load_manifest_text(manifest_text)
    addresses = provision(manifest, "dev", emulator_env.client, account_id=LOCAL_ACCOUNT_ID)
    settings = Settings(
        trellis_project=project,
        trellis_env="dev",
        trellis_service="worker",
        trellis_route="/worker",
        aws_endpoint_url=emulator_env.endpoint,
        jobs_queue_url=addresses.address("queue", "jobs"),
        job_records_table_name=addresses.address("table", "job_records"),
        files_table_name=addresses.address("table", "files"),
        uploads_bucket_name=addresses.address("bucket", "uploads"),
    )
    app = build_app(settings)
    with TestClient(app) as http:
        yield WorkerStack(manifest_text, emulator_env, addresses, settings, app, http)
