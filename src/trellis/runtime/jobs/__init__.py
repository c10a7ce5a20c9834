"""Background jobs over SQS: typed handlers, idempotent runs, status records, DLQ.

::

    jobs = JobRegistry()

    @jobs.job("process_data")
    def process_data(payload: ProcessData, ctx: JobContext) -> dict:
        return {"keys": len(payload.data)}

    runner = JobRunner(jobs, JobStore(clients.dynamodb, settings.job_records_table_name),
                       clients.sqs, settings.jobs_queue_url)
    handler = lambda_handler(app, sqs=runner.process)      # Lambda
    QueueConsumer(clients.sqs, settings.jobs_queue_url, runner.process)  # containers
"""

from trellis.runtime.jobs._client import JobClient, JobRequest, Submitted
from trellis.runtime.jobs._model import (
    InvalidJob,
    JobEnvelope,
    JobRecord,
    JobStatus,
    decode_message,
)
from trellis.runtime.jobs._registry import JobContext, JobRegistry
from trellis.runtime.jobs._runner import JobBusy, JobFailed, JobRunner, QueueInfo
from trellis.runtime.jobs._store import Claim, ClaimOutcome, JobStore, LeaseLost

__all__ = [
    "Claim",
    "ClaimOutcome",
    "InvalidJob",
    "JobBusy",
    "JobClient",
    "JobContext",
    "JobEnvelope",
    "JobFailed",
    "JobRecord",
    "JobRegistry",
    "JobRequest",
    "JobRunner",
    "JobStatus",
    "JobStore",
    "LeaseLost",
    "QueueInfo",
    "Submitted",
    "decode_message",
]
