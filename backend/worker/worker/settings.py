"""Settings of the worker service: what `trellis.toml` says it uses."""

from trellis.runtime import ServiceSettings


class Settings(ServiceSettings):
    jobs_queue_url: str
    job_records_table_name: str
    files_table_name: str
    uploads_bucket_name: str
