"""Settings of the worker service: what `trellis.toml` says it uses, and its job time limit."""

from pydantic import Field

from trellis.runtime import ServiceSettings


class Settings(ServiceSettings):
    jobs_queue_url: str
    job_records_table_name: str
    files_table_name: str
    uploads_bucket_name: str
    #: The job time limit (``JOB_MAX_RUN_S``), well below the function's ``timeout_s`` (30 s in
    #: trellis.toml): a batch starts a record only while this much is left, plus a margin.
    job_max_run_s: float = Field(default=10.0, gt=0, le=900, validation_alias="JOB_MAX_RUN_S")
