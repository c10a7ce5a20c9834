"""Lambda entry point: one function serves HTTP events and the jobs queue's SQS batches."""

from trellis.runtime import SqsRecord, lambda_handler
from worker.main import app


def _run_jobs(record: SqsRecord) -> None:
    app.state.jobs.runner.process(record)


# A record starts only while the invocation has a whole job's time left (plus a margin).
handler = lambda_handler(app, sqs=_run_jobs, max_record_s=app.state.jobs.settings.job_max_run_s)
