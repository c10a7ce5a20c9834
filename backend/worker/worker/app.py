"""The worker service: a jobs API over SQS, and the consumer that runs the jobs.

Routes (behind the ``/worker`` prefix on the gateway):

- ``POST /jobs`` → 202 ``{job_id, status, status_url}``; also takes the guide's
  ``{"job_type", "data"}``. Unknown or internal type (``s3_object_created``)
  or bad payload (``sleep_ms`` over the job time limit, say) → 422; over
  SQS's 1 MiB limit → 413.
- ``POST /jobs/batch`` (or ``/jobs:batch``) → 202 with a result per job.
- ``GET /jobs/{job_id}`` → status, attempts, timestamps, result or error (a
  code and a safe message). An id that cannot be a job's → 404, without a lookup.
- ``POST /jobs/process?max_messages=N`` drains at most N messages now, for a
  scheduled trigger on App Runner (which throttles CPU between requests).
  Another method on ``/jobs/process`` or ``/jobs/batch`` → 405 with ``Allow: POST``
  (not a lookup of a job called ``process``).
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any, Literal

from fastapi import FastAPI, Path, Query, Request
from pydantic import BaseModel, Field, model_validator

from trellis.runtime import (
    APIRouter,
    AwsClients,
    MethodNotAllowed,
    SqsRecord,
    clients_for,
    create_app,
    error_responses,
    get_logger,
    lambda_handler,
)
from trellis.runtime.jobs import JobRecord, JobRequest
from trellis.runtime.schedules import ScheduleContext, Schedules
from worker.deps import Jobs, JobsDep
from worker.settings import Settings

log = get_logger("worker")

MAX_BATCH = 100

#: What Lambda calls: ``handler(event, context) -> response``.
LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]


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


class ScheduledBatch(BaseModel):
    """A schedule's payload: queue ``count`` ``process_data`` jobs carrying ``data``."""

    count: int = Field(default=1, ge=1, le=MAX_BATCH)
    data: dict[str, Any] = Field(default_factory=dict)


class ProcessOut(BaseModel):
    received: int
    succeeded: int
    failed: int


router = APIRouter(tags=["jobs"])


def _status_url(request: Request, job_id: str) -> str:
    # root_path is the public prefix (stage and route: /live/worker) the runtime found.
    return f"{request.scope.get('root_path', '')}/jobs/{job_id}"


@router.post("/jobs", status_code=202)
def submit_job(job: JobIn, jobs: JobsDep, request: Request) -> JobAccepted:
    """Queue one job."""
    envelope = jobs.client().submit(JobRequest(job.type, job.payload))
    return JobAccepted(job_id=envelope.job_id, status_url=_status_url(request, envelope.job_id))


@router.post("/jobs/batch", status_code=202)
@router.post("/jobs:batch", status_code=202, include_in_schema=False)
def submit_batch(batch: BatchIn, jobs: JobsDep, request: Request) -> BatchOut:
    """Queue many jobs with SendMessageBatch; each job is reported queued or rejected."""
    outcomes = jobs.client().submit_many([JobRequest(j.type, j.payload) for j in batch.jobs])
    items = []
    for outcome in outcomes:
        if outcome.job_id is not None:
            items.append(
                BatchItem(
                    index=outcome.index,
                    status="queued",
                    job_id=outcome.job_id,
                    status_url=_status_url(request, outcome.job_id),
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


#: The paths below ``/jobs/`` that are actions, not job ids: POST only.
_POST_ONLY = {
    "process": "drains up to ?max_messages=N queued jobs now",
    "batch": "queues many jobs",
}


def _post_only(action: str, does: str) -> None:
    async def refuse(request: Request) -> None:
        prefix = request.scope.get("root_path", "")
        raise MethodNotAllowed(
            f"{request.method} {prefix}/jobs/{action} is not allowed: "
            f"POST {prefix}/jobs/{action} {does}",
            allow=["POST"],
        )

    # Declared before GET /jobs/{job_id}, which would otherwise take the action's name as an id.
    router.add_api_route(
        f"/jobs/{action}",
        refuse,
        methods=["GET", "HEAD", "PUT", "PATCH", "DELETE"],
        include_in_schema=False,
    )


for _action, _does in _POST_ONLY.items():
    _post_only(_action, _does)


@router.get("/jobs/{job_id}", responses=error_responses((404, "No such job")))
def read_job(job_id: Annotated[str, Path(description="The job's id.")], jobs: JobsDep) -> JobRecord:
    """A job's status: queued, running, succeeded, failed or dead_lettered.

    An id that cannot be a job's (``stats#process_data``, say: ``#`` separates
    other items' keys in the same table) is a 404 without a lookup.
    """
    return jobs.store().get(job_id)


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
    """The worker app; ``clients`` defaults to clients built from ``settings``.

    Under an ASGI server (a container) the app also runs the jobs queue's consumer
    loop when ``TRELLIS_CONSUMES`` names it; on Lambda the event source mapping
    feeds :func:`build_handler` instead.
    """
    clients = clients if clients is not None else clients_for(settings)
    jobs = Jobs(settings, clients)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if "jobs" not in settings.trellis_consumes:
            yield
            return
        stop = threading.Event()
        thread = threading.Thread(
            target=jobs.consumer().run, args=(stop,), name="jobs-consumer", daemon=True
        )
        thread.start()
        log.info("consumer.started", queue="jobs")
        try:
            yield
        finally:
            stop.set()
            thread.join(30)
            log.info("consumer.stopped", queue="jobs")

    app = create_app(settings, title="worker", clients=clients, lifespan=lifespan)
    app.state.jobs = jobs
    app.include_router(router)
    return app


def build_handler(settings: Settings, clients: AwsClients | None = None) -> LambdaHandler:
    """The Lambda handler: HTTP events go to the app, the jobs queue's SQS batches to its
    runner, and firings of a schedule aimed at the worker (``queue_jobs``) to its handler."""
    app = build_app(settings, clients)
    jobs: Jobs = app.state.jobs
    schedules = Schedules()

    def run_job(record: SqsRecord) -> None:
        jobs.runner().process(record)

    @schedules.on("queue_jobs")
    def queue_jobs(payload: ScheduledBatch, ctx: ScheduleContext) -> dict[str, Any]:
        data = {**payload.data, "scheduled_time": str(ctx.scheduled_time), "attempt": ctx.attempt}
        outcomes = jobs.client().submit_many(
            [JobRequest("process_data", data) for _ in range(payload.count)]
        )
        return {"queued": [o.job_id for o in outcomes if o.job_id is not None]}

    # A record starts only while the invocation has a whole job's time left (plus a margin).
    return lambda_handler(
        app, sqs=run_job, schedules=schedules, max_record_s=settings.job_max_run_s
    )
