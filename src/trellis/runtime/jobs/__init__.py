"""Background jobs over SQS: typed handlers, idempotent runs, status records, DLQ.

::

    jobs = JobRegistry(max_run_s=10)         # the job time limit, well below the function's timeout

    @jobs.job("process_data")
    def process_data(payload: ProcessData, ctx: JobContext) -> dict:
        return {"keys": len(payload.data)}

    @jobs.job("s3_object_created", internal=True)   # fed by S3, refused from the API (422)
    def record_upload(payload: S3ObjectCreated, ctx: JobContext) -> dict: ...

    runner = JobRunner(jobs, JobStore(clients.dynamodb, settings.job_records_table_name),
                       clients.sqs, settings.jobs_queue_url)
    handler = lambda_handler(app, sqs=runner.process, max_record_s=jobs.max_run_s)   # Lambda
    QueueConsumer(clients.sqs, settings.jobs_queue_url, runner.process)  # containers
"""

from trellis.runtime.jobs._client import JobClient, JobRequest, Submitted
from trellis.runtime.jobs._model import (
    JOB_ID_PATTERN,
    InvalidJob,
    JobEnvelope,
    JobError,
    JobRecord,
    JobStatus,
    decode_message,
    is_job_id,
)
from trellis.runtime.jobs._registry import MAX_RUN_S_CONTEXT, JobContext, JobRegistry
from trellis.runtime.jobs._runner import JobBusy, JobFailed, JobRunner, JobTimedOut, QueueInfo
from trellis.runtime.jobs._store import Claim, ClaimOutcome, JobStore, LeaseLost

__all__ = [
    "JOB_ID_PATTERN",
    "MAX_RUN_S_CONTEXT",
    "Claim",
    "ClaimOutcome",
    "InvalidJob",
    "JobBusy",
    "JobClient",
    "JobContext",
    "JobEnvelope",
    "JobError",
    "JobFailed",
    "JobRecord",
    "JobRegistry",
    "JobRequest",
    "JobRunner",
    "JobStatus",
    "JobStore",
    "JobTimedOut",
    "LeaseLost",
    "QueueInfo",
    "Submitted",
    "decode_message",
    "is_job_id",
]
