"""The worker service: a jobs API over SQS, and the consumer that runs the jobs.

Routes (behind the ``/worker`` prefix on the gateway):

- ``POST /jobs`` → 202 ``{job_id, status, status_url}``; also takes the guide's
  ``{"job_type", "data"}``. Unknown or internal type (``s3_object_created``)
  or bad payload (``sleep_ms`` over the job time limit, say) → 422; over
  SQS's 1 MiB limit → 413.
- ``POST /jobs/batch`` (or ``/jobs:batch``) → 202 with a result per job.
- ``GET /jobs/{job_id}`` → status, attempts, timestamps, result or error (a
  code and a safe message). An id that cannot be a job's → 404.
- ``POST /jobs/process?max_messages=N`` drains at most N messages now, for a
  scheduled trigger on App Runner (which throttles CPU between requests).
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cached_property
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request
from pydantic import BaseModel, Field, model_validator

from trellis.runtime import AwsClients, clients_for, create_app, get_logger
from trellis.runtime.consumer import QueueConsumer
from trellis.runtime.jobs import JobClient, JobRecord, JobRegistry, JobRequest, JobRunner, JobStore
from trellis.runtime.queues import Publisher
from worker.jobs import build_registry
from worker.settings import Settings

log = get_logger("worker")

MAX_BATCH = 100


class Jobs:
    """The worker's job machinery, built on first use (cold start stays small)."""

    def __init__(self, settings: Settings, clients: AwsClients) -> None:
        self.settings = settings
        self.clients = clients

    @cached_property
    def registry(self) -> JobRegistry:
        return build_registry(self.settings, self.clients)

    @cached_property
    def store(self) -> JobStore:
        return JobStore(self.clients.dynamodb, self.settings.job_records_table_name)

    @cached_property
    def runner(self) -> JobRunner:
        return JobRunner(self.registry, self.store, self.clients.sqs, self.settings.jobs_queue_url)

    @cached_property
    def client(self) -> JobClient:
        return JobClient(
            self.registry, self.store, Publisher(self.clients.sqs, self.settings.jobs_queue_url)
        )

    def consumer(self, concurrency: int | None = None) -> QueueConsumer:
        return QueueConsumer(
            self.clients.sqs,
            self.settings.jobs_queue_url,
            self.runner.process,
            concurrency=concurrency or self.settings.consumer_concurrency,
            on_extend=self.runner.extend_leases,
        )


class JobIn(BaseModel):
    """A job to run: ``{"type", "payload"}`` (or the guide's ``{"job_type", "data"}``)."""

    type: str = Field(min_length=1, max_length=64, examples=["process_data"])
    payload: dict[str, Any] = Field(default_factory=dict, examples=[{"key": "value"}])

    @model_validator(mode="before")
    @classmethod
    def _guide_shape(cls, data: Any) -> Any:
        if isinstance(data, dict) and "type" not in data and "job_type" in data:
            data = {"type": data["job_type"], "payload": data.get("data", {})}
        return data


class JobAccepted(BaseModel):
    job_id: str
    status: Literal["queued"] = "queued"
    status_url: str


class BatchIn(BaseModel):
    jobs: list[JobIn] = Field(min_length=1, max_length=MAX_BATCH)


class BatchItem(BaseModel):
    index: int
    status: Literal["queued", "rejected"]
    job_id: str | None = None
    status_url: str | None = None
    error: dict[str, str] | None = None


class BatchOut(BaseModel):
    queued: int
    rejected: int
    results: list[BatchItem]


class ProcessOut(BaseModel):
    received: int
    succeeded: int
    failed: int


def get_jobs(request: Request) -> Jobs:
    jobs: Jobs = request.app.state.jobs
    return jobs


JobsDep = Annotated[Jobs, Depends(get_jobs)]
router = APIRouter(tags=["jobs"])


def _status_url(jobs: Jobs, job_id: str) -> str:
    return f"{jobs.settings.trellis_route or ''}/jobs/{job_id}"


@router.post("/jobs", status_code=202)
def submit_job(job: JobIn, jobs: JobsDep) -> JobAccepted:
    """Queue one job."""
    envelope = jobs.client.submit(JobRequest(job.type, job.payload))
    return JobAccepted(job_id=envelope.job_id, status_url=_status_url(jobs, envelope.job_id))


@router.post("/jobs/batch", status_code=202)
@router.post("/jobs:batch", status_code=202, include_in_schema=False)
def submit_batch(batch: BatchIn, jobs: JobsDep) -> BatchOut:
    """Queue many jobs with SendMessageBatch; each job is reported queued or rejected."""
    outcomes = jobs.client.submit_many([JobRequest(j.type, j.payload) for j in batch.jobs])
    items = []
    for outcome in outcomes:
        if outcome.job_id is not None:
            items.append(
                BatchItem(
                    index=outcome.index,
                    status="queued",
                    job_id=outcome.job_id,
                    status_url=_status_url(jobs, outcome.job_id),
                )
            )
        else:
            assert outcome.error is not None
            items.append(
                BatchItem(
                    index=outcome.index,
                    status="rejected",
                    error={"code": outcome.error.code, "message": outcome.error.message},
                )
            )
    queued = sum(1 for i in items if i.status == "queued")
    return BatchOut(queued=queued, rejected=len(items) - queued, results=items)


def _error(description: str) -> dict[str, Any]:
    ref = {"$ref": "#/components/schemas/TrellisErrorResponse"}
    return {"description": description, "content": {"application/json": {"schema": ref}}}


@router.get("/jobs/{job_id}", responses={404: _error("No such job")})
def read_job(job_id: Annotated[str, Path(description="The job's id.")], jobs: JobsDep) -> JobRecord:
    """A job's status: queued, running, succeeded, failed or dead_lettered.

    An id that cannot be a job's (``stats#process_data``, say: ``#`` separates
    other items' keys in the same table) is a 404 without a lookup.
    """
    return jobs.store.get(job_id)


@router.post("/jobs/process")
def process_jobs(
    jobs: JobsDep, max_messages: Annotated[int, Query(ge=1, le=100)] = 10
) -> ProcessOut:
    """Run up to ``max_messages`` queued messages now and report what happened."""
    stats = jobs.consumer(concurrency=1).run(
        threading.Event(), max_messages=max_messages, budget_s=20, grace_s=5
    )
    return ProcessOut(received=stats.received, succeeded=stats.succeeded, failed=stats.failed)


def build_app(settings: Settings, clients: AwsClients | None = None) -> FastAPI:
    """The worker app; ``clients`` defaults to clients built from ``settings``."""
    clients = clients if clients is not None else clients_for(settings)
    jobs = Jobs(settings, clients)
    consumes = {q for q in settings.trellis_consumes.split(",") if q}

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Containers run their own consumer loop; on Lambda the event source mapping feeds the handler.
        if "jobs" not in consumes:
            yield
            return
        stop = threading.Event()
        thread = threading.Thread(
            target=jobs.consumer().run, args=(stop,), name="jobs-consumer", daemon=True
        )
        thread.start()
        log.info("consumer_started", queue="jobs")
        try:
            yield
        finally:
            stop.set()
            thread.join(30)
            log.info("consumer_stopped", queue="jobs")

    app = create_app(settings, title="worker", clients=clients, lifespan=lifespan)
    app.state.jobs = jobs
    app.include_router(router)
    return app
