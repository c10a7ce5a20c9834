"""The worker's dependencies: its job machinery, built on first use, and the routes' alias.

The container builds each part under its lock the first time something needs it,
so a cold start that serves ``/health`` never loads boto3, and concurrent first
requests share one runner (it holds the leases of the records in flight).
"""

from __future__ import annotations

import threading
from typing import Annotated

from fastapi import Depends, Request

from trellis.runtime import AwsClients
from trellis.runtime.consumer import QueueConsumer
from trellis.runtime.jobs import JobClient, JobRegistry, JobRunner, JobStore
from trellis.runtime.queues import Publisher
from worker.jobs import build_registry
from worker.settings import Settings


class Jobs:
    """The job types, their records, the runner that executes them and the client that queues them."""

    def __init__(self, settings: Settings, clients: AwsClients) -> None:
        self.settings = settings
        self.clients = clients
        self._lock = threading.RLock()
        self._registry: JobRegistry | None = None
        self._store: JobStore | None = None
        self._runner: JobRunner | None = None
        self._client: JobClient | None = None

    def registry(self) -> JobRegistry:
        with self._lock:
            if self._registry is None:
                self._registry = build_registry(self.settings, self.clients)
            return self._registry

    def store(self) -> JobStore:
        with self._lock:
            if self._store is None:
                self._store = JobStore(self.clients.dynamodb, self.settings.job_records_table_name)
            return self._store

    def runner(self) -> JobRunner:
        with self._lock:
            if self._runner is None:
                self._runner = JobRunner(
                    self.registry(), self.store(), self.clients.sqs, self.settings.jobs_queue_url
                )
            return self._runner

    def client(self) -> JobClient:
        with self._lock:
            if self._client is None:
                publisher = Publisher(self.clients.sqs, self.settings.jobs_queue_url)
                self._client = JobClient(self.registry(), self.store(), publisher)
            return self._client

    def consumer(self, concurrency: int | None = None) -> QueueConsumer:
        """A consumer loop of the jobs queue that runs each message's job."""
        runner = self.runner()
        return QueueConsumer(
            self.clients.sqs,
            self.settings.jobs_queue_url,
            runner.process,
            concurrency=concurrency or self.settings.consumer_concurrency,
            on_extend=runner.extend_leases,
        )


def get_jobs(request: Request) -> Jobs:
    jobs: Jobs = request.app.state.jobs
    return jobs


JobsDep = Annotated[Jobs, Depends(get_jobs)]
